import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { RunningSimulator } from '../../src/simulator/simulator.js';
import { FacadeError } from '../../src/errors/facade.error.js';
import { connectRedis, type RedisConnection } from '../../src/store/redis.connection.js';
import { createStore } from '../../src/store/store.factory.js';
import { RedisTokenLock } from '../../src/upstream/auth/token.lock.js';
import { credentialKey, expiryMarginMs, TokenManager, type StoredToken } from '../../src/upstream/auth/token.manager.js';
import { HttpClient } from '../../src/upstream/http/http.client.js';
import { ManualClock } from '../support/manual.clock.js';
import {
  alarmIds,
  clientStats,
  control,
  deleteRedisKeys,
  FAST_TUNING,
  outcomes,
  REDIS_URL,
  registryFor,
  silentLogger,
  startTestSimulator,
  uniquePrefix,
} from './upstream.fixture.js';

function managerFor(sim: RunningSimulator, deployment = 'acme-east', secret?: string) {
  const target = sim.deployments.find((d) => d.name === deployment)!;
  const http = new HttpClient({ deployment, baseUrl: target.url, tuning: FAST_TUNING, logger: silentLogger });
  const tokens = new TokenManager({
    deployment,
    clientId: target.clientId,
    clientSecret: secret ?? target.clientSecret,
    http,
    key: credentialKey(target.url, target.clientId),
    logger: silentLogger,
  });
  return {
    http,
    tokens,
    async close() {
      await tokens.close();
      await http.close();
    },
  };
}

