import { afterEach, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { performance } from 'node:perf_hooks';
import { openBackplane, type Backplane } from '../../src/backplane/backplane.js';
import { ApiKeyService } from '../../src/keys/api-key.service.js';
import { Topic, type PubSub } from '../../src/live/pubsub.js';
import { redisScope, TEST_REDIS_URL, type RedisScope } from '../live/redis.fixture.js';
import { captureLogs, facadeError, HOUR } from './keys.fixture.js';

interface Replica {
  service: ApiKeyService;
  pubsub: PubSub;
  backplane: Backplane;
}

describe('two facade replicas on one Redis', () => {
  let scope: RedisScope;
  let replicas: Replica[] = [];
  afterEach(async () => {
    for (const replica of replicas) {
      await replica.service.close();
      await replica.backplane.close();
    }
    replicas = [];
    await scope.cleanup();
  });

  async function startReplicas(): Promise<[Replica, Replica]> {
    scope = redisScope();
    for (let i = 0; i < 2; i += 1) {
      const backplane = await openBackplane({ redisUrl: TEST_REDIS_URL, redisPrefix: scope.prefix });
      const { pubsub, lock } = backplane;
      const service = new ApiKeyService({ store: backplane.store('keys'), pubsub, lock, logger: captureLogs().logger });
      await service.ready;
      replicas.push({ service, pubsub, backplane });
    }
    return replicas as [Replica, Replica];
  }

  it('refuses a revoked key on the other replica within one second, though it had the key cached', async () => {
    const [a, b] = await startReplicas();
    const ensured = await a.service.ensureDefaultKey({ tenant: 'acme' });
    const created = await a.service.create({ name: 'dashboard' }, ensured.key);
    assert.equal((await b.service.authenticate(created.secret)).id, created.key.id);

    const heard = b.pubsub.subscribe(Topic.ApiKeyRevoked);
    await heard.ready;
    const started = performance.now();
    await a.service.revoke(created.key.id, ensured.key);
    assert.deepEqual((await heard.next()).value, { keyId: created.key.id, reason: 'REVOKED' });
    await new Promise((resolve) => setImmediate(resolve));
    await assert.rejects(b.service.authenticate(created.secret), facadeError('UNAUTHENTICATED', /invalid or expired/));
    assert.ok(performance.now() - started < 1000, `took ${performance.now() - started} ms`);
    await heard.return();
  });

  it('accepts the new secret on the other replica right after a rotation, and the old one through the grace period', async () => {
    const [a, b] = await startReplicas();
    const ensured = await a.service.ensureDefaultKey({ tenant: 'acme' });
    const created = await a.service.create({ name: 'dashboard' }, ensured.key);
    await b.service.authenticate(created.secret);
    const rotated = await a.service.rotate(created.key.id, { gracePeriodMs: HOUR }, ensured.key);
    assert.equal((await b.service.authenticate(rotated.secret)).id, created.key.id);
    assert.equal((await b.service.authenticate(created.secret)).id, created.key.id);
  });

  it('delivers the new secret to a subscriber of that key on the other replica', async () => {
    const [a, b] = await startReplicas();
    const ensured = await a.service.ensureDefaultKey({ tenant: 'acme' });
    const created = await a.service.create({ name: 'dashboard' }, ensured.key);
    const dashboard = b.pubsub.subscribe(Topic.ApiKeyRotated, created.key.id);
    await dashboard.ready;
    const reset = await a.service.reset(created.key.id, ensured.key);
    const message = (await dashboard.next()).value!;
    assert.equal(message.secret, reset.secret);
    assert.equal(message.trigger, 'RESET');
    await dashboard.return();
  });

  it('keeps key names unique when both replicas create the same name at once', async () => {
    const [a, b] = await startReplicas();
    const ensured = await a.service.ensureDefaultKey({ tenant: 'acme' });
    const results = await Promise.allSettled([
      a.service.create({ name: 'dashboard' }, ensured.key),
      b.service.create({ name: 'dashboard' }, ensured.key),
    ]);
    assert.deepEqual(results.map((r) => r.status).sort(), ['fulfilled', 'rejected']);
    assert.deepEqual((await b.service.list()).map((k) => k.name).sort(), [ensured.key.name, 'dashboard'].sort());
  });
});
