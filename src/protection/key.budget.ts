/**
 * Each API key's budget in points: a token bucket per key that holds at most
 * `maximum` points and restores `restoreRate` points a second, charged by operations
 * before they run and corrected to what they cost once they have run.
 *
 * Contract:
 * - Points. An operation's points are its upstream calls plus `basePoints`. It is charged
 *   its estimated calls (the gate's cost estimate) + base before it runs (`charge`), and
 *   corrected to its actual calls + base once it has run (`Charge.settle`): what it did
 *   not spend goes back, what it spent beyond the estimate is taken too (the bucket may
 *   then go below 0, and the key waits it off). A page served from the cache costs the
 *   base only, so a key whose reads the cache answers can run many of them, and a flood
 *   of them still costs something.
 * - Admission. An operation is admitted when the bucket holds its points, or, for an
 *   operation dearer than the key's maximum, when the bucket is full (so a key with a
 *   small budget can still run its largest operation, then waits it off). Otherwise
 *   `charge` throws `FacadeError` RATE_LIMITED (HTTP 429) with `retryAfterSeconds`
 *   (whole seconds until the bucket holds the points, at least 1) and the key's
 *   `throttleStatus`, and nothing is taken: the operation runs nothing, upstream or not.
 *   RATE_LIMITED, not a code of its own: clients and routers already wait and retry on
 *   it; `details.limit` says `KEY_BUDGET` for whoever must tell it from a field's
 *   `@rateLimit`.
 * - `throttleStatus { maximumAvailable, currentlyAvailable, restoreRate }` (Shopify's
 *   shape) is the bucket after the charge, and after the settlement; `currentlyAvailable`
 *   is rounded down to a tenth and never shown below 0.
 * - Which limits: the key's own (`ApiKey.budget`, set by `createApiKey` or
 *   `setApiKeyBudget`), else the defaults. `maximum: 0` in the defaults turns budgets
 *   off for keys without their own (`charge` then answers a free charge).
 * - Where the buckets live: `createMemoryBudgetStore()` in this process;
 *   `createRedisBudgetStore` in Redis (`<prefix>budget:<key id>`, a hash of points and
 *   time, one atomic Lua script per change, expiring once the bucket would be full
 *   again), so every replica on one Redis draws on one bucket per key. Times come from
 *   the injected `Clock` of each facade (a test drives one by hand); a replica whose
 *   clock is behind the bucket's last time restores nothing until it catches up, never
 *   takes more. While Redis does not answer, each replica keeps a bucket of its own in
 *   memory (the key may then spend its budget once per replica) and logs that at most
 *   once every 10 s.
 *
 * The defaults (`protection.settings.ts`), against USM's quota of 100 GET/s per
 * credential: a key restores 30 points a second, so on its own it draws at most about
 * 30 upstream calls a second, a third of the quota, and the fair queue shares the rest
 * between the others; the base is 0.1 point, so 100 operations a second that the cache
 * answers cost a key 10 points a second, a third of its restore rate, and it stays
 * full. The maximum, 300 points, is a cold dashboard wall loading at once (20 panels of
 * 5 calls each is 100 points, plus the base) with room to spare, three operations at
 * `MAX_OPERATION_COST`, and 10 s of the key's restore rate.
 *
 * Imports only the clock, the errors and the Redis connection type: the gate (`server/`)
 * and `main.ts` import it, never the other way.
 */
import type { Logger } from '../log/logger.js';
import { FacadeError } from '../errors/facade.error.js';
import type { RedisConnection } from '../store/redis.connection.js';
import { systemClock, type Clock } from '../time/clock.js';

/** A bucket's size and how fast it fills again. */
export interface BudgetLimits {
  /** Points the bucket holds when full. */
  maximum: number;
  /** Points restored per second. */
  restoreRate: number;
}

/** Shopify's `extensions.cost.throttleStatus`. */
export interface ThrottleStatus {
  maximumAvailable: number;
  currentlyAvailable: number;
  restoreRate: number;
}

/** What a store answers for a take: taken, or how long until it could be; and the points left. */
export interface BucketAnswer {
  taken: boolean;
  /** Points in the bucket after the take (or without it, when refused). */
  available: number;
  /** When refused: ms until the bucket holds what was asked. */
  retryInMs: number;
}

/** Where buckets live: this process, or Redis for every replica. */
export interface BudgetStore {
  readonly kind: 'memory' | 'redis';
  /** Takes `points` from `key`'s bucket if it holds `needed` of them (`needed` ≤ maximum). */
  take(key: string, points: number, needed: number, limits: BudgetLimits, now: number): Promise<BucketAnswer>;
  /** Adds `points` (negative: takes them, below 0 if need be) to `key`'s bucket; answers the points left. */
  give(key: string, points: number, limits: BudgetLimits, now: number): Promise<number>;
}

interface Bucket {
  points: number;
  at: number;
}

