import { after, afterEach, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openBackplane, type Backplane } from '../../src/backplane/backplane.js';
import { Topic } from '../../src/live/pubsub.js';
import { connectRedis, type RedisConnection } from '../../src/store/redis.connection.js';
import { deleteRedisKeys, REDIS_URL } from '../support/redis.keys.js';

describe('openBackplane on Redis', () => {
  let observer: RedisConnection;
  let prefix: string;
  const opened: Backplane[] = [];
  const open = async () => {
    const backplane = await openBackplane({ redisUrl: REDIS_URL, redisPrefix: prefix });
    opened.push(backplane);
    return backplane;
  };
  /** Names of this test's connections that Redis lists, sorted. */
  const connectionsOfTest = async () =>
    (await observer.clientList())
      .map((client) => client.name)
      .filter((name) => name.startsWith(prefix))
      .sort();
  /** Redis drops a closed connection on its own schedule: ask again for a few round trips rather than sleep. */
  const connectionsLeft = async () => {
    let names = await connectionsOfTest();
    for (let attempt = 0; names.length > 0 && attempt < 50; attempt += 1) names = await connectionsOfTest();
    return names;
  };

  before(async () => {
    observer = await connectRedis(REDIS_URL);
  });
  afterEach(async () => {
    for (const backplane of opened.splice(0)) await backplane.close();
    await deleteRedisKeys(prefix);
  });
  after(() => observer.destroy());

  it('opens exactly two connections, one for commands and one for subscriptions, whatever it is asked for', async () => {
    prefix = `test:backplane:${randomUUID()}:`;
    const backplane = await open();
    assert.equal(backplane.kind, 'redis');
    for (const namespace of ['keys', 'tokens', 'credentials', 'cache']) await backplane.store(namespace).set('k', 'v');
    const heard = backplane.pubsub.subscribe(Topic.ApiKeyRevoked);
    await heard.ready;
    await backplane.lock.acquire('rotation', 10_000);
    await backplane.tokenLock!.tryAcquire('credential', 10_000);
    await backplane.rateWindow.tryTake('credential', 10, 1_000, 1_000);
    await backplane.authThrottle.recordFailure('192.0.2.1');
    assert.deepEqual(await connectionsOfTest(), [`${prefix}commands`, `${prefix}subscriptions`]);
  });

  it("carries a message published on one backplane's pubsub to another backplane's subscriber", async () => {
    prefix = `test:backplane:${randomUUID()}:`;
    const [a, b] = [await open(), await open()];
    const heard = b.pubsub.subscribe(Topic.ApiKeyRevoked);
    await heard.ready;
    await a.pubsub.publish(Topic.ApiKeyRevoked, undefined, { keyId: 'k1', reason: 'REVOKED' });
    assert.deepEqual((await heard.next()).value, { keyId: 'k1', reason: 'REVOKED' });
    const channel = `${prefix}live:${Topic.ApiKeyRevoked}`;
    assert.deepEqual({ ...(await observer.pubSubNumSub(channel)) }, { [channel]: 1 }, 'channels are <prefix>live:<topic>');
    await heard.return();
  });

  it('keeps every key under REDIS_PREFIX, laid out as before the backplane', async () => {
    prefix = `test:backplane:${randomUUID()}:`;
    const backplane = await open();
    await backplane.store('keys').set('key-1', { name: 'dashboard' });
    await backplane.store('tokens').set('credential', { token: 't' });
    assert.equal(await backplane.lock.acquire('rotation', 10_000), true);
    assert.notEqual(await backplane.tokenLock!.tryAcquire('credential', 10_000), undefined);
    assert.equal((await backplane.rateWindow.tryTake('credential', 10, 1_000, 1_000)).taken, true);
    await backplane.authThrottle.recordFailure('192.0.2.1');
    const keys: string[] = [];
    for await (const batch of observer.scanIterator({ MATCH: `${prefix}*`, COUNT: 500 })) keys.push(...batch);
    assert.deepEqual(
      keys.sort(),
      [
        `${prefix}auth-fail:192.0.2.1`,
        `${prefix}keys::key-1`,
        `${prefix}lock:rotation`,
        `${prefix}token-lock:credential`,
        `${prefix}tokens::credential`,
        `${prefix}window:credential`,
      ],
    );
  });

  it('answers one store per namespace, and refuses to make it persistent on a second ask', async () => {
    prefix = `test:backplane:${randomUUID()}:`;
    const backplane = await open();
    assert.equal(backplane.store('keys'), backplane.store('keys'));
    assert.throws(() => backplane.store('keys', { persistent: true }), /first asked for with persistent: false/);
  });

  it('closes every connection it opened, and a second close() is harmless', async () => {
    prefix = `test:backplane:${randomUUID()}:`;
    const backplane = await openBackplane({ redisUrl: REDIS_URL, redisPrefix: prefix });
    const store = backplane.store<string>('cache');
    await store.set('k', 'v');
    const heard = backplane.pubsub.subscribe(Topic.ApiKeyRevoked);
    await heard.ready;
    assert.equal((await connectionsOfTest()).length, 2);
    await backplane.close();
    await backplane.close();
    assert.deepEqual(await heard.next(), { value: undefined, done: true }, 'subscriptions end');
    assert.deepEqual(await connectionsLeft(), []);
    assert.equal(await store.get('k'), undefined, 'a store used after close() answers a miss');
    assert.deepEqual(await connectionsLeft(), [], '...without opening a connection again');
    assert.throws(() => backplane.store('keys'), /after close\(\)/);
  });

  it('refuses to open on a Redis that does not answer, naming the host but never the password', async () => {
    prefix = `test:backplane:${randomUUID()}:`;
    await assert.rejects(openBackplane({ redisUrl: 'redis://user:pa55@127.0.0.1:1', redisPrefix: prefix, connectTimeoutMs: 300 }), (error: Error) => {
      assert.match(error.message, /127\.0\.0\.1:1/);
      assert.doesNotMatch(error.message, /pa55/);
      return true;
    });
  });
});

