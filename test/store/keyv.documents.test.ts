import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type Keyv from 'keyv';
import { createStore } from '../../src/store/store.factory.js';
import { readIndex, writeDocument } from '../../src/store/keyv.documents.js';

describe('keyv documents', () => {
  it('writes a document and reads an index, none before the first write', async () => {
    const store = createStore({ namespace: 'documents' });
    assert.deepEqual(await readIndex(store, 'things:index'), []);
    await writeDocument(store, 'things:index', ['a', 'b']);
    assert.deepEqual(await readIndex(store, 'things:index'), ['a', 'b']);
  });

  it('throws naming the key and what to check when the store refuses a write', async () => {
    const refusing = { set: async () => false } as unknown as Keyv;
    await assert.rejects(
      () => writeDocument(refusing, 'things:key:a', { id: 'a' }),
      /^Error: The key store refused to write things:key:a; check the store \(DATA_DIR or REDIS_URL\) is writable\.$/,
    );
  });
});
