/**
 * Who polls a live group: one replica at a time holds the group's lease.
 *
 * Contract: `hold(name, ttlMs)` answers at once whether this port holds `name` now:
 * it takes a free lease, renews one it already holds (for another `ttlMs` from now),
 * and answers false while another port holds it. A holder that stops renewing (it died,
 * or its event loop stalled past `ttlMs`) loses the lease, and the next `hold` of
 * another port takes it. `release(name)` gives up a lease this port holds, so a replica
 * that stops lets another take over at its next `hold`; it never frees another's.
 * `createMemoryLease()` serves one process (every group of it, so always true unless
 * two ports share one map, as tests do); `createRedisLease` serves every replica on
 * one Redis with one atomic script per call.
 */
import { randomUUID } from 'node:crypto';
import { systemClock, type Clock } from '../time/clock.js';

export interface PollLease {
  hold(name: string, ttlMs: number): Promise<boolean>;
  release(name: string): Promise<void>;
}

export interface MemoryLeaseOptions {
  /** Default `systemClock`. */
  clock?: Clock;
  /** The leases this port competes for; pass one map to two ports to make them rivals. Default its own. */
  leases?: Map<string, { holder: string; until: number }>;
}

export function createMemoryLease(options: MemoryLeaseOptions = {}): PollLease {
  const clock = options.clock ?? systemClock;
  const leases = options.leases ?? new Map<string, { holder: string; until: number }>();
  const me = randomUUID();
  return {
    async hold(name, ttlMs) {
      const lease = leases.get(name);
      if (lease !== undefined && lease.holder !== me && lease.until > clock.now()) return false;
      leases.set(name, { holder: me, until: clock.now() + ttlMs });
      return true;
    },
    async release(name) {
      if (leases.get(name)?.holder === me) leases.delete(name);
    },
  };
}

/** The one command the Redis lease needs; a client from `@redis/client`'s `createClient` has it. */
export interface RedisLeaseClient {
  eval(script: string, options: { keys: string[]; arguments: string[] }): Promise<unknown>;
}

export interface RedisLeaseOptions {
  /** A connected client; the caller opens and closes it. */
  client: RedisLeaseClient;
  /** Begins every lease's Redis key. Default `usmf:lease:`. */
  prefix?: string;
  /** Names this holder in Redis (shown by `GET`); default a random UUID. */
  holder?: string;
}

/** Take when free, renew when ours: 1 when held by us afterwards, 0 when another holds it. */
const HOLD = `
local current = redis.call('get', KEYS[1])
if current == false or current == ARGV[1] then
  redis.call('set', KEYS[1], ARGV[1], 'PX', ARGV[2])
  return 1
end
return 0`;

const RELEASE_IF_OURS = `if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) else return 0 end`;

export function createRedisLease(options: RedisLeaseOptions): PollLease {
  const prefix = options.prefix ?? 'usmf:lease:';
  const holder = options.holder ?? randomUUID();
  const { client } = options;
  return {
    async hold(name, ttlMs) {
      const held = await client.eval(HOLD, { keys: [prefix + name], arguments: [holder, String(Math.max(1, Math.ceil(ttlMs)))] });
      return Number(held) === 1;
    },
    async release(name) {
      await client.eval(RELEASE_IF_OURS, { keys: [prefix + name], arguments: [holder] });
    },
  };
}
