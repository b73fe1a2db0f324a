/**
 * The rate budget of one credential (upstream URL + client ID): how many requests the
 * facade may send, and who goes next.
 *
 * Contract:
 * - USM allows each client 100 GET and 50 POST-class requests (the token exchange
 *   included; PUT and DELETE counted with POST, the safe side of an undocumented rule)
 *   in any 1000 ms, counted as a strict sliding window. `acquire(cls, call)` resolves with a
 *   permit when one request of that class may be sent; the caller calls `done()` when
 *   its answer (or failure) is in. A permit holds a slot from `acquire` until one window
 *   after `done()` (see `rate.window.ts`): USM counts the request somewhere in between,
 *   so however uneven the latency — a burst's last request may reach USM well after its
 *   first — USM never sees more than `floor(limit × share)` requests in a window. The
 *   price is throughput: each slot serves one request per window plus latency. The
 *   window is `windowMs + windowMarginMs`; the margin (`UPSTREAM_BUDGET_WINDOW_MARGIN_MS`)
 *   covers clocks that tick at slightly different rates and millisecond rounding. The
 *   share (`UPSTREAM_BUDGET_SHARE`) leaves headroom for other users of the credential.
 * - Who goes next (`fair.queue.ts`): work classes in strict priority (`INTERACTIVE`, then
 *   `LIVE`, then `BACKGROUND`), so a lower class never delays a higher one by more than
 *   the requests already sent; within a class the callers (API keys) take turns, one
 *   request each, so a key that floods gets one turn per round and every other key's
 *   requests go out as if it were not there; within a caller, first come first served.
 * - Across replicas (a shared `RedisRateWindow`) the queue order is per replica, and
 *   the share per caller is global: each take tells the window what this replica has
 *   waiting, and the window keeps free slots for callers of a higher class and for
 *   callers of the same class below their fair share (see `redis.window.ts`).
 * - Headroom for newcomers: while more than one caller drew on a lane in the last
 *   minute, a caller with a backlog (more than one request waiting) may fill the window
 *   only up to `limit - floor(limit × headroomShare)` (default 5%: 90 of 95 GETs); the
 *   top slots go to requests that arrive alone. A key that asks now and then therefore
 *   finds a free slot at once instead of waiting for the next one to free behind a
 *   flood (slots free in bursts, one window after the burst that took them), and the
 *   flood keeps 95% of the rest. A caller alone on a lane uses the whole window.
 * - Work under way first (`upstream.call.ts`): a request whose operation (the same
 *   `UpstreamCall`) has already been granted one, here or on another deployment, goes
 *   ahead of every request of the same caller and class that starts an operation; a
 *   request of an operation that gets under way while it waits here is moved up the
 *   same way. Fairness between keys is untouched: the round robin still gives each
 *   caller one turn per round and the shared window still keeps each caller's share;
 *   only the choice of which of its own requests a caller spends its turn on changes.
 *   A key's continuations therefore never wait behind that key's newer operations,
 *   and never behind more than one turn of each other key.
 * - Admission is by operation, from this replica's measured share. The expected wait
 *   of a request is the requests served before it (for a continuation: only the
 *   continuations of its caller, other callers' turns and higher classes; for an
 *   operation not yet under way: everything queued, plus the operation's own expected
 *   requests, `expectCalls`) divided by the requests this replica is granted per
 *   window, times the window. While the window has refused a take in the last window,
 *   that is the rate at which it was granted them lately (bounded by the slots it
 *   holds: granted and not yet a window past their answer): with replicas on one
 *   shared window that is this replica's share of it, not the whole limit, so each
 *   replica admits what it can serve, not what all of them together can. Otherwise it
 *   is the whole current limit. A shared window's refusal also says what the caller is
 *   sure of here (its fair share, split between the replicas it waits on): the caller's
 *   own requests ahead at that rate (scaled by what a held slot yielded here in the last
 *   window: slow answers hold slots longer) bound its wait too, so a quiet key on a
 *   replica that sent little lately is not refused for a share it never needed.
 * - A caller whose expected wait passes its limit is refused at once with
 *   `UPSTREAM_RATE_LIMITED` (`retryAfterMs`, `retryAfterSeconds`), before any request
 *   of its operation is sent: the limit is the time left to its deadline, and at most
 *   `maxQueueWaitMs` for `INTERACTIVE` work or `classMaxWaitMs` for the others (shorter,
 *   so a poll or a prefetch that cannot go soon skips its round instead of piling up).
 *   An operation not yet under way is also refused when its wait plus its answers'
 *   latency (the recent average, times its rounds of calls: at most two) would pass
 *   its deadline: under a slow upstream its calls would be answered too late to serve.
 *   Once one request of an operation is admitted here, its siblings that arrive before
 *   any is granted are admitted with it (they were counted). A waiter still queued
 *   when its deadline (or its class's wait limit) passes is taken out and refused the
 *   same way, saying it was still queued.
 * - `throttled(cls, retryAfterMs)` reports a 429 from USM despite the budget (another
 *   user of the credential, or a skewed window). The class then pauses for
 *   `Retry-After` (one window when absent), and its rate is halved (at most once per
 *   window, never below 10%) and grows back by 5% of the limit per second without a 429
 *   — additive increase, multiplicative decrease, like TCP's congestion window.
 * - Every grant is counted per caller (`usage`, `usage.ledger.ts`).
 * - The window itself is a `RateWindow`: in memory by default, in Redis when shared by
 *   replicas. Time estimates, AIMD and every wait run on the injectable clock.
 */
