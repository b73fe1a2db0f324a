/**
 * Goodput under overload, on real processes: one replica, then three on one Redis, each
 * offered five times USM's GET quota in queries that each need two GETs (the tied
 * alarms of `bench/goodput.load.ts`). Every upstream GET USM receives should serve an
 * answer: work that cannot be served is turned away before its first call, and an
 * operation under way is not starved by newer ones.
 *
 * The queue limit and the deadline are shortened (3 s and 8 s instead of 10 s and 20 s)
 * so that five seconds of load reach the steady state where work is turned away.
 * Every assertion is a count: answers at the callers, GETs in the simulator's own log.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { startCluster } from '../../src/cluster/cluster.js';
import { runGoodput, seedTiedAlarms, type GoodputRun } from '../../bench/goodput.load.js';

const DEPLOYMENT = 'acme-east';
/** 250 queries of 2 GETs a second: 500 GETs a second, five times the quota. */
const OFFERED_PER_SECOND = 250;
const OFFERED_FOR_MS = 5000;
const ENV = {
  CACHE_PAGE_TTL_MS: '0',
  KEY_BUDGET_MAXIMUM: '0',
  UPSTREAM_QUEUE_MAX_WAIT_MS: '3000',
  REQUEST_DEADLINE_MS: '8000',
};

async function runOn(replicas: number): Promise<GoodputRun> {
  const cluster = await startCluster({ replicas, port: 0, env: ENV });
  try {
    await seedTiedAlarms(cluster.simulator.url, DEPLOYMENT);
    return await runGoodput({
      replicas: cluster.replicas,
      adminKey: cluster.adminKey,
      simulatorUrl: cluster.simulator.url,
      deployment: DEPLOYMENT,
      perSecond: OFFERED_PER_SECOND,
      durationMs: OFFERED_FOR_MS,
      offset: 0,
    });
  } finally {
    await cluster.stop();
  }
}

function assertGoodput(label: string, run: GoodputRun): void {
  const figures = JSON.stringify(run);
  assert.ok(run.goodputPercent >= 90, `${label}: ${run.goodputPercent.toFixed(1)} % of the GETs served an answer: ${figures}`);
  assert.equal(run.rateLimited, 0, `${label}: no 429`);
  assert.ok(run.maxWindow <= 100, `${label}: largest window ${run.maxWindow} GETs`);
  assert.ok(run.maxWindow >= 80, `${label}: the quota was saturated (largest window ${run.maxWindow})`);
  // Work was turned away before its first call (UPSTREAM_RATE_LIMITED with retryAfterSeconds, 0 calls sent); what failed
  // after sending is bounded by the goodput above.
  assert.ok(run.turnedAwayAtOnce > 0, `${label}: the load was more than the quota serves: ${figures}`);
}

describe('goodput under five times the quota, in two-call queries', () => {
  it('serves an answer with at least 90 % of the GETs on one replica and on three, and three answer at least 90 % of what one does', async () => {
    const one = await runOn(1);
    const three = await runOn(3);
    console.log(`1 replica: ${JSON.stringify(one)}\n3 replicas: ${JSON.stringify(three)}`);
    assertGoodput('1 replica', one);
    assertGoodput('3 replicas', three);
    assert.ok(three.answered >= 0.9 * one.answered, `3 replicas answered ${three.answered}, 1 replica ${one.answered}`);
  });
});
