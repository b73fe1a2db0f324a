import { afterEach, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createMemoryLock, createRedisLock, LockRunner } from '../../src/keys/lock.port.js';
import { redisScope, type RedisScope } from '../live/redis.fixture.js';
import { ManualClock } from '../support/manual.clock.js';
import { SECOND, T0 } from './keys.fixture.js';

describe('createMemoryLock', () => {
  it('grants a name to one holder until released or until its time-to-live passes', async () => {
    const clock = new ManualClock(T0);
    const lock = createMemoryLock({ clock });
    assert.equal(await lock.acquire('rotation:k1', 10 * SECOND), true);
    assert.equal(await lock.acquire('rotation:k1', 10 * SECOND), false);
    assert.equal(await lock.acquire('rotation:k2', 10 * SECOND), true);
    await lock.release('rotation:k1');
    assert.equal(await lock.acquire('rotation:k1', 10 * SECOND), true);
    await clock.advance(10 * SECOND);
    assert.equal(await lock.acquire('rotation:k1', 10 * SECOND), true);
  });
});

describe('createRedisLock', () => {
  let scope: RedisScope;
  afterEach(async () => scope.cleanup());

  it('grants a name to exactly one of several replicas', async () => {
    scope = redisScope();
    const locks = await Promise.all(Array.from({ length: 5 }, async () => createRedisLock({ client: await scope.client(), prefix: scope.prefix })));
    const granted = await Promise.all(locks.map((lock) => lock.acquire('rotation:k1:1740816000000', 60 * SECOND)));
    assert.equal(granted.filter(Boolean).length, 1);
  });

  it('lets only the holder release, and expires a crashed holder by time-to-live', async () => {
    scope = redisScope();
    const client = await scope.client();
    const holder = createRedisLock({ client, prefix: scope.prefix });
    const other = createRedisLock({ client: await scope.client(), prefix: scope.prefix });
    assert.equal(await holder.acquire('apikey:k1', 5 * SECOND), true);
    const ttl = await client.pTTL(`${scope.prefix}apikey:k1`);
    assert.ok(ttl > 0 && ttl <= 5 * SECOND, `ttl ${ttl}`);
    await other.release('apikey:k1');
    assert.equal(await other.acquire('apikey:k1', 5 * SECOND), false);
    await holder.release('apikey:k1');
    assert.equal(await other.acquire('apikey:k1', 5 * SECOND), true);
  });
});

describe('LockRunner', () => {
  it('runs callers of one name one after another in this process', async () => {
    const runner = new LockRunner(createMemoryLock());
    const order: string[] = [];
    let release!: () => void;
    const first = runner.run('apikeys:index', async () => {
      order.push('first starts');
      await new Promise<void>((resolve) => (release = resolve));
      order.push('first ends');
    });
    const second = runner.run('apikeys:index', async () => {
      order.push('second runs');
    });
    await new Promise((resolve) => setImmediate(resolve));
    release();
    await Promise.all([first, second]);
    assert.deepEqual(order, ['first starts', 'first ends', 'second runs']);
  });

  it('releases the lock when the work fails, and passes the failure on', async () => {
    const lock = createMemoryLock();
    const runner = new LockRunner(lock);
    await assert.rejects(runner.run('apikey:k1', async () => Promise.reject(new Error('store down'))), /store down/);
    assert.equal(await lock.acquire('apikey:k1', SECOND), true);
  });

  it('waits for another replica, then gives up naming the lock', async () => {
    const lock = createMemoryLock();
    await lock.acquire('apikey:k1', 60 * SECOND);
    const clock = new ManualClock(T0);
    const runner = new LockRunner(lock, { waitMs: 100, retryEveryMs: 25, clock });
    let settled = false;
    const refused = assert.rejects(runner.run('apikey:k1', async () => 'never'), /Lock "apikey:k1" is still held by another replica after 100 ms; retry the operation\./);
    void refused.then(() => (settled = true), () => (settled = true));
    await clock.advance(99);
    assert.equal(settled, false, 'still trying every 25 ms');
    await clock.advance(1);
    await refused;
    assert.equal(clock.pending, 0);
  });
});
