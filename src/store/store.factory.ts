/**
 * Key-value stores for whatever must outlive one request: upstream tokens, API keys,
 * rotated credentials, the shared document cache. One factory, three backends behind
 * keyv's interface.
 *
 * Contract: `createStore` returns a `Keyv` for `namespace`: shared through Redis when
 * `redis` (a connected client) is given (every replica sees the same values), else in a
 * SQLite file when `sqlitePath` is set (survives restarts of one process), else in this
 * process's memory. Values are JSON-serialised; a `ttl` (ms) on `set` expires them in
 * every backend. Backend errors are logged (never with values) and turn into misses, not
 * crashes: a cache or token store that is down must not take the facade with it.
 * A Redis store borrows its client: `store.disconnect()` leaves the client open (its
 * opener closes it, see `backplane/`), and once the client is closed the store answers
 * misses instead of opening it again. For SQLite, `store.disconnect()` closes the file;
 * for memory it is a no-op.
 */
import KeyvRedis from '@keyv/redis';
import KeyvSqlite from '@keyv/sqlite';
import { Keyv } from 'keyv';
import type { Logger } from '../log/logger.js';
import type { RedisConnection } from './redis.connection.js';

export interface StoreOptions {
  /** Prefix of every key (`tokens`, `cache`, ...): separates the users of one Redis or SQLite file. Required. */
  namespace: string;
  /** A connected client (see `connectRedis`): a store shared by every replica. Default unset. Takes precedence over `sqlitePath`. */
  redis?: RedisConnection;
  /** Path of a SQLite file, created if missing. Default unset. */
  sqlitePath?: string;
  /** Where backend errors go. Default: nowhere (errors still turn into misses). */
  logger?: Logger;
}

export type StoreKind = 'memory' | 'redis' | 'sqlite';

export function storeKindOf(options: StoreOptions): StoreKind {
  if (options.redis !== undefined) return 'redis';
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
        store: new BorrowedClientStore(options.redis!, options.namespace),
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

/** keyv's Redis adapter on a client it does not own: it never connects, reconnects or closes it. */
class BorrowedClientStore<V> extends KeyvRedis<V> {
  constructor(client: RedisConnection, namespace: string) {
    // @keyv/redis's client type is its own generic instantiation of the same node-redis client.
    super(client as unknown as ConstructorParameters<typeof KeyvRedis>[0], { namespace });
  }

  override async getClient(): ReturnType<KeyvRedis<V>['getClient']> {
    // KeyvRedis would connect a closed client anew, leaving a connection nobody closes.
    if (!this.client.isOpen) throw new Error('the Redis connection of this store is closed; the store was used after its backplane closed');
    return this.client;
  }

  override async disconnect(): Promise<void> {
    // The client belongs to whoever opened it; closing it here would cut every other store on it.
  }
}
