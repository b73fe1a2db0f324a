/**
 * The sliding-window log kept in Redis, so that every replica of the facade draws on
 * one window per credential and together they stay under USM's quota.
 *
 * Contract: as `RateWindow`, with one Lua script per `tryTake` and per `settle`, each
 * atomic in Redis, over a sorted set per key (`<prefix>window:<key>`) whose scores are
 * the end of a request's lease while it is in flight and the time of its answer after:
 * drop entries a window old, count, add one entry when under the limit. Times come
 * from Redis's own `TIME`, so replicas with skewed clocks still share one time line.
 * Keys expire a lease and two windows after their last take, so an idle credential
 * leaves nothing behind. When Redis cannot be reached the window falls back
 * to the in-process `fallback` (each replica then keeps to the limit on its own; any
 * 429 that results lowers its rate through the budget's AIMD) and logs that at most once
 * every 10 s. Needs Redis ≥ 5 (effects replication of a script that reads `TIME`).
 */
import { randomUUID } from 'node:crypto';
import type { RedisConnection } from '../../store/redis.connection.js';
import type { Logger } from '../../log/logger.js';
import { MemoryRateWindow, type RateWindow, type WindowAnswer } from './rate.window.js';

const NOW_MS = `
local time = redis.call('TIME')
local now = tonumber(time[1]) * 1000 + math.floor(tonumber(time[2]) / 1000)
`;

/** KEYS: the log. ARGV: limit, window ms, member, lease ms. Returns {1, 0} when taken, else {0, wait ms}. */
const TAKE_SCRIPT = `${NOW_MS}
local key = KEYS[1]
local limit = tonumber(ARGV[1])
local window = tonumber(ARGV[2])
local lease = tonumber(ARGV[4])
redis.call('ZREMRANGEBYSCORE', key, '-inf', now - window)
local count = redis.call('ZCARD', key)
if count < limit then
  redis.call('ZADD', key, now + lease, ARGV[3])
  redis.call('PEXPIRE', key, lease + window * 2)
  return {1, 0}
end
local blocking = redis.call('ZRANGE', key, count - limit, count - limit, 'WITHSCORES')
local answered = tonumber(blocking[2])
if answered > now then answered = now end
local wait = answered + window - now + 1
if wait < 1 then wait = 1 end
return {0, wait}
`;

/** KEYS: the log. ARGV: member. Marks the member's request answered now (if it still holds a lease). */
const SETTLE_SCRIPT = `${NOW_MS}
local score = redis.call('ZSCORE', KEYS[1], ARGV[1])
if score and tonumber(score) > now then
  redis.call('ZADD', KEYS[1], 'XX', now, ARGV[1])
end
return 1
`;

export interface RedisRateWindowOptions {
  redis: RedisConnection;
  /** Prefix of every key, e.g. `usm-facade:`. Required (tests use a unique one). */
  keyPrefix: string;
  /** Used while Redis is unreachable. Default: a `MemoryRateWindow` on the system clock. */
  fallback?: RateWindow;
  logger?: Logger;
}

export class RedisRateWindow implements RateWindow {
  readonly #redis: RedisConnection;
  readonly #prefix: string;
  readonly #fallback: RateWindow;
  readonly #logger: Logger | undefined;
  /** Makes each entry's member unique across replicas and calls. */
  readonly #replica = randomUUID();
  #sequence = 0;
  #lastWarning = 0;

  constructor(options: RedisRateWindowOptions) {
    this.#redis = options.redis;
    this.#prefix = options.keyPrefix;
    this.#fallback = options.fallback ?? new MemoryRateWindow();
    this.#logger = options.logger;
  }

  /** The Redis key that holds `key`'s log. */
  redisKey(key: string): string {
    return `${this.#prefix}window:${key}`;
  }

  async tryTake(key: string, limit: number, windowMs: number, leaseMs: number): Promise<WindowAnswer> {
    this.#sequence += 1;
    const redisKey = this.redisKey(key);
    const member = `${this.#replica}:${this.#sequence}`;
    let reply: [number, number];
    try {
      reply = (await this.#redis.eval(TAKE_SCRIPT, {
        keys: [redisKey],
        arguments: [String(limit), String(windowMs), member, String(Math.round(leaseMs))],
      })) as [number, number];
    } catch (error) {
      this.#warn(error);
      return this.#fallback.tryTake(key, limit, windowMs, leaseMs);
    }
    if (reply[0] !== 1) return { taken: false, retryInMs: Number(reply[1]) };
    return {
      taken: true,
      settle: async () => {
        try {
          await this.#redis.eval(SETTLE_SCRIPT, { keys: [redisKey], arguments: [member] });
        } catch (error) {
          // The slot then stays held until its lease ends: fewer requests, never more.
          this.#warn(error);
        }
      },
    };
  }

  #warn(error: unknown): void {
    const now = Date.now();
    if (now - this.#lastWarning < 10_000) return;
    this.#lastWarning = now;
    this.#logger?.warn(
      { error: error instanceof Error ? error.message : String(error) },
      'shared rate window unavailable in Redis; this replica keeps to the limit on its own',
    );
  }
}
