/**
 * The `throttle` bench case (issue 26): what the per-key budget does to three keys of one
 * facade, with the shipped defaults (`KEY_BUDGET_*`, page cache on).
 *
 * - The cached flood: 100 distinct queries a second (each its own document: an alias of
 *   its own) whose page the page cache answers, as a frontend backend on one key sends.
 *   The goal: never throttled.
 * - The uncached flood: 50 queries a second of five fields, each field a page of its own
 *   (an `occurredBefore` of its own), so each query costs five upstream GETs: 250 GETs a
 *   second, 2.5 times the quota. The goal: throttled at its budget (`RATE_LIMITED` with
 *   `retryAfterSeconds`, nothing sent upstream), not at the upstream queue.
 * - The quiet key: ten queries a second of one uncached page (far below its budget and
 *   the floods' rates, yet enough samples that its p99 is not just its slowest one), alone
 *   for 5 s, then for 10 s beside both floods. The goal: its p99 no worse than 1.5 times
 *   alone.
 *
 * Figures: each key's answered and refused operations per second during the floods, the
 * other failures by code, the quiet key's p50/p99 alone and beside the floods, the
 * upstream GETs per second USM saw, and the facade process's RSS peak (sampled every
 * 200 ms). The facade and the simulator run in processes of their own; the load here.
 */
import { rssKb, sleep, startFacadeOnSimulator } from './processes.js';
import { percentile } from './figures.js';
import { logMark } from './simulator.log.js';
import { post } from './cluster.load.js';

const ALONE_MS = 5_000;
const FLOOD_MS = 10_000;
const CACHED_PER_SECOND = 100;
const UNCACHED_PER_SECOND = 50;
const FIELDS_PER_UNCACHED = 5;
const QUIET_PER_SECOND = 10;

interface Outcome {
  /** `ok`, or the first error's code, or `FETCH_FAILED (…)`. */
  code: string;
  latencyMs: number;
}

/** One operation through the cluster benches' `post`, timed. */
async function timed(url: string, key: string, query: string, variables: Record<string, unknown> = {}): Promise<Outcome> {
  const started = performance.now();
  const { code } = await post(url, key, query, variables);
  return { code, latencyMs: performance.now() - started };
}

/** Calls `each(n)` `perSecond` times a second until `untilMs` (performance.now), catching up after a late tick. */
async function paced(perSecond: number, untilMs: number, each: (n: number) => Promise<Outcome>): Promise<Outcome[]> {
  const sent: Promise<Outcome>[] = [];
  const started = performance.now();
  while (performance.now() < untilMs) {
    const due = Math.floor(((performance.now() - started) * perSecond) / 1000);
    while (sent.length < due) sent.push(each(sent.length));
    await sleep(5);
  }
  return Promise.all(sent);
}

const cachedQuery = (n: number) => `query Cached${n} { page${n}: alarms(deployment: "acme-east", first: 10) { edges { node { uuid } } } }`;
const UNCACHED = `query Uncached(${Array.from({ length: FIELDS_PER_UNCACHED }, (_, i) => `$b${i}: DateTime!`).join(', ')}) {
${Array.from({ length: FIELDS_PER_UNCACHED }, (_, i) => `  p${i}: alarms(deployment: "acme-east", first: 1, filter: { occurredBefore: $b${i} }) { edges { node { uuid } } }`).join('\n')}
}`;
const QUIET = 'query Quiet($before: DateTime!) { alarms(deployment: "acme-east", first: 1, filter: { occurredBefore: $before }) { edges { node { uuid } } } }';

/** Distinct instants within the last hour, so no two pages are the same. */
let instant = Date.now() - 3_600_000;
const nextInstant = () => new Date((instant += 1)).toISOString();