import { FacadeError } from '../../errors/facade.error.js';
import type { Logger } from '../../log/logger.js';
import { systemClock, type Cancel, type Clock } from '../../time/clock.js';
import { UPSTREAM_TUNING_DEFAULTS } from '../upstream.settings.js';
import {
  expectedCallsOf,
  FACADE_CALL,
  isUnderWay,
  markUnderWay,
  tierOf,
  WORK_CLASSES,
  type UpstreamCall,
  type WorkClass,
} from '../upstream.call.js';
import { FairQueue } from './fair.queue.js';
import { MemoryRateWindow, type RateWindow, type WindowAnswer } from './rate.window.js';
import type { RequestClass } from './request.class.js';
import { UsageLedger, type CallerUsage } from './usage.ledger.js';

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
  /** Share of the limits to use, in (0, 1]. Default `UPSTREAM_BUDGET_SHARE`'s (see `upstream.settings.ts`, as for the waits below). */
  share?: number;
  /** USM's window. Default 1000 ms. */
  windowMs?: number;
  /** Added to the window. Default `UPSTREAM_BUDGET_WINDOW_MARGIN_MS`'s. */
  windowMarginMs?: number;
  /**
   * How long a permit whose `done()` never comes holds its slot (plus a window).
   * Default 16000 ms; set it above the longest a request may take.
   */
  leaseMs?: number;
  /** Longest expected wait an `INTERACTIVE` caller is queued for. Default `UPSTREAM_QUEUE_MAX_WAIT_MS`'s. */
  maxQueueWaitMs?: number;
  /** Share of the window kept for requests that arrive alone while a backlog fills the rest, in [0, 0.5]. Default 0.05. */
  headroomShare?: number;
  /** Longest wait of the other classes, expected and actual. Default `UPSTREAM_LIVE_MAX_WAIT_MS`'s and `UPSTREAM_BACKGROUND_MAX_WAIT_MS`'s. */
  classMaxWaitMs?: Partial<Record<Exclude<WorkClass, 'INTERACTIVE'>, number>>;
  /** Time estimates, AIMD, wait limits and the pump's pauses. Default `systemClock`. */
  clock?: Clock;
  logger?: Logger;
}

/** Leave to send one request; call `done()` once its answer or failure is in. */
export interface BudgetPermit {
  done(): void;
}

interface Waiter {
  readonly caller: string;
  readonly tier: number;
  readonly call: UpstreamCall;
  continuation: boolean;
  readonly queuedAt: number;
  resolve: (permit: BudgetPermit) => void;
  reject: (error: unknown) => void;
  /** Refuses the waiter at its wait limit. */
  cancelLimit: Cancel | undefined;
}

