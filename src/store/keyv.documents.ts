/**
 * Documents that a room keeps in a keyv store and lists itself (API keys, the audit
 * trail): keyv cannot list its keys on every backend, so such a room keeps an index
 * document of ids beside its records.
 *
 * Contract: `writeDocument` resolves once the store took the value and throws, naming
 * the key and what to check, when the store did not (keyv answers a failed write with
 * `false`, and `createStore` turns backend errors into that answer, so without this
 * check a lost write would pass in silence). `readIndex` answers the ids of an index
 * document, or none while it does not exist.
 */
import type Keyv from 'keyv';

export async function writeDocument(store: Keyv, key: string, value: unknown): Promise<void> {
  if ((await store.set(key, value)) === false) {
    throw new Error(`The key store refused to write ${key}; check the store (DATA_DIR or REDIS_URL) is writable.`);
  }
}

export async function readIndex(store: Keyv, key: string): Promise<string[]> {
  return (await store.get<string[]>(key)) ?? [];
}
