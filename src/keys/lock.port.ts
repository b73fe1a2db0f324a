/**
 * Named locks shared by the replicas of the facade, so one replica at a time changes an
 * API key, exactly one performs each scheduled rotation, and one upstream credential
 * rotation per upstream runs at a time (the credential rotator takes this port through
 * an interface of its own shape, so `upstream/` imports nothing of `keys/`).
 *
 * Contract: `acquire(name, ttlMs)` answers at once: true when this port now holds
 * `name` until `release(name)` or until `ttlMs` pass (so a crashed holder cannot block
 * the others forever), false when someone else holds it. `release` frees only a lock
 * this port holds. `createMemoryLock()` coordinates one process;
 * `createRedisLock({ client })` coordinates every replica on one Redis with
 * `SET <name> <token> NX PX <ttl>` and a compare-and-delete release. A lock is a
 * courtesy against races, not the only guard: callers still compare-and-set.
 *
 * `LockRunner` adds waiting on top: it queues callers of one name inside this process
 * and, for the lock port, retries until `waitMs` pass, then throws naming the lock.
 */
import { randomBytes } from 'node:crypto';
import { systemClock, type Clock } from '../time/clock.js';

export interface LockPort {
  acquire(name: string, ttlMs: number): Promise<boolean>;
  release(name: string): Promise<void>;
}

export interface MemoryLockOptions {
  /** Default `systemClock`. */
  clock?: Clock;
}

export function createMemoryLock(options: MemoryLockOptions = {}): LockPort {
  const clock = options.clock ?? systemClock;
  const held = new Map<string, number>();
  return {
    async acquire(name, ttlMs) {
      const until = held.get(name);
      if (until !== undefined && until > clock.now()) return false;
      held.set(name, clock.now() + ttlMs);
      return true;
    },
    async release(name) {
      held.delete(name);
    },
  };
}

/** The two commands the Redis lock needs; a client from `@redis/client`'s `createClient` has them. */
export interface RedisLockClient {
  set(key: string, value: string, options: { condition: 'NX'; expiration: { type: 'PX'; value: number } }): Promise<unknown>;
  eval(script: string, options: { keys: string[]; arguments: string[] }): Promise<unknown>;
}

export interface RedisLockOptions {
  /** A connected client; the caller opens and closes it. */
  client: RedisLockClient;
  /** Prefix of every lock's Redis key. Default `usmf:lock:`. */
  prefix?: string;
}

const RELEASE_IF_OWNER = `if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) else return 0 end`;

export function createRedisLock(options: RedisLockOptions): LockPort {
  const prefix = options.prefix ?? 'usmf:lock:';
  // One token per port: a release cannot free a lock another replica took after ours expired.
  const token = randomBytes(16).toString('hex');
  return {
    async acquire(name, ttlMs) {
      const reply = await options.client.set(prefix + name, token, {
        condition: 'NX',
        expiration: { type: 'PX', value: Math.max(1, Math.ceil(ttlMs)) },
      });
      return reply === 'OK';
    },
    async release(name) {
      await options.client.eval(RELEASE_IF_OWNER, { keys: [prefix + name], arguments: [token] });
    },
  };
}

export interface LockRunnerOptions {
  /** How long one holder may keep a lock before it frees itself. Default 10 000 ms. */
  ttlMs?: number;
  /** How long to wait for a lock another replica holds before giving up. Default 5 000 ms. */
  waitMs?: number;
  /** Pause between attempts while waiting. Default 25 ms. */
  retryEveryMs?: number;
  /** Pauses between attempts. Default `systemClock`. */
  clock?: Clock;
}

export class LockRunner {
  private readonly tails = new Map<string, Promise<unknown>>();
  private readonly ttlMs: number;
  private readonly waitMs: number;
  private readonly retryEveryMs: number;
  private readonly clock: Clock;

  constructor(
    private readonly port: LockPort,
    options: LockRunnerOptions = {},
  ) {
    this.ttlMs = options.ttlMs ?? 10_000;
    this.waitMs = options.waitMs ?? 5_000;
    this.retryEveryMs = options.retryEveryMs ?? 25;
    this.clock = options.clock ?? systemClock;
  }

  /** Runs `work` holding `name`: after earlier callers in this process, and while no other replica holds it. */
  run<T>(name: string, work: () => Promise<T>): Promise<T> {
    const previous = this.tails.get(name) ?? Promise.resolve();
    const current = previous.catch(() => undefined).then(() => this.holding(name, work));
    const tail = current.catch(() => undefined);
    this.tails.set(name, tail);
    void tail.then(() => {
      if (this.tails.get(name) === tail) this.tails.delete(name);
    });
    return current;
  }

  private async holding<T>(name: string, work: () => Promise<T>): Promise<T> {
    let waited = 0;
    while (!(await this.port.acquire(name, this.ttlMs))) {
      if (waited >= this.waitMs) {
        throw new Error(`Lock "${name}" is still held by another replica after ${this.waitMs} ms; retry the operation.`);
      }
      await this.clock.sleep(this.retryEveryMs);
      waited += this.retryEveryMs;
    }
    try {
      return await work();
    } finally {
      await this.port.release(name);
    }
  }
}
