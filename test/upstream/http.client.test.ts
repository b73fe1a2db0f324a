import { after, afterEach, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { FacadeError } from '../../src/errors/facade.error.js';
import type { RunningSimulator } from '../../src/simulator/simulator.js';
import { HttpClient } from '../../src/upstream/http/http.client.js';
import type { UpstreamRegistry } from '../../src/upstream/upstream.registry.js';
import {
  alarmIds,
  clientStats,
  control,
  outcomes,
  registryFor,
  requestCount,
  startTestSimulator,
} from './upstream.fixture.js';

/** Awaits a rejection and returns it as a FacadeError. */
async function failure(promise: Promise<unknown>): Promise<FacadeError> {
  const error = await promise.then(
    () => assert.fail('expected the call to fail'),
    (e: unknown) => e,
  );
  assert.ok(error instanceof FacadeError, `expected a FacadeError, got ${String(error)}`);
  return error;
}

/** Nothing a GraphQL client may see carries the upstream's address or a secret. */
function assertClean(error: FacadeError, sim: RunningSimulator): void {
  const visible = JSON.stringify({ message: error.message, extensions: error.toExtensions() });
  assert.doesNotMatch(visible, new RegExp(sim.url.replace(/[.]/g, '\\.')));
  assert.doesNotMatch(visible, /-secret/);
  assert.doesNotMatch(visible, /Bearer|Basic/);
}

describe('HttpClient against the simulator', () => {
  let sim: RunningSimulator;
  before(async () => {
    sim = await startTestSimulator();
  });
  after(async () => {
    await sim.stop();
  });
  afterEach(async () => {
    await control(sim, 'DELETE', '/faults');
  });

  it('lets idempotent calls succeed through 30% injected 503s', async () => {
    const registry = await registryFor(sim, { tuning: { retryMaxAttempts: 10 } });
    try {
      const east = registry.anywhere('acme-east');
      const ids = await alarmIds(registry, 'acme-east', 20);
      await control(sim, 'POST', '/faults', { deployment: 'acme-east', errorStatus: 503, errorRate: 0.3 });
      const calls = [
        ...Array.from({ length: 60 }, (_, i) => east.alarm(ids[i % 20]!)),
        ...ids.slice(0, 10).map((id) => east.addAlarmLabel(id, 'lbl-retry')),
      ];
      assert.deepEqual(await outcomes(calls), { ok: 70 });
      await control(sim, 'DELETE', '/faults');
      for (const id of ids.slice(0, 10)) assert.ok((await east.alarmLabels(id)).includes('lbl-retry'));
      assert.deepEqual(await outcomes(ids.slice(0, 10).map((id) => east.removeAlarmLabel(id, 'lbl-retry'))), { ok: 10 });
      const stats = await clientStats(sim, 'acme-east');
      assert.ok((stats.responses['503'] ?? 0) >= 10, `the faults were real: ${stats.responses['503']} × 503`);
    } finally {
      await registry.close();
    }
  });

  describe('with one registry', () => {
    let registry: UpstreamRegistry;
    before(async () => {
      registry = await registryFor(sim, { tuning: { breakerThreshold: 3, retryMaxAttempts: 2 } });
    });
    after(async () => {
      await registry.close();
    });

    it('answers NOT_FOUND for an unknown alarm without retrying', async () => {
      const before = (await clientStats(sim, 'acme-west')).requests['GET /alarms/{id}'] ?? 0;
      const error = await failure(registry.anywhere('acme-west').alarm('00000000-0000-0000-0000-000000000000'));
      assert.equal(error.code, 'NOT_FOUND');
      assert.equal(error.deployment, 'acme-west');
      assertClean(error, sim);
      assert.equal((await clientStats(sim, 'acme-west')).requests['GET /alarms/{id}'], before + 1);
    });

    it('answers BAD_USER_INPUT with the upstream reason when the upstream calls the request bad, without retrying', async () => {
      const before = (await clientStats(sim, 'acme-west')).requests['GET /alarms'] ?? 0;
      const error = await failure(registry.anywhere('acme-west').alarmsPage({ alarmSensorSources: 'not-a-uuid' }));
      assert.equal(error.code, 'BAD_USER_INPUT');
      assert.match(error.message, /alarm_sensor_sources must be a UUID/);
      assert.equal(error.details.upstreamStatus, 400);
      assertClean(error, sim);
      assert.equal((await clientStats(sim, 'acme-west')).requests['GET /alarms'], before + 1);
    });

    it('opens the breaker when the upstream is down, fails fast without reaching it, and closes once it is back', async (t) => {
      const west = registry.anywhere('acme-west');
      await west.alarmsPage({ size: 1 });
      await control(sim, 'POST', '/faults', { deployment: 'acme-west', resetRate: 1 });
      for (let i = 0; i < 3; i += 1) {
        const error = await failure(west.alarmsPage({ size: 1 }));
        assert.equal(error.code, 'UPSTREAM_UNAVAILABLE');
        assertClean(error, sim);
      }
      const reached = requestCount(await clientStats(sim, 'acme-west'));
      for (let i = 0; i < 10; i += 1) {
        const error = await failure(west.alarmsPage({ size: 1 }));
        assert.equal(error.code, 'UPSTREAM_UNAVAILABLE');
        assert.equal(error.details.breakerOpen, true);
        assert.match(error.message, /acme-west is unavailable/);
      }
      assert.equal(requestCount(await clientStats(sim, 'acme-west')), reached, 'an open breaker sends nothing');

      await control(sim, 'DELETE', '/faults');
      // The breaker (cockatiel) reads Date.now: move it past breakerHalfOpenAfterMs (200 in these tests).
      t.mock.timers.enable({ apis: ['Date'], now: Date.now() });
      t.mock.timers.tick(250);
      assert.deepEqual(await outcomes(Array.from({ length: 5 }, () => west.alarmsPage({ size: 1 }))), { ok: 5 });
    });

    it('does not open the breaker for attempts cut short by their own deadline: the upstream was slow for them, not down', async () => {
      const east = registry.anywhere('acme-east');
      await east.alarmsPage({ size: 1 });
      await control(sim, 'POST', '/faults', { deployment: 'acme-east', latencyMs: 400 });
      for (let i = 0; i < 5; i += 1) {
        const error = await failure(east.alarmsPage({ size: 1 }, { caller: 'k', workClass: 'INTERACTIVE', deadline: Date.now() + 100 }));
        assert.equal(error.code, 'UPSTREAM_TIMEOUT');
      }
      await control(sim, 'DELETE', '/faults');
      assert.equal(registry.health().find((h) => h.upstream === 'acme-east')?.breaker, 'closed', 'five deadlines in a row (the threshold is 3)');
      assert.deepEqual(await outcomes([east.alarmsPage({ size: 1 })]), { ok: 1 });
    });

    it('gives up on a 429 whose Retry-After is longer than the queue limit, with UPSTREAM_RATE_LIMITED', async () => {
      const lab = registry.anywhere('acme-lab');
      await lab.alarmsPage({ size: 1 });
      await control(sim, 'POST', '/faults', { deployment: 'acme-lab', errorStatus: 429, retryAfterSeconds: 60 });
      const before = (await clientStats(sim, 'acme-lab')).requests['GET /alarms'] ?? 0;
      const error = await failure(lab.alarmsPage({ size: 1 }));
      assert.equal(error.code, 'UPSTREAM_RATE_LIMITED');
      assert.equal(error.details.retryAfterMs, 60_000);
      assert.equal((await clientStats(sim, 'acme-lab')).requests['GET /alarms'], before + 1, 'not retried');
    });
  });

  it('retries a 429 after its Retry-After and reports UPSTREAM_RATE_LIMITED when every attempt is refused', async () => {
    const registry = await registryFor(sim, { tuning: { retryMaxAttempts: 3 } });
    try {
      const east = registry.anywhere('acme-east');
      await east.alarmsPage({ size: 1 });
      await control(sim, 'POST', '/faults', { deployment: 'acme-east', errorStatus: 429, retryAfterSeconds: 0 });
      const before = (await clientStats(sim, 'acme-east')).requests['GET /alarms'] ?? 0;
      const error = await failure(east.alarmsPage({ size: 1 }));
      assert.equal(error.code, 'UPSTREAM_RATE_LIMITED');
      assert.equal((await clientStats(sim, 'acme-east')).requests['GET /alarms'], before + 3);
    } finally {
      await registry.close();
    }
  });

  it('reports a dead token endpoint as UPSTREAM_UNAVAILABLE naming the token request, and recovers', async () => {
    const registry = await registryFor(sim);
    try {
      await control(sim, 'POST', '/faults', { deployment: 'acme-lab', tokenEndpointDown: true });
      const error = await failure(registry.anywhere('acme-lab').alarmsPage({ size: 1 }));
      assert.equal(error.code, 'UPSTREAM_UNAVAILABLE');
      assert.equal(error.deployment, 'acme-lab');
      assert.match(error.message, /could not obtain an access token for client ID "acme-lab-client"/);
      assertClean(error, sim);
      await control(sim, 'DELETE', '/faults');
      const page = await registry.anywhere('acme-lab').alarmsPage({ size: 1 });
      assert.equal(page.items.length, 1, 'the facade stayed up and serves once the endpoint is back');
    } finally {
      await registry.close();
    }
  });

  it('answers UPSTREAM_TIMEOUT when the upstream answers too slowly', async () => {
    const registry = await registryFor(sim, { tuning: { requestTimeoutMs: 100, retryMaxAttempts: 1 } });
    try {
      const east = registry.anywhere('acme-east');
      await east.alarmsPage({ size: 1 });
      await control(sim, 'POST', '/faults', { deployment: 'acme-east', latencyMs: 400 });
      const error = await failure(east.alarmsPage({ size: 1 }));
      assert.equal(error.code, 'UPSTREAM_TIMEOUT');
      assert.match(error.message, /acme-east did not answer GET \/alarms in time/);
      assertClean(error, sim);
    } finally {
      await registry.close();
    }
  });
});

describe('HttpClient.linkTarget', () => {
  const http = new HttpClient({ deployment: 'acme-east', baseUrl: 'http://127.0.0.1:9/acme-east/api/2.0' });
  after(async () => {
    await http.close();
  });

  it('follows a link under the configured base with its query', () => {
    const target = http.linkTarget('http://127.0.0.1:9/acme-east/api/2.0/alarms?page=2&size=20&sort=timestamp_occured,desc');
    assert.equal(target.path, '/alarms');
    assert.equal(target.query.toString(), 'page=2&size=20&sort=timestamp_occured%2Cdesc');
  });

  it('takes only the path of a link on another host, so requests stay on the configured origin', () => {
    assert.equal(http.linkTarget('https://evil.example/acme-east/api/2.0/alarms?page=1').path, '/alarms');
    assert.equal(http.linkTarget('https://acme-east.alienvault.cloud/api/2.0/events?page=3').path, '/events');
  });

  it('refuses a link outside the API as UPSTREAM_INVALID_RESPONSE', () => {
    for (const href of ['https://acme-east.alienvault.cloud/admin', 'http://127.0.0.1:9/acme-east/api/2.0/../../secret']) {
      assert.throws(() => http.linkTarget(href), { code: 'UPSTREAM_INVALID_RESPONSE' });
    }
  });
});
