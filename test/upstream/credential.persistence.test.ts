import { after, afterEach, before, beforeEach, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openBackplane } from '../../src/backplane/backplane.js';
import type { SecretKey } from '../../src/config/secret.key.js';
import { CredentialVault } from '../../src/credentials/credential.vault.js';
import type { RunningSimulator } from '../../src/simulator/simulator.js';
import { connectRedis } from '../../src/store/redis.connection.js';
import { createStore } from '../../src/store/store.factory.js';
import type { UpstreamRegistry } from '../../src/upstream/upstream.registry.js';
import { ManualClock } from '../support/manual.clock.js';
import { captureLogs, createClient, deleteClient, OPERATOR, randomSecretKey, steadyTraffic, type NewClient } from './credential.fixture.js';
import {
  clientStats,
  control,
  deleteRedisKeys,
  REDIS_URL,
  registryFor,
  startTestSimulator,
  targetsOf,
  uniquePrefix,
} from './upstream.fixture.js';

describe('rotated credentials across restarts (SQLite vault)', () => {
  let sim: RunningSimulator;
  let dir: string;
  let key: SecretKey;
  const opened: Array<{ close(): Promise<void> }> = [];
  beforeEach(async () => {
    sim = await startTestSimulator({ alarmsPerDeployment: 10 });
    dir = mkdtempSync(join(tmpdir(), 'usm-vault-test-'));
    key = randomSecretKey();
  });
  afterEach(async () => {
    for (const thing of opened.splice(0).reverse()) await thing.close();
    await sim.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  /** A registry over the configured (original) credentials and the vault file in `dir`. */
  async function start(secretKey: SecretKey | undefined, options: { logs?: ReturnType<typeof captureLogs>; eastClientId?: string } = {}) {
    const store = createStore({ namespace: 'credentials', sqlitePath: join(dir, 'facade.sqlite') });
    opened.push({ close: () => store.disconnect() });
    const vault = new CredentialVault({ store, secretKey });
    const targets = targetsOf(sim).map((t) =>
      t.name === 'acme-east' && options.eastClientId !== undefined ? { ...t, clientId: options.eastClientId, clientSecret: 'manual-secret' } : t,
    );
    const registry = await registryFor(sim, { vault, targets, logger: options.logs?.logger });
    opened.push(registry);
    return registry;
  }

  async function rotateEast(registry: UpstreamRegistry): Promise<{ fresh: NewClient; rotatedAt: Date }> {
    const fresh = await createClient(sim, 'acme-east');
    const [entry] = (await registry.rotateCredentials([fresh], OPERATOR)).entries;
    assert.equal(entry!.status, 'ROTATED');
    return { fresh, rotatedAt: entry!.rotatedAt! };
  }

  it('uses the rotated credential after a restart, and the file holds no secret in clear', async () => {
    const first = await start(key);
    const { fresh, rotatedAt } = await rotateEast(first);
    await deleteClient(sim, 'acme-east', 'acme-east-client');

    const logs = captureLogs();
    const second = await start(key, { logs });
    const east = second.credentials()[0]!;
    assert.equal(east.clientId, fresh.clientId);
    assert.deepEqual(east.lastRotatedAt, rotatedAt);
    await control(sim, 'POST', '/stats/reset');
    assert.equal((await second.anywhere('acme-east').alarmsPage({ size: 3 })).items.length, 3);
    assert.equal((await clientStats(sim, 'acme-east', fresh.clientId)).requests['GET /alarms'], 1);
    assert.match(logs.text(), /using the rotated upstream credential from the vault instead of the configured one/);

    const files = readdirSync(dir).map((name) => readFileSync(join(dir, name)));
    assert.ok(files.some((bytes) => bytes.includes(fresh.clientId)), 'the record is in the file');
    assert.ok(!files.some((bytes) => bytes.includes(fresh.clientSecret)), 'the secret is not, in clear');
    assert.ok(!logs.text().includes(fresh.clientSecret));
  });

  it('lets a configuration that names another client ID after the rotation win, with a warning', async () => {
    const first = await start(key);
    await rotateEast(first);
    const manual = (await control(sim, 'POST', '/clients', { deployment: 'acme-east', clientId: 'east-manual', clientSecret: 'manual-secret' })) as NewClient;
    const logs = captureLogs();
    const second = await start(key, { logs, eastClientId: manual.clientId });
    assert.equal(second.credentials()[0]!.clientId, 'east-manual');
    assert.equal(second.credentials()[0]!.lastRotatedAt, undefined);
    assert.match(logs.text(), /ignoring the rotated upstream credential in the vault: the configured client ID is neither it nor one it replaced/);
    await second.anywhere('acme-east').alarmsPage({ size: 1 });
  });

  it('keeps the configured credential, and says why, when FACADE_SECRET_KEY cannot open the vault', async () => {
    const first = await start(key);
    const { fresh } = await rotateEast(first);
    for (const [other, reason] of [
      [randomSecretKey(), /FACADE_SECRET_KEY is not the key it was sealed with/],
      [undefined, /FACADE_SECRET_KEY is not set/],
    ] as const) {
      const logs = captureLogs();
      const second = await start(other, { logs });
      assert.equal(second.credentials()[0]!.clientId, 'acme-east-client');
      assert.match(logs.text(), reason);
      assert.ok(!logs.text().includes(fresh.clientSecret));
    }
  });
});

describe('rotated credentials across replicas (Redis)', () => {
  let sim: RunningSimulator;
  let prefix: string;
  const opened: Array<{ close(): Promise<void> }> = [];
  const key = randomSecretKey();
  before(async () => {
    sim = await startTestSimulator({ alarmsPerDeployment: 10 });
  });
  after(async () => {
    await sim.stop();
  });
  beforeEach(() => {
    prefix = uniquePrefix();
  });
  afterEach(async () => {
    for (const thing of opened.splice(0).reverse()) await thing.close();
    await deleteRedisKeys(prefix);
  });

  async function replica(credentialPollIntervalMs = 0, clock?: ManualClock): Promise<UpstreamRegistry> {
    const backplane = await openBackplane({ redisUrl: REDIS_URL, redisPrefix: prefix });
    opened.push(backplane);
    const registry = await registryFor(sim, {
      backplane,
      vault: new CredentialVault({ store: backplane.store('credentials', { persistent: true }), secretKey: key }),
      credentialPollIntervalMs,
      clock,
    });
    opened.push(registry);
    return registry;
  }

  it('moves the other replica to the new client when the old one is deleted, with 0 failed calls', async () => {
    const [a, b] = [await replica(), await replica()];
    const onA = steadyTraffic(() => a.anywhere('acme-lab').alarmsPage({ size: 1 }), 2);
    const onB = steadyTraffic(() => b.anywhere('acme-lab').alarmsPage({ size: 1 }), 2);
    let fresh: NewClient;
    let grantsToNewClient: number;
    try {
      await Promise.all([onA.settled(10), onB.settled(10)]);
      fresh = await createClient(sim, 'acme-lab');
      assert.equal((await a.rotateCredentials([fresh], OPERATOR)).entries[0]!.status, 'ROTATED');
      await control(sim, 'POST', '/stats/reset');
      await onB.settled(10);
      await deleteClient(sim, 'acme-lab', 'acme-lab-client');
      await Promise.all([onA.settled(20), onB.settled(20)]);
      grantsToNewClient = (await clientStats(sim, 'acme-lab', fresh.clientId)).tokensGranted;
      await control(sim, 'POST', '/stats/reset');
      await Promise.all([onA.settled(20), onB.settled(20)]);
    } finally {
      const results = await Promise.all([onA.stop(), onB.stop()]);
      assert.deepEqual(
        results.map((r) => r.failures),
        [[], []],
        'no call failed on either replica',
      );
    }
    assert.equal(b.credentials().find((c) => c.deployment === 'acme-lab')!.clientId, fresh.clientId);
    const newClient = await clientStats(sim, 'acme-lab', fresh.clientId);
    assert.ok((newClient.requests['GET /alarms'] ?? 0) >= 40, 'both replicas call with the new client');
    assert.equal(grantsToNewClient!, 0, "B took A's token from Redis instead of asking for its own");
    assert.equal((await clientStats(sim, 'acme-lab', 'acme-lab-client')).requests['GET /alarms'], undefined, 'nobody uses the old client');
  });

  it('moves the other replica to the new client within one poll interval, before the old client is deleted', async () => {
    const a = await replica();
    const clock = new ManualClock();
    const b = await replica(10_000, clock);
    await b.anywhere('acme-west').alarmsPage({ size: 1 });
    const fresh = await createClient(sim, 'acme-west');
    await a.rotateCredentials([fresh], OPERATOR);
    const westOnB = () => b.credentials().find((c) => c.deployment === 'acme-west')!;
    assert.equal(westOnB().clientId, 'acme-west-client', 'B has not looked yet');
    await clock.advance(10_000);
    for (let turns = 0; westOnB().clientId !== fresh.clientId && turns < 1_000; turns += 1) {
      await new Promise((resolve) => setImmediate(resolve));
    }
    assert.equal(westOnB().clientId, fresh.clientId);
    assert.deepEqual(westOnB().lastRotatedAt, a.credentials().find((c) => c.deployment === 'acme-west')!.lastRotatedAt);
    await control(sim, 'POST', '/stats/reset');
    await b.anywhere('acme-west').alarmsPage({ size: 1 });
    assert.equal((await clientStats(sim, 'acme-west', fresh.clientId)).requests['GET /alarms'], 1, 'B calls with the new client');
    assert.equal((await clientStats(sim, 'acme-west')).requests['GET /alarms'], undefined, 'and no longer with the old token');
  });

  it('starts a rotation on one replica from the client another just rotated to, though its poll has not seen it yet', async () => {
    const [a, b] = [await replica(), await replica()];
    const first = await createClient(sim, 'acme-east');
    await a.rotateCredentials([first], OPERATOR);
    assert.equal(b.credentials().find((c) => c.deployment === 'acme-east')!.clientId, 'acme-east-client', 'B has not looked yet');
    const second = await createClient(sim, 'acme-east');
    const [entry] = (await b.rotateCredentials([second], OPERATOR)).entries;
    assert.equal(entry!.status, 'ROTATED');
    assert.equal(entry!.previousClientId, first.clientId, 'B replaced the client in use, not the one it had last seen');
  });

  it('keeps no secret in clear in Redis', async () => {
    const a = await replica();
    const fresh = await createClient(sim, 'central');
    await a.rotateCredentials([fresh], OPERATOR);
    const redis = await connectRedis(REDIS_URL);
    try {
      const keys: string[] = [];
      for await (const batch of redis.scanIterator({ MATCH: `${prefix}*`, COUNT: 500 })) keys.push(...batch);
      const values: string[] = [];
      for (const k of keys) if ((await redis.type(k)) === 'string') values.push((await redis.get(k)) ?? '');
      assert.ok(values.some((v) => v.includes(fresh.clientId)), 'the rotated credential is stored');
      assert.ok(!values.some((v) => v.includes(fresh.clientSecret)), 'its secret is not, in clear');
    } finally {
      redis.destroy();
    }
  });
});
