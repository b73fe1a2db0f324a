/**
 * The backplane: every piece of state that replicas of the facade share, made once from
 * the configuration, in Redis when `REDIS_URL` is set and as in-process twins otherwise.
 *
 * Contract:
 * - `openBackplane(options)` opens, with Redis, exactly two connections (named
 *   `<prefix>commands` and `<prefix>subscriptions` in `CLIENT LIST`), and builds every
 *   shared piece on them: the pubsub (publishes on the command connection, subscribes
 *   on the other), the named locks, the token fetch lock, the rate window (falling back
 *   to an in-process window while Redis is unreachable), the auth-failure throttle, the
 *   live groups' poll leases, the count of subscriptions per key, the store of the
 *   per-client rate limits, the buckets of the key budgets and the key-value stores. Redis must answer at start-up: otherwise it rejects naming the
 *   host, and leaves nothing open. Without Redis it opens nothing: the twins live in
 *   this process, and persistent stores in SQLite under `dataDir`.
 * - Keys and channels keep the `REDIS_PREFIX` layout: stores `<prefix><namespace>::…`,
 *   channels `<prefix>live:…`, locks `<prefix>lock:…`, token fetch locks
 *   `<prefix>token-lock:…`, rate windows `<prefix>window:…`, auth failures
 *   `<prefix>auth-fail…`, poll leases `<prefix>lease:…`, subscriptions per key
 *   `<prefix>slots:…`, rate-limit counters `<prefix>ratelimit:…`, key budgets `<prefix>budget:…`. SQLite and memory
 *   stores use the bare namespace.
 * - `store(namespace)` answers the same store for the same namespace however often it
 *   is asked, so two users of one namespace see one set of values in memory too.
 * - The backplane owns what it opened; the parts never close their connections.
 *   `close()` closes the stores, then the pubsub (ending its subscriptions), then the
 *   connections; calling it again answers the first call's promise. Stores used after
 *   it answer misses; `store()` after it throws.
 *
 * Imported by `main.ts` (and tests); the parts it assembles know nothing of it.
 */
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import type { Keyv } from 'keyv';
import { createMemoryAuthThrottle, createRedisAuthThrottle, type AuthThrottle } from '../keys/auth.throttle.js';
import { createMemoryLock, createRedisLock, type LockPort } from '../keys/lock.port.js';
import { createMemoryPubSub, type PubSub } from '../live/pubsub.js';
import { createRedisPubSub } from '../live/redis.pubsub.js';
import { createMemoryLease, createRedisLease, type PollLease } from '../live/poll.lease.js';
import { createMemorySlots, createRedisSlots, type SubscriptionSlots } from '../live/subscription.slots.js';
import type { Logger } from '../log/logger.js';
import { connectRedis, type RedisConnection } from '../store/redis.connection.js';
import { createStore } from '../store/store.factory.js';
import { createMemoryLimiterStore, createRedisLimiterStore, type RateLimiterStore } from '../protection/rate-limit.store.js';
import { createMemoryBudgetStore, createRedisBudgetStore, type BudgetStore } from '../protection/key.budget.js';
import { RedisTokenLock, type TokenFetchLock } from '../upstream/auth/token.lock.js';
import { MemoryRateWindow, type RateWindow } from '../upstream/budget/rate.window.js';
import { RedisRateWindow } from '../upstream/budget/redis.window.js';
import { systemClock, type Cancel, type Clock } from '../time/clock.js';
import { DEFAULT_REDIS_PREFIX } from './backplane.settings.js';

export type BackplaneKind = 'memory' | 'redis';

