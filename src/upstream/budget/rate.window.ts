/**
 * The sliding-window log under the rate budget: which requests hold a slot of a
 * credential's window, and until when.
 *
 * Contract: `tryTake(key, limit, windowMs, leaseMs)` takes a slot of `key` when fewer
 * than `limit` slots are held, and otherwise says how long until one can free. A slot
 * is held from the moment its request leaves until `windowMs` after its answer came
 * back (`settle()`): USM counts the request at some moment in between, so however long
 * or uneven the latency, no USM window of `windowMs` can see more requests than this
 * log lets out. A request that is never settled holds its slot for `leaseMs` plus the
 * window (a crashed replica cannot block a credential for long). Slots are never given
 * back early: a request that was sent counts, whatever came of it.
 *
 * Two implementations share this interface: `MemoryRateWindow` (one process,
 * injectable clock) and `RedisRateWindow` (every replica, atomic in Redis).
 */
import { systemClock, type Clock } from '../../time/clock.js';
import type { Demand } from './fair.queue.js';

export type WindowAnswer =
  | { taken: true; /** The request has its answer (or failed): its slot frees one window from now. */ settle: () => Promise<void> }
  | {
      taken: false;
      retryInMs: number;
      /**
       * Slots per window the claimant is sure of at this replica while the window is full
       * (its fair share across replicas); absent where the window cannot tell (one process).
       */
      share?: number;
    };

/**
 * On whose behalf a slot is asked for, and who else waits at this replica: the shared
 * window keeps fair shares across replicas with it (see `redis.window.ts`). A window
 * used by one process alone ignores it: that process's queue order is already fair.
 */
export interface WindowClaim {
  caller: string;
  tier: number;
  /** Every caller waiting at this replica for this key, the claimant included (its pending count counts the request asking now). */
  demand: readonly Demand[];
}

export interface RateWindow {
  tryTake(key: string, limit: number, windowMs: number, leaseMs: number, claim?: WindowClaim): Promise<WindowAnswer>;
}

export interface MemoryRateWindowOptions {
  /** Default `systemClock`. */
  clock?: Clock;
}

interface Entry {
  /** Until the request is settled: the end of its lease; then: when it was settled. */
  at: number;
  settled: boolean;
}

export class MemoryRateWindow implements RateWindow {
  readonly #clock: Clock;
  readonly #logs = new Map<string, Entry[]>();

  constructor(options: MemoryRateWindowOptions = {}) {
    this.#clock = options.clock ?? systemClock;
  }

  async tryTake(key: string, limit: number, windowMs: number, leaseMs: number): Promise<WindowAnswer> {
    const now = this.#clock.now();
    const log = (this.#logs.get(key) ?? []).filter((entry) => entry.at > now - windowMs);
    this.#logs.set(key, log);
    if (log.length < limit) {
      const entry: Entry = { at: now + leaseMs, settled: false };
      log.push(entry);
      return {
        taken: true,
        settle: async () => {
          if (entry.settled) return;
          entry.settled = true;
          entry.at = Math.min(entry.at, this.#clock.now());
        },
      };
    }
    return { taken: false, retryInMs: waitFor(log.map((e) => (e.settled ? e.at : Math.min(e.at, now))), limit, windowMs, now) };
  }
}

/**
 * How long until `limit` slots are free, given when each held slot's request was
 * answered (`now` for requests still in flight, whose slot frees no sooner than one
 * window from now).
 */
function waitFor(answeredAt: number[], limit: number, windowMs: number, now: number): number {
  const sorted = answeredAt.sort((a, b) => a - b);
  const blocking = sorted[sorted.length - limit]!;
  return Math.max(1, blocking + windowMs - now + 1);
}
