/**
 * Whole-operation admission through a facade: the server's cost estimate reaches the
 * rate budget (`GraphContext.expectUpstreamCalls`), which refuses an operation whose
 * calls cannot all be served before its limit at once, before any of them is sent.
 * Counted at the simulator; the budget is idle, so no timing decides the outcome.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { RunningSimulator } from '../../src/simulator/simulator.js';
import { startTestFacade, type TestFacade } from '../support/facade.fixture.js';
import { clientStats, startTestSimulator } from './upstream.fixture.js';

const base = Date.parse('2026-12-01T00:00:00Z');
/** `n` distinct pages of acme-east in one operation: `n` upstream calls, and an estimate of `n`. */
const pages = (n: number, offset: number) =>
  `{ ${Array.from({ length: n }, (_, i) => `p${i}: alarms(deployment: "acme-east", first: 1, filter: { occurredBefore: "${new Date(base - offset - i).toISOString()}" }) { edges { node { id } } }`).join('\n')} }`;

describe('an operation admitted as a whole from its cost estimate', () => {
  let sim: RunningSimulator;
  let facade: TestFacade;
  before(async () => {
    sim = await startTestSimulator({ deployments: ['acme-east'], alarmsPerDeployment: 200 });
    facade = await startTestFacade(
      {
        CACHE_PAGE_TTL_MS: '0',
        KEY_BUDGET_MAXIMUM: '0',
        // 95 GETs a window: 96 or more calls need a second window (1010 ms), past this limit.
        UPSTREAM_QUEUE_MAX_WAIT_MS: '1000',
        MAX_QUERY_ALIASES: '200',
        MAX_QUERY_TOKENS: '20000',
        MAX_OPERATION_COST: '200',
      },
      { upstream: { simulator: sim, deployment: 'acme-east' } },
    );
  });
  after(async () => {
    await facade.stop();
    await sim.stop();
  });

  it('refuses at once, with retryAfterSeconds and 0 calls sent, an operation whose estimated calls do not fit in time', async () => {
    const before = (await clientStats(sim, 'acme-east')).requests['GET /alarms'] ?? 0;
    const { body } = await facade.gql(pages(150, 0));
    assert.equal(body.errors?.[0]?.extensions?.['code'], 'UPSTREAM_RATE_LIMITED', JSON.stringify(body.errors?.[0]));
    assert.equal(body.errors?.[0]?.extensions?.['retryAfterSeconds'], 2);
    assert.deepEqual(body.extensions?.['cost'], { estimatedUpstreamCalls: 150, actualUpstreamCalls: 0, resultNodes: 450 });
    assert.equal((await clientStats(sim, 'acme-east')).requests['GET /alarms'] ?? 0, before, 'nothing reached USM');
  });

  it('serves an operation whose estimated calls fit in the window', async () => {
    const before = (await clientStats(sim, 'acme-east')).requests['GET /alarms'] ?? 0;
    const { body } = await facade.gql(pages(90, 1000));
    assert.equal(body.errors, undefined, JSON.stringify(body.errors?.[0]));
    assert.deepEqual(body.extensions?.['cost'], { estimatedUpstreamCalls: 90, actualUpstreamCalls: 90, resultNodes: 270 });
    assert.equal((await clientStats(sim, 'acme-east')).requests['GET /alarms'], before + 90);
  });
});