export interface BackplaneOptions {
  /** `REDIS_URL`: share state with every replica on this Redis. Default unset: in-process twins. */
  redisUrl?: string;
  /** `REDIS_PREFIX`: begins every Redis key, channel and connection name. Default that setting's (`backplane.settings.ts`). */
  redisPrefix?: string;
  /**
   * `DATA_DIR`: without Redis, persistent stores keep their values in `<dataDir>/facade.sqlite`
   * (the directory is made when the first such store is asked for). Default unset:
   * asking for a persistent store without Redis then throws.
   */
  dataDir?: string;
  /** Where connection and store errors go. Default: nowhere. */
  logger?: Logger;
  /** The in-process rate window's (and the Redis window's fallback's), and `ping`'s timeout. Default `systemClock`. */
  clock?: Clock;
  /** How long Redis has to answer at start-up. Default 5000 ms. */
  connectTimeoutMs?: number;
}

export interface BackplaneStoreOptions {
  /** Without Redis, keep the values in SQLite under `dataDir` so they survive a restart; else in memory. Default false. */
  persistent?: boolean;
}

export interface Backplane {
  readonly kind: BackplaneKind;
  /** Carries topics between replicas (Redis) or within this process (memory). */
  readonly pubsub: PubSub;
  /** Named locks for API-key changes, scheduled key rotations and upstream credential rotations (`<prefix>lock:…`). In memory, on real time. */
  readonly lock: LockPort;
  /** One replica at a time fetches a credential's token. Undefined in memory: one process needs only its token manager's single flight. */
  readonly tokenLock: TokenFetchLock | undefined;
  /** The sliding window every rate budget draws on, one per credential key. */
  readonly rateWindow: RateWindow;
  /** Counts failed authentications per client address (default limits of `auth.throttle.ts`). */
  readonly authThrottle: AuthThrottle;
  /** Which replica polls each live group (`<prefix>lease:…`). In memory, this process polls every group. */
  readonly leases: PollLease;
  /** Subscriptions per API key, counted on every replica (`<prefix>slots:…`). */
  readonly subscriptionSlots: SubscriptionSlots;
  /** Where `@rateLimit` counts each key's calls (`<prefix>ratelimit:…`). In memory, per process. */
  readonly rateLimiterStore: RateLimiterStore;
  /** Each API key's budget in points (`<prefix>budget:…`). In memory, per process. */
  readonly keyBudgetStore: BudgetStore;
  /** The key-value store of `namespace` (`keys`, `tokens`, `credentials`, `cache`, ...). */
  store<V>(namespace: string, options?: BackplaneStoreOptions): Keyv<V>;
  /** Whether the shared state answers now: Redis a PING within `timeoutMs` (default 1000); memory always. */
  ping(timeoutMs?: number): Promise<boolean>;
  close(): Promise<void>;
}

/** The SQLite file of persistent stores, under `dataDir`. */
const SQLITE_FILE = 'facade.sqlite';

interface Connections {
  commands: RedisConnection;
  subscriptions: RedisConnection;
}

export async function openBackplane(options: BackplaneOptions = {}): Promise<Backplane> {
  const prefix = options.redisPrefix ?? DEFAULT_REDIS_PREFIX;
  const connections = options.redisUrl === undefined ? undefined : await connect(options.redisUrl, prefix, options);
  return assemble(prefix, connections, options);
}

async function connect(url: string, prefix: string, options: BackplaneOptions): Promise<Connections> {
  const settings = { logger: options.logger, connectTimeoutMs: options.connectTimeoutMs };
  const [commands, subscriptions] = await Promise.allSettled([
    connectRedis(url, { ...settings, name: `${prefix}commands` }),
    connectRedis(url, { ...settings, name: `${prefix}subscriptions` }),
  ]);
  if (commands.status === 'fulfilled' && subscriptions.status === 'fulfilled') {
    return { commands: commands.value, subscriptions: subscriptions.value };
  }
  for (const opened of [commands, subscriptions]) if (opened.status === 'fulfilled') opened.value.destroy();
  throw commands.status === 'rejected' ? commands.reason : (subscriptions as PromiseRejectedResult).reason;
}

