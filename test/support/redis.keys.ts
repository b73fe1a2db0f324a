/**
 * The real Redis the shared-mode tests use, and the one way they clean up after
 * themselves: every key under a prefix unique to the test.
 */
import { connectRedis } from '../../src/store/redis.connection.js';

export const REDIS_URL = process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';

/** Deletes every Redis key under `prefix`. */
export async function deleteRedisKeys(prefix: string): Promise<void> {
  const redis = await connectRedis(REDIS_URL);
  try {
    const keys: string[] = [];
    for await (const batch of redis.scanIterator({ MATCH: `${prefix}*`, COUNT: 500 })) keys.push(...batch);
    if (keys.length > 0) await redis.del(keys);
  } finally {
    redis.destroy();
  }
}
