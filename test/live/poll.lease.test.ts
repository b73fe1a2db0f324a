import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createMemoryLease, createRedisLease } from '../../src/live/poll.lease.js';
import { connectRedis, type RedisConnection } from '../../src/store/redis.connection.js';
import { ManualClock } from '../support/manual.clock.js';
import { deleteRedisKeys, REDIS_URL, uniquePrefix } from '../upstream/upstream.fixture.js';

describe('createMemoryLease', () => {
  it('gives a lease to one holder until it releases it or stops renewing', async () => {
    const clock = new ManualClock(0);
    const leases = new Map();
    const a = createMemoryLease({ clock, leases });
    const b = createMemoryLease({ clock, leases });
    assert.equal(await a.hold('page', 1000), true);
    assert.equal(await b.hold('page', 1000), false);
    clock.set(900);
    assert.equal(await a.hold('page', 1000), true, 'renewed');
    clock.set(1800);
    assert.equal(await b.hold('page', 1000), false, 'still within the renewal');
    clock.set(2000);
    assert.equal(await b.hold('page', 1000), true, 'taken over once the holder stopped renewing');
    await a.release('page');
    assert.equal(await a.hold('page', 1000), false, 'release frees only a lease of ours');
    await b.release('page');
    assert.equal(await a.hold('page', 1000), true);
  });
});

describe('createRedisLease', () => {
  let client: RedisConnection;
  const prefix = `${uniquePrefix()}lease:`;
  after(async () => {
    await deleteRedisKeys(prefix);
    client?.destroy();
  });

  it('lets one replica hold a group, renew it, release it to another, and expire when its holder dies', async () => {
    client = await connectRedis(REDIS_URL);
    const a = createRedisLease({ client, prefix });
    const b = createRedisLease({ client, prefix });
    assert.equal(await a.hold('g1', 60_000), true);
    assert.equal(await b.hold('g1', 60_000), false);
    assert.equal(await a.hold('g1', 60_000), true, 'renewed');
    assert.ok((await client.pTTL(`${prefix}g1`)) > 59_000);
    await b.release('g1');
    assert.equal(await b.hold('g1', 60_000), false, 'a rival’s release frees nothing');
    await a.release('g1');
    assert.equal(await b.hold('g1', 60_000), true, 'released to the next that asks');
    assert.equal(await a.hold('g2', 1), true);
    await client.pExpire(`${prefix}g2`, 1);
    while ((await client.exists(`${prefix}g2`)) === 1) await new Promise((resolve) => setImmediate(resolve));
    assert.equal(await b.hold('g2', 60_000), true, 'an expired lease goes to another');
  });
});
