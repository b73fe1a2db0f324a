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
 *
 * Fair shares across replicas. Each replica orders its own queue (`fair.queue.ts`);
 * what must be global is each caller's share of the one window. So every take carries
 * the claim: whose request it is, its class, and how many requests of each caller and
 * class wait at this replica. The script keeps that demand per replica for two windows
 * (`<prefix>demand:<key>`, refreshed by every take, zeroed when a caller stops waiting)
 * and counts the slots each caller holds in the log. A free slot goes to the claimant
 * unless it is kept for others: every request waiting in a higher class keeps one, and
 * so does every waiting request of another caller of the same class that holds fewer
 * than its fair share (`floor(limit / callers waiting in the class)`). A claimant below
 * its own fair share may take a free slot when no higher class waits. So a caller
 * flooding from one replica cannot crowd out a quiet one on another (the quiet one's
 * next request waits at most for the next slot to free), and slots nobody else waits
 * for all go to whoever asks: the share is work-conserving, not a cap. A claimant whose
 * free slots are all kept looks again after one slot's time (`window / limit`).
 * A refusal says what the claimant is sure of meanwhile (`share`): its fair share, split
 * evenly between the replicas where it waits, which the budget admits work against.
 */
import { randomUUID } from 'node:crypto';
import type { RedisConnection } from '../../store/redis.connection.js';
import type { Logger } from '../../log/logger.js';
import { MemoryRateWindow, type RateWindow, type WindowAnswer, type WindowClaim } from './rate.window.js';

/** A take without a claim: the facade's own request, nobody else reported waiting. */
const UNCLAIMED: WindowClaim = { caller: 'facade', tier: 0, demand: [] };

const NOW_MS = `
local time = redis.call('TIME')
local now = tonumber(time[1]) * 1000 + math.floor(tonumber(time[2]) / 1000)
`;

/**
 * KEYS: the log, the demand counts (hash), the demand expiries (sorted set).
 * ARGV: limit, window ms, member, lease ms, claimant, claimant's tier, replica, n,
 * then n triples (tier, caller, pending): what this replica has waiting.
 * Returns {1, 0} when taken, else {0, wait ms, share}: the slots per window the claimant
 * is sure of at this replica (its fair share, split between the replicas it waits on).
 *
 * Members of the log are `<caller>|<replica>:<seq>`, so the slots each caller holds
 * can be counted; demand fields are `<tier>|<caller>|<replica>`.
 */