interface Lane {
  cls: RequestClass;
  queue: FairQueue<Waiter>;
  pumping: boolean;
  /** When the window is expected to have room again (clock time). */
  nextFreeAt: number;
  /** AIMD: share of the budget in use after the last decrease, and when that was. */
  factor: number;
  decreasedAt: number;
  pausedUntil: number;
  sleep: { cancel: Cancel; wake: () => void } | undefined;
  /** When each caller was last granted a request here: who shares the lane lately. */
  lastGrantAt: Map<string, number>;
  /** When this replica's grants of the last two windows were made, oldest first (`snapshot`, the measured share). */
  recentGrants: number[];
  /** When the window last refused a take: this replica's share is measured while that is recent. */
  fullAt: number;
  /** Permits granted and not yet done. */
  inFlight: number;
  /** When permits were done, oldest first: their slots are held for a window after. */
  releases: number[];
  /** Waiters of operations not yet under way, by operation: moved up when one of their siblings is granted. */
  freshByCall: Map<UpstreamCall, Set<Waiter>>;
  /** How long a granted request took to be answered, lately (a moving average, ms). */
  latencyMs: number;
  /** Per caller, the slots per window the shared window last said it is sure of here, and when. */
  sureShares: Map<string, { slots: number; at: number }>;
}

/** What operators watch of one quota class of a budget, as this replica sees it. */
export interface LaneSnapshot {
  /** Requests waiting for the budget, by work class. */
  waiting: Record<WorkClass, number>;
  /** Requests this replica was granted in the last window. */
  grantedInWindow: number;
  /** Requests allowed per window right now (share and AIMD included). */
  limit: number;
  /** Slots of the window this replica holds now: its share while the window is full. */
  held: number;
}

const MIN_FACTOR = 0.1;
/**
 * Round trips an operation is expected to need one after another: a page, then what it
 * needs next (the paginator's next page, or a lookup batch); its other calls go out in
 * parallel batches (DataLoader).
 */
const ROUNDS_PER_OPERATION = 2;
/** How long a caller counts as sharing a lane after its last grant. */
const SHARING_MS = 60_000;
const RECOVERY_PER_SECOND = 0.05;

export class RateBudget {
  readonly #deployment: string;
  readonly #key: string;
  readonly #window: RateWindow;
  readonly #limits: Readonly<Record<RequestClass, number>>;
  readonly #share: number;
  readonly #windowMs: number;
  readonly #leaseMs: number;
  readonly #maxWaitMs: Readonly<Record<WorkClass, number>>;
  readonly #clock: Clock;
  readonly #logger: Logger | undefined;
  readonly #lanes: Record<RequestClass, Lane>;
  readonly #usage: UsageLedger;
  readonly #headroomShare: number;
  /** Operations admitted here whose first request is not granted yet: their siblings need no second admission. */
  readonly #admitted = new WeakSet<UpstreamCall>();
  #closed = false;

