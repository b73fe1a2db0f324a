/**
 * `TopicSubscription`, the async iterator every pubsub subscription hands out, and
 * `SubscriptionQueue`, which implements it with a bounded buffer.
 *
 * Contract: values pushed before anyone awaits them wait in a buffer of at most
 * `maxBuffered` (so a stalled consumer cannot grow memory without bound): beyond it the
 * oldest is dropped, or, with `lastWords`, the queue stops taking values, runs its
 * cleanup, and ends after the consumer has read what it holds and then `lastWords()`
 * (a stream that must not lose items ends saying so instead). `next()` resolves in push
 * order. `return()` (what `for await`
 * calls on `break`, and what graphql-ws calls when a client unsubscribes) ends the
 * iterator at once, resolves a pending `next()` with `done`, and runs the cleanup given
 * at construction exactly once. `end()` does the same from the producer's side.
 */

/** An async iterator of one subscription's payloads; `return()` unsubscribes. */
export interface TopicSubscription<T> extends AsyncIterableIterator<T> {
  /** Resolves once messages published from now on will be delivered (at once in memory; after Redis confirms the subscription). */
  readonly ready: Promise<void>;
  /** Unsubscribes: a pending `next()` resolves with `done`, and the subscription stops receiving. */
  return(): Promise<IteratorResult<T>>;
}

export class SubscriptionQueue<T> implements TopicSubscription<T> {
  readonly ready: Promise<void>;
  private readonly buffered: T[] = [];
  private readonly waiting: Array<(result: IteratorResult<T>) => void> = [];
  private finished = false;
  /** Set once `lastWords` was queued: no more values; done once the buffer is read. */
  private closing = false;

  constructor(
    private readonly cleanup: () => void,
    private readonly maxBuffered: number,
    ready: Promise<void> = Promise.resolve(),
    private readonly lastWords?: () => T,
  ) {
    this.ready = ready;
  }

  push(value: T): void {
    if (this.finished || this.closing) return;
    const waiter = this.waiting.shift();
    if (waiter !== undefined) {
      waiter({ value, done: false });
      return;
    }
    if (this.buffered.length < this.maxBuffered) {
      this.buffered.push(value);
    } else if (this.lastWords === undefined) {
      this.buffered.push(value);
      this.buffered.shift();
    } else {
      this.buffered.push(this.lastWords());
      this.closing = true;
      this.cleanup();
    }
  }

  /** Ends the subscription from the producer's side (pubsub closed). */
  end(): void {
    if (this.finished) return;
    this.finished = true;
    this.buffered.length = 0;
    for (const waiter of this.waiting.splice(0)) waiter({ value: undefined, done: true });
    if (!this.closing) this.cleanup();
  }

  next(): Promise<IteratorResult<T>> {
    if (this.buffered.length > 0) return Promise.resolve({ value: this.buffered.shift()!, done: false });
    if (this.closing) this.end();
    if (this.finished) return Promise.resolve({ value: undefined, done: true });
    return new Promise((resolve) => this.waiting.push(resolve));
  }

  return(): Promise<IteratorResult<T>> {
    this.end();
    return Promise.resolve({ value: undefined, done: true });
  }

  throw(error?: unknown): Promise<IteratorResult<T>> {
    this.end();
    return Promise.reject(error);
  }

  [Symbol.asyncIterator](): this {
    return this;
  }
}

/**
 * The payloads of `subscription` for which `keep` is true. `return()` ends the
 * underlying subscription at once (a pending `next()` resolves with `done`), so a
 * client that unsubscribes while nothing matches releases it all the same, which an
 * async generator would not.
 */
export function filterSubscription<T>(subscription: TopicSubscription<T>, keep: (payload: T) => boolean): TopicSubscription<T> {
  const filtered: TopicSubscription<T> = {
    ready: subscription.ready,
    async next() {
      for (;;) {
        const result = await subscription.next();
        if (result.done === true || keep(result.value)) return result;
      }
    },
    return: () => subscription.return(),
    [Symbol.asyncIterator]: () => filtered,
  };
  return filtered;
}

/**
 * `first`, then the payloads of `subscription` for which `keep` is true: a live stream
 * that begins with what a subscriber missed. `return()` ends the subscription at once.
 */
export function afterReplay<T>(first: readonly T[], subscription: TopicSubscription<T>, keep: (payload: T) => boolean): TopicSubscription<T> {
  const pending = [...first];
  const rest = filterSubscription(subscription, keep);
  const replayed: TopicSubscription<T> = {
    ready: subscription.ready,
    next: () => (pending.length > 0 ? Promise.resolve({ value: pending.shift()!, done: false }) : rest.next()),
    return: () => {
      pending.length = 0;
      return rest.return();
    },
    [Symbol.asyncIterator]: () => replayed,
  };
  return replayed;
}
