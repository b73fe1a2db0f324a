/**
 * The `goodput` bench case (issue 24): the workload the issue was filed with, 500
 * distinct `alarms(first: 1, filter:)` queries a second for 8 s, each costing two GETs
 * (the tied alarms of `goodput.load.ts`), offered to one replica and then to three on
 * one Redis, with the shipped limits (queue 10 s, deadline 20 s).
 *
 * Figures, counted at the simulator and the callers: queries answered, GETs spent,
 * goodput (the share of those GETs that served an answer), work turned away at once
 * (before any call) vs failed after sending one, the largest 1000 ms window and 429s.
 */
import { startCluster } from '../src/cluster/cluster.js';
import { runGoodput, seedTiedAlarms, type GoodputRun } from './goodput.load.js';

const OFFERED_PER_SECOND = 500;
const DURATION_MS = 8000;
const DEPLOYMENT = 'acme-east';

async function measure(replicas: number): Promise<GoodputRun> {
  const cluster = await startCluster({ replicas, port: 0, env: { CACHE_PAGE_TTL_MS: '0', KEY_BUDGET_MAXIMUM: '0' } });
  try {
    await seedTiedAlarms(cluster.simulator.url, DEPLOYMENT);
    return await runGoodput({
      replicas: cluster.replicas,
      adminKey: cluster.adminKey,
      simulatorUrl: cluster.simulator.url,
      deployment: DEPLOYMENT,
      perSecond: OFFERED_PER_SECOND,
      durationMs: DURATION_MS,
      offset: 0,
    });
  } finally {
    await cluster.stop();
  }
}

export async function run(): Promise<Record<string, number | string>> {
  const one = await measure(1);
  const three = await measure(3);
  const figures: Record<string, number | string> = {
    'offered queries/s (2 GETs each)': OFFERED_PER_SECOND,
    'offered for (s)': DURATION_MS / 1000,
  };
  for (const [label, m] of [['1 replica', one], ['3 replicas', three]] as const) {
    figures[`${label}: queries answered`] = m.answered;
    figures[`${label}: GETs spent`] = m.gets;
    figures[`${label}: goodput (GETs that served an answer, %)`] = m.goodputPercent;
    figures[`${label}: turned away at once (0 calls sent)`] = m.turnedAwayAtOnce;
    figures[`${label}: failed after waiting, 0 calls sent`] = m.failedWithoutSending;
    figures[`${label}: failed after sending a call`] = `${m.failedAfterSending} (${m.lateFailures})`;
    figures[`${label}: largest 1000 ms window (GETs)`] = m.maxWindow;
    figures[`${label}: 429s at USM`] = m.rateLimited;
  }
  figures['3 replicas answered / 1 replica answered'] = three.answered / Math.max(1, one.answered);
  return figures;
}