  constructor(options: RateBudgetOptions) {
    const share = options.share ?? UPSTREAM_TUNING_DEFAULTS.budgetShare;
    if (!(share > 0 && share <= 1)) throw new RangeError(`RateBudget: share must be in (0, 1]; got ${share}`);
    this.#deployment = options.deployment;
    this.#key = options.key;
    this.#clock = options.clock ?? systemClock;
    this.#window = options.window ?? new MemoryRateWindow({ clock: this.#clock });
    this.#limits = options.limits ?? USM_LIMITS;
    this.#share = share;
    this.#windowMs = (options.windowMs ?? 1000) + (options.windowMarginMs ?? UPSTREAM_TUNING_DEFAULTS.budgetWindowMarginMs);
    this.#leaseMs = options.leaseMs ?? 16_000;
    this.#maxWaitMs = {
      INTERACTIVE: options.maxQueueWaitMs ?? UPSTREAM_TUNING_DEFAULTS.queueMaxWaitMs,
      LIVE: options.classMaxWaitMs?.LIVE ?? UPSTREAM_TUNING_DEFAULTS.liveMaxWaitMs,
      BACKGROUND: options.classMaxWaitMs?.BACKGROUND ?? UPSTREAM_TUNING_DEFAULTS.backgroundMaxWaitMs,
    };
    this.#logger = options.logger;
    this.#usage = new UsageLedger({ clock: this.#clock });
    this.#headroomShare = options.headroomShare ?? 0.05;
    if (!(this.#headroomShare >= 0 && this.#headroomShare <= 0.5)) {
      throw new RangeError(`RateBudget: headroomShare must be in [0, 0.5]; got ${this.#headroomShare}`);
    }
    const lane = (cls: RequestClass): Lane => ({
      cls,
      queue: new FairQueue<Waiter>(WORK_CLASSES.length),
      pumping: false,
      nextFreeAt: 0,
      factor: 1,
      decreasedAt: Number.NEGATIVE_INFINITY,
      pausedUntil: 0,
      sleep: undefined,
      lastGrantAt: new Map(),
      recentGrants: [],
      fullAt: Number.NEGATIVE_INFINITY,
      inFlight: 0,
      releases: [],
      freshByCall: new Map(),
      sureShares: new Map(),
      latencyMs: 0,
    });
    this.#lanes = { get: lane('get'), post: lane('post') };
  }