describe('openBackplane in memory', () => {
  const dir = mkdtempSync(join(tmpdir(), 'usm-backplane-test-'));
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('gives the same pieces without Redis, all in this process', async () => {
    const backplane = await openBackplane();
    try {
      assert.equal(backplane.kind, 'memory');
      const heard = backplane.pubsub.subscribe(Topic.ApiKeyRevoked);
      await backplane.pubsub.publish(Topic.ApiKeyRevoked, undefined, { keyId: 'k1', reason: 'DELETED' });
      assert.deepEqual((await heard.next()).value, { keyId: 'k1', reason: 'DELETED' });
      await backplane.store('cache').set('k', 'v');
      assert.equal(await backplane.store('cache').get('k'), 'v', 'one store per namespace in memory too');
      assert.equal(await backplane.lock.acquire('rotation', 10_000), true);
      assert.equal(await backplane.lock.acquire('rotation', 10_000), false);
      assert.equal(backplane.tokenLock, undefined);
      assert.equal((await backplane.rateWindow.tryTake('credential', 1, 1_000, 1_000)).taken, true);
      assert.equal((await backplane.rateWindow.tryTake('credential', 1, 1_000, 1_000)).taken, false);
      assert.equal(await backplane.authThrottle.recordFailure('192.0.2.1'), null);
    } finally {
      await backplane.close();
      await backplane.close();
    }
  });

  it('keeps persistent stores in SQLite under the data directory, across backplanes', async () => {
    const first = await openBackplane({ dataDir: join(dir, 'data') });
    await first.store('keys', { persistent: true }).set('key-1', 'kept');
    await first.close();
    const second = await openBackplane({ dataDir: join(dir, 'data') });
    try {
      assert.equal(await second.store('keys', { persistent: true }).get('key-1'), 'kept');
      assert.equal(await second.store('cache').get('key-1'), undefined);
    } finally {
      await second.close();
    }
  });

  it('refuses a persistent store without a data directory, naming the setting', async () => {
    const backplane = await openBackplane();
    try {
      assert.throws(() => backplane.store('keys', { persistent: true }), /set DATA_DIR/);
    } finally {
      await backplane.close();
    }
  });
});
