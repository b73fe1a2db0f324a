import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Keyv from 'keyv';
import KeyvSqlite from '@keyv/sqlite';
import { ApiKeyService } from '../../src/keys/api-key.service.js';
import { parseApiKey } from '../../src/keys/api-key.format.js';
import { createMemoryPubSub } from '../../src/live/pubsub.js';
import { ManualClock } from '../support/manual.clock.js';
import { captureLogs, DAY, facadeError, HOUR, T0 } from './keys.fixture.js';

describe('a restart over the same SQLite store', () => {
  let dir: string;
  const stores: Keyv[] = [];
  const openStore = () => {
    const store = new Keyv({ store: new KeyvSqlite(`sqlite://${join(dir, 'keys.sqlite')}`) });
    stores.push(store);
    return store;
  };

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'usmf-keys-'));
  });
  after(async () => {
    for (const store of stores) await store.disconnect();
    await rm(dir, { recursive: true, force: true });
  });

  it('keeps every key, policy and audit event, and the store and logs hold no secret', async () => {
    const clock = new ManualClock(T0);
    const firstLogs = captureLogs();
    const firstStore = openStore();
    const first = new ApiKeyService({ store: firstStore, pubsub: createMemoryPubSub(), logger: firstLogs.logger, clock });
    const ensured = await first.ensureDefaultKey({ tenant: 'acme' });
    assert.equal(ensured.outcome, 'CREATED');
    const adminSecret = (ensured as { secret: string }).secret;
    const admin = ensured.key;
    const dashboard = await first.create({ name: 'dashboard', rotation: { interval: 'P30D', gracePeriod: 'P15D' } }, admin);
    const labeler = await first.create({ name: 'labeler', permissions: ['alarms:read', 'alarms:write'] }, admin);
    const retired = await first.create({ name: 'retired' }, admin);
    await clock.advance(HOUR);
    const rotated = await first.rotate(dashboard.key.id, { gracePeriodMs: DAY }, admin);
    await first.setRotation(labeler.key.id, { interval: 'P7D', gracePeriod: 'P1D' }, admin);
    await first.revoke(retired.key.id, admin);
    await first.authenticate(adminSecret);
    const keysBefore = await first.list();
    const auditBefore = await first.audit.list({ first: 100 });
    await first.close();
    await firstStore.disconnect();
    stores.splice(stores.indexOf(firstStore), 1);

    const secondLogs = captureLogs();
    const second = new ApiKeyService({ store: openStore(), pubsub: createMemoryPubSub(), logger: secondLogs.logger, clock });
    assert.deepEqual(await second.list(), keysBefore);
    assert.deepEqual(await second.audit.list({ first: 100 }), auditBefore);
    assert.equal(auditBefore.edges.length, 7);
    assert.deepEqual((await second.ensureDefaultKey({ tenant: 'acme' })).outcome, 'EXISTING');
    assert.equal((await second.authenticate(adminSecret)).id, admin.id);
    assert.equal((await second.authenticate(rotated.secret)).id, dashboard.key.id);
    assert.equal((await second.authenticate(dashboard.secret)).id, dashboard.key.id, 'the previous secret is still in its grace period');
    assert.equal((await second.authenticate(labeler.secret)).name, 'labeler');
    await assert.rejects(second.authenticate(retired.secret), facadeError('UNAUTHENTICATED', /invalid or expired/));
    await second.close();

    const files = await readdir(dir);
    assert.ok(files.includes('keys.sqlite'));
    const stored = (await Promise.all(files.map((file) => readFile(join(dir, file))))).map((bytes) => bytes.toString('latin1')).join('\n');
    assert.ok(stored.includes('dashboard'), 'the store file is readable as text, so the search below means something');
    const logs = firstLogs.text() + secondLogs.text();
    for (const text of [adminSecret, dashboard.secret, rotated.secret, labeler.secret, retired.secret]) {
      const { secret } = parseApiKey(text) as { secret: string };
      assert.ok(!stored.includes(text) && !stored.includes(secret), 'no secret in the store');
      assert.ok(!logs.includes(text) && !logs.includes(secret), 'no secret in the logs');
    }
  });
});
