/**
 * The async iterator every pubsub subscription hands out.
 *
 * Contract: values pushed before anyone awaits them wait in a buffer of at most
 * `maxBuffered` (the oldest is dropped beyond it, so a stalled consumer cannot grow
 * memory without bound); `next()` resolves in push order. `return()` (what `for await`
 * calls on `break`, and what graphql-ws calls when a client unsubscribes) ends the
 * iterator at once, resolves a pending `next()` with `done`, and runs the cleanup given
 * at construction exactly once. `end()` does the same from the producer's side.
 */
import type { TopicSubscription } from './pubsub.js';

export class SubscriptionQueue<T> implements TopicSubscription<T> {
  readonly ready: Promise<void>;
  private readonly buffered: T[] = [];
  private readonly waiting: Array<(result: IteratorResult<T>) => void> = [];
  private finished = false;

  constructor(
    private readonly cleanup: () => void,
    private readonly maxBuffered: number,
    ready: Promise<void> = Promise.resolve(),
  ) {
    this.ready = ready;
  }

  push(value: T): void {
    if (this.finished) return;
    const waiter = this.waiting.shift();
    if (waiter !== undefined) {
      waiter({ value, done: false });
      return;
    }
    this.buffered.push(value);
    if (this.buffered.length > this.maxBuffered) this.buffered.shift();
  }

  /** Ends the subscription from the producer's side (pubsub closed). */
  end(): void {
    if (this.finished) return;
    this.finished = true;
    this.buffered.length = 0;
    for (const waiter of this.waiting.splice(0)) waiter({ value: undefined, done: true });
    this.cleanup();
  }

  next(): Promise<IteratorResult<T>> {
    if (this.buffered.length > 0) return Promise.resolve({ value: this.buffered.shift()!, done: false });
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
