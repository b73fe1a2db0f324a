/**
 * What each caller drew from one credential's budget in the last minute: calls by
 * class and time spent waiting for them, for operators (`ApiKey.upstreamUsage`).
 *
 * Contract: `record(caller, cls, waitedMs)` counts one granted request;
 * `recordAnswer(caller, served, calls)` counts the calls one finished operation sent, as
 * served (it answered without error) or wasted (it failed after sending them); `usage(caller)`
 * sums the last `spanMs` (default 60 s) in whole buckets of `bucketMs` (default 1 s),
 * so a figure is at most one bucket stale. Memory is `spanMs / bucketMs` buckets per
 * caller seen within the span; callers idle for a span are forgotten. Figures are this
 * process's: each replica counts what it sent.
 */
import { systemClock, type Clock } from '../../time/clock.js';
import type { RequestClass } from './request.class.js';

export interface CallerUsage {
  /** Requests granted in the span, by quota class. */
  calls: Record<RequestClass, number>;
  /** Total time those requests waited for the budget, ms. */
  waitedMs: number;
  /** Longest single wait, ms. */
  maxWaitMs: number;
  /** Calls of operations that answered without error, and of operations that failed after sending them (`recordAnswer`). */
  servedCalls: number;
  wastedCalls: number;
}

interface Bucket {
  /** Which bucket of time this is (`floor(now / bucketMs)`); stale when it is not the current one's. */
  slot: number;
  get: number;
  post: number;
  waitedMs: number;
  maxWaitMs: number;
  served: number;
  wasted: number;
}

export interface UsageLedgerOptions {
  /** Default `systemClock`. */
  clock?: Clock;
  /** Default 60 000. */
  spanMs?: number;
  /** Default 1000. */
  bucketMs?: number;
}

export class UsageLedger {
  readonly #clock: Clock;
  readonly #bucketMs: number;
  readonly #buckets: number;
  readonly #callers = new Map<string, { buckets: Bucket[]; lastSlot: number }>();
  #sweptAt = 0;

  constructor(options: UsageLedgerOptions = {}) {
    this.#clock = options.clock ?? systemClock;
    this.#bucketMs = options.bucketMs ?? 1000;
    this.#buckets = Math.max(1, Math.round((options.spanMs ?? 60_000) / this.#bucketMs));
  }

  record(caller: string, cls: RequestClass, waitedMs: number): void {
    const bucket = this.#bucketOf(caller);
    bucket[cls] += 1;
    bucket.waitedMs += waitedMs;
    bucket.maxWaitMs = Math.max(bucket.maxWaitMs, waitedMs);
  }

  recordAnswer(caller: string, served: boolean, calls: number): void {
    if (calls <= 0) return;
    this.#bucketOf(caller)[served ? 'served' : 'wasted'] += calls;
  }

  /** The current bucket of `caller`, emptied if it held an older second. */
  #bucketOf(caller: string): Bucket {
    const slot = Math.floor(this.#clock.now() / this.#bucketMs);
    let entry = this.#callers.get(caller);
    if (entry === undefined) {
      entry = {
        buckets: Array.from({ length: this.#buckets }, () => ({ slot: -1, get: 0, post: 0, waitedMs: 0, maxWaitMs: 0, served: 0, wasted: 0 })),
        lastSlot: slot,
      };
      this.#callers.set(caller, entry);
    }
    const bucket = entry.buckets[slot % this.#buckets]!;
    if (bucket.slot !== slot) Object.assign(bucket, { slot, get: 0, post: 0, waitedMs: 0, maxWaitMs: 0, served: 0, wasted: 0 });
    entry.lastSlot = slot;
    if (slot - this.#sweptAt >= this.#buckets) this.#sweep(slot);
    return bucket;
  }

  usage(caller: string): CallerUsage {
    const usage: CallerUsage = { calls: { get: 0, post: 0 }, waitedMs: 0, maxWaitMs: 0, servedCalls: 0, wastedCalls: 0 };
    const entry = this.#callers.get(caller);
    if (entry === undefined) return usage;
    const slot = Math.floor(this.#clock.now() / this.#bucketMs);
    for (const bucket of entry.buckets) {
      if (bucket.slot <= slot - this.#buckets || bucket.slot > slot) continue;
      usage.calls.get += bucket.get;
      usage.calls.post += bucket.post;
      usage.waitedMs += bucket.waitedMs;
      usage.maxWaitMs = Math.max(usage.maxWaitMs, bucket.maxWaitMs);
      usage.servedCalls += bucket.served;
      usage.wastedCalls += bucket.wasted;
    }
    return usage;
  }

  #sweep(slot: number): void {
    this.#sweptAt = slot;
    for (const [caller, entry] of this.#callers) if (slot - entry.lastSlot >= this.#buckets) this.#callers.delete(caller);
  }
}