/** The bucket restored up to `now` (never back in time), capped at `maximum`. */
function restored(bucket: Bucket | undefined, limits: BudgetLimits, now: number): Bucket {
  if (bucket === undefined) return { points: limits.maximum, at: now };
  const elapsed = Math.max(0, now - bucket.at);
  return { points: Math.min(limits.maximum, bucket.points + (elapsed * limits.restoreRate) / 1000), at: Math.max(now, bucket.at) };
}

const waitMs = (missing: number, limits: BudgetLimits) => Math.ceil((missing * 1000) / limits.restoreRate);

/** Buckets in this process. */
export function createMemoryBudgetStore(): BudgetStore {
  const buckets = new Map<string, Bucket>();
  return {
    kind: 'memory',
    async take(key, points, needed, limits, now) {
      const bucket = restored(buckets.get(key), limits, now);
      if (bucket.points < needed) {
        buckets.set(key, bucket);
        return { taken: false, available: bucket.points, retryInMs: waitMs(needed - bucket.points, limits) };
      }
      bucket.points -= points;
      buckets.set(key, bucket);
      return { taken: true, available: bucket.points, retryInMs: 0 };
    },
    async give(key, points, limits, now) {
      const bucket = restored(buckets.get(key), limits, now);
      bucket.points = Math.min(limits.maximum, bucket.points + points);
      // A full bucket is the same as none: keys that stopped calling leave nothing behind.
      if (bucket.points >= limits.maximum) buckets.delete(key);
      else buckets.set(key, bucket);
      return bucket.points;
    },
  };
}

/** The bucket restored to ARGV now (never back in time); leaves `points`, `at` as locals. */
const RESTORE = `
local maximum = tonumber(ARGV[1])
local rate = tonumber(ARGV[2])
local now = tonumber(ARGV[3])
local state = redis.call('HMGET', KEYS[1], 'points', 'at')
local points = tonumber(state[1])
local at = tonumber(state[2])
if points == nil or at == nil then
  points = maximum
  at = now
end
if now > at then
  points = math.min(maximum, points + (now - at) * rate / 1000)
  at = now
end
local function store()
  redis.call('HSET', KEYS[1], 'points', tostring(points), 'at', tostring(at))
  local ttl = math.ceil((maximum - points) * 1000 / rate) + 1000
  redis.call('PEXPIRE', KEYS[1], ttl)
end
`;

/** ARGV: maximum, rate, now, points, needed. Returns {taken 0|1, available as text, wait ms}. */
const TAKE_SCRIPT = `${RESTORE}
local wanted = tonumber(ARGV[4])
local needed = tonumber(ARGV[5])
if points < needed then
  store()
  return {0, tostring(points), math.ceil((needed - points) * 1000 / rate)}
end
points = points - wanted
store()
return {1, tostring(points), 0}
`;

/** ARGV: maximum, rate, now, points (negative takes). Returns the available points as text. */
const GIVE_SCRIPT = `${RESTORE}
points = math.min(maximum, points + tonumber(ARGV[4]))
store()
return tostring(points)
`;

export interface RedisBudgetStoreOptions {
  /** The backplane's command connection. */
  client: RedisConnection;
  /** Begins every bucket's key, e.g. `usm-facade:` (`<prefix>budget:<key id>`). */
  prefix: string;
  logger?: Logger;
}

/** Buckets in Redis, shared by every replica on it; in memory while Redis does not answer. */
export function createRedisBudgetStore(options: RedisBudgetStoreOptions): BudgetStore {
  const fallback = createMemoryBudgetStore();
  let lastWarning = 0;
  const warn = (error: unknown) => {
    const now = Date.now();
    if (now - lastWarning < 10_000) return;
    lastWarning = now;
    options.logger?.warn({ error: error instanceof Error ? error.message : String(error) }, 'key budgets unavailable in Redis; this replica keeps a budget per key of its own');
  };
  const keyOf = (key: string) => `${options.prefix}budget:${key}`;
  const limitArgs = (limits: BudgetLimits, now: number) => [String(limits.maximum), String(limits.restoreRate), String(Math.round(now))];
  return {
    kind: 'redis',
    async take(key, points, needed, limits, now) {
      try {
        const [taken, available, wait] = (await options.client.eval(TAKE_SCRIPT, {
          keys: [keyOf(key)],
          arguments: [...limitArgs(limits, now), String(points), String(needed)],
        })) as [number, string, number];
        return { taken: taken === 1, available: Number(available), retryInMs: Number(wait) };
      } catch (error) {
        warn(error);
        return fallback.take(key, points, needed, limits, now);
      }
    },
    async give(key, points, limits, now) {
      try {
        return Number(await options.client.eval(GIVE_SCRIPT, { keys: [keyOf(key)], arguments: [...limitArgs(limits, now), String(points)] }));
      } catch (error) {
        warn(error);
        return fallback.give(key, points, limits, now);
      }
    },
  };
}

export interface KeyBudgetOptions {
  store: BudgetStore;
  /** Limits of keys without their own (`KEY_BUDGET_MAXIMUM`, `KEY_BUDGET_RESTORE_RATE`); `maximum: 0` is off. */
  defaults: BudgetLimits;
  /** Points every operation costs besides its upstream calls (`KEY_BUDGET_BASE_POINTS`). */
  basePoints: number;
  /** Default `systemClock`. */
  clock?: Clock;
}

