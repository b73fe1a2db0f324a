/**
 * The rate budget of one credential (upstream URL + client ID): how many requests the
 * facade may send, and who goes next.
 *
 * Contract:
 * - USM allows each client 100 GET and 50 POST-class requests (the token exchange
 *   included; PUT and DELETE counted with POST, the safe side of an undocumented rule)
 *   in any 1000 ms, counted as a strict sliding window. `acquire(cls)` resolves with a
 *   permit when one request of that class may be sent; the caller calls `done()` when
 *   its answer (or failure) is in. A permit holds a slot from `acquire` until one window
 *   after `done()` (see `rate.window.ts`): USM counts the request somewhere in between,
 *   so however uneven the latency — a burst's last request may reach USM well after its
 *   first — USM never sees more than `floor(limit × share)` requests in a window. The
 *   price is throughput: each slot serves one request per window plus latency. The
 *   window is `windowMs + windowMarginMs`; the margin (default 10 ms) covers clocks
 *   that tick at slightly different rates and millisecond rounding. The share (default
 *   95%) leaves headroom for other users of the credential.
 * - Callers wait in a FIFO queue per class. One whose expected wait (the queue ahead of
 *   it, at the current rate) exceeds `maxQueueWaitMs` is refused at once with
 *   `UPSTREAM_RATE_LIMITED` (and `retryAfterMs`), so the queue is bounded by time.
 * - `throttled(cls, retryAfterMs)` reports a 429 from USM despite the budget (another
 *   user of the credential, or a skewed window). The class then pauses for
 *   `Retry-After` (one window when absent), and its rate is halved (at most once per
 *   window, never below 10%) and grows back by 5% of the limit per second without a 429
 *   — additive increase, multiplicative decrease, like TCP's congestion window.
 * - The window itself is a `RateWindow`: in memory by default, in Redis when shared by
 *   replicas. Time estimates and AIMD use the injectable clock; waiting uses timers.
 */
import { FacadeError } from '../../errors/facade.error.js';
import type { Logger } from '../../log/logger.js';
import { systemClock, type Clock } from '../clock.js';
import { MemoryRateWindow, type RateWindow } from './rate.window.js';

/** The quota classes USM counts separately. */
export type RequestClass = 'get' | 'post';

/** USM's documented quota per client and subdomain, per second. */
const USM_LIMITS: Readonly<Record<RequestClass, number>> = Object.freeze({ get: 100, post: 50 });

export function requestClassOf(method: string): RequestClass {
  return method.toUpperCase() === 'GET' ? 'get' : 'post';
}

export interface RateBudgetOptions {
  /** Deployment name for messages. Required. */
  deployment: string;
  /** Identifies the credential in the window (a hash, never the secret). Required. */
  key: string;
  /** Default: a `MemoryRateWindow` on `clock`. */
  window?: RateWindow;
  /** Default `USM_LIMITS` (100 GET, 50 POST per window). */
  limits?: Readonly<Record<RequestClass, number>>;
  /** Share of the limits to use, in (0, 1]. Default 0.95. */
  share?: number;
  /** USM's window. Default 1000 ms. */
  windowMs?: number;
  /** Added to the window. Default 10 ms. */
  windowMarginMs?: number;
  /**
   * How long a permit whose `done()` never comes holds its slot (plus a window).
   * Default 16000 ms; set it above the longest a request may take.
   */
  leaseMs?: number;
  /** Longest expected wait a caller is queued for. Default 10000 ms. */
  maxQueueWaitMs?: number;
  /** Default `Date.now`. */
  clock?: Clock;
  logger?: Logger;
}

/** Leave to send one request; call `done()` once its answer or failure is in. */
export interface BudgetPermit {
  done(): void;
}

interface Waiter {
  resolve: (permit: BudgetPermit) => void;
  reject: (error: unknown) => void;
}

interface Lane {
  cls: RequestClass;
  queue: Waiter[];
  pumping: boolean;
  /** When the window is expected to have room again (clock time). */
  nextFreeAt: number;
  /** AIMD: share of the budget in use after the last decrease, and when that was. */
  factor: number;
  decreasedAt: number;
  pausedUntil: number;
  sleep: { timer: NodeJS.Timeout; wake: () => void } | undefined;
}

const MIN_FACTOR = 0.1;
const RECOVERY_PER_SECOND = 0.05;

export class RateBudget {
  readonly #deployment: string;
  readonly #key: string;
  readonly #window: RateWindow;
  readonly #limits: Readonly<Record<RequestClass, number>>;
  readonly #share: number;
  readonly #windowMs: number;
  readonly #leaseMs: number;
  readonly #maxQueueWaitMs: number;
  readonly #clock: Clock;
  readonly #logger: Logger | undefined;
  readonly #lanes: Record<RequestClass, Lane>;
  #closed = false;

  constructor(options: RateBudgetOptions) {
    const share = options.share ?? 0.95;
    if (!(share > 0 && share <= 1)) throw new RangeError(`RateBudget: share must be in (0, 1]; got ${share}`);
    this.#deployment = options.deployment;
    this.#key = options.key;
    this.#clock = options.clock ?? systemClock;
    this.#window = options.window ?? new MemoryRateWindow({ clock: this.#clock });
    this.#limits = options.limits ?? USM_LIMITS;
    this.#share = share;
    this.#windowMs = (options.windowMs ?? 1000) + (options.windowMarginMs ?? 10);
    this.#leaseMs = options.leaseMs ?? 16_000;
    this.#maxQueueWaitMs = options.maxQueueWaitMs ?? 10_000;
    this.#logger = options.logger;
    const lane = (cls: RequestClass): Lane => ({
      cls,
      queue: [],
      pumping: false,
      nextFreeAt: 0,
      factor: 1,
      decreasedAt: Number.NEGATIVE_INFINITY,
      pausedUntil: 0,
      sleep: undefined,
    });
    this.#lanes = { get: lane('get'), post: lane('post') };
  }

