import { afterEach, describe, it, mock } from 'node:test';
import assert from 'node:assert/strict';
import Keyv from 'keyv';
import { ApiKeyService } from '../../src/keys/api-key.service.js';
import { createMemoryLock, createRedisLock, type LockPort } from '../../src/keys/lock.port.js';
import { RotationScheduler } from '../../src/keys/rotation.scheduler.js';
import { createMemoryPubSub, Topic } from '../../src/live/pubsub.js';
import { redisScope, type RedisScope } from '../live/redis.fixture.js';
import { captureLogs, DAY, fakeClock, HOUR, keysHarness, MINUTE, T0, type FakeClock, type KeysHarness } from './keys.fixture.js';

/** Lets every pending promise chain of the in-memory store settle (setImmediate is not mocked). */
const settle = () => new Promise((resolve) => setImmediate(resolve));

/** A clock that reads the mocked Date, for services under `mock.timers`. */
const mockedDateClock: FakeClock = { now: () => Date.now(), advance: () => assert.fail('use mock.timers.tick'), set: () => assert.fail('use mock.timers') };

/** Timers that never fire, for tests that drive `runDue()` themselves. */
const idleTimers = { setTimeout: () => ({}), clearTimeout: () => undefined };

const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  mock.timers.reset();
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function scheduledHarness(): Promise<{ h: KeysHarness; scheduler: RotationScheduler; keyId: string; secret: string }> {
  mock.timers.enable({ apis: ['setTimeout', 'Date'], now: T0 });
  const h = await keysHarness({}, mockedDateClock);
  const created = await h.service.create({ name: 'dashboard', rotation: { interval: 'P1D', gracePeriod: 'PT1H' } }, h.admin);
  const scheduler = new RotationScheduler({ service: h.service, lock: createMemoryLock(), logger: h.logs.logger });
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

    mock.timers.tick(DAY - 1);
    await settle();
    assert.equal((await h.service.get(keyId)).lastRotatedAt, null);

    mock.timers.tick(1);
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
    for (let day = 1; day <= 3; day += 1) {
      mock.timers.tick(DAY);
      await settle();
      await settle();
    }
    assert.deepEqual((await h.service.get(keyId)).lastRotatedAt, new Date(T0 + 3 * DAY));
    const rotations = (await h.service.audit.list({ first: 100 })).edges.filter((e) => e.node.action === 'ROTATE');
    assert.equal(rotations.length, 3);
  });

  it('re-arms when a new policy brings the next rotation closer', async () => {
    mock.timers.enable({ apis: ['setTimeout', 'Date'], now: T0 });
    const h = await keysHarness({}, mockedDateClock);
    const { key } = await h.service.create({ name: 'monthly', rotation: { interval: 'P30D', gracePeriod: 'P15D' } }, h.admin);
    const scheduler = new RotationScheduler({ service: h.service, lock: createMemoryLock(), logger: h.logs.logger, resyncEveryMs: 60 * DAY });
    cleanups.push(async () => {
      await scheduler.stop();
      await h.close();
    });
    await scheduler.start();
    await h.service.setRotation(key.id, { interval: 'P2D', gracePeriod: 'P1D' }, h.admin);
    await settle();
    mock.timers.tick(2 * DAY);
    await settle();
    await settle();
    assert.deepEqual((await h.service.get(key.id)).lastRotatedAt, new Date(T0 + 2 * DAY));
  });

  it('rotates nothing once stopped', async () => {
    const { h, scheduler, keyId } = await scheduledHarness();
    await scheduler.start();
    await scheduler.stop();
    mock.timers.tick(2 * DAY);
    await settle();
    assert.equal((await h.service.get(keyId)).lastRotatedAt, null);
  });

  it('catches up on start, once, with a rotation that fell due while the facade was down', async () => {
    const store = new Keyv();
    const before = await keysHarness({ store }, fakeClock(T0));
    const { key } = await before.service.create({ name: 'dashboard', rotation: { interval: 'P1D', gracePeriod: 'PT6H' } }, before.admin);
    await before.close();

    const restartedAt = T0 + 3 * DAY + HOUR;
    const logs = captureLogs();
    const service = new ApiKeyService({ store, pubsub: createMemoryPubSub(), logger: logs.logger, clock: () => restartedAt });
    const armed: number[] = [];
    const scheduler = new RotationScheduler({
      service,
      lock: createMemoryLock(),
      logger: logs.logger,
      clock: () => restartedAt,
      timers: { setTimeout: (_callback, ms) => armed.push(ms), clearTimeout: () => undefined },
      resyncEveryMs: 7 * DAY,
    });
    cleanups.push(async () => {
      await scheduler.stop();
      await service.close();
    });
    assert.equal(await scheduler.start(), 1);
    const caughtUp = await service.get(key.id);
    assert.deepEqual(caughtUp.lastRotatedAt, new Date(restartedAt));
    assert.deepEqual(caughtUp.nextRotationAt, new Date(restartedAt + DAY));
    assert.equal(armed.at(-1), DAY, 'the timer is armed for the next rotation');
  });

  it('retries a rotation whose claim failed', async () => {
    mock.timers.enable({ apis: ['setTimeout', 'Date'], now: T0 });
    const h = await keysHarness({}, mockedDateClock);
    const { key } = await h.service.create({ name: 'dashboard', rotation: { interval: 'P1D', gracePeriod: 'PT1H' } }, h.admin);
    const memory = createMemoryLock();
    let failures = 1;
    const flaky: LockPort = {
      acquire: async (name, ttl) => (failures-- > 0 ? Promise.reject(new Error('redis down')) : memory.acquire(name, ttl)),
      release: (name) => memory.release(name),
    };
    const scheduler = new RotationScheduler({ service: h.service, lock: flaky, logger: h.logs.logger, retryAfterFailureMs: MINUTE });
    cleanups.push(async () => {
      await scheduler.stop();
      await h.close();
    });
    await scheduler.start();
    mock.timers.tick(DAY);
    await settle();
    assert.equal((await h.service.get(key.id)).lastRotatedAt, null);
    assert.match(h.logs.text(), /could not claim a due rotation; retrying/);
    mock.timers.tick(MINUTE);
    await settle();
    await settle();
    assert.deepEqual((await h.service.get(key.id)).lastRotatedAt, new Date(T0 + DAY + MINUTE));
  });

  describe('with two replicas on one Redis', () => {
    let scope: RedisScope;
    afterEach(async () => scope.cleanup());

    it('performs each due rotation exactly once', async () => {
      scope = redisScope();
      const store = new Keyv();
      const pubsub = createMemoryPubSub();
      const setup = await keysHarness({ store, pubsub }, fakeClock(T0));
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
          const service = new ApiKeyService({ store, pubsub, logger: logs.logger, clock: () => due });
          const lock = createRedisLock({ client: await scope.client(), prefix: scope.prefix });
          return { service, scheduler: new RotationScheduler({ service, lock, logger: logs.logger, clock: () => due, timers: idleTimers }) };
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
      const late = new RotationScheduler({ service: replicas[1]!.service, lock: createMemoryLock(), logger: captureLogs().logger, clock: () => due, timers: idleTimers });
      assert.equal(await late.runDue(), 0);
    });
  });

  it('never rotates twice for one due time, even without a lock (compare-and-set)', async () => {
    const h = await keysHarness({}, fakeClock(T0));
    cleanups.push(() => h.close());
    const { key } = await h.service.create({ name: 'dashboard', rotation: { interval: 'P1D', gracePeriod: 'PT1H' } }, h.admin);
    h.clock.set(T0 + DAY);
    const results = await Promise.all([h.service.rotateIfDue(key.id, T0 + DAY), h.service.rotateIfDue(key.id, T0 + DAY)]);
    assert.deepEqual(results.sort(), [false, true]);
    assert.equal((await h.service.audit.list({ first: 100 })).edges.filter((e) => e.node.action === 'ROTATE').length, 1);
  });
});
