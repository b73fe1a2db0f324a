/**
 * The shared window's fair share across replicas, against a real Redis: two
 * `RedisRateWindow`s play two replicas drawing on one credential's window.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { connectRedis, type RedisConnection } from '../../src/store/redis.connection.js';
import { RedisRateWindow } from '../../src/upstream/budget/redis.window.js';
import type { WindowClaim } from '../../src/upstream/budget/rate.window.js';
import { deleteRedisKeys, REDIS_URL, uniquePrefix } from './upstream.fixture.js';

const WINDOW_MS = 40;
const LEASE_MS = 5_000;
const claim = (caller: string, tier: number, pending: number): WindowClaim => ({ caller, tier, demand: [{ tier, caller, pending }] });

describe('RedisRateWindow across replicas', () => {
  const prefix = uniquePrefix();
  let redis: RedisConnection;
  let one: RedisRateWindow;
  let two: RedisRateWindow;
  before(async () => {
    redis = await connectRedis(REDIS_URL);
    one = new RedisRateWindow({ redis, keyPrefix: prefix });
    two = new RedisRateWindow({ redis, keyPrefix: prefix });
  });
  after(async () => {
    redis.destroy();
    await deleteRedisKeys(prefix);
  });

  /**
   * Fills the window for a flooding caller on replica one, lets replica two ask for
   * `quiet` (refused: the window is full, but its demand is now known), then, while the
   * slots free, lets the flood ask before the quiet one every time: counts what the
   * flood took before the quiet caller got its slot.
   */
  async function floodFirst(key: string, quiet: WindowClaim, limit: number): Promise<number> {
    for (let i = 0; i < limit; i += 1) {
      const taken = await one.tryTake(key, limit, WINDOW_MS, LEASE_MS, claim('A', 0, 100));
      assert.ok(taken.taken);
      await taken.settle();
    }
    assert.equal((await two.tryTake(key, limit, WINDOW_MS, LEASE_MS, quiet)).taken, false, 'the window is full');
    let floodTook = 0;
    for (;;) {
      const flood = await one.tryTake(key, limit, WINDOW_MS, LEASE_MS, claim('A', 0, 100));
      if (flood.taken) floodTook += 1;
      const answer = await two.tryTake(key, limit, WINDOW_MS, LEASE_MS, quiet);
      if (answer.taken) return floodTook;
      await new Promise((resolve) => setImmediate(resolve));
    }
  }

  it('keeps a freed slot for a quiet caller of another replica that is below its fair share', async () => {
    // With two callers waiting, each one's fair share of 4 slots is 2: the flood takes its 2, never the quiet one's.
    const took = await floodFirst('fair', claim('B', 0, 1), 4);
    assert.ok(took <= 2, `the flood took ${took} freed slots first: no more than its fair share of 2 while the quiet caller waited`);
  });

  it('keeps freed slots for waiting work of a higher class on another replica', async () => {
    // A flooding BACKGROUND caller (tier 2) against an INTERACTIVE one (tier 0) on the other replica.
    const key = 'classes';
    for (let i = 0; i < 4; i += 1) {
      const taken = await one.tryTake(key, 4, WINDOW_MS, LEASE_MS, claim('A', 2, 100));
      assert.ok(taken.taken);
      await taken.settle();
    }
    assert.equal((await two.tryTake(key, 4, WINDOW_MS, LEASE_MS, claim('B', 0, 3))).taken, false);
    let backgroundTook = 0;
    let interactiveTook = 0;
    while (interactiveTook < 3) {
      if ((await one.tryTake(key, 4, WINDOW_MS, LEASE_MS, claim('A', 2, 100))).taken) backgroundTook += 1;
      if ((await two.tryTake(key, 4, WINDOW_MS, LEASE_MS, claim('B', 0, 3 - interactiveTook))).taken) interactiveTook += 1;
      await new Promise((resolve) => setImmediate(resolve));
    }
    assert.ok(backgroundTook <= 1, `background work took ${backgroundTook} of the freed slots while 3 interactive requests waited`);
  });

  it('gives every slot to the only caller asking: the share is not a cap', async () => {
    const key = 'alone';
    let taken = 0;
    for (let i = 0; i < 6; i += 1) if ((await one.tryTake(key, 6, WINDOW_MS, LEASE_MS, claim('A', 0, 6 - i))).taken) taken += 1;
    assert.equal(taken, 6);
  });
});
