/**
 * The goodput workload of issue 24, shared by `test/cluster/goodput.test.ts` and the
 * `goodput` bench case: distinct `alarms(first: 1)` queries that each cost two GETs,
 * offered to a cluster, and what came of them counted at the simulator.
 *
 * Each query asks for the newest alarm up to its own bound, and just below every bound
 * sit three alarms injected with one `timestamp_occured`: the first page (2 rows) holds
 * two of them, which tie, so the paginator reads a second page before it can answer
 * (see `feed.paginator.ts`). Bounds differ by a millisecond between queries, so no two
 * queries share a page, a cache entry or a single flight: each answer costs exactly 2
 * GETs, each failure 0, 1 or 2.
 *
 * Goodput is counted where USM counts: every `GET /alarms` the simulator logged in the
 * run is matched by its `timestamp_occured_lte` to the query that sent it; GETs of
 * queries that were answered served an answer, the others were wasted.
 */
import { fetch } from 'undici';
import type { ClusterReplica } from '../src/cluster/cluster.js';
import { failures, offer, type Answer } from './cluster.load.js';
import { logMark, requestsAfter } from './simulator.log.js';

const GROUPS = 50;
/** The tied alarms' times: in 2015, far older than the simulator's own, ten seconds apart. */
const FIRST_TIE = Date.parse('2015-06-01T00:00:00Z');
const TIE_SPACING_MS = 10_000;
const tieAt = (group: number) => FIRST_TIE + group * TIE_SPACING_MS;

/** Injects the tied alarms into `deployment` (once per simulator). */
export async function seedTiedAlarms(simulatorUrl: string, deployment: string): Promise<void> {
  const alarms = Array.from({ length: GROUPS * 3 }, (_, i) => ({ timestamp_occured: tieAt(Math.floor(i / 3)) }));
  const response = await fetch(`${simulatorUrl}/__sim/alarms`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ deployment, alarms }),
  });
  if (response.status !== 201) throw new Error(`seeding tied alarms: ${response.status} ${await response.text()}`);
}

/** The bound of the n-th query: above one group's tie by 1 to 9,000 ms (never near the next group). */
function boundOf(n: number): number {
  return tieAt(n % GROUPS) + 1 + Math.floor(n / GROUPS);
}

/** The n-th query of a run (`offset` keeps runs on one simulator apart). */
export function tiedQuery(deployment: string, offset = 0): (n: number) => string {
  return (n) =>
    `{ alarms(deployment: "${deployment}", first: 1, filter: { occurredBefore: "${new Date(boundOf(n + offset)).toISOString()}" }) { edges { node { id } } } }`;
}

const atOnce = (a: Answer) => !a.ok && a.calls === 0 && a.code === 'UPSTREAM_RATE_LIMITED' && (a.retryAfterSeconds ?? 0) >= 1;

export interface GoodputRun {
  offered: number;
  answered: number;
  /** GET /alarms requests USM received for the run's queries. */
  gets: number;
  /** Those that belonged to an answered query. */
  servedGets: number;
  /** Served GETs / all GETs, in %. */
  goodputPercent: number;
  /** Queries refused at once, before any of their calls was sent (UPSTREAM_RATE_LIMITED with `retryAfterSeconds`). */
  turnedAwayAtOnce: number;
  /** Queries that failed without sending a call after waiting (still queued at their deadline), by code. */
  failedWithoutSending: string;
  /** Queries that failed after sending at least one call: their GETs were wasted. */
  failedAfterSending: number;
  /** Error codes of the failures after sending, `n × CODE`. */
  lateFailures: string;
  /** Largest number of GETs USM saw in any 1000 ms, all of the deployment's. */
  maxWindow: number;
  rateLimited: number;
}

/** Offers `perSecond` tied queries for `durationMs` over `replicas` and counts the run at the simulator. */
export async function runGoodput(options: {
  replicas: readonly ClusterReplica[];
  adminKey: string;
  simulatorUrl: string;
  deployment: string;
  perSecond: number;
  durationMs: number;
  offset: number;
}): Promise<GoodputRun> {
  const { deployment } = options;
  const mark = await logMark(options.simulatorUrl);
  const query = tiedQuery(deployment, options.offset);
  const answers: Answer[] = await offer(options.replicas, options.adminKey, options.perSecond, options.durationMs, query);
  const logged = (await requestsAfter(options.simulatorUrl, mark)).filter((r) => r.target === deployment);
  const answeredBounds = new Set<string>();
  answers.forEach((answer, n) => {
    if (answer.ok) answeredBounds.add(String(boundOf(n + options.offset)));
  });
  const pages = logged.filter((r) => r.method === 'GET' && r.path.endsWith('/alarms'));
  const servedGets = pages.filter((r) => answeredBounds.has(new URLSearchParams(r.query).get('timestamp_occured_lte') ?? '')).length;
  const gets = logged.filter((r) => r.method === 'GET').map((r) => r.at).sort((a, b) => a - b);
  let maxWindow = 0;
  for (let i = 0, j = 0; i < gets.length; i++) {
    while (gets[i]! - gets[j]! >= 1000) j++;
    maxWindow = Math.max(maxWindow, i - j + 1);
  }
  const late = answers.filter((a) => !a.ok && a.calls > 0);
  return {
    offered: answers.length,
    answered: answers.filter((a) => a.ok).length,
    gets: pages.length,
    servedGets,
    goodputPercent: pages.length === 0 ? 100 : (100 * servedGets) / pages.length,
    turnedAwayAtOnce: answers.filter(atOnce).length,
    failedWithoutSending: failures(answers.filter((a) => !a.ok && a.calls === 0 && !atOnce(a))),
    failedAfterSending: late.length,
    lateFailures: failures(late),
    maxWindow,
    rateLimited: logged.filter((r) => r.status === 429).length,
  };
}
