/**
 * Real Redis for tests (REDIS_URL, default redis://127.0.0.1:6379): connected clients
 * and a key prefix unique to one test, whose keys `cleanup()` deletes before closing
 * the clients it opened.
 */
import { randomUUID } from 'node:crypto';
import { createClient, type RedisClientType } from '@redis/client';

export const TEST_REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';

export type TestRedisClient = RedisClientType;

export interface RedisScope {
  /** Unique to this scope, e.g. `usmf-test:3f2a…:`. */
  prefix: string;
  /** A new connected client, closed by `cleanup()`. */
  client(): Promise<TestRedisClient>;
  cleanup(): Promise<void>;
}

export function redisScope(): RedisScope {
  const prefix = `usmf-test:${randomUUID()}:`;
  const clients: TestRedisClient[] = [];
  const client = async () => {
    const made = createClient({ url: TEST_REDIS_URL });
    made.on('error', () => undefined);
    await made.connect();
    clients.push(made);
    return made;
  };
  return {
    prefix,
    client,
    async cleanup() {
      const admin = clients[0] ?? (await client());
      const keys: string[] = [];
      for await (const batch of admin.scanIterator({ MATCH: `${prefix}*`, COUNT: 100 })) keys.push(...batch);
      if (keys.length > 0) await admin.del(keys);
      await Promise.all(clients.splice(0).map((c) => c.close()));
    },
  };
}
