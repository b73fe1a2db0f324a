/**
 * How subscriptions run, on WebSocket and Server-Sent Events alike.
 *
 * Contract:
 * - `subscribe(args, meta)` admits the operation under the per-key limit, counted on
 *   every replica by `slots` (a refusal is an execution result with LIMIT_EXCEEDED,
 *   before the field's `subscribe` runs; when the count cannot be reached the
 *   subscription is admitted rather than refused), starts the source stream and maps
 *   each event to its execution result. Its slot is given back when it ends.
 * - Subscribers that receive the same event object (every member of a live group on
 *   this replica does) and run the same document with the same variables and the same
 *   permissions share one execution of it: the result is computed once per event and
 *   sent to each. A result cannot differ between them, since nothing it reads depends
 *   on who asks beyond those permissions; this is what lets 10,000 subscribers of 100
 *   pages cost 100 executions per change instead of 10,000.
 * - An event of a live group carries when its poll was answered: the result says so in
 *   `extensions.live.polledAt` (ISO), so a screen can show how fresh it is. What
 *   `meta.extensions` gives is added to each subscriber's copy of a result (its cost).
 * - `endSubscriptionsOf(keyId, error)` ends every running subscription of the key:
 *   each sends `error` as its last payload and completes (on every transport; the
 *   server also closes that key's WebSockets). `running(keyId)` lists them, with the
 *   request they were opened by, so the server can authenticate them again. `endAll(error)`
 *   ends every key's.
 */
import { createHash, randomUUID } from 'node:crypto';
import {
  createSourceEventStream,
  execute,
  GraphQLError,
  print,
  type ExecutionArgs,
  type ExecutionResult,
} from 'graphql';
import { FacadeError } from '../errors/facade.error.js';
import { LiveEvent } from '../live/live.group.js';
import type { SubscriptionSlots } from '../live/subscription.slots.js';

export interface SubscriptionMeta<Source> {
  keyId: string;
  /** The key's permissions: subscribers share executions only with equal rights. */
  permissions: readonly string[];
  /** What the operation was opened with (headers, connection params), to authenticate it again. */
  source: Source;
  /** Extensions of this subscriber's own, added to every result it receives. Default none. */
  extensions?: () => Record<string, unknown>;
}

export interface SubscriptionExecutorOptions {
  /** `LIVE_MAX_SUBSCRIPTIONS_PER_KEY`: subscriptions one key may run, every replica together. */
  maxPerKey: number;
  /** Where subscriptions per key are counted (the backplane's: Redis with `REDIS_URL`). */
  slots: SubscriptionSlots;
}

type Results = Map<string, Promise<ExecutionResult> | ExecutionResult>;

const DONE: IteratorResult<ExecutionResult> = { value: undefined, done: true };

/** One running subscription: the mapped stream a transport iterates. */
export class RunningSubscription<Source> implements AsyncIterableIterator<ExecutionResult> {
  #final: ExecutionResult | undefined;
  #finished = false;

  constructor(
    readonly meta: SubscriptionMeta<Source>,
    private readonly events: AsyncIterator<unknown>,
    private readonly map: (event: unknown) => Promise<ExecutionResult> | ExecutionResult,
    private readonly onFinish: () => void,
  ) {}

