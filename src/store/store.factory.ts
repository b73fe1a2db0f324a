/**
 * Key-value stores for whatever must outlive one request: upstream tokens now, later
 * response caches and API keys. One factory, three backends behind keyv's interface.
 *
 * Contract: `createStore` returns a `Keyv` for `namespace`: shared through Redis when
 * `redisUrl` is set (every replica sees the same values), else in a SQLite file when
 * `sqlitePath` is set (survives restarts of one process), else in this process's
 * memory. Values are JSON-serialised; a `ttl` (ms) on `set` expires them in every
 * backend. Backend errors are logged (never with values) and turn into misses, not
 * crashes: a cache or token store that is down must not take the facade with it.
 * Its owner closes it with `store.disconnect()` (a no-op for memory).
 */
import KeyvRedis from '@keyv/redis';
import KeyvSqlite from '@keyv/sqlite';
import { Keyv } from 'keyv';
import type { Logger } from '../log/logger.js';

export interface StoreOptions {
  /** Prefix of every key (`tokens`, `cache`, ...): separates the users of one Redis or SQLite file. Required. */
  namespace: string;
  /** `redis://host:port`: a store shared by every replica. Default unset. Takes precedence over `sqlitePath`. */
  redisUrl?: string;
  /** Path of a SQLite file, created if missing. Default unset. */
  sqlitePath?: string;
  /** Where backend errors go. Default: nowhere (errors still turn into misses). */
  logger?: Logger;
}

export type StoreKind = 'memory' | 'redis' | 'sqlite';

export function storeKindOf(options: StoreOptions): StoreKind {
  if (options.redisUrl !== undefined) return 'redis';
  if (options.sqlitePath !== undefined) return 'sqlite';
  return 'memory';
}

export function createStore<V>(options: StoreOptions): Keyv<V> {
  if (options.namespace === '') throw new Error('createStore: namespace must not be empty; name what the store holds, e.g. "tokens"');
  const kind = storeKindOf(options);
  let keyv: Keyv<V>;
  switch (kind) {
    case 'redis':
      keyv = new Keyv<V>({
        store: new KeyvRedis(options.redisUrl, { namespace: options.namespace }),
        namespace: options.namespace,
        useKeyPrefix: false,
      });
      break;
    case 'sqlite':
      keyv = new Keyv<V>({
        store: new KeyvSqlite({ uri: `sqlite://${options.sqlitePath}`, busyTimeout: 5_000 }),
        namespace: options.namespace,
      });
      break;
    case 'memory':
      keyv = new Keyv<V>({ namespace: options.namespace });
      break;
  }
  keyv.on('error', (error: unknown) => {
    options.logger?.warn(
      { store: kind, namespace: options.namespace, error: error instanceof Error ? error.message : String(error) },
      'key-value store error; treating it as a miss',
    );
  });
  return keyv;
}
