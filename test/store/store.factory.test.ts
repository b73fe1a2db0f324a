import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { REDIS_URL, deleteRedisKeys } from '../support/redis.keys.js';
import { connectRedis, redisLocation } from '../../src/store/redis.connection.js';
import { createStore, storeKindOf } from '../../src/store/store.factory.js';


describe('createStore', () => {
  it('picks Redis over SQLite over memory', () => {
    assert.equal(storeKindOf({ namespace: 'n' }), 'memory');
    assert.equal(storeKindOf({ namespace: 'n', sqlitePath: '/tmp/x.sqlite' }), 'sqlite');
    assert.equal(storeKindOf({ namespace: 'n', sqlitePath: '/tmp/x.sqlite', redisUrl: REDIS_URL }), 'redis');
  });

  it('refuses an empty namespace with a message that names the fix', () => {
    assert.throws(() => createStore({ namespace: '' }), /namespace must not be empty/);
  });

  it('keeps values in memory, separated by namespace, until their ttl', async () => {
    const tokens = createStore<{ v: number }>({ namespace: 'tokens' });
    const cache = createStore<{ v: number }>({ namespace: 'cache' });
    await tokens.set('k', { v: 1 });
    assert.deepEqual(await tokens.get('k'), { v: 1 });
    assert.equal(await cache.get('k'), undefined);
    await tokens.set('short', { v: 2 }, 1);
    await new Promise((resolve) => setTimeout(resolve, 5));
    assert.equal(await tokens.get('short'), undefined, 'expired');
  });

  describe('in a SQLite file', () => {
    const dir = mkdtempSync(join(tmpdir(), 'usm-store-test-'));
    after(() => rmSync(dir, { recursive: true, force: true }));

    it('keeps values across store instances', async () => {
      const path = join(dir, 'facade.sqlite');
      const first = createStore<string>({ namespace: 'keys', sqlitePath: path });
      await first.set('a', 'one');
      await first.disconnect();
      const second = createStore<string>({ namespace: 'keys', sqlitePath: path });
      assert.equal(await second.get('a'), 'one');
      await second.disconnect();
    });
  });

  describe('in Redis', () => {
    const namespace = `test:store:${randomUUID()}`;
    after(() => deleteRedisKeys(namespace));

    it('shares values between instances, as replicas do', async () => {
      const a = createStore<{ token: string }>({ namespace, redisUrl: REDIS_URL });
      const b = createStore<{ token: string }>({ namespace, redisUrl: REDIS_URL });
      try {
        await a.set('cred', { token: 't1' }, 60_000);
        assert.deepEqual(await b.get('cred'), { token: 't1' });
      } finally {
        await a.disconnect();
        await b.disconnect();
      }
    });
  });
});

describe('connectRedis', () => {
  it('names the host but never the password of a Redis it cannot reach', async () => {
    assert.equal(redisLocation('redis://user:pa55@cache.internal:6380/0'), 'redis://cache.internal:6380');
    await assert.rejects(connectRedis('redis://user:pa55@127.0.0.1:1', { connectTimeoutMs: 500 }), (error: Error) => {
      assert.doesNotMatch(error.message, /pa55/);
      return true;
    });
  });
});