const TAKE_SCRIPT = `${NOW_MS}
local log, demand, expiry = KEYS[1], KEYS[2], KEYS[3]
local limit = tonumber(ARGV[1])
local window = tonumber(ARGV[2])
local lease = tonumber(ARGV[4])
local me = ARGV[5]
local myTier = tonumber(ARGV[6])
local replica = ARGV[7]
local n = tonumber(ARGV[8])
for i = 0, n - 1 do
  local field = ARGV[9 + i * 3] .. '|' .. ARGV[10 + i * 3] .. '|' .. replica
  local pending = tonumber(ARGV[11 + i * 3])
  if pending > 0 then
    redis.call('HSET', demand, field, pending)
    redis.call('ZADD', expiry, now + 2 * window, field)
  else
    redis.call('HDEL', demand, field)
    redis.call('ZREM', expiry, field)
  end
end
local stale = redis.call('ZRANGEBYSCORE', expiry, '-inf', now)
if #stale > 0 then
  redis.call('HDEL', demand, unpack(stale))
  redis.call('ZREMRANGEBYSCORE', expiry, '-inf', now)
end
redis.call('PEXPIRE', demand, 3 * window)
redis.call('PEXPIRE', expiry, 3 * window)

local higher = 0
local peers = {}
local peerCount = 0
local myReplicas = 0
local entries = redis.call('HGETALL', demand)
for i = 1, #entries, 2 do
  local tier, caller = string.match(entries[i], '^(%d+)|(.*)|[^|]*$')
  tier = tonumber(tier)
  local pending = tonumber(entries[i + 1])
  if tier and tier < myTier then
    higher = higher + pending
  elseif tier == myTier and caller ~= me then
    if peers[caller] == nil then
      peers[caller] = 0
      peerCount = peerCount + 1
    end
    peers[caller] = peers[caller] + pending
  elseif tier == myTier then
    myReplicas = myReplicas + 1
  end
end
local fair = math.max(1, math.floor(limit / (peerCount + 1)))
-- What the claimant is sure of at this replica while it waits: its fair share, split between the replicas it waits on.
local share = math.max(1, math.floor(fair / math.max(1, myReplicas)))

redis.call('ZREMRANGEBYSCORE', log, '-inf', now - window)
local count = redis.call('ZCARD', log)
if count >= limit then
  local blocking = redis.call('ZRANGE', log, count - limit, count - limit, 'WITHSCORES')
  local answered = tonumber(blocking[2])
  if answered > now then answered = now end
  local wait = answered + window - now + 1
  if wait < 1 then wait = 1 end
  return {0, wait, share}
end

local heldBy = {}
for _, member in ipairs(redis.call('ZRANGE', log, 0, -1)) do
  local caller = string.match(member, '^(.*)|')
  if caller then heldBy[caller] = (heldBy[caller] or 0) + 1 end
end
local reserved = higher
for caller, pending in pairs(peers) do
  local room = fair - (heldBy[caller] or 0)
  if room > 0 then reserved = reserved + math.min(pending, room) end
end
local free = limit - count
local mine = heldBy[me] or 0
if free <= reserved and not (higher == 0 and mine < fair) then
  -- The free slots are kept for others; look again in about one slot's time.
  return {0, math.max(1, math.floor(window / limit)), share}
end

redis.call('ZADD', log, now + lease, ARGV[3])
redis.call('PEXPIRE', log, lease + window * 2)
local myField = myTier .. '|' .. me .. '|' .. replica
local left = tonumber(redis.call('HGET', demand, myField) or '0') - 1
if left > 0 then
  redis.call('HSET', demand, myField, left)
else
  redis.call('HDEL', demand, myField)
  redis.call('ZREM', expiry, myField)
end
return {1, 0}
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
  /** Per key, the `<tier>|<caller>` pairs this replica last reported waiting. */
  readonly #reported = new Map<string, Set<string>>();

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

  async tryTake(key: string, limit: number, windowMs: number, leaseMs: number, claim: WindowClaim = UNCLAIMED): Promise<WindowAnswer> {
    this.#sequence += 1;
    const redisKey = this.redisKey(key);
    const member = `${claim.caller}|${this.#replica}:${this.#sequence}`;
    // Callers this replica reported waiting before and no longer has: report them as 0 so their share frees at once.
    const reported = this.#reported.get(key) ?? new Set<string>();
    const demand = claim.demand.map((d) => [String(d.tier), d.caller, String(d.pending)] as const);
    const waiting = new Set(claim.demand.map((d) => `${d.tier}|${d.caller}`));
    for (const field of reported) {
      if (waiting.has(field)) continue;
      const at = field.indexOf('|');
      demand.push([field.slice(0, at), field.slice(at + 1), '0']);
    }
    this.#reported.set(key, waiting);
    let reply: [number, number, number?];
    try {
      reply = (await this.#redis.eval(TAKE_SCRIPT, {
        keys: [redisKey, `${this.#prefix}demand:${key}`, `${this.#prefix}demand-expiry:${key}`],
        arguments: [
          String(limit),
          String(windowMs),
          member,
          String(Math.round(leaseMs)),
          claim.caller,
          String(claim.tier),
          this.#replica,
          String(demand.length),
          ...demand.flat(),
        ],
      })) as [number, number, number?];
    } catch (error) {
      this.#warn(error);
      return this.#fallback.tryTake(key, limit, windowMs, leaseMs, claim);
    }
    if (reply[0] !== 1) return { taken: false, retryInMs: Number(reply[1]), ...(reply[2] === undefined ? {} : { share: Number(reply[2]) }) };
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
