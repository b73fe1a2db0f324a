import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { REDIS_URL, deleteRedisKeys } from '../support/redis.keys.js';
import { connectRedis, redisLocation, type RedisConnection } from '../../src/store/redis.connection.js';
import { createStore, storeKindOf } from '../../src/store/store.factory.js';


describe('createStore', () => {
  it('picks Redis over SQLite over memory', () => {
    const redis = {} as RedisConnection;
    assert.equal(storeKindOf({ namespace: 'n' }), 'memory');
    assert.equal(storeKindOf({ namespace: 'n', sqlitePath: '/tmp/x.sqlite' }), 'sqlite');
    assert.equal(storeKindOf({ namespace: 'n', sqlitePath: '/tmp/x.sqlite', redis }), 'redis');
  });

  it('refuses an empty namespace with a message that names the fix', () => {
    assert.throws(() => createStore({ namespace: '' }), /namespace must not be empty/);
  });

  it('keeps values in memory, separated by namespace, until their ttl', async (t) => {
    // Keyv reads Date.now for expiry.
    t.mock.timers.enable({ apis: ['Date'], now: Date.now() });
    const tokens = createStore<{ v: number }>({ namespace: 'tokens' });
    const cache = createStore<{ v: number }>({ namespace: 'cache' });
    await tokens.set('k', { v: 1 });
    assert.deepEqual(await tokens.get('k'), { v: 1 });
    assert.equal(await cache.get('k'), undefined);
    await tokens.set('short', { v: 2 }, 1);
    t.mock.timers.tick(1);
    assert.deepEqual(await tokens.get('short'), { v: 2 }, 'kept for its 1 ms');
    t.mock.timers.tick(1);
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
      const [first, second] = [await connectRedis(REDIS_URL), await connectRedis(REDIS_URL)];
      try {
        const a = createStore<{ token: string }>({ namespace, redis: first });
        const b = createStore<{ token: string }>({ namespace, redis: second });
        await a.set('cred', { token: 't1' }, 60_000);
        assert.deepEqual(await b.get('cred'), { token: 't1' });
        assert.match((await first.get(`${namespace}::cred`)) ?? '', /"t1"/, 'kept under <namespace>::<key>');
      } finally {
        first.destroy();
        second.destroy();
      }
    });

    it('leaves the client it borrows open on disconnect, and never opens it again once its owner closed it', async () => {
      const redis = await connectRedis(REDIS_URL);
      const store = createStore<string>({ namespace, redis });
      await store.set('k', 'v');
      await store.disconnect();
      assert.equal(redis.isOpen, true, 'other stores on the client carry on');
      assert.equal(await store.get('k'), 'v');
      await redis.close();
      assert.equal(await store.get('k'), undefined, 'a miss, not a new connection');
      await store.set('k', 'w');
      assert.equal(redis.isOpen, false);
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
