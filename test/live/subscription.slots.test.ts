import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createMemorySlots, createRedisSlots } from '../../src/live/subscription.slots.js';
import { connectRedis, type RedisConnection } from '../../src/store/redis.connection.js';
import { deleteRedisKeys, REDIS_URL, uniquePrefix } from '../upstream/upstream.fixture.js';
import { ManualClock } from '../support/manual.clock.js';

describe('createMemorySlots', () => {
  it('counts each key’s slots up to the limit, and gives them back', async () => {
    const slots = createMemorySlots();
    assert.equal(await slots.take('k1', 'a', 2), true);
    assert.equal(await slots.take('k1', 'a', 2), true, 'the same slot again counts once');
    assert.equal(await slots.take('k1', 'b', 2), true);
    assert.equal(await slots.take('k1', 'c', 2), false);
    assert.equal(await slots.take('k2', 'c', 2), true, 'another key has its own');
    await slots.release('k1', 'a');
    assert.equal(await slots.take('k1', 'c', 2), true);
  });
});

describe('createRedisSlots', () => {
  let client: RedisConnection;
  const prefix = `${uniquePrefix()}slots:`;
  after(async () => {
    await deleteRedisKeys(prefix);
    client?.destroy();
  });

  it('counts a key’s slots on every replica, and gives a stopped replica’s back at once', async () => {
    client = await connectRedis(REDIS_URL);
    const east = createRedisSlots({ client, prefix, clock: new ManualClock() });
    const west = createRedisSlots({ client, prefix, clock: new ManualClock() });
    assert.equal(await east.take('k1', 'e1', 3), true);
    assert.equal(await east.take('k1', 'e2', 3), true);
    assert.equal(await west.take('k1', 'w1', 3), true);
    assert.equal(await west.take('k1', 'w2', 3), false, 'three held across the two replicas');
    await east.release('k1', 'e1');
    assert.equal(await west.take('k1', 'w2', 3), true);
    await west.close();
    assert.equal(await client.zCard(`${prefix}k1`), 1, 'only east’s slot is left');
    await east.close();
  });

  it('refreshes the slots it holds, and lets those of a replica that stopped refreshing expire', async () => {
    const clock = new ManualClock();
    const alive = createRedisSlots({ client, prefix, ttlMs: 60_000, clock });
    const dead = createRedisSlots({ client, prefix, ttlMs: 60_000, clock: new ManualClock() });
    assert.equal(await alive.take('k2', 'a', 2), true);
    assert.equal(await dead.take('k2', 'd', 2), true);
    assert.equal(await alive.take('k2', 'b', 2), false);
    // Slots expire on Redis's clock: age both by a minute there, then let the live replica refresh.
    const key = `${prefix}k2`;
    for (const member of ['a', 'd']) await client.zAdd(key, { score: (await client.zScore(key, member))! - 60_000, value: member });
    await clock.advance(20_000);
    assert.ok((await client.zScore(key, 'a'))! > Date.now() + 50_000, 'refreshed for another minute');
    assert.equal(await alive.take('k2', 'b', 2), true, 'the dead replica’s slot expired; the refreshed one did not');
    assert.equal(await alive.take('k2', 'c', 2), false);
    await alive.close();
  });
});
