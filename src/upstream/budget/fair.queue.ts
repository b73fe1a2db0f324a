/**
 * The order in which one budget lane serves its waiters: strict priority between work
 * classes, round robin between callers within a class.
 *
 * Contract:
 * - `peek()`/`shift()` give the next waiter: the highest class (lowest tier) that has
 *   waiters; within it, callers take turns, one request each (deficit round robin with
 *   unit cost and equal quanta, which every upstream request has: one slot of the
 *   window). A caller that offers ten times the quota therefore gets one turn in every
 *   round, and a caller with one request waiting is served within one round.
 * - Within a caller, first in first out.
 * - `remove(waiter)` takes a waiter out wherever it is (its deadline passed).
 * - `ahead(caller, tier)` estimates how many requests would be served before a new one
 *   of `caller` in `tier`: everything queued in higher classes, the caller's own queue,
 *   and from each other caller of its class as many as it gets turns before then.
 *   It ignores higher-class requests still to come, so it is a lower bound.
 * - `demand()` lists, per class and caller, how many requests wait: what the replica
 *   tells the shared window so that fair shares hold across replicas.
 */

export interface Queued {
  readonly caller: string;
  readonly tier: number;
}

export interface Demand {
  tier: number;
  caller: string;
  pending: number;
}

export class FairQueue<W extends Queued> {
  /** Per tier, the waiting callers in turn order (Map keeps insertion order); each caller's waiters in arrival order. */
  readonly #tiers: Array<Map<string, W[]>>;
  #size = 0;

  constructor(tiers: number) {
    this.#tiers = Array.from({ length: tiers }, () => new Map<string, W[]>());
  }

  get size(): number {
    return this.#size;
  }

  push(waiter: W): void {
    const callers = this.#tiers[waiter.tier]!;
    const queue = callers.get(waiter.caller);
    if (queue === undefined) callers.set(waiter.caller, [waiter]);
    else queue.push(waiter);
    this.#size += 1;
  }

  peek(): W | undefined {
    for (const callers of this.#tiers) {
      for (const queue of callers.values()) return queue[0];
    }
    return undefined;
  }

  /** The next waiter; its caller goes to the back of its class's turn order. */
  shift(): W | undefined {
    for (const callers of this.#tiers) {
      for (const [caller, queue] of callers) {
        const waiter = queue.shift()!;
        callers.delete(caller);
        if (queue.length > 0) callers.set(caller, queue);
        this.#size -= 1;
        return waiter;
      }
    }
    return undefined;
  }

  remove(waiter: W): boolean {
    const callers = this.#tiers[waiter.tier]!;
    const queue = callers.get(waiter.caller);
    const at = queue?.indexOf(waiter) ?? -1;
    if (at < 0) return false;
    queue!.splice(at, 1);
    if (queue!.length === 0) callers.delete(waiter.caller);
    this.#size -= 1;
    return true;
  }

  /** Every waiter, removed. */
  drain(): W[] {
    const all: W[] = [];
    for (const callers of this.#tiers) {
      for (const queue of callers.values()) all.push(...queue);
      callers.clear();
    }
    this.#size = 0;
    return all;
  }

  /** The first waiter, in turn order, of a caller other than `except` that has no other request waiting in `tier`. */
  aloneIn(tier: number, except: string): W | undefined {
    for (const [caller, queue] of this.#tiers[tier]!) if (caller !== except && queue.length === 1) return queue[0];
    return undefined;
  }

  /** How many requests of `caller` wait in `tier`. */
  pendingOf(caller: string, tier: number): number {
    return this.#tiers[tier]!.get(caller)?.length ?? 0;
  }

  ahead(caller: string, tier: number): number {
    let count = 0;
    for (let t = 0; t < tier; t += 1) for (const queue of this.#tiers[t]!.values()) count += queue.length;
    const callers = this.#tiers[tier]!;
    const own = callers.get(caller)?.length ?? 0;
    count += own;
    for (const [other, queue] of callers) if (other !== caller) count += Math.min(queue.length, own + 1);
    return count;
  }

  demand(): Demand[] {
    const demand: Demand[] = [];
    this.#tiers.forEach((callers, tier) => {
      for (const [caller, queue] of callers) demand.push({ tier, caller, pending: queue.length });
    });
    return demand;
  }
}
