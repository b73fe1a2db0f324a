import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { RunningSimulator } from '../../src/simulator/simulator.js';
import { clientStats, outcomes, registryFor, startTestSimulator } from './upstream.fixture.js';

interface TokenGrant {
  deployment: string;
  at: number;
}

async function tokenGrants(sim: RunningSimulator, deployment: string): Promise<TokenGrant[]> {
  const stats = (await (await fetch(`${sim.url}/__sim/stats`)).json()) as { tokenGrants: TokenGrant[] };
  return stats.tokenGrants.filter((grant) => grant.deployment === deployment);
}

describe('tokens of requests that wait in the budget queue', () => {
  let sim: RunningSimulator;
  before(async () => {
    sim = await startTestSimulator({ tokenLifetimeSeconds: 1, deployments: ['acme-east'] });
  });
  after(async () => {
    await sim.stop();
  });

  it('serves a queue 5 s deep with 1 s tokens: no failure, no 401, a new token only when the last one ran out', async () => {
    // 500 GETs at once are five windows of the budget: most wait longer than a token lives.
    const registry = await registryFor(sim, { tuning: { queueMaxWaitMs: 20_000 } });
    try {
      const east = registry.anywhere('acme-east');
      const calls = Array.from({ length: 500 }, (_, i) => east.alarmsPage({ size: 1, page: i % 100 }));
      assert.deepEqual(await outcomes(calls), { ok: 500 });
      const stats = await clientStats(sim, 'acme-east');
      assert.equal(stats.requests['GET /alarms'], 500, 'each call went out once');
      assert.equal(stats.responses['401'], undefined, 'no request carried a token that had run out');
      const grants = await tokenGrants(sim, 'acme-east');
      assert.ok(grants.length >= 5, `${grants.length} tokens for five seconds of 1 s tokens`);
      for (let i = 1; i < grants.length; i += 1) {
        // A token is replaced from 80% of its life on (the refresh margin), never sooner.
        const gap = grants[i]!.at - grants[i - 1]!.at;
        assert.ok(gap >= 700, `token ${i + 1} was asked for ${gap} ms after the one before, while that one was still good`);
      }
    } finally {
      await registry.close();
    }
  });
});
