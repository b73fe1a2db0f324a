/**
 * Where `@rateLimit` counts: what graphql-rate-limit-directive makes one limiter of
 * for each distinct limit (a rate-limiter-flexible class and the options it is made
 * with).
 *
 * Contract:
 * - `createMemoryLimiterStore()` counts in this process (RateLimiterMemory). It opens
 *   nothing: each window's record expires on an unref'd timer.
 * - `createRedisLimiterStore({ client, prefix })` counts in Redis on the backplane's
 *   command connection (RateLimiterRedis), keys `<prefix>:<key id>:<Type.field>`, each
 *   expiring with its window: every replica on one Redis and prefix counts together.
 *   While Redis does not answer (the connection has no offline queue, so a command
 *   fails at once), each limiter counts in memory of its own with the same limit
 *   instead of failing the field: limits then hold per replica until Redis is back,
 *   as the shared rate window does. It opens nothing; the backplane owns the
 *   connection.
 *
 * Why `useRedisPackage`: rate-limiter-flexible tells node-redis from ioredis by the
 * client's constructor name (`Commander` in node-redis 4); @redis/client 5's is
 * `Class`, so without the flag it would call ioredis's `defineCommand` script instead
 * of `EVAL`. With it, the v4-style calls it makes (`eval(script, { keys, arguments })`,
 * `multi().get().pTTL().exec(true)`, `set(key, value, { EX })`, `del`) are all
 * @redis/client 5 API; the rate-limit tests run them against a real Redis.
 */
import {
  RateLimiterMemory,
  RateLimiterRedis,
  type IRateLimiterOptions,
  type IRateLimiterRedisOptions,
  type RateLimiterAbstract,
} from 'rate-limiter-flexible';
import type { RedisConnection } from '../store/redis.connection.js';

export interface RateLimiterStore {
  readonly kind: 'memory' | 'redis';
  /** The limiter class graphql-rate-limit-directive makes one of per distinct `limit`/`duration`. */
  readonly limiterClass: typeof RateLimiterAbstract;
  /** What every limiter is made with, besides its `points` and `duration`. */
  readonly limiterOptions: Omit<Partial<IRateLimiterRedisOptions>, 'points' | 'duration'>;
}

/** The one key prefix of rate-limit counters in memory (each facade has limiters of its own). */
const MEMORY_KEY_PREFIX = 'ratelimit';

export function createMemoryLimiterStore(): RateLimiterStore {
  return { kind: 'memory', limiterClass: RateLimiterMemory, limiterOptions: { keyPrefix: MEMORY_KEY_PREFIX } };
}

export interface RedisLimiterStoreOptions {
  /** The backplane's command connection. */
  client: RedisConnection;
  /** Begins every counter's key, e.g. `usm-facade:ratelimit` (rate-limiter-flexible adds the `:`). */
  prefix: string;
}

/** RateLimiterRedis that counts in memory of its own, with the same limit, while Redis fails. */
class RedisLimiterWithFallback extends RateLimiterRedis {
  constructor(options: IRateLimiterRedisOptions) {
    const { points, duration, keyPrefix } = options;
    super({ ...options, insuranceLimiter: new RateLimiterMemory({ points, duration, keyPrefix } satisfies IRateLimiterOptions) });
  }
}

export function createRedisLimiterStore(options: RedisLimiterStoreOptions): RateLimiterStore {
  return {
    kind: 'redis',
    limiterClass: RedisLimiterWithFallback,
    limiterOptions: { storeClient: options.client, useRedisPackage: true, keyPrefix: options.prefix },
  };
}
