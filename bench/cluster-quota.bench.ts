/**
 * The `cluster-quota` bench case: five times USM's GET quota offered to the facade
 * (500 queries a second for 10 s, each a distinct page of acme-east, its own
 * `occurredAfter`, so each costs a GET; page cache and per-key limits off), spread over the replicas, with one replica
 * and with three on one Redis.
 *
 * Figures, counted at the simulator: GETs delivered per second within the 10 s (goal
 * ≥ 95, and with three replicas together still ≤ 100), the largest 1000 ms window,
 * 429s (goal 0), token requests; at the callers: answered, turned away at once
 * (UPSTREAM_RATE_LIMITED), and goodput: the GETs of answered queries (their
 * `extensions.cost.actualUpstreamCalls`) over all the GETs the simulator saw. Writes `bench/results/cluster-quota.svg`: GET/s over time
 * against the quota line for both sizes.
 */
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { startCluster } from '../src/cluster/cluster.js';
import { failures, offer } from './cluster.load.js';
import { writeQuotaPlot } from './quota.plot.js';
import { logMark, requestsAfter } from './simulator.log.js';

const OFFERED_PER_SECOND = 500;
const DURATION_MS = 10_000;
const QUOTA = 100;
const DEPLOYMENT = 'acme-east';
export const PLOT_FILE = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', '..', 'bench', 'results', 'cluster-quota.svg');

const BASE = Date.now();
const pageQuery = (n: number) =>
  `{ alarms(deployment: "${DEPLOYMENT}", first: 5, filter: { occurredAfter: "${new Date(BASE - (n + 1) * 1000).toISOString()}" }) { edges { node { id } } } }`;

interface Measured {
  deliveredPerSecond: number;
  /** The same without the first second (the token, the first connections). */
  steadyPerSecond: number;
  maxWindow: number;
  rateLimited: number;
  tokens: number;
  answered: number;
  turnedAway: number;
  /** GETs of answered queries (their `actualUpstreamCalls`) / GETs USM received, in %. */
  goodputPercent: number;
  failures: string;
  /** [s since start, GETs in the trailing 1000 ms], every 100 ms. */
  timeline: Array<[number, number]>;
}

async function measure(replicas: number): Promise<Measured> {
  const cluster = await startCluster({ replicas, port: 0, env: { CACHE_PAGE_TTL_MS: '0', KEY_BUDGET_MAXIMUM: '0' } });
  try {
    const simulator = cluster.simulator;
    const mark = await logMark(simulator.url);
    const started = Date.now();
    const answers = await offer(cluster.replicas, cluster.adminKey, OFFERED_PER_SECOND, DURATION_MS, pageQuery);
    const ended = started + DURATION_MS;
    const logged = (await requestsAfter(simulator.url, mark)).filter((r) => r.target === DEPLOYMENT);
    const gets = logged.filter((r) => r.method === 'GET').map((r) => r.at).sort((a, b) => a - b);
    const within = gets.filter((at) => at >= started && at < ended).length;
    const timeline: Array<[number, number]> = [];
    const last = gets.at(-1) ?? ended;
    for (let t = started + 100; t <= Math.max(ended, last) + 1000; t += 100) {
      timeline.push([(t - started) / 1000, gets.filter((at) => at > t - 1000 && at <= t).length]);
    }
    let maxWindow = 0;
    for (let i = 0, j = 0; i < gets.length; i++) {
      while (gets[i]! - gets[j]! >= 1000) j++;
      maxWindow = Math.max(maxWindow, i - j + 1);
    }
    const afterFirstSecond = gets.filter((at) => at >= started + 1000 && at < ended).length;
    return {
      deliveredPerSecond: within / (DURATION_MS / 1000),
      steadyPerSecond: afterFirstSecond / (DURATION_MS / 1000 - 1),
      maxWindow,
      rateLimited: logged.filter((r) => r.status === 429).length,
      tokens: logged.filter((r) => r.path.endsWith('/oauth/token')).length,
      answered: answers.filter((a) => a.ok).length,
      turnedAway: answers.filter((a) => a.code === 'UPSTREAM_RATE_LIMITED').length,
      goodputPercent: (100 * answers.filter((a) => a.ok).reduce((sum, a) => sum + a.calls, 0)) / Math.max(1, gets.length),
      failures: failures(answers.filter((a) => a.code !== 'UPSTREAM_RATE_LIMITED')),
      timeline,
    };
  } finally {
    await cluster.stop();
  }
}

export async function run(): Promise<Record<string, number | string>> {
  const one = await measure(1);
  const three = await measure(3);
  writeQuotaPlot(PLOT_FILE, `GET/s at USM, ${OFFERED_PER_SECOND} queries/s offered for ${DURATION_MS / 1000} s`, QUOTA, [
    { label: '1 replica', colour: '#1565c0', points: one.timeline },
    { label: '3 replicas on one Redis', colour: '#ef6c00', points: three.timeline },
  ]);
  const figures: Record<string, number | string> = { 'offered queries/s (each a GET)': OFFERED_PER_SECOND, 'offered for (s)': DURATION_MS / 1000 };
  for (const [label, m] of [['1 replica', one], ['3 replicas', three]] as const) {
    figures[`${label}: delivered GET/s within the 10 s`] = m.deliveredPerSecond;
    figures[`${label}: delivered GET/s in seconds 2–10`] = m.steadyPerSecond;
    figures[`${label}: largest 1000 ms window (GETs)`] = m.maxWindow;
    figures[`${label}: 429s at USM`] = m.rateLimited;
    figures[`${label}: token requests`] = m.tokens;
    figures[`${label}: answered / turned away at once`] = `${m.answered} / ${m.turnedAway}`;
    figures[`${label}: goodput (GETs that served an answer, %)`] = m.goodputPercent;
    figures[`${label}: other failures`] = m.failures;
  }
  figures['plot'] = path.relative(process.cwd(), PLOT_FILE);
  return figures;
}
