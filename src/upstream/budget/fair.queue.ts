/**
 * The order in which one budget lane serves its waiters: strict priority between work
 * classes, round robin between callers within a class, and within a caller the work
 * already under way first.
 *
 * Contract:
 * - `peek()`/`shift()` give the next waiter: the highest class (lowest tier) that has
 *   waiters; within it, callers take turns, one request each (deficit round robin with
 *   unit cost and equal quanta, which every upstream request has: one slot of the
 *   window). A caller that offers ten times the quota therefore gets one turn in every
 *   round, and a caller with one request waiting is served within one round.
 * - Within a caller, continuations first: a waiter pushed with `continuation` set (its
 *   operation has already been granted a request), or moved there by `promote`, is
 *   served before every waiter of the same caller and class that starts an operation;
 *   each of the two runs first in, first out. Only the choice of which of its own
 *   requests a caller spends its turn on changes, never how many turns it gets, so the
 *   fairness between callers is exactly the round robin's.
 * - `remove(waiter)` takes a waiter out wherever it is (its deadline passed).
 * - `ahead(caller, tier, continuation)` estimates how many requests would be served
 *   before a new one of `caller` in `tier`: everything queued in higher classes, the
 *   caller's own requests ahead of it (its continuations only, for a continuation), and
 *   from each other caller of its class as many as it gets turns before then. It
 *   ignores higher-class requests still to come, so it is a lower bound. `ownAhead`
 *   counts the same without the other callers of the class.
 * - `demand()` lists, per class and caller, how many requests wait: what the replica
 *   tells the shared window so that fair shares hold across replicas.
 */

export interface Queued {
  readonly caller: string;
  readonly tier: number;
  /** Continues an operation under way; set by `push` callers, and by `promote`. */
  continuation: boolean;
}

export interface Demand {
  tier: number;
  caller: string;
  pending: number;
}

/** One caller's waiters in one class: its operations under way first, then new ones. */
interface CallerQueue<W> {
  continuing: W[];
  fresh: W[];
}

const lengthOf = (queue: CallerQueue<unknown>) => queue.continuing.length + queue.fresh.length;

export class FairQueue<W extends Queued> {
  /** Per tier, the waiting callers in turn order (Map keeps insertion order). */
  readonly #tiers: Array<Map<string, CallerQueue<W>>>;
  #size = 0;

  constructor(tiers: number) {
    this.#tiers = Array.from({ length: tiers }, () => new Map<string, CallerQueue<W>>());
  }

  get size(): number {
    return this.#size;
  }

  push(waiter: W): void {
    const callers = this.#tiers[waiter.tier]!;
    let queue = callers.get(waiter.caller);
    if (queue === undefined) callers.set(waiter.caller, (queue = { continuing: [], fresh: [] }));
    (waiter.continuation ? queue.continuing : queue.fresh).push(waiter);
    this.#size += 1;
  }

  peek(): W | undefined {
    for (const callers of this.#tiers) {
      for (const queue of callers.values()) return queue.continuing[0] ?? queue.fresh[0];
    }
    return undefined;
  }

  /** The next waiter; its caller goes to the back of its class's turn order. */
  shift(): W | undefined {
    for (const callers of this.#tiers) {
      for (const [caller, queue] of callers) {
        const waiter = (queue.continuing.length > 0 ? queue.continuing : queue.fresh).shift()!;
        callers.delete(caller);
        if (lengthOf(queue) > 0) callers.set(caller, queue);
        this.#size -= 1;
        return waiter;
      }
    }
    return undefined;
  }

  remove(waiter: W): boolean {
    const callers = this.#tiers[waiter.tier]!;
    const queue = callers.get(waiter.caller);
    if (queue === undefined) return false;
    const list = waiter.continuation ? queue.continuing : queue.fresh;
    const at = list.indexOf(waiter);
    if (at < 0) return false;
    list.splice(at, 1);
    if (lengthOf(queue) === 0) callers.delete(waiter.caller);
    this.#size -= 1;
    return true;
  }

  /** Moves a waiting request that starts an operation among its caller's continuations (its operation got under way). */
  promote(waiter: W): void {
    if (waiter.continuation) return;
    const queue = this.#tiers[waiter.tier]!.get(waiter.caller);
    const at = queue?.fresh.indexOf(waiter) ?? -1;
    if (at < 0) return;
    queue!.fresh.splice(at, 1);
    waiter.continuation = true;
    queue!.continuing.push(waiter);
  }

  /** Every waiter, removed. */
  drain(): W[] {
    const all: W[] = [];
    for (const callers of this.#tiers) {
      for (const queue of callers.values()) all.push(...queue.continuing, ...queue.fresh);
      callers.clear();
    }
    this.#size = 0;
    return all;
  }

  /** The first waiter, in turn order, of a caller other than `except` that has no other request waiting in `tier`. */
  aloneIn(tier: number, except: string): W | undefined {
    for (const [caller, queue] of this.#tiers[tier]!) {
      if (caller !== except && lengthOf(queue) === 1) return queue.continuing[0] ?? queue.fresh[0];
    }
    return undefined;
  }

  /** How many requests of `caller` wait in `tier`. */
  pendingOf(caller: string, tier: number): number {
    const queue = this.#tiers[tier]!.get(caller);
    return queue === undefined ? 0 : lengthOf(queue);
  }

  ahead(caller: string, tier: number, continuation = false): number {
    let count = 0;
    for (let t = 0; t < tier; t += 1) for (const queue of this.#tiers[t]!.values()) count += lengthOf(queue);
    const callers = this.#tiers[tier]!;
    const mine = callers.get(caller);
    const own = mine === undefined ? 0 : continuation ? mine.continuing.length : lengthOf(mine);
    count += own;
    for (const [other, queue] of callers) if (other !== caller) count += Math.min(lengthOf(queue), own + 1);
    return count;
  }

  /** Of `ahead`, what no other caller of the class adds: higher classes and the caller's own requests ahead. */
  ownAhead(caller: string, tier: number, continuation = false): number {
    let count = 0;
    for (let t = 0; t < tier; t += 1) for (const queue of this.#tiers[t]!.values()) count += lengthOf(queue);
    const mine = this.#tiers[tier]!.get(caller);
    return count + (mine === undefined ? 0 : continuation ? mine.continuing.length : lengthOf(mine));
  }

  demand(): Demand[] {
    const demand: Demand[] = [];
    this.#tiers.forEach((callers, tier) => {
      for (const [caller, queue] of callers) demand.push({ tier, caller, pending: lengthOf(queue) });
    });
    return demand;
  }
}
