import { afterEach, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import Keyv from 'keyv';
import { ApiKeyService } from '../../src/keys/api-key.service.js';
import { createMemoryLock, createRedisLock, type LockPort } from '../../src/keys/lock.port.js';
import { RotationScheduler } from '../../src/keys/rotation.scheduler.js';
import { createMemoryPubSub, Topic } from '../../src/live/pubsub.js';
import { redisScope, type RedisScope } from '../live/redis.fixture.js';
import { ManualClock } from '../support/manual.clock.js';
import { captureLogs, DAY, HOUR, keysHarness, MINUTE, T0, type KeysHarness } from './keys.fixture.js';

const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function scheduledHarness(): Promise<{ h: KeysHarness; scheduler: RotationScheduler; keyId: string; secret: string }> {
  const h = await keysHarness();
  const created = await h.service.create({ name: 'dashboard', rotation: { interval: 'P1D', gracePeriod: 'PT1H' } }, h.admin);
  const scheduler = new RotationScheduler({ service: h.service, lock: createMemoryLock(), logger: h.logs.logger, clock: h.clock });
  cleanups.push(async () => {
    await scheduler.stop();
    await h.close();
  });
  return { h, scheduler, keyId: created.key.id, secret: created.secret };
}

describe('RotationScheduler', () => {
  it('rotates a key when its interval has passed, and not a moment before', async () => {
    const { h, scheduler, keyId, secret } = await scheduledHarness();
    const rotations = h.pubsub.subscribe(Topic.ApiKeyRotated, keyId);
    assert.equal(await scheduler.start(), 0);

    await h.clock.advance(DAY - 1);
    assert.equal((await h.service.get(keyId)).lastRotatedAt, null);

    await h.clock.advance(1);
    const message = (await rotations.next()).value!;
    assert.equal(message.trigger, 'SCHEDULED');
    assert.equal(message.previousValidUntil, new Date(T0 + DAY + HOUR).toISOString());
    const key = await h.service.get(keyId);
    assert.deepEqual(key.lastRotatedAt, new Date(T0 + DAY));
    assert.deepEqual(key.nextRotationAt, new Date(T0 + 2 * DAY));
    assert.equal((await h.service.authenticate(message.secret)).id, keyId);
    assert.equal((await h.service.authenticate(secret)).id, keyId, 'the old secret works during the grace period');
    const [latest] = (await h.service.audit.list({ first: 1 })).edges;
    assert.deepEqual([latest!.node.action, latest!.node.actor, latest!.node.details.trigger], ['ROTATE', { kind: 'SCHEDULER' }, 'SCHEDULED']);
    await rotations.return();
  });

  it('keeps rotating every interval', async () => {
    const { h, scheduler, keyId } = await scheduledHarness();
    await scheduler.start();
    await h.clock.advance(3 * DAY);
    assert.deepEqual((await h.service.get(keyId)).lastRotatedAt, new Date(T0 + 3 * DAY));
    const rotations = (await h.service.audit.list({ first: 100 })).edges.filter((e) => e.node.action === 'ROTATE');
    assert.equal(rotations.length, 3);
  });

  it('re-arms when a new policy brings the next rotation closer', async () => {
    const h = await keysHarness();
    const { key } = await h.service.create({ name: 'monthly', rotation: { interval: 'P30D', gracePeriod: 'P15D' } }, h.admin);
    const scheduler = new RotationScheduler({ service: h.service, lock: createMemoryLock(), logger: h.logs.logger, clock: h.clock, resyncEveryMs: 60 * DAY });
    cleanups.push(async () => {
      await scheduler.stop();
      await h.close();
    });
    await scheduler.start();
    await h.service.setRotation(key.id, { interval: 'P2D', gracePeriod: 'P1D' }, h.admin);
    await h.clock.advance(2 * DAY);
    assert.deepEqual((await h.service.get(key.id)).lastRotatedAt, new Date(T0 + 2 * DAY));
  });

  it('rotates nothing once stopped', async () => {
    const { h, scheduler, keyId } = await scheduledHarness();
    await scheduler.start();
    await scheduler.stop();
    await h.clock.advance(2 * DAY);
    assert.equal(h.clock.pending, 0, 'no timer left armed');
    assert.equal((await h.service.get(keyId)).lastRotatedAt, null);
  });

  it('catches up on start, once, with a rotation that fell due while the facade was down', async () => {
    const store = new Keyv();
    const before = await keysHarness({ store }, new ManualClock(T0));
    const { key } = await before.service.create({ name: 'dashboard', rotation: { interval: 'P1D', gracePeriod: 'PT6H' } }, before.admin);
    await before.close();

    const restartedAt = T0 + 3 * DAY + HOUR;
    const logs = captureLogs();
    const clock = new ManualClock(restartedAt);
    const service = new ApiKeyService({ store, pubsub: createMemoryPubSub(), logger: logs.logger, clock });
    const scheduler = new RotationScheduler({ service, lock: createMemoryLock(), logger: logs.logger, clock, resyncEveryMs: 7 * DAY });
    cleanups.push(async () => {
      await scheduler.stop();
      await service.close();
    });
    assert.equal(await scheduler.start(), 1);
    const caughtUp = await service.get(key.id);
    assert.deepEqual(caughtUp.lastRotatedAt, new Date(restartedAt));
    assert.deepEqual(caughtUp.nextRotationAt, new Date(restartedAt + DAY));
    await clock.advance(DAY - 1);
    assert.deepEqual((await service.get(key.id)).lastRotatedAt, new Date(restartedAt), 'not rotated again before the next due time');
    await clock.advance(1);
    assert.deepEqual((await service.get(key.id)).lastRotatedAt, new Date(restartedAt + DAY), 'the timer is armed for the next rotation');
  });

  it('retries a rotation whose claim failed', async () => {
    const h = await keysHarness();
    const { key } = await h.service.create({ name: 'dashboard', rotation: { interval: 'P1D', gracePeriod: 'PT1H' } }, h.admin);
    const memory = createMemoryLock();
    let failures = 1;
    const flaky: LockPort = {
      acquire: async (name, ttl) => (failures-- > 0 ? Promise.reject(new Error('redis down')) : memory.acquire(name, ttl)),
      release: (name) => memory.release(name),
    };
    const scheduler = new RotationScheduler({ service: h.service, lock: flaky, logger: h.logs.logger, clock: h.clock, retryAfterFailureMs: MINUTE });
    cleanups.push(async () => {
      await scheduler.stop();
      await h.close();
    });
    await scheduler.start();
    await h.clock.advance(DAY);
    assert.equal((await h.service.get(key.id)).lastRotatedAt, null);
    assert.match(h.logs.text(), /could not claim a due rotation; retrying/);
    await h.clock.advance(MINUTE);
    assert.deepEqual((await h.service.get(key.id)).lastRotatedAt, new Date(T0 + DAY + MINUTE));
  });

  describe('with two replicas on one Redis', () => {
    let scope: RedisScope;
    afterEach(async () => scope.cleanup());

    it('performs each due rotation exactly once', async () => {
      scope = redisScope();
      const store = new Keyv();
      const pubsub = createMemoryPubSub();
      const setup = await keysHarness({ store, pubsub }, new ManualClock(T0));
      const keyIds: string[] = [];
      for (let i = 0; i < 5; i += 1) {
        const { key } = await setup.service.create({ name: `agent-${i}`, rotation: { interval: 'P1D', gracePeriod: 'PT1H' } }, setup.admin);
        keyIds.push(key.id);
      }
      const published: string[] = [];
      const listeners = keyIds.map((id) => pubsub.subscribe(Topic.ApiKeyRotated, id));
      const due = T0 + DAY;
      const replicas = await Promise.all(
        ['a', 'b'].map(async () => {
          const logs = captureLogs();
          // Never advanced: the test drives `runDue()` itself.
          const clock = new ManualClock(due);
          const service = new ApiKeyService({ store, pubsub, logger: logs.logger, clock });
          const lock = createRedisLock({ client: await scope.client(), prefix: scope.prefix });
          return { service, scheduler: new RotationScheduler({ service, lock, logger: logs.logger, clock }) };
        }),
      );
      cleanups.push(async () => {
        for (const listener of listeners) await listener.return();
        for (const replica of replicas) await replica.service.close();
        await setup.close();
        await pubsub.close();
      });

      const performed = await Promise.all(replicas.map((replica) => replica.scheduler.runDue()));
      assert.equal(performed[0]! + performed[1]!, 5);
      for (const listener of listeners) {
        const message = await listener.next();
        published.push(message.value!.keyId);
      }
      assert.deepEqual(published.sort(), [...keyIds].sort());
      const rotateEvents = (await setup.service.audit.list({ first: 100 })).edges.filter((e) => e.node.action === 'ROTATE');
      assert.deepEqual(rotateEvents.map((e) => e.node.keyId).sort(), [...keyIds].sort());

      // A replica that wakes late, after the claims expired, finds nothing due any more.
      const late = new RotationScheduler({ service: replicas[1]!.service, lock: createMemoryLock(), logger: captureLogs().logger, clock: new ManualClock(due) });
      assert.equal(await late.runDue(), 0);
    });
  });

  it('never rotates twice for one due time, even without a lock (compare-and-set)', async () => {
    const h = await keysHarness({}, new ManualClock(T0));
    cleanups.push(() => h.close());
    const { key } = await h.service.create({ name: 'dashboard', rotation: { interval: 'P1D', gracePeriod: 'PT1H' } }, h.admin);
    h.clock.set(T0 + DAY);
    const results = await Promise.all([h.service.rotateIfDue(key.id, T0 + DAY), h.service.rotateIfDue(key.id, T0 + DAY)]);
    assert.deepEqual(results.sort(), [false, true]);
    assert.equal((await h.service.audit.list({ first: 100 })).edges.filter((e) => e.node.action === 'ROTATE').length, 1);
  });
});