function tally(outcomes: Outcome[], seconds: number): { answered: number; refused: number; failures: string } {
  const failures = new Map<string, number>();
  for (const { code } of outcomes) if (code !== 'ok' && code !== 'RATE_LIMITED') failures.set(code, (failures.get(code) ?? 0) + 1);
  return {
    answered: outcomes.filter((o) => o.code === 'ok').length / seconds,
    refused: outcomes.filter((o) => o.code === 'RATE_LIMITED').length / seconds,
    failures: failures.size === 0 ? '0' : [...failures].map(([code, n]) => `${n} × ${code}`).join(', '),
  };
}

const p = (outcomes: Outcome[], q: number) => percentile(outcomes.map((o) => o.latencyMs).sort((a, b) => a - b), q);

export async function run(): Promise<Record<string, number | string>> {
  const env = await startFacadeOnSimulator('throttle', {});
  try {
    const keyOf = async (name: string) => {
      const created = await post(env.graphqlUrl, env.adminKey, `mutation { createApiKey(input: { name: "${name}", permissions: [ALARMS_READ] }) { secret } }`);
      return (created.data as { createApiKey: { secret: string } }).createApiKey.secret;
    };
    const [cachedKey, uncachedKey, quietKey] = [await keyOf('cached-flood'), await keyOf('uncached-flood'), await keyOf('quiet')];
    const quiet = (until: number) => paced(QUIET_PER_SECOND, until, () => timed(env.graphqlUrl, quietKey, QUIET, { before: nextInstant() }));
    // Warm: the page the cached flood reads, and the facade's code paths.
    await timed(env.graphqlUrl, cachedKey, cachedQuery(0));
    await timed(env.graphqlUrl, quietKey, QUIET, { before: nextInstant() });

    const alone = await quiet(performance.now() + ALONE_MS);

    let rssPeakKb = 0;
    let sampling = true;
    const sampler = (async () => {
      while (sampling) {
        rssPeakKb = Math.max(rssPeakKb, await rssKb(env.facade.pid!));
        await sleep(200);
      }
    })();
    const mark = await logMark(env.simulatorUrl);
    const until = performance.now() + FLOOD_MS;
    const [cached, uncached, beside] = await Promise.all([
      paced(CACHED_PER_SECOND, until, (n) => timed(env.graphqlUrl, cachedKey, cachedQuery(n % 1000))),
      paced(UNCACHED_PER_SECOND, until, () =>
        timed(env.graphqlUrl, uncachedKey, UNCACHED, Object.fromEntries(Array.from({ length: FIELDS_PER_UNCACHED }, (_, i) => [`b${i}`, nextInstant()]))),
      ),
      quiet(until),
    ]);
    const upstreamCalls = (await logMark(env.simulatorUrl)) - mark;
    sampling = false;
    await sampler;

    const seconds = FLOOD_MS / 1000;
    const figures: Record<string, number | string> = {};
    for (const [label, outcomes] of [
      ['cached flood (100 distinct queries/s, pages cached)', cached],
      ['uncached flood (50 queries/s × 5 uncached GETs)', uncached],
      [`quiet key (${QUIET_PER_SECOND} queries/s)`, beside],
    ] as const) {
      const { answered, refused, failures } = tally(outcomes, seconds);
      figures[`${label}: answered/s`] = answered;
      figures[`${label}: refused/s (RATE_LIMITED)`] = refused;
      figures[`${label}: other failures`] = failures;
    }
    figures['quiet key p50 / p99 ms alone'] = `${p(alone, 50).toFixed(1)} / ${p(alone, 99).toFixed(1)}`;
    figures['quiet key p50 / p99 ms beside the floods'] = `${p(beside, 50).toFixed(1)} / ${p(beside, 99).toFixed(1)}`;
    figures['quiet key p99 beside / alone (goal ≤ 1.5)'] = p(beside, 99) / p(alone, 99);
    figures['upstream requests/s during the floods'] = upstreamCalls / seconds;
    figures['facade RSS peak (MB)'] = Math.round(rssPeakKb / 1024);
    return figures;
  } finally {
    await env.stop();
  }
}