  /** Requests of `cls` allowed per window right now (AIMD included). */
  currentLimit(cls: RequestClass): number {
    return Math.max(1, Math.floor(this.#limits[cls] * this.#share * this.#factorOf(this.#lanes[cls], this.#clock.now())));
  }

  /** Requests of `cls` the budget lets out per minute at full rate: the measure of a caller's share. */
  allowancePerMinute(cls: RequestClass): number {
    return Math.floor(this.#limits[cls] * this.#share) * (60_000 / this.#windowMs);
  }

  /** Waiting requests, grants in the last window and the limit, per quota class. */
  snapshot(): Record<RequestClass, LaneSnapshot> {
    const now = this.#clock.now();
    const of = (lane: Lane): LaneSnapshot => {
      const waiting = Object.fromEntries(WORK_CLASSES.map((cls) => [cls, 0])) as Record<WorkClass, number>;
      for (const { tier, pending } of lane.queue.demand()) waiting[WORK_CLASSES[tier]!] += pending;
      return { waiting, grantedInWindow: this.#grantsSince(lane, now - this.#windowMs), limit: this.currentLimit(lane.cls), held: this.#heldBy(lane, now) };
    };
    return { get: of(this.#lanes.get), post: of(this.#lanes.post) };
  }

  /** Grants after `at` (within the last two windows). */
  #grantsSince(lane: Lane, at: number): number {
    this.#forgetGrantsBefore(lane, this.#clock.now() - 2 * this.#windowMs);
    let older = 0;
    while (older < lane.recentGrants.length && lane.recentGrants[older]! <= at) older += 1;
    return lane.recentGrants.length - older;
  }

  #forgetGrantsBefore(lane: Lane, at: number): void {
    let stale = 0;
    while (stale < lane.recentGrants.length && lane.recentGrants[stale]! <= at) stale += 1;
    if (stale > 0) lane.recentGrants.splice(0, stale);
  }

  /** Slots this replica holds: granted and not yet a window past their answer. */
  #heldBy(lane: Lane, now: number): number {
    let stale = 0;
    while (stale < lane.releases.length && lane.releases[stale]! <= now - this.#windowMs) stale += 1;
    if (stale > 0) lane.releases.splice(0, stale);
    return lane.inFlight + lane.releases.length;
  }

  /**
   * How many requests this replica gets per window. While the window is full: the rate
   * at which it was granted them lately (the larger of the last window's grants and
   * half the last two windows', since slots free in bursts one window after the burst
   * that took them), never more than the slots it holds (its share of a shared window);
   * measured, it counts the answers' latency too, which a slot waits out before its
   * window starts. Else the whole current limit.
   */
  #slotsOf(lane: Lane, now: number): number {
    const limit = this.currentLimit(lane.cls);
    if (now - lane.fullAt > this.#windowMs) return limit;
    const granted = Math.max(this.#grantsSince(lane, now - this.#windowMs), this.#grantsSince(lane, now - 2 * this.#windowMs) / 2);
    return Math.max(1, Math.min(limit, this.#heldBy(lane, now), Math.floor(granted)));
  }

  /** What `caller` was granted here in the last minute. */
  usage(caller: string): CallerUsage {
    return this.#usage.usage(caller);
  }

  /**
   * Resolves when one request of `cls` may be sent for `call`; rejects with
   * `UPSTREAM_RATE_LIMITED` at once when the wait would pass the call's limit, or later
   * when the call is still queued at its limit.
   */
  acquire(cls: RequestClass, call: UpstreamCall = FACADE_CALL): Promise<BudgetPermit> {
    if (this.#closed) return Promise.reject(this.#closedError());
    const lane = this.#lanes[cls];
    const now = this.#clock.now();
    const tier = tierOf(call.workClass);
    const limitMs = Math.min(this.#maxWaitMs[call.workClass], call.deadline - now);
    const continuation = isUnderWay(call);
    if (!continuation && !this.#admitted.has(call)) {
      // Everything queued is served first, then this operation's requests, at this replica's rate.
      const more = expectedCallsOf(call) - 1;
      const wait = this.#expectedWait(lane, now, call.caller, lane.queue.ahead(call.caller, tier) + more, lane.queue.ownAhead(call.caller, tier) + more);
      // Its answers take time too: one round trip per round of calls it still has to make.
      const answered = wait + Math.min(more + 1, ROUNDS_PER_OPERATION) * lane.latencyMs;
      if (wait > limitMs || answered > call.deadline - now) return Promise.reject(this.#refusal(cls, call, wait, false));
      if (call !== FACADE_CALL) this.#admitted.add(call);
    } else if (continuation) {
      // Only this caller's continuations, other callers' turns and higher classes go first: never the caller's newer work.
      const wait = this.#expectedWait(lane, now, call.caller, lane.queue.ahead(call.caller, tier, true), lane.queue.ownAhead(call.caller, tier, true));
      if (wait > limitMs) return Promise.reject(this.#refusal(cls, call, wait, false));
    }
    return new Promise<BudgetPermit>((resolve, reject) => {
      const waiter: Waiter = { caller: call.caller, tier, call, continuation, queuedAt: now, resolve, reject, cancelLimit: undefined };
      // INTERACTIVE work waits until its deadline; the others no longer than their class allows.
      const waitLimit = call.workClass === 'INTERACTIVE' ? call.deadline - now : limitMs;
      if (Number.isFinite(waitLimit)) {
        waiter.cancelLimit = this.#clock.schedule(waitLimit, () => {
          if (lane.queue.remove(waiter)) {
            this.#forgetFresh(lane, waiter);
            reject(this.#refusal(cls, call, this.#clock.now() - now, true));
          }
        });
      }
      lane.queue.push(waiter);
      if (!continuation && call !== FACADE_CALL) {
        const siblings = lane.freshByCall.get(call);
        if (siblings === undefined) lane.freshByCall.set(call, new Set([waiter]));
        else siblings.add(waiter);
      }
      // A request that came alone may fit the headroom the sleeping pump's backlog may not use: look now.
      if (lane.sleep !== undefined && lane.queue.pendingOf(call.caller, tier) === 1) {
        lane.sleep.cancel();
        lane.sleep.wake();
      }
      void this.#pump(lane);
    });
  }

  /**
   * When `ahead` requests are to be served before one more of `caller`: the wait until
   * the window has room, plus a window per share of slots. Where the shared window has
   * said what `caller` is sure of here (its fair share), its own requests ahead (`own`)
   * at that rate bound the wait too: a replica whose callers asked little lately has
   * been granted little, which says nothing about what a caller of it would get.
   */
  #expectedWait(lane: Lane, now: number, caller: string, ahead: number, own: number): number {
    let windows = Math.floor(ahead / this.#slotsOf(lane, now));
    const sure = lane.sureShares.get(caller);
    if (sure !== undefined && now - sure.at <= this.#windowMs) {
      // A slot is held from its request until a window after the answer, so a share of
      // slots yields fewer grants per window the slower the answers come: scale it by what
      // this replica's held slots yielded in the last window.
      const held = this.#heldBy(lane, now);
      const yieldPerSlot = held === 0 ? 1 : Math.min(1, this.#grantsSince(lane, now - this.#windowMs) / held);
      windows = Math.min(windows, Math.floor(own / Math.max(1, sure.slots * yieldPerSlot)));
    }
    return Math.max(0, lane.pausedUntil - now, lane.queue.size === 0 ? 0 : lane.nextFreeAt - now) + windows * this.#windowMs;
  }

  #forgetFresh(lane: Lane, waiter: Waiter): void {
    if (waiter.continuation) return;
    const siblings = lane.freshByCall.get(waiter.call);
    if (siblings === undefined) return;
    siblings.delete(waiter);
    if (siblings.size === 0) lane.freshByCall.delete(waiter.call);
  }

  /** `call` was granted a request: its siblings waiting in either lane now continue an operation under way. */
  #promoteSiblings(call: UpstreamCall): void {
    this.#admitted.delete(call);
    for (const lane of Object.values(this.#lanes)) {
      const siblings = lane.freshByCall.get(call);
      if (siblings === undefined) continue;
      lane.freshByCall.delete(call);
      for (const sibling of siblings) lane.queue.promote(sibling);
    }
  }

  /** The upstream answered 429 although the budget allowed the request. */
  throttled(cls: RequestClass, retryAfterMs: number | undefined): void {
    const lane = this.#lanes[cls];
    const now = this.#clock.now();
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
        lane.sleep.cancel();
        lane.sleep.wake();
      }
      for (const waiter of lane.queue.drain()) {
        waiter.cancelLimit?.();
        waiter.reject(this.#closedError());
      }
      lane.freshByCall.clear();
    }
  }

  #factorOf(lane: Lane, now: number): number {
    if (lane.factor >= 1) return 1;
    const recovered = lane.factor + (RECOVERY_PER_SECOND * Math.max(0, now - lane.decreasedAt)) / 1000;
    return Math.min(1, recovered);
  }

  /** Serves `lane`'s queue in its fair order, one window slot at a time; one pump per lane. */
  async #pump(lane: Lane): Promise<void> {
    if (lane.pumping) return;
    lane.pumping = true;
    try {
      while (lane.queue.size > 0 && !this.#closed) {
        const now = this.#clock.now();
        if (lane.pausedUntil > now) {
          await this.#sleep(lane, lane.pausedUntil - now);
          continue;
        }
        const head = lane.queue.peek()!;
        let asked = head;
        let answer = await this.#take(lane, head, now);
        if (!answer.taken) {
          // The head has a backlog and the window is at its share: a request that came alone may use the headroom.
          const alone = lane.queue.aloneIn(head.tier, head.caller);
          if (alone !== undefined && this.#limitFor(lane, alone, now) > this.#limitFor(lane, head, now)) {
            const second = await this.#take(lane, alone, now);
            if (second.taken) [answer, asked] = [second, alone];
          }
        }
        if (answer.taken) {
          lane.nextFreeAt = now;
          // Whoever is first now gets the slot: the one it was asked for may have timed out meanwhile.
          const waiter = asked !== head && lane.queue.remove(asked) ? asked : lane.queue.shift();
          const { settle } = answer;
          const grantedAt = this.#clock.now();
          lane.inFlight += 1;
          let settled = false;
          const done = () => {
            if (settled) return;
            settled = true;
            lane.inFlight -= 1;
            const answeredAt = this.#clock.now();
            lane.releases.push(answeredAt);
            lane.latencyMs = lane.latencyMs === 0 ? answeredAt - grantedAt : 0.8 * lane.latencyMs + 0.2 * (answeredAt - grantedAt);
            settle().catch((error: unknown) => this.#logger?.warn({ deployment: this.#deployment, error }, 'rate window settle failed'));
          };
          if (waiter === undefined) {
            done();
            continue;
          }
          waiter.cancelLimit?.();
          this.#forgetFresh(lane, waiter);
          markUnderWay(waiter.call);
          this.#promoteSiblings(waiter.call);
          this.#usage.record(waiter.caller, lane.cls, grantedAt - waiter.queuedAt);
          this.#noteGrant(lane, waiter.caller, grantedAt);
          waiter.resolve({ done });
        } else {
          lane.fullAt = now;
          lane.nextFreeAt = now + answer.retryInMs;
          await this.#sleep(lane, answer.retryInMs);
        }
      }
    } catch (error) {
      // A window that throws is a bug (RedisRateWindow falls back on its own); fail the waiters, not the process.
      this.#logger?.error({ deployment: this.#deployment, error }, 'rate window failed');
      lane.freshByCall.clear();
      for (const waiter of lane.queue.drain()) {
        waiter.cancelLimit?.();
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

  async #take(lane: Lane, waiter: Waiter, now: number): Promise<WindowAnswer> {
    const answer = await this.#window.tryTake(`${this.#key}:${lane.cls}`, this.#limitFor(lane, waiter, now), this.#windowMs, this.#leaseMs, {
      caller: waiter.caller,
      tier: waiter.tier,
      demand: lane.queue.demand(),
    });
    if (!answer.taken && answer.share !== undefined) {
      for (const [caller, sure] of lane.sureShares) if (now - sure.at > this.#windowMs) lane.sureShares.delete(caller);
      lane.sureShares.set(waiter.caller, { slots: Math.max(1, answer.share), at: now });
    }
    return answer;
  }

  /** The window size `next` may fill: all of it, unless it has a backlog while others share the lane. */
  #limitFor(lane: Lane, next: Waiter, now: number): number {
    const limit = this.currentLimit(lane.cls);
    if (lane.queue.pendingOf(next.caller, next.tier) <= 1) return limit;
    for (const [caller, at] of lane.lastGrantAt) {
      if (caller !== next.caller && now - at < SHARING_MS) return Math.max(1, limit - Math.floor(limit * this.#headroomShare));
    }
    return limit;
  }

  #noteGrant(lane: Lane, caller: string, at: number): void {
    lane.recentGrants.push(at);
    this.#forgetGrantsBefore(lane, at - 2 * this.#windowMs);
    lane.lastGrantAt.delete(caller);
    lane.lastGrantAt.set(caller, at);
    // Oldest first (re-inserted on each grant): forget callers that stopped sharing.
    for (const [old, oldAt] of lane.lastGrantAt) {
      if (at - oldAt < SHARING_MS) break;
      lane.lastGrantAt.delete(old);
    }
  }

  #sleep(lane: Lane, ms: number): Promise<void> {
    return new Promise((resolve) => {
      const wake = () => {
        lane.sleep = undefined;
        resolve();
      };
      lane.sleep = { cancel: this.#clock.schedule(Math.max(1, ms), wake), wake };
    });
  }

  #refusal(cls: RequestClass, call: UpstreamCall, waitMs: number, queued: boolean): FacadeError {
    const budget = `the ${cls.toUpperCase()} request budget (${this.currentLimit(cls)} per second)`;
    const message = queued
      ? `${this.#deployment}: still waiting for ${budget} after ${Math.round(waitMs)} ms, at the limit of this ${call.workClass.toLowerCase()} request; try again later`
      : `${this.#deployment}: ${budget} is taken for the next ${Math.ceil(waitMs / 1000)} s, longer than this ${call.workClass.toLowerCase()} request may wait; try again later`;
    return new FacadeError('UPSTREAM_RATE_LIMITED', message, {
      deployment: this.#deployment,
      details: queued ? { queued: true } : { retryAfterMs: waitMs, retryAfterSeconds: Math.max(1, Math.ceil(waitMs / 1000)) },
    });
  }

  #closedError(): FacadeError {
    return new FacadeError('UPSTREAM_UNAVAILABLE', `${this.#deployment}: the facade is shutting down`, {
      deployment: this.#deployment,
    });
  }
}