  /** Requests of `cls` allowed per window right now (AIMD included). */
  currentLimit(cls: RequestClass): number {
    return Math.max(1, Math.floor(this.#limits[cls] * this.#share * this.#factorOf(this.#lanes[cls], this.#clock())));
  }

  /** Resolves when one request of `cls` may be sent; rejects with `UPSTREAM_RATE_LIMITED` when the wait would be too long. */
  acquire(cls: RequestClass): Promise<BudgetPermit> {
    if (this.#closed) return Promise.reject(this.#closedError());
    const lane = this.#lanes[cls];
    const now = this.#clock();
    const expectedWait =
      Math.max(0, lane.pausedUntil - now, lane.queue.length === 0 ? 0 : lane.nextFreeAt - now) +
      Math.floor(lane.queue.length / this.currentLimit(cls)) * this.#windowMs;
    if (expectedWait > this.#maxQueueWaitMs) {
      return Promise.reject(
        new FacadeError(
          'UPSTREAM_RATE_LIMITED',
          `${this.#deployment}: the ${cls.toUpperCase()} request budget (${this.currentLimit(cls)} per second) is taken for the next ${Math.ceil(expectedWait / 1000)} s; try again later`,
          { deployment: this.#deployment, details: { retryAfterMs: expectedWait } },
        ),
      );
    }
    return new Promise<BudgetPermit>((resolve, reject) => {
      lane.queue.push({ resolve, reject });
      void this.#pump(lane);
    });
  }

  /** The upstream answered 429 although the budget allowed the request. */
  throttled(cls: RequestClass, retryAfterMs: number | undefined): void {
    const lane = this.#lanes[cls];
    const now = this.#clock();
    lane.pausedUntil = Math.max(lane.pausedUntil, now + (retryAfterMs ?? this.#windowMs));
    if (now - lane.decreasedAt >= this.#windowMs) {
      lane.factor = Math.max(MIN_FACTOR, this.#factorOf(lane, now) / 2);
      lane.decreasedAt = now;
      this.#logger?.warn(
        { deployment: this.#deployment, class: cls, retryAfterMs, limitPerSecond: this.currentLimit(cls) },
        'upstream answered 429 within the budget; pausing and lowering the rate',
      );
    }
  }

  /** Refuses every waiting and future caller and stops the timers. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    for (const lane of Object.values(this.#lanes)) {
      if (lane.sleep !== undefined) {
        clearTimeout(lane.sleep.timer);
        lane.sleep.wake();
      }
      for (const waiter of lane.queue.splice(0)) waiter.reject(this.#closedError());
    }
  }

  #factorOf(lane: Lane, now: number): number {
    if (lane.factor >= 1) return 1;
    const recovered = lane.factor + (RECOVERY_PER_SECOND * Math.max(0, now - lane.decreasedAt)) / 1000;
    return Math.min(1, recovered);
  }

  /** Serves `lane`'s queue in order, one window slot at a time; one pump per lane. */
  async #pump(lane: Lane): Promise<void> {
    if (lane.pumping) return;
    lane.pumping = true;
    try {
      while (lane.queue.length > 0 && !this.#closed) {
        const now = this.#clock();
        if (lane.pausedUntil > now) {
          await this.#sleep(lane, lane.pausedUntil - now);
          continue;
        }
        const answer = await this.#window.tryTake(
          `${this.#key}:${lane.cls}`,
          this.currentLimit(lane.cls),
          this.#windowMs,
          this.#leaseMs,
        );
        if (answer.taken) {
          lane.nextFreeAt = now;
          const { settle } = answer;
          let settled = false;
          lane.queue.shift()?.resolve({
            done: () => {
              if (settled) return;
              settled = true;
              settle().catch((error: unknown) => this.#logger?.warn({ deployment: this.#deployment, error }, 'rate window settle failed'));
            },
          });
        } else {
          lane.nextFreeAt = now + answer.retryInMs;
          await this.#sleep(lane, answer.retryInMs);
        }
      }
    } catch (error) {
      // A window that throws is a bug (RedisRateWindow falls back on its own); fail the waiters, not the process.
      this.#logger?.error({ deployment: this.#deployment, error }, 'rate window failed');
      for (const waiter of lane.queue.splice(0)) {
        waiter.reject(
          new FacadeError('UPSTREAM_UNAVAILABLE', `${this.#deployment}: the request budget is unavailable`, {
            deployment: this.#deployment,
            cause: error,
          }),
        );
      }
    } finally {
      lane.pumping = false;
    }
  }

  #sleep(lane: Lane, ms: number): Promise<void> {
    return new Promise((resolve) => {
      const wake = () => {
        lane.sleep = undefined;
        resolve();
      };
      lane.sleep = { timer: setTimeout(wake, Math.max(1, ms)), wake };
    });
  }

  #closedError(): FacadeError {
    return new FacadeError('UPSTREAM_UNAVAILABLE', `${this.#deployment}: the facade is shutting down`, {
      deployment: this.#deployment,
    });
  }
}