  async next(): Promise<IteratorResult<ExecutionResult>> {
    if (this.#finished) return DONE;
    const step = await this.events.next();
    if (step.done === true || this.#final !== undefined) {
      const last = this.#final;
      this.#final = undefined;
      this.#finish();
      return last === undefined ? DONE : { value: last, done: false };
    }
    return { value: await this.map(step.value), done: false };
  }

  async return(): Promise<IteratorResult<ExecutionResult>> {
    this.#finish();
    await this.events.return?.();
    return DONE;
  }

  async throw(error?: unknown): Promise<IteratorResult<ExecutionResult>> {
    await this.return();
    throw error;
  }

  /** Ends the subscription: `error` is its last payload. */
  end(error: FacadeError): void {
    if (this.#finished || this.#final !== undefined) return;
    this.#final = { errors: [new GraphQLError(error.message, { extensions: error.toExtensions() })] };
    void this.events.return?.();
  }

  [Symbol.asyncIterator](): this {
    return this;
  }

  #finish(): void {
    if (this.#finished) return;
    this.#finished = true;
    this.onFinish();
  }
}

const isAsyncIterable = (value: unknown): value is AsyncIterable<unknown> =>
  typeof value === 'object' && value !== null && Symbol.asyncIterator in value;

export class SubscriptionExecutor<Source> {
  readonly #maxPerKey: number;
  readonly #slots: SubscriptionSlots;
  readonly #byKey = new Map<string, Set<RunningSubscription<Source>>>();
  /** Per event object, the results already computed for it, by document, variables and rights. */
  readonly #shared = new WeakMap<object, Results>();

  constructor(options: SubscriptionExecutorOptions) {
    this.#maxPerKey = options.maxPerKey;
    this.#slots = options.slots;
  }

  running(keyId: string): readonly RunningSubscription<Source>[] {
    return [...(this.#byKey.get(keyId) ?? [])];
  }

  endSubscriptionsOf(keyId: string, error: FacadeError): void {
    for (const subscription of this.running(keyId)) subscription.end(error);
  }

  /** Ends every running subscription, each with `error` as its last payload (the replica drains). */
  endAll(error: FacadeError): void {
    for (const keyId of [...this.#byKey.keys()]) this.endSubscriptionsOf(keyId, error);
  }

  async subscribe(args: ExecutionArgs, meta: SubscriptionMeta<Source>): Promise<AsyncIterableIterator<ExecutionResult> | ExecutionResult> {
    const { keyId } = meta;
    // Counted before the source starts, so concurrent subscribes cannot pass the limit together.
    const slot = randomUUID();
    const admitted = await this.#slots.take(keyId, slot, this.#maxPerKey).catch(() => true);
    if (!admitted) {
      const error = new FacadeError(
        'LIMIT_EXCEEDED',
        `this API key already runs ${this.#maxPerKey} subscriptions (LIVE_MAX_SUBSCRIPTIONS_PER_KEY, every replica together); ` +
          'end one, or share one subscription between screens that show the same thing',
        { details: { limit: 'LIVE_MAX_SUBSCRIPTIONS_PER_KEY', max: this.#maxPerKey } },
      );
      return { errors: [new GraphQLError(error.message, { extensions: error.toExtensions() })] };
    }
    const giveBack = () => void this.#slots.release(keyId, slot).catch(() => undefined);
    let events: Awaited<ReturnType<typeof createSourceEventStream>>;
    try {
      events = await createSourceEventStream(args);
    } catch (error) {
      giveBack();
      throw error;
    }
    if (!isAsyncIterable(events)) {
      giveBack();
      return events;
    }
    const running = this.#byKey.get(keyId) ?? new Set<RunningSubscription<Source>>();
    const release = (entry: RunningSubscription<Source>) => {
      giveBack();
      running.delete(entry);
      if (running.size === 0 && this.#byKey.get(keyId) === running) this.#byKey.delete(keyId);
    };
    const shareKey = createHash('sha1')
      .update(print(args.document))
      .update(`\u0000${args.operationName ?? ''}\u0000${JSON.stringify(args.variableValues ?? {})}\u0000${[...meta.permissions].sort().join(',')}`)
      .digest('base64url');
    const subscription: RunningSubscription<Source> = new RunningSubscription(
      meta,
      events[Symbol.asyncIterator](),
      meta.extensions === undefined
        ? (event) => this.#resultOf(event, shareKey, args)
        : (event) => withExtensions(this.#resultOf(event, shareKey, args), meta.extensions!),
      () => release(subscription),
    );
    running.add(subscription);
    this.#byKey.set(keyId, running);
    return subscription;
  }

  #resultOf(event: unknown, shareKey: string, args: ExecutionArgs): Promise<ExecutionResult> | ExecutionResult {
    if (typeof event !== 'object' || event === null) return executeFor(event, args);
    let results = this.#shared.get(event);
    if (results === undefined) {
      results = new Map();
      this.#shared.set(event, results);
    }
    let result = results.get(shareKey);
    if (result === undefined) {
      result = executeFor(event, args);
      results.set(shareKey, result);
    }
    return result;
  }
}

/** A subscriber's copy of a shared result, with its own extensions added. */
function withExtensions(
  result: Promise<ExecutionResult> | ExecutionResult,
  extensions: () => Record<string, unknown>,
): Promise<ExecutionResult> | ExecutionResult {
  const add = (r: ExecutionResult): ExecutionResult => ({ ...r, extensions: { ...r.extensions, ...extensions() } });
  return result instanceof Promise ? result.then(add) : add(result);
}

function executeFor(event: unknown, args: ExecutionArgs): Promise<ExecutionResult> | ExecutionResult {
  const result = execute({ ...args, rootValue: event });
  if (!(event instanceof LiveEvent)) return result;
  const withFreshness = (r: ExecutionResult): ExecutionResult => ({
    ...r,
    extensions: { ...r.extensions, live: { polledAt: new Date(event.polledAt).toISOString() } },
  });
  return result instanceof Promise ? result.then(withFreshness) : withFreshness(result);
}
