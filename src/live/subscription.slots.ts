/**
 * How many subscriptions each API key holds, counted across every replica: what
 * `LIVE_MAX_SUBSCRIPTIONS_PER_KEY` limits.
 *
 * Contract: `take(keyId, id, max)` answers true and counts `id` for `keyId` when the key
 * holds fewer than `max` slots, false otherwise; `release(keyId, id)` gives it back
 * (taking or releasing twice counts once). `createMemorySlots()` counts this process's.
 * `createRedisSlots` counts every replica's on one Redis: a sorted set per key whose
 * members expire (`ttlMs`, on Redis's clock) unless the replica that holds them
 * refreshes them, which it does every third of `ttlMs`; so a replica that dies gives
 * its slots back within `ttlMs`, and one that stops gives them back at once (`close`).
 * Each take and release is one atomic script.
 */
import { systemClock, type Cancel, type Clock } from '../time/clock.js';

export interface SubscriptionSlots {
  take(keyId: string, id: string, max: number): Promise<boolean>;
  release(keyId: string, id: string): Promise<void>;
  /** Gives back every slot this port holds and stops refreshing them. */
  close(): Promise<void>;
}

export function createMemorySlots(): SubscriptionSlots {
  const held = new Map<string, Set<string>>();
  return {
    async take(keyId, id, max) {
      const slots = held.get(keyId) ?? new Set<string>();
      if (!slots.has(id) && slots.size >= max) return false;
      slots.add(id);
      held.set(keyId, slots);
      return true;
    },
    async release(keyId, id) {
      const slots = held.get(keyId);
      slots?.delete(id);
      if (slots?.size === 0) held.delete(keyId);
    },
    async close() {
      held.clear();
    },
  };
}

/** The commands the Redis slots need; a client from `@redis/client`'s `createClient` has them. */
export interface RedisSlotsClient {
  eval(script: string, options: { keys: string[]; arguments: string[] }): Promise<unknown>;
}

export interface RedisSlotsOptions {
  client: RedisSlotsClient;
  /** Begins each key's sorted set. Default `usmf:slots:`. */
  prefix?: string;
  /** How long a slot outlives a replica that stopped refreshing it. Default 60 s. */
  ttlMs?: number;
  /** Times the refreshes. Default `systemClock`. */
  clock?: Clock;
}

const NOW = `local t = redis.call('TIME') local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)`;

/** KEYS[1] the key's set; ARGV: member, max, ttl. 1 when held afterwards. */
const TAKE = `${NOW}
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
local ttl = tonumber(ARGV[3])
if redis.call('ZSCORE', KEYS[1], ARGV[1]) == false and redis.call('ZCARD', KEYS[1]) >= tonumber(ARGV[2]) then return 0 end
redis.call('ZADD', KEYS[1], now + ttl, ARGV[1])
redis.call('PEXPIRE', KEYS[1], ttl)
return 1`;

/** KEYS[1] the key's set; ARGV: ttl, members... Refreshes those still held. */
const REFRESH = `${NOW}
local ttl = tonumber(ARGV[1])
for i = 2, #ARGV do redis.call('ZADD', KEYS[1], 'XX', now + ttl, ARGV[i]) end
redis.call('PEXPIRE', KEYS[1], ttl)
return 1`;

export function createRedisSlots(options: RedisSlotsOptions): SubscriptionSlots {
  const { client } = options;
  const prefix = options.prefix ?? 'usmf:slots:';
  const ttlMs = options.ttlMs ?? 60_000;
  const clock = options.clock ?? systemClock;
  const held = new Map<string, Set<string>>();
  let cancelRefresh: Cancel | undefined;
  let closed = false;

  const refresh = async (): Promise<void> => {
    cancelRefresh = undefined;
    await Promise.all(
      [...held].map(([keyId, ids]) =>
        client.eval(REFRESH, { keys: [prefix + keyId], arguments: [String(ttlMs), ...ids] }).catch(() => undefined),
      ),
    );
    schedule();
  };
  const schedule = () => {
    if (!closed && cancelRefresh === undefined && held.size > 0) cancelRefresh = clock.schedule(ttlMs / 3, () => refresh());
  };

  return {
    async take(keyId, id, max) {
      const taken = Number(await client.eval(TAKE, { keys: [prefix + keyId], arguments: [id, String(max), String(ttlMs)] })) === 1;
      if (taken) {
        const ids = held.get(keyId) ?? new Set<string>();
        ids.add(id);
        held.set(keyId, ids);
        schedule();
      }
      return taken;
    },
    async release(keyId, id) {
      const ids = held.get(keyId);
      ids?.delete(id);
      if (ids?.size === 0) held.delete(keyId);
      await client.eval(`return redis.call('ZREM', KEYS[1], ARGV[1])`, { keys: [prefix + keyId], arguments: [id] });
    },
    async close() {
      closed = true;
      cancelRefresh?.();
      const all = [...held];
      held.clear();
      await Promise.all(
        all.map(([keyId, ids]) =>
          client.eval(`return redis.call('ZREM', KEYS[1], unpack(ARGV))`, { keys: [prefix + keyId], arguments: [...ids] }).catch(() => undefined),
        ),
      );
    },
  };
}