/** What a key's own budget may be (`ApiKey.budget`); null or absent: the defaults. */
export interface KeyWithBudget {
  id: string;
  budget?: BudgetLimits | null;
}

/** An operation's charge: what it took, to be corrected once it has run. */
export interface Charge {
  /** The key's bucket after the charge; undefined when budgets are off for the key. */
  readonly status: ThrottleStatus | undefined;
  /** Corrects the charge to `actualCalls` + base (once; later calls answer the first's status). */
  settle(actualCalls: number): Promise<ThrottleStatus | undefined>;
}

const FREE: Charge = { status: undefined, settle: async () => undefined };

const statusOf = (limits: BudgetLimits, available: number): ThrottleStatus => ({
  maximumAvailable: limits.maximum,
  // The epsilon: 30 - 6.1 - 6.1 + 2 is 19.799999999999997 in floating point, and 19.8 points.
  currentlyAvailable: Math.max(0, Math.floor(available * 10 + 1e-6) / 10),
  restoreRate: limits.restoreRate,
});

export class KeyBudget {
  readonly #store: BudgetStore;
  readonly #defaults: BudgetLimits;
  readonly #base: number;
  readonly #clock: Clock;

  constructor(options: KeyBudgetOptions) {
    this.#store = options.store;
    this.#defaults = options.defaults;
    this.#base = options.basePoints;
    this.#clock = options.clock ?? systemClock;
  }

  /** The limits `key` draws on; undefined when it has none (budgets off). */
  limitsOf(key: KeyWithBudget): BudgetLimits | undefined {
    const limits = key.budget ?? this.#defaults;
    return limits.maximum > 0 && limits.restoreRate > 0 ? limits : undefined;
  }

  /** `key`'s bucket as it is now, charging nothing; undefined when budgets are off for it. */
  async statusOf(key: KeyWithBudget): Promise<ThrottleStatus | undefined> {
    const limits = this.limitsOf(key);
    if (limits === undefined) return undefined;
    return statusOf(limits, await this.#store.give(key.id, 0, limits, this.#clock.now()));
  }

  /** Charges `key` an operation of `estimatedCalls`, or throws RATE_LIMITED with `retryAfterSeconds`. */
  async charge(key: KeyWithBudget, estimatedCalls: number): Promise<Charge> {
    const limits = this.limitsOf(key);
    if (limits === undefined) return FREE;
    const points = estimatedCalls + this.#base;
    const answer = await this.#store.take(key.id, points, Math.min(points, limits.maximum), limits, this.#clock.now());
    const status = statusOf(limits, answer.available);
    if (!answer.taken) {
      const retryAfterSeconds = Math.max(1, Math.ceil(answer.retryInMs / 1000));
      throw new FacadeError(
        'RATE_LIMITED',
        `This operation costs ${round(points)} points of this API key's budget (its upstream calls, estimated at ${estimatedCalls}, plus ${this.#base} per operation); ` +
          `the key has ${status.currentlyAvailable} of ${limits.maximum} and restores ${limits.restoreRate} a second: retry in ${retryAfterSeconds} s. ` +
          'Pages the cache answers cost only the base; an operator can give the key a larger budget (setApiKeyBudget). Nothing was sent upstream.',
        { details: { retryAfterSeconds, limit: 'KEY_BUDGET', requestedPoints: round(points), throttleStatus: status } },
      );
    }
    let settled: Promise<ThrottleStatus> | undefined;
    return {
      status,
      settle: (actualCalls: number) =>
        (settled ??= (async () => {
          const refund = estimatedCalls - actualCalls;
          if (refund === 0) return status;
          return statusOf(limits, await this.#store.give(key.id, refund, limits, this.#clock.now()));
        })()),
    };
  }
}

const round = (points: number) => Math.round(points * 1000) / 1000;

/**
 * The IETF draft's fields ("RateLimit header fields for HTTP", draft-ietf-httpapi-
 * ratelimit-headers): the policy, a quota of `maximum` points over the time an empty
 * bucket takes to fill, and what is left now, with the seconds until the bucket is full
 * again (or, refused, until the operation could run: the same time as `Retry-After`).
 */
export function rateLimitHeaders(status: ThrottleStatus, retryAfterSeconds?: number): Record<'ratelimit-policy' | 'ratelimit', string> {
  const window = Math.ceil(status.maximumAvailable / status.restoreRate);
  const untilFull = Math.ceil((status.maximumAvailable - status.currentlyAvailable) / status.restoreRate);
  return {
    'ratelimit-policy': `"${POLICY}";q=${status.maximumAvailable};w=${window}`,
    ratelimit: `"${POLICY}";r=${Math.floor(status.currentlyAvailable)};t=${retryAfterSeconds ?? untilFull}`,
  };
}

/** The policy's name in the headers. */
const POLICY = 'key-budget';