function assemble(prefix: string, connections: Connections | undefined, options: BackplaneOptions): Backplane {
  const { logger } = options;
  const clock = options.clock ?? systemClock;
  const redis = connections?.commands;
  const memoryWindow = new MemoryRateWindow({ clock });

  const pubsub =
    connections === undefined
      ? createMemoryPubSub()
      : createRedisPubSub({ publisher: connections.commands, subscriber: connections.subscriptions, prefix: `${prefix}live:`, logger });
  const lock = redis === undefined ? createMemoryLock() : createRedisLock({ client: redis, prefix: `${prefix}lock:` });
  const tokenLock = redis === undefined ? undefined : new RedisTokenLock(redis, prefix);
  const rateWindow = redis === undefined ? memoryWindow : new RedisRateWindow({ redis, keyPrefix: prefix, fallback: memoryWindow, logger });
  const leases = redis === undefined ? createMemoryLease() : createRedisLease({ client: redis, prefix: `${prefix}lease:` });
  const subscriptionSlots = redis === undefined ? createMemorySlots() : createRedisSlots({ client: redis, prefix: `${prefix}slots:` });
  const authThrottle = redis === undefined ? createMemoryAuthThrottle() : createRedisAuthThrottle({ client: redis, prefix: `${prefix}auth-fail` });
  const rateLimiterStore = redis === undefined ? createMemoryLimiterStore() : createRedisLimiterStore({ client: redis, prefix: `${prefix}ratelimit` });
  const keyBudgetStore = redis === undefined ? createMemoryBudgetStore() : createRedisBudgetStore({ client: redis, prefix, logger });

  const stores = new Map<string, { store: Keyv<unknown>; persistent: boolean }>();
  const storeOf = (namespace: string, persistent: boolean): Keyv<unknown> => {
    if (redis !== undefined) return createStore({ namespace: `${prefix}${namespace}`, redis, logger });
    if (!persistent) return createStore({ namespace, logger });
    if (options.dataDir === undefined) {
      throw new Error(`backplane: the persistent store "${namespace}" needs a data directory without Redis; set DATA_DIR (or REDIS_URL)`);
    }
    mkdirSync(options.dataDir, { recursive: true });
    return createStore({ namespace, sqlitePath: path.join(options.dataDir, SQLITE_FILE), logger });
  };

  let closing: Promise<void> | undefined;
  return {
    kind: connections === undefined ? 'memory' : 'redis',
    pubsub,
    lock,
    tokenLock,
    rateWindow,
    authThrottle,
    leases,
    subscriptionSlots,
    rateLimiterStore,
    keyBudgetStore,

    async ping(timeoutMs = 1_000): Promise<boolean> {
      if (redis === undefined) return true;
      if (!redis.isReady) return false;
      let cancel: Cancel | undefined;
      const late = new Promise<boolean>((resolve) => (cancel = clock.schedule(timeoutMs, () => resolve(false))));
      try {
        return await Promise.race([redis.ping().then((answer) => answer === 'PONG', () => false), late]);
      } finally {
        cancel?.();
      }
    },

    store<V>(namespace: string, storeOptions: BackplaneStoreOptions = {}): Keyv<V> {
      if (closing !== undefined) throw new Error(`backplane: asked for the store "${namespace}" after close(); ask before closing`);
      const persistent = storeOptions.persistent ?? false;
      const known = stores.get(namespace);
      if (known !== undefined) {
        if (known.persistent !== persistent) {
          throw new Error(`backplane: the store "${namespace}" was first asked for with persistent: ${known.persistent}; ask for it the same way everywhere`);
        }
        return known.store as Keyv<V>;
      }
      const store = storeOf(namespace, persistent);
      stores.set(namespace, { store, persistent });
      return store as Keyv<V>;
    },

    close(): Promise<void> {
      closing ??= (async () => {
        await Promise.allSettled([...stores.values()].map(({ store }) => store.disconnect()));
        await subscriptionSlots.close();
        await pubsub.close();
        if (connections !== undefined) {
          await Promise.allSettled([connections.commands.close(), connections.subscriptions.close()]);
        }
      })();
      return closing;
    },
  };
}
