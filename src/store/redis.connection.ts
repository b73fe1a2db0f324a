/**
 * The one way the facade opens a plain Redis connection, for what keyv cannot express:
 * atomic Lua scripts (the shared rate window) and `SET NX PX` locks (the token fetch).
 *
 * Contract: `connectRedis` resolves once the connection is ready, or rejects within
 * `connectTimeoutMs` with an error naming the host (never a password). Afterwards the
 * client reconnects on its own with capped backoff; connection errors are logged, not
 * thrown at whoever happens to listen, and commands issued while disconnected fail fast
 * (no offline queue) so callers can fall back. Close it with `connection.close()`.
 */
import { createClient } from '@redis/client';
import type { Logger } from '../log/logger.js';

function createConnection(url: string, connectTimeout: number, name?: string) {
  return createClient({
    url,
    name,
    disableOfflineQueue: true,
    socket: {
      connectTimeout,
      reconnectStrategy: (retries: number) => Math.min(50 * 2 ** retries, 2_000),
    },
  });
}

export type RedisConnection = ReturnType<typeof createConnection>;

export interface RedisConnectionOptions {
  /** Default 5000. */
  connectTimeoutMs?: number;
  /** Where connection errors go. Default: nowhere. */
  logger?: Logger;
  /** What Redis `CLIENT LIST` calls the connection (letters, digits and `:_.-`). Default: unnamed. */
  name?: string;
}

/** `redis://host:port` without user or password, for messages and logs. */
export function redisLocation(url: string): string {
  try {
    const parsed = new URL(url);
    return `${parsed.protocol}//${parsed.host}`;
  } catch {
    return 'redis (unparseable URL)';
  }
}

export async function connectRedis(url: string, options: RedisConnectionOptions = {}): Promise<RedisConnection> {
  const connectTimeout = options.connectTimeoutMs ?? 5_000;
  const client = createConnection(url, connectTimeout, options.name);
  let lastLogged = 0;
  client.on('error', (error: unknown) => {
    // A down Redis reports every reconnect attempt; one line per 10 s is enough.
    const now = Date.now();
    if (now - lastLogged < 10_000) return;
    lastLogged = now;
    options.logger?.warn(
      { redis: redisLocation(url), error: error instanceof Error ? error.message : String(error) },
      'redis connection error',
    );
  });
  try {
    await withTimeout(client.connect(), connectTimeout, `could not connect to ${redisLocation(url)} within ${connectTimeout} ms`);
  } catch (error) {
    client.destroy();
    throw error;
  }
  return client;
}

async function withTimeout<T>(promise: Promise<T>, ms: number, message: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([
      promise,
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(message)), ms);
      }),
    ]);
  } finally {
    clearTimeout(timer);
  }
}