describe('TokenManager', () => {
  it('uses a token until min(30 s, 10% of its lifetime) before it expires', () => {
    assert.equal(expiryMarginMs(899_000), 30_000);
    assert.equal(expiryMarginMs(3_000), 300);
    assert.equal(expiryMarginMs(300_000), 30_000);
  });

  describe('against the simulator', () => {
    let sim: RunningSimulator;
    before(async () => {
      sim = await startTestSimulator();
    });
    after(async () => {
      await sim.stop();
    });

    it('asks for one token when 1000 requests start cold', async () => {
      const { tokens, close } = managerFor(sim, 'acme-east');
      try {
        const granted = await Promise.all(Array.from({ length: 1000 }, () => tokens.token()));
        assert.equal(new Set(granted).size, 1, 'every caller got the same token');
        const stats = await clientStats(sim, 'acme-east');
        assert.equal(stats.tokensGranted, 1);
        assert.equal(stats.requests['POST /oauth/token'], 1);
      } finally {
        await close();
      }
    });

    it('drops a refused token only while it is still the current one', async () => {
      const { tokens, close } = managerFor(sim, 'acme-west');
      try {
        const first = await tokens.token();
        tokens.invalidate('some-older-token');
        assert.equal(await tokens.token(), first, 'an outdated refusal changes nothing');
        tokens.invalidate(first);
        const second = await tokens.token();
        assert.notEqual(second, first);
        tokens.invalidate(first);
        assert.equal(await tokens.token(), second, 'a late 401 for the old token keeps the new one');
        assert.equal((await clientStats(sim, 'acme-west')).tokensGranted, 2);
      } finally {
        await close();
      }
    });

    it('reports a refused client as UPSTREAM_AUTH_FAILED naming the deployment and client ID, never the secret', async () => {
      const secret = 'wrong-secret-7f3a';
      const { tokens, close } = managerFor(sim, 'acme-lab', secret);
      try {
        const error = await tokens.token().then(
          () => assert.fail('a wrong secret must not get a token'),
          (e: unknown) => e,
        );
        assert.ok(error instanceof FacadeError);
        assert.equal(error.code, 'UPSTREAM_AUTH_FAILED');
        assert.equal(error.deployment, 'acme-lab');
        assert.match(error.message, /acme-lab/);
        assert.match(error.message, /acme-lab-client/);
        assert.doesNotMatch(JSON.stringify({ message: error.message, ext: error.toExtensions() }), new RegExp(secret));
        assert.doesNotMatch(error.message, /127\.0\.0\.1/);
        assert.equal((await clientStats(sim, 'acme-lab')).requests['POST /oauth/token'], 1, 'a 401 is not retried');
      } finally {
        await close();
      }
    });
  });

  it('keeps every call succeeding across several token expiries', async () => {
    const clock = new ManualClock(1_790_812_800_000);
    const sim = await startTestSimulator({ now: clock.now, tokenLifetimeSeconds: 3 });
    const registry = await registryFor(sim, { clock });
    try {
      const east = registry.anywhere('acme-east');
      const ids = await alarmIds(registry, 'acme-east', 20);
      const calls: Promise<unknown>[] = [];
      // 9 s of simulated time: three token lifetimes, 20 calls every 300 ms (67 GET/s).
      for (let step = 0; step < 30; step += 1) {
        await clock.advance(300);
        const batch = ids.map((id) => east.alarm(id));
        calls.push(...batch);
        await Promise.allSettled(batch);
      }
      assert.deepEqual(await outcomes(calls), { ok: 600 });
      const stats = await clientStats(sim, 'acme-east');
      assert.equal(stats.responses['401'], undefined, 'tokens were refreshed before they expired, never after');
      assert.ok(stats.tokensGranted >= 3, `one token per lifetime at least; got ${stats.tokensGranted}`);
    } finally {
      await registry.close();
      await sim.stop();
    }
  });

  it('lets every call succeed with exactly one new token when the token is revoked mid-traffic', async () => {
    const sim = await startTestSimulator();
    const registry = await registryFor(sim);
    try {
      const east = registry.anywhere('acme-east');
      const ids = await alarmIds(registry, 'acme-east', 20);
      let done = 0;
      let revoked: Promise<unknown> | undefined;
      const calls = Array.from({ length: 200 }, (_, i) =>
        east.alarm(ids[i % ids.length]!).finally(() => {
          done += 1;
          if (done === 50) revoked = control(sim, 'POST', '/tokens/revoke', { deployment: 'acme-east' });
        }),
      );
      assert.deepEqual(await outcomes(calls), { ok: 200 });
      await revoked;
      const stats = await clientStats(sim, 'acme-east');
      assert.ok((stats.responses['401'] ?? 0) > 0, 'the revocation hit calls in flight');
      assert.equal(stats.tokensGranted, 2, 'the first token and exactly one after the revocation');
    } finally {
      await registry.close();
      await sim.stop();
    }
  });

  it('ends in UPSTREAM_AUTH_FAILED naming the client when its API client is disabled mid-traffic', async () => {
    const sim = await startTestSimulator();
    const registry = await registryFor(sim);
    try {
      const west = registry.anywhere('acme-west');
      await west.alarmsPage({ size: 1 });
      await control(sim, 'POST', '/clients/disable', { deployment: 'acme-west', clientId: 'acme-west-client' });
      const error = await west.alarmsPage({ size: 1 }).then(
        () => assert.fail('a disabled client must not be served'),
        (e: unknown) => e as FacadeError,
      );
      assert.equal(error.code, 'UPSTREAM_AUTH_FAILED');
      assert.match(error.message, /acme-west: the token endpoint refused client ID "acme-west-client" \(401\)/);
      const stats = await clientStats(sim, 'acme-west');
      assert.equal(stats.requests['POST /oauth/token'], 2, 'one new token was asked for, once');
    } finally {
      await registry.close();
      await sim.stop();
    }
  });

  describe('with replicas sharing Redis', () => {
    let sim: RunningSimulator;
    let redis: RedisConnection;
    const prefix = uniquePrefix();
    before(async () => {
      sim = await startTestSimulator();
      redis = await connectRedis(REDIS_URL);
    });
    after(async () => {
      redis.destroy();
      await deleteRedisKeys(prefix);
      await sim.stop();
    });

    it('asks for one token between them however many callers each replica has', async () => {
      const target = sim.deployments[0]!;
      const key = credentialKey(target.url, target.clientId);
      const replicas = [0, 1].map(() => {
        const http = new HttpClient({ deployment: target.name, baseUrl: target.url, tuning: FAST_TUNING });
        const store = createStore<StoredToken>({ namespace: `${prefix}tokens`, redis });
        const tokens = new TokenManager({
          deployment: target.name,
          clientId: target.clientId,
          clientSecret: target.clientSecret,
          http,
          key,
          store,
          lock: new RedisTokenLock(redis, prefix),
        });
        return { http, tokens };
      });
      try {
        const granted = await Promise.all(replicas.flatMap((r) => Array.from({ length: 300 }, () => r.tokens.token())));
        assert.equal(new Set(granted).size, 1, 'both replicas use the one token');
        assert.equal((await clientStats(sim, target.name)).tokensGranted, 1);
      } finally {
        for (const r of replicas) await r.http.close();
      }
    });
  });
});
