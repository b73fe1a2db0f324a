import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { RunningSimulator } from '../../src/simulator/simulator.js';
import type { UpstreamRegistry } from '../../src/upstream/upstream.registry.js';
import { ManualClock } from '../support/manual.clock.js';
import { createClient, memoryVault, OPERATOR } from './credential.fixture.js';
import { control, registryFor, startTestSimulator } from './upstream.fixture.js';

describe('the credentials report', () => {
  const clock = new ManualClock(Date.parse('2026-02-01T09:00:00.000Z'));
  let sim: RunningSimulator;
  let registry: UpstreamRegistry;
  before(async () => {
    sim = await startTestSimulator({ now: clock.now, alarmsPerDeployment: 10 });
    // Retries go out without a backoff: this clock moves only when a test moves it.
    registry = await registryFor(sim, { clock, vault: memoryVault(), tuning: { retryBaseDelayMs: 0 } });
  });
  after(async () => {
    await registry.close();
    await sim.stop();
  });

  const statusOf = (deployment: string) => registry.credentials().find((c) => c.deployment === deployment)!;

  it('lists every deployment, then Central, as UNKNOWN before any request', () => {
    assert.deepEqual(registry.credentials(), [
      { api: 'anywhere', deployment: 'acme-east', clientId: 'acme-east-client', state: 'UNKNOWN' },
      { api: 'anywhere', deployment: 'acme-lab', clientId: 'acme-lab-client', state: 'UNKNOWN' },
      { api: 'anywhere', deployment: 'acme-west', clientId: 'acme-west-client', state: 'UNKNOWN' },
      { api: 'central', deployment: 'central', clientId: 'central-client', state: 'UNKNOWN' },
    ]);
  });

  it('shows WORKING and the token expiry once a call went through', async () => {
    const startedAt = clock.now();
    await registry.anywhere('acme-east').alarmsPage({ size: 1 });
    assert.deepEqual(statusOf('acme-east'), {
      api: 'anywhere',
      deployment: 'acme-east',
      clientId: 'acme-east-client',
      state: 'WORKING',
      tokenExpiresAt: new Date(startedAt + 899_000),
    });
  });

  it('shows FAILING with the error code and time when the upstream refuses the credential', async () => {
    await clock.advance(2_000);
    await registry.anywhere('acme-west').alarmsPage({ size: 1 });
    await control(sim, 'POST', '/clients/disable', { deployment: 'acme-west', clientId: 'acme-west-client' });
    await clock.advance(2_000);
    const failedAt = clock.now();
    await assert.rejects(registry.anywhere('acme-west').alarmsPage({ size: 1 }), { code: 'UPSTREAM_AUTH_FAILED' });
    assert.deepEqual(statusOf('acme-west'), {
      api: 'anywhere',
      deployment: 'acme-west',
      clientId: 'acme-west-client',
      state: 'FAILING',
      lastErrorCode: 'UPSTREAM_AUTH_FAILED',
      lastErrorAt: new Date(failedAt),
    });
  });

  it('shows FAILING with UPSTREAM_UNAVAILABLE when the token endpoint is down', async () => {
    await clock.advance(2_000);
    await control(sim, 'POST', '/faults', { deployment: 'acme-lab', tokenEndpointDown: true });
    try {
      await assert.rejects(registry.anywhere('acme-lab').alarmsPage({ size: 1 }), { code: 'UPSTREAM_UNAVAILABLE' });
    } finally {
      await control(sim, 'DELETE', '/faults');
    }
    assert.equal(statusOf('acme-lab').state, 'FAILING');
    assert.equal(statusOf('acme-lab').lastErrorCode, 'UPSTREAM_UNAVAILABLE');
    await clock.advance(2_000);
    await registry.anywhere('acme-lab').alarmsPage({ size: 1 });
    assert.equal(statusOf('acme-lab').state, 'WORKING', 'working again once a token is granted');
    assert.equal(statusOf('acme-lab').lastErrorCode, 'UPSTREAM_UNAVAILABLE', 'the last error is still shown');
  });

  it('shows the new client ID, WORKING and the rotation time after a rotation', async () => {
    await clock.advance(2_000);
    const fresh = await createClient(sim, 'acme-west');
    const rotatedAt = clock.now();
    const report = await registry.rotateCredentials([fresh], OPERATOR);
    assert.equal(report.entries[0]!.status, 'ROTATED');
    assert.deepEqual(report.entries[0]!.rotatedAt, new Date(rotatedAt));
    assert.deepEqual(statusOf('acme-west'), {
      api: 'anywhere',
      deployment: 'acme-west',
      clientId: fresh.clientId,
      state: 'WORKING',
      tokenExpiresAt: new Date(rotatedAt + 899_000),
      lastRotatedAt: new Date(rotatedAt),
    });
    const everything = JSON.stringify(registry.credentials());
    for (const secret of [fresh.clientSecret, 'acme-east-secret', 'acme-west-secret', 'acme-lab-secret', 'central-secret']) {
      assert.ok(!everything.includes(secret), 'no secret in the report');
    }
  });
});
