import { afterEach, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import Keyv from 'keyv';
import { ApiKeyService, type ApiKey } from '../../src/keys/api-key.service.js';
import { formatApiKey, newKeyId, newSecret, parseApiKey } from '../../src/keys/api-key.format.js';
import { PERMISSIONS } from '../../src/keys/api-key.permissions.js';
import { createMemoryAuthThrottle } from '../../src/keys/auth.throttle.js';
import { createMemoryPubSub, Topic } from '../../src/live/pubsub.js';
import { ManualClock } from '../support/manual.clock.js';
import {
  captureLogs,
  DAY,
  facadeError,
  HOUR,
  keysHarness,
  MINUTE,
  observableState,
  SECOND,
  T0,
  type KeysHarness,
} from './keys.fixture.js';

let open: KeysHarness[] = [];
async function harness(...args: Parameters<typeof keysHarness>): Promise<KeysHarness> {
  const made = await keysHarness(...args);
  open.push(made);
  return made;
}
afterEach(async () => {
  await Promise.all(open.map((h) => h.close()));
  open = [];
});

/** Expects `call` to fail with `code` and to leave every key and audit event as they were. */
async function refusedWithoutChange(h: KeysHarness, call: () => Promise<unknown>, code: Parameters<typeof facadeError>[0], pattern: RegExp) {
  const before = await observableState(h.service);
  await assert.rejects(call, facadeError(code, pattern));
  assert.deepEqual(await observableState(h.service), before);
}

const unknownId = 'zzzzzzzzzzzz';

describe('the default key', () => {
  it('is created on an empty store as <tenant>@<ISO time> with every permission, no rotation, and its secret answered once', async () => {
    const h = await harness();
    assert.equal(h.admin.name, 'acme@2025-03-01T08:00:00.000Z');
    assert.deepEqual(h.admin.permissions, [...PERMISSIONS]);
    assert.equal(h.admin.isDefault, true);
    assert.equal(h.admin.rotation, null);
    assert.equal(h.admin.nextRotationAt, null);
    assert.equal(h.admin.status, 'ACTIVE');
    assert.equal((await h.service.authenticate(h.adminSecret)).id, h.admin.id);

    const again = await h.service.ensureDefaultKey({ tenant: 'acme' });
    assert.deepEqual(again, { outcome: 'EXISTING', key: await h.service.get(h.admin.id) });
    assert.equal((await h.service.list()).length, 1);
  });

  it('adopts FACADE_ADMIN_KEY, storing only its hash', async () => {
    const store = new Keyv();
    const logs = captureLogs();
    const service = new ApiKeyService({ store, pubsub: createMemoryPubSub(), logger: logs.logger, clock: new ManualClock(T0) });
    const given = formatApiKey(newKeyId(), newSecret());
    const adopted = await service.ensureDefaultKey({ tenant: 'acme', adoptSecret: given });
    assert.equal(adopted.outcome, 'ADOPTED');
    assert.equal(adopted.key.id, parseApiKey(given).ok ? (parseApiKey(given) as { id: string }).id : '');
    assert.equal((await service.authenticate(given)).isDefault, true);
    assert.deepEqual(await service.ensureDefaultKey({ tenant: 'acme', adoptSecret: given }), { outcome: 'EXISTING', key: await service.get(adopted.key.id) });
    const secret = (parseApiKey(given) as { secret: string }).secret;
    const stored = JSON.stringify(await Promise.all((await store.get<string[]>('apikeys:index'))!.map((id) => store.get(`apikeys:key:${id}`))));
    assert.ok(!stored.includes(secret));
    assert.ok(!logs.text().includes(secret));
    await service.close();
  });

  it('refuses a FACADE_ADMIN_KEY that is malformed or mistyped, and creates nothing', async () => {
    const service = new ApiKeyService({ store: new Keyv(), pubsub: createMemoryPubSub(), logger: captureLogs().logger, clock: new ManualClock(T0) });
    await assert.rejects(service.ensureDefaultKey({ tenant: 'acme', adoptSecret: 'hunter2' }), facadeError('BAD_USER_INPUT', /FACADE_ADMIN_KEY is not in the key format/));
    const typo = formatApiKey(newKeyId(), 'A'.repeat(32)).replace('AAAA', 'AAAB');
    await assert.rejects(service.ensureDefaultKey({ tenant: 'acme', adoptSecret: typo }), facadeError('BAD_USER_INPUT', /FACADE_ADMIN_KEY is mistyped/));
    assert.deepEqual(await service.list(), []);
    await service.close();
  });

  it('keeps the existing default key and says why when FACADE_ADMIN_KEY names another', async () => {
    const h = await harness();
    const result = await h.service.ensureDefaultKey({ tenant: 'acme', adoptSecret: formatApiKey(newKeyId(), newSecret()) });
    assert.equal(result.outcome, 'EXISTING');
    assert.match((result as { warning: string }).warning, /FACADE_ADMIN_KEY was not adopted.*reset that key/);
    assert.equal((await h.service.list()).length, 1);
  });

  it('cannot be deleted or revoked, and nothing changes', async () => {
    const h = await harness();
    await refusedWithoutChange(h, () => h.service.delete(h.admin.id, h.admin), 'BAD_USER_INPUT', /default key "acme@.*" cannot be deleted; reset it/);
    await refusedWithoutChange(h, () => h.service.revoke(h.admin.id, h.admin), 'BAD_USER_INPUT', /cannot be revoked; reset it/);
  });
});

describe('authenticate', () => {
  it('answers the key a valid secret belongs to', async () => {
    const h = await harness();
    const created = await h.service.create({ name: 'dashboard' }, h.admin);
    const key = await h.service.authenticate(created.secret);
    assert.equal(key.id, created.key.id);
    assert.equal(key.name, 'dashboard');
  });

  it('says "required" when no key is sent', async () => {
    const h = await harness();
    await assert.rejects(h.service.authenticate(undefined), facadeError('UNAUTHENTICATED', /An API key is required: send it as `Authorization: Bearer <key>`/));
    await assert.rejects(h.service.authenticate('  '), facadeError('UNAUTHENTICATED', /required/));
  });

  it('says "malformed" for text that is not a key and for a key with a broken checksum, without saying more', async () => {
    const h = await harness();
    const typo = h.adminSecret.slice(0, 20) + (h.adminSecret[20] === 'a' ? 'b' : 'a') + h.adminSecret.slice(21);
    for (const text of ['hunter2', typo, h.adminSecret.slice(0, -1)]) {
      await assert.rejects(h.service.authenticate(text), facadeError('UNAUTHENTICATED', /^The API key is malformed; present the whole key as issued \(usmf_…\)\.$/));
    }
  });

  it('says "invalid or expired" for a well-formed key the store does not know, and for a wrong secret', async () => {
    const h = await harness();
    const stranger = formatApiKey(newKeyId(), newSecret());
    const wrongSecret = formatApiKey(h.admin.id, newSecret());
    for (const text of [stranger, wrongSecret]) {
      await assert.rejects(h.service.authenticate(text), facadeError('UNAUTHENTICATED', /^The API key is invalid or expired\.$/));
    }
  });

  it('never puts the presented text in the error', async () => {
    const h = await harness();
    const wrongSecret = formatApiKey(h.admin.id, newSecret());
    await assert.rejects(h.service.authenticate(wrongSecret), (error: Error) => !error.message.includes(wrongSecret) && !JSON.stringify(error).includes(wrongSecret));
  });

  it('records the last use at most once a minute per key', async () => {
    const h = await harness();
    assert.equal((await h.service.get(h.admin.id)).lastUsedAt, null);
    const writes: string[] = [];
    const set = h.store.set.bind(h.store);
    h.store.set = ((key: string, value: unknown) => {
      writes.push(key);
      return set(key, value);
    }) as typeof h.store.set;
    await h.service.authenticate(h.adminSecret);
    await h.clock.advance(30 * SECOND);
    await h.service.authenticate(h.adminSecret);
    assert.deepEqual((await h.service.get(h.admin.id)).lastUsedAt, new Date(T0));
    await h.clock.advance(30 * SECOND);
    await h.service.authenticate(h.adminSecret);
    assert.deepEqual((await h.service.get(h.admin.id)).lastUsedAt, new Date(T0 + MINUTE));
    assert.deepEqual(writes, [`apikeys:used:${h.admin.id}`, `apikeys:used:${h.admin.id}`]);
  });

  it('throttles failures per client address with a retry hint, while a valid key still works', async () => {
    const h = await harness({ throttle: createMemoryAuthThrottle({ maxFailures: 3, windowMs: 60_000 }) });
    const wrong = formatApiKey(h.admin.id, newSecret());
    for (let i = 0; i < 3; i += 1) {
      await assert.rejects(h.service.authenticate(wrong, { clientAddress: '203.0.113.7' }), facadeError('UNAUTHENTICATED', /^The API key is invalid or expired\.$/));
    }
    await assert.rejects(
      h.service.authenticate(wrong, { clientAddress: '203.0.113.7' }),
      (error: Error & { details?: Record<string, unknown> }) => {
        assert.match(error.message, /Too many failed attempts from this address; retry in \d+ s\./);
        assert.ok(typeof error.details?.retryAfterSeconds === 'number' && error.details.retryAfterSeconds <= 60);
        return true;
      },
    );
    await assert.rejects(h.service.authenticate(wrong, { clientAddress: '198.51.100.1' }), facadeError('UNAUTHENTICATED', /^The API key is invalid or expired\.$/));
    assert.equal((await h.service.authenticate(h.adminSecret, { clientAddress: '203.0.113.7' })).id, h.admin.id);
  });
});

describe('authorize', () => {
  it('refuses with FORBIDDEN naming the missing permission', async () => {
    const h = await harness();
    const { key } = await h.service.create({ name: 'reader' }, h.admin);
    h.service.authorize(key, 'alarms:read');
    assert.throws(
      () => h.service.authorize(key, 'keys:manage'),
      (error: Error & { code?: string; details?: Record<string, unknown> }) => {
        assert.equal(error.code, 'FORBIDDEN');
        assert.match(error.message, /needs the permission "keys:manage"; key "reader" has "alarms:read"/);
        assert.deepEqual(error.details, { permission: 'keys:manage' });
        return true;
      },
    );
  });
});

describe('create', () => {
  it('gives a new key alarms:read unless told otherwise, no rotation, and its secret once', async () => {
    const h = await harness();
    const created = await h.service.create({ name: 'dashboard' }, h.admin);
    assert.deepEqual(created.key.permissions, ['alarms:read']);
    assert.equal(created.key.rotation, null);
    assert.equal(created.key.isDefault, false);
    assert.deepEqual(created.warnings, []);
    assert.match(created.secret, /^usmf_/);
    assert.equal(created.key.id, (parseApiKey(created.secret) as { id: string }).id);
    assert.deepEqual(await h.service.get(created.key.id), created.key);
  });

  it('takes permissions and a rotation policy, scheduling the first rotation one interval ahead', async () => {
    const h = await harness();
    const created = await h.service.create(
      { name: 'labeler', permissions: ['alarms:write', 'alarms:read'], rotation: { interval: 'P30D', gracePeriod: 'P15D' } },
      h.admin,
    );
    assert.deepEqual(created.key.permissions, ['alarms:read', 'alarms:write']);
    assert.deepEqual(created.key.rotation, { intervalMs: 30 * DAY, gracePeriodMs: 15 * DAY });
    assert.deepEqual(created.key.nextRotationAt, new Date(T0 + 30 * DAY));
  });

  it('accepts a one-day interval with a warning in the answer', async () => {
    const h = await harness();
    const created = await h.service.create({ name: 'daily', rotation: { interval: 'P1D', gracePeriod: 'PT1H' } }, h.admin);
    assert.match(created.warnings.join(), /one day \(P1D\) is allowed but not recommended/);
  });

  it('refuses a duplicate name and keeps the first key', async () => {
    const h = await harness();
    await h.service.create({ name: 'dashboard' }, h.admin);
    await refusedWithoutChange(h, () => h.service.create({ name: 'dashboard' }, h.admin), 'BAD_USER_INPUT', /An API key named "dashboard" already exists; choose another name\./);
  });

  it('refuses bad input without creating anything', async () => {
    const h = await harness();
    const cases: Array<[Parameters<ApiKeyService['create']>[0], RegExp]> = [
      [{ name: '' }, /`name` must give a key name of 1 to 100 characters/],
      [{ name: 'x'.repeat(101) }, /1 to 100 characters/],
      [{ name: 'ok', permissions: ['alarms:delete'] }, /Unknown permission "alarms:delete"; choose from alarms:read, alarms:write, keys:manage, credentials:manage/],
      [{ name: 'ok', permissions: [] }, /A key needs at least one permission/],
      [{ name: 'ok', rotation: { interval: 'PT12H', gracePeriod: 'PT1H' } }, /shorter than one day.*P30D with a grace period of P15D/],
      [{ name: 'ok', rotation: { interval: 'P30D', gracePeriod: 'P30D' } }, /Grace period P30D must be shorter than the rotation interval P30D/],
      [{ name: 'ok', rotation: { interval: '30 days', gracePeriod: 'P1D' } }, /`interval` "30 days" is not an ISO-8601 duration/],
    ];
    for (const [input, pattern] of cases) await refusedWithoutChange(h, () => h.service.create(input, h.admin), 'BAD_USER_INPUT', pattern);
  });

  it('refuses to grant a permission the caller does not hold', async () => {
    const h = await harness();
    const { secret } = await h.service.create({ name: 'key-manager', permissions: ['keys:manage', 'alarms:read'] }, h.admin);
    const manager = await h.service.authenticate(secret);
    await refusedWithoutChange(
      h,
      () => h.service.create({ name: 'escalated', permissions: ['credentials:manage'] }, manager),
      'FORBIDDEN',
      /A key can only grant permissions it holds; key "key-manager" lacks "credentials:manage"/,
    );
  });
});

describe('rotate', () => {
  it('keeps the old secret working until the grace period ends, then refuses it', async () => {
    const h = await harness();
    const created = await h.service.create({ name: 'dashboard' }, h.admin);
    const rotated = await h.service.rotate(created.key.id, { gracePeriodMs: HOUR }, h.admin);
    assert.notEqual(rotated.secret, created.secret);
    assert.deepEqual(rotated.key.previousSecretValidUntil, new Date(T0 + HOUR));
    assert.deepEqual(rotated.key.lastRotatedAt, new Date(T0));
    assert.equal((await h.service.authenticate(rotated.secret)).id, created.key.id);
    await h.clock.advance(HOUR - 1);
    assert.equal((await h.service.authenticate(created.secret)).id, created.key.id);
    await h.clock.advance(1);
    await assert.rejects(h.service.authenticate(created.secret), facadeError('UNAUTHENTICATED', /invalid or expired/));
    assert.equal((await h.service.authenticate(rotated.secret)).id, created.key.id);
    assert.equal((await h.service.get(created.key.id)).previousSecretValidUntil, null);
  });

  it('serves steady traffic without a single failure when the client switches within the grace period', async () => {
    const h = await harness();
    const created = await h.service.create({ name: 'steady', rotation: { interval: 'P30D', gracePeriod: 'PT10M' } }, h.admin);
    let inUse = created.secret;
    let failures = 0;
    let served = 0;
    let rotatedSecret: string | undefined;
    for (let second = 0; second < 30 * 60; second += 5) {
      if (second === 5 * 60) rotatedSecret = (await h.service.rotate(created.key.id, {}, h.admin)).secret;
      if (second === 12 * 60) inUse = rotatedSecret!;
      try {
        await h.service.authenticate(inUse);
        served += 1;
      } catch {
        failures += 1;
      }
      await h.clock.advance(5 * SECOND);
    }
    assert.equal(failures, 0);
    assert.equal(served, 360);
    await assert.rejects(h.service.authenticate(created.secret), facadeError('UNAUTHENTICATED', /invalid or expired/));
  });

  it("defaults the grace period to the key's policy, else to 24 hours", async () => {
    const h = await harness();
    const withPolicy = await h.service.create({ name: 'policy', rotation: { interval: 'P30D', gracePeriod: 'P15D' } }, h.admin);
    const withoutPolicy = await h.service.create({ name: 'plain' }, h.admin);
    assert.deepEqual((await h.service.rotate(withPolicy.key.id, {}, h.admin)).key.previousSecretValidUntil, new Date(T0 + 15 * DAY));
    assert.deepEqual((await h.service.rotate(withoutPolicy.key.id, {}, h.admin)).key.previousSecretValidUntil, new Date(T0 + DAY));
  });

  it('moves the next scheduled rotation to one interval after a manual rotation', async () => {
    const h = await harness();
    const created = await h.service.create({ name: 'policy', rotation: { interval: 'P30D', gracePeriod: 'P15D' } }, h.admin);
    await h.clock.advance(10 * DAY);
    assert.deepEqual((await h.service.rotate(created.key.id, {}, h.admin)).key.nextRotationAt, new Date(T0 + 40 * DAY));
  });

  it('with a grace period of zero ends the old secret at once', async () => {
    const h = await harness();
    const created = await h.service.create({ name: 'dashboard' }, h.admin);
    const rotated = await h.service.rotate(created.key.id, { gracePeriodMs: 0 }, h.admin);
    assert.equal(rotated.key.previousSecretValidUntil, null);
    await assert.rejects(h.service.authenticate(created.secret), facadeError('UNAUTHENTICATED', /invalid or expired/));
  });

  it("refuses a grace period not shorter than the key's interval, an unknown id, or a revoked key, changing nothing", async () => {
    const h = await harness();
    const created = await h.service.create({ name: 'policy', rotation: { interval: 'P7D', gracePeriod: 'P1D' } }, h.admin);
    await refusedWithoutChange(h, () => h.service.rotate(created.key.id, { gracePeriodMs: 7 * DAY }, h.admin), 'BAD_USER_INPUT', /shorter than this key's rotation interval P7D/);
    await refusedWithoutChange(h, () => h.service.rotate(unknownId, {}, h.admin), 'NOT_FOUND', /No API key has the id "zzzzzzzzzzzz"; apiKeys lists the existing ones\./);
    await h.service.revoke(created.key.id, h.admin);
    await refusedWithoutChange(h, () => h.service.rotate(created.key.id, {}, h.admin), 'BAD_USER_INPUT', /API key "policy" is revoked and cannot be rotated; create a new key\./);
    assert.equal((await h.service.authenticate(created.secret).catch(() => 'refused')), 'refused');
  });

  it('sends the new secret to the subscribers of that key only', async () => {
    const h = await harness();
    const created = await h.service.create({ name: 'dashboard' }, h.admin);
    const mine = h.pubsub.subscribe(Topic.ApiKeyRotated, created.key.id);
    const others = h.pubsub.subscribe(Topic.ApiKeyRotated, h.admin.id);
    const everyone = h.pubsub.subscribe(Topic.ApiKeyRotated);
    const rotated = await h.service.rotate(created.key.id, { gracePeriodMs: HOUR }, h.admin);
    assert.deepEqual((await mine.next()).value, {
      keyId: created.key.id,
      secret: rotated.secret,
      previousValidUntil: new Date(T0 + HOUR).toISOString(),
      rotatedAt: new Date(T0).toISOString(),
      trigger: 'MANUAL',
    });
    await others.return();
    await everyone.return();
    await mine.return();
  });
});

describe('reset', () => {
  it('ends the old secret at once and announces it on every replica', async () => {
    const h = await harness();
    const created = await h.service.create({ name: 'dashboard' }, h.admin);
    const revocations = h.pubsub.subscribe(Topic.ApiKeyRevoked);
    const rotations = h.pubsub.subscribe(Topic.ApiKeyRotated, created.key.id);
    const reset = await h.service.reset(created.key.id, h.admin);
    await assert.rejects(h.service.authenticate(created.secret), facadeError('UNAUTHENTICATED', /invalid or expired/));
    assert.equal((await h.service.authenticate(reset.secret)).id, created.key.id);
    assert.equal(reset.key.previousSecretValidUntil, null);
    assert.deepEqual((await revocations.next()).value, { keyId: created.key.id, reason: 'SECRET_REPLACED' });
    assert.deepEqual((await rotations.next()).value, {
      keyId: created.key.id,
      secret: reset.secret,
      previousValidUntil: null,
      rotatedAt: new Date(T0).toISOString(),
      trigger: 'RESET',
    });
    await revocations.return();
    await rotations.return();
  });

  it('also ends a previous secret still in its grace period', async () => {
    const h = await harness();
    const created = await h.service.create({ name: 'dashboard' }, h.admin);
    const rotated = await h.service.rotate(created.key.id, { gracePeriodMs: HOUR }, h.admin);
    await h.service.reset(created.key.id, h.admin);
    for (const old of [created.secret, rotated.secret]) await assert.rejects(h.service.authenticate(old), facadeError('UNAUTHENTICATED', /invalid or expired/));
  });

  it('works on the default key, which is how its secret is replaced', async () => {
    const h = await harness();
    const reset = await h.service.reset(h.admin.id, h.admin);
    await assert.rejects(h.service.authenticate(h.adminSecret), facadeError('UNAUTHENTICATED', /invalid or expired/));
    assert.equal((await h.service.authenticate(reset.secret)).isDefault, true);
  });

  it('refuses an unknown id without change', async () => {
    const h = await harness();
    await refusedWithoutChange(h, () => h.service.reset(unknownId, h.admin), 'NOT_FOUND', /No API key has the id/);
  });
});

describe('setRotation', () => {
  it('sets a policy with the next rotation one interval ahead, and removes it with null', async () => {
    const h = await harness();
    const { key } = await h.service.create({ name: 'dashboard' }, h.admin);
    const set = await h.service.setRotation(key.id, { interval: 'P30D', gracePeriod: 'P15D' }, h.admin);
    assert.deepEqual(set.key.rotation, { intervalMs: 30 * DAY, gracePeriodMs: 15 * DAY });
    assert.deepEqual(set.key.nextRotationAt, new Date(T0 + 30 * DAY));
    assert.deepEqual(set.warnings, []);
    const removed = await h.service.setRotation(key.id, null, h.admin);
    assert.equal(removed.key.rotation, null);
    assert.equal(removed.key.nextRotationAt, null);
  });

  it('enables rotation on the default key, which by default never rotates', async () => {
    const h = await harness();
    const set = await h.service.setRotation(h.admin.id, { interval: 'P1D', gracePeriod: 'PT6H' }, h.admin);
    assert.deepEqual(set.key.nextRotationAt, new Date(T0 + DAY));
    assert.match(set.warnings.join(), /not recommended/);
  });

  it('refuses a bad policy or an unknown id and keeps the old policy', async () => {
    const h = await harness();
    const { key } = await h.service.create({ name: 'dashboard', rotation: { interval: 'P30D', gracePeriod: 'P15D' } }, h.admin);
    await refusedWithoutChange(h, () => h.service.setRotation(key.id, { interval: 'PT1H', gracePeriod: 'PT0S' }, h.admin), 'BAD_USER_INPUT', /shorter than one day/);
    await refusedWithoutChange(h, () => h.service.setRotation(key.id, { interval: 'P10D', gracePeriod: 'P10D' }, h.admin), 'BAD_USER_INPUT', /must be shorter than the rotation interval/);
    await refusedWithoutChange(h, () => h.service.setRotation(unknownId, null, h.admin), 'NOT_FOUND', /No API key has the id/);
  });
});

describe('revoke', () => {
  it('refuses the key from then on, and announces it', async () => {
    const h = await harness();
    const created = await h.service.create({ name: 'dashboard' }, h.admin);
    await h.service.authenticate(created.secret);
    const revocations = h.pubsub.subscribe(Topic.ApiKeyRevoked);
    const revoked = await h.service.revoke(created.key.id, h.admin);
    assert.equal(revoked.status, 'REVOKED');
    assert.deepEqual(revoked.revokedAt, new Date(T0));
    await assert.rejects(h.service.authenticate(created.secret), facadeError('UNAUTHENTICATED', /^The API key is invalid or expired\.$/));
    assert.deepEqual((await revocations.next()).value, { keyId: created.key.id, reason: 'REVOKED' });
    await revocations.return();
  });

  it('changes nothing when the key is already revoked', async () => {
    const h = await harness();
    const { key } = await h.service.create({ name: 'dashboard' }, h.admin);
    await h.service.revoke(key.id, h.admin);
    const before = await observableState(h.service);
    await h.clock.advance(MINUTE);
    await h.service.revoke(key.id, h.admin);
    assert.deepEqual(await observableState(h.service), before);
  });

  it('reaches a replica that has the key cached, at once', async () => {
    const store = new Keyv();
    const pubsub = createMemoryPubSub();
    const a = await harness({ store, pubsub });
    const clock = new ManualClock(T0);
    const b = new ApiKeyService({ store, pubsub, logger: captureLogs().logger, clock });
    const created = await a.service.create({ name: 'dashboard' }, a.admin);
    await b.authenticate(created.secret);
    await a.service.revoke(created.key.id, a.admin);
    await new Promise((resolve) => setImmediate(resolve));
    await assert.rejects(b.authenticate(created.secret), facadeError('UNAUTHENTICATED', /invalid or expired/));
    await b.close();
    await pubsub.close();
  });

  it('refuses an unknown id without change', async () => {
    const h = await harness();
    await refusedWithoutChange(h, () => h.service.revoke(unknownId, h.admin), 'NOT_FOUND', /No API key has the id/);
  });
});

describe('delete', () => {
  it('removes the key from the list and from authentication', async () => {
    const h = await harness();
    const created = await h.service.create({ name: 'dashboard' }, h.admin);
    const deleted = await h.service.delete(created.key.id, h.admin);
    assert.equal(deleted.name, 'dashboard');
    assert.deepEqual((await h.service.list()).map((k: ApiKey) => k.id), [h.admin.id]);
    await assert.rejects(h.service.get(created.key.id), facadeError('NOT_FOUND', /No API key has the id/));
    await assert.rejects(h.service.authenticate(created.secret), facadeError('UNAUTHENTICATED', /invalid or expired/));
  });

  it('frees the name for a new key', async () => {
    const h = await harness();
    const { key } = await h.service.create({ name: 'dashboard' }, h.admin);
    await h.service.delete(key.id, h.admin);
    assert.equal((await h.service.create({ name: 'dashboard' }, h.admin)).key.name, 'dashboard');
  });

  it('refuses an unknown id without change', async () => {
    const h = await harness();
    await refusedWithoutChange(h, () => h.service.delete(unknownId, h.admin), 'NOT_FOUND', /No API key has the id/);
  });
});

describe('the audit trail', () => {
  it('records who did what to which key for each change, newest first, never a secret', async () => {
    const h = await harness();
    const created = await h.service.create({ name: 'dashboard', rotation: { interval: 'P30D', gracePeriod: 'P15D' } }, h.admin);
    await h.clock.advance(MINUTE);
    const rotated = await h.service.rotate(created.key.id, { gracePeriodMs: HOUR }, h.admin);
    await h.clock.advance(MINUTE);
    const reset = await h.service.reset(created.key.id, h.admin);
    await h.service.setRotation(created.key.id, null, h.admin);
    await h.service.revoke(created.key.id, h.admin);
    await h.service.delete(created.key.id, h.admin);
    const page = await h.service.audit.list({ first: 10 });
    const actor = { kind: 'KEY', keyId: h.admin.id, keyName: h.admin.name };
    assert.deepEqual(
      page.edges.map(({ node }) => [node.action, node.keyName, node.actor, node.details]),
      [
        ['DELETE', 'dashboard', actor, { status: 'REVOKED' }],
        ['REVOKE', 'dashboard', actor, {}],
        ['SET_ROTATION', 'dashboard', actor, { rotation: null, nextRotationAt: null }],
        ['RESET', 'dashboard', actor, { trigger: 'RESET', gracePeriod: 'PT0S', previousValidUntil: null }],
        ['ROTATE', 'dashboard', actor, { trigger: 'MANUAL', gracePeriod: 'PT1H', previousValidUntil: new Date(T0 + MINUTE + HOUR).toISOString() }],
        ['CREATE', 'dashboard', actor, { permissions: ['alarms:read'], interval: 'P30D', gracePeriod: 'P15D' }],
        ['CREATE', h.admin.name, { kind: 'SYSTEM' }, { isDefault: true, adopted: false, permissions: [...PERMISSIONS] }],
      ],
    );
    assert.deepEqual(page.edges[4]!.node.at, new Date(T0 + MINUTE));
    const everything = JSON.stringify(page) + h.logs.text();
    for (const secret of [h.adminSecret, created.secret, rotated.secret, reset.secret]) {
      assert.ok(!everything.includes(secret));
      assert.ok(!everything.includes((parseApiKey(secret) as { secret: string }).secret));
    }
  });

  it('writes each event to the log as well', async () => {
    const h = await harness();
    await h.service.create({ name: 'dashboard' }, h.admin);
    const audited = h.logs.lines().filter((line) => line.audit !== undefined);
    assert.deepEqual(
      audited.map((line) => [line.msg, (line.audit as { action: string }).action]),
      [
        [`api key create: ${h.admin.name}`, 'CREATE'],
        ['api key create: dashboard', 'CREATE'],
      ],
    );
  });
});
