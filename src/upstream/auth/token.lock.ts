/**
 * Keeps replicas that share a token store from stampeding the token endpoint: only the
 * holder of the lock for a credential asks for a token; the others poll the store.
 *
 * Contract: `tryAcquire` resolves to a release function when this caller now holds the
 * lock for `key`, or to `undefined` when another holder has it. A lock expires on its
 * own after `ttlMs`, so a replica that dies while holding it delays the others by at
 * most that long; release only deletes the lock if it is still this holder's.
 */
import { randomUUID } from 'node:crypto';
import type { RedisConnection } from '../../store/redis.connection.js';

export type ReleaseLock = () => Promise<void>;

export interface TokenFetchLock {
  tryAcquire(key: string, ttlMs: number): Promise<ReleaseLock | undefined>;
}

const RELEASE_SCRIPT = `
if redis.call('GET', KEYS[1]) == ARGV[1] then
  return redis.call('DEL', KEYS[1])
end
return 0
`;

/** `SET NX PX` in Redis; keys `<prefix>token-lock:<key>`. */
export class RedisTokenLock implements TokenFetchLock {
  constructor(
    private readonly redis: RedisConnection,
    private readonly keyPrefix: string,
  ) {}

  async tryAcquire(key: string, ttlMs: number): Promise<ReleaseLock | undefined> {
    const lockKey = `${this.keyPrefix}token-lock:${key}`;
    const holder = randomUUID();
    const answer = await this.redis.set(lockKey, holder, {
      condition: 'NX',
      expiration: { type: 'PX', value: Math.max(1, Math.round(ttlMs)) },
    });
    if (answer !== 'OK') return undefined;
    return async () => {
      await this.redis.eval(RELEASE_SCRIPT, { keys: [lockKey], arguments: [holder] });
    };
  }
}
