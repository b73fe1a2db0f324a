/**
 * The `fairness` bench case: does one API key's flood starve another key of the
 * upstream quota they share? Both keys reach USM through the facade's one client per
 * deployment, so every GET of either counts against the same 100 GET/s.
 *
 * Set-up: a facade on the simulator with the page and alarm caches off, so
 * every `alarms(deployment: "acme-east", first: 1)` query costs one upstream GET
 * (checked once, warm, through the simulator's request log), and two keys with
 * `alarms:read` made through `createApiKey`. Each query carries an `occurredBefore` of
 * its own (milliseconds apart, within the last hour of 14 days of alarms, so the page
 * is the same size): identical queries in flight together would share one upstream
 * call (the document cache's single flight across requests), and B's would ride on A's.
 * - Phase 1 (10 s): the quiet key B alone sends one query a second.
 * - Phase 2 (10 s): key A offers 5× the GET quota (500 GETs a second as 100 queries of
 *   five pages, fired without waiting) while B keeps sending one a second.
 *
 * Figures: each key's delivered GET/s in phase 2 (answered without error within the
 * 10 s; A's fields still queued then are drained and counted apart), A's refusals
 * (`UPSTREAM_RATE_LIMITED`) and other failures, B's p50/p99 latency alone and with the
 * flood, how many USM requests arrived while each of B's queries waited (from
 * `/__sim/requests`: an upper bound on the calls sent ahead of B's, since it also
 * counts those arriving while B's answer travelled back), and, from `/__sim/stats`,
 * the 429s USM answered and its largest 1000 ms window of GETs. The goals (B's p99
 * with the flood ≤ 1.5× alone, no 429) are printed beside the figures, not asserted:
 * the bench runs to completion either way.
 *
 * As in production, the facade runs in a process of its own (`dist/src/main.js`, on
 * USM_ANYWHERE_* for the simulator's `acme-east`), the simulator in another
 * (`simulator.cli.js`), and the load generators here, so neither takes the facade's
 * CPU; the facade process's CPU during the flood is printed. B's latency
 * under the flood still carries the cost of the facade answering (or refusing) A's 500
 * queries a second, not only its wait in the rate budget: that cost is what per-key
 * request limits (protection) take away. A's queries are fired over as many connections
 * as are in flight, as separate clients would; `NETWORK` failures are connections reset
 * or not accepted in time (the facade's accept queue overflowing while it is busy).
 */
import { Agent, fetch } from 'undici';
import { cpuSeconds, sleep, startFacadeOnSimulator } from './processes.js';
import { percentile } from './figures.js';

const PHASE_MS = 10_000;
/** A's offer in upstream GETs: five times the quota. */
const FLOOD_PER_SECOND = 500;
/**
 * A asks for several pages per query, as a dashboard does: the flood is 100 queries a
 * second of five fields each, so it measures the upstream share more than the facade's
 * cost per HTTP request (about 2 ms here: 500 single-field queries a second alone fill
 * the facade's one core, and then every key's latency is that queue's).
 */
const FIELDS_PER_FLOOD_QUERY = 5;
const QUIET_INTERVAL_MS = 1000;
/** One document for every query (parsed once by the facade); `occurredBefore` makes each one's upstream call its own. */
const QUERY = `query Newest($before: DateTime!) {
  alarms(deployment: "acme-east", first: 1, filter: { occurredBefore: $before }) { edges { node { uuid } } }
}`;
const RATE_LIMITED = 'UPSTREAM_RATE_LIMITED';
const GOAL_P99_RATIO = 1.5;

interface Outcome {
  /** `ok`, the first GraphQL error's `extensions.code`, `HTTP <status>`, or `NETWORK <cause>`. */
  code: string;
  finishedAt: number;
  latencyMs: number;
}

interface QuietOutcome extends Outcome {
  /** USM requests that arrived between B asking and B's answer, B's own excluded. */
  arrivedWhileWaiting: number;
}

interface SimStats {
  deployments: Record<string, { clients: Record<string, { responses: Record<string, number>; maxGetsInWindow: number }> }>;
}

const phaseSecondsOf = (ms: number) => ms / 1000;

/** Posts one GraphQL operation; answers its `data` or throws with the code of what went wrong. */
async function graphql(
  dispatcher: Agent,
  url: string,
  key: string,
  query: string,
  variables?: Record<string, unknown>,
): Promise<any> {
  const response = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${key}` },
    body: JSON.stringify({ query, variables }),
    dispatcher,
  });
  const text = await response.text();
  let body: { data?: unknown; errors?: Array<{ message?: string; extensions?: { code?: unknown } }> } | undefined;
  try {
    body = JSON.parse(text);
  } catch {
    body = undefined;
  }
  const error = body?.errors?.[0];
  if (error !== undefined) {
    throw Object.assign(new Error(error.message ?? 'GraphQL error'), { code: String(error.extensions?.code ?? 'GRAPHQL_ERROR') });
  }
  if (response.status !== 200 || body === undefined) {
    throw Object.assign(new Error(text.slice(0, 300)), { code: `HTTP ${response.status}` });
  }
  return body.data;
}

const FLOOD_QUERY = `query Flood(${Array.from({ length: FIELDS_PER_FLOOD_QUERY }, (_, i) => `$b${i}: DateTime!`).join(', ')}) {
${Array.from({ length: FIELDS_PER_FLOOD_QUERY }, (_, i) => `  p${i}: alarms(deployment: "acme-east", first: 1, filter: { occurredBefore: $b${i} }) { edges { node { uuid } } }`).join('\n')}
}`;

/** One of A's queries: an outcome per field (its GET), refused or failed fields by their error's code. */
async function floodQuery(dispatcher: Agent, url: string, key: string, firstBefore: number): Promise<Outcome[]> {
  const startedAt = performance.now();
  const variables = Object.fromEntries(
    Array.from({ length: FIELDS_PER_FLOOD_QUERY }, (_, i) => [`b${i}`, new Date(firstBefore - i).toISOString()]),
  );
  let codes: string[];
  try {
    const response = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${key}` },
      body: JSON.stringify({ query: FLOOD_QUERY, variables }),
      dispatcher,
    });
    const body = (await response.json()) as {
      data?: Record<string, unknown> | null;
      errors?: Array<{ path?: string[]; extensions?: { code?: unknown } }>;
    };
    const byField = new Map((body.errors ?? []).map((e) => [e.path?.[0], String(e.extensions?.code ?? 'GRAPHQL_ERROR')]));
    const fallback = body.errors?.[0] === undefined ? `HTTP ${response.status}` : String(body.errors[0].extensions?.code ?? 'GRAPHQL_ERROR');
    codes = Array.from({ length: FIELDS_PER_FLOOD_QUERY }, (_, i) =>
      body.data?.[`p${i}`] != null ? 'ok' : (byField.get(`p${i}`) ?? fallback),
    );
  } catch (error) {
    const cause = (error as { cause?: { code?: unknown; message?: unknown } }).cause;
    codes = Array(FIELDS_PER_FLOOD_QUERY).fill(`NETWORK ${String(cause?.code ?? cause?.message ?? (error as Error).message)}`);
  }
  const finishedAt = performance.now();
  return codes.map((code) => ({ code, finishedAt, latencyMs: finishedAt - startedAt }));
}

async function timedQuery(dispatcher: Agent, url: string, key: string, occurredBefore: number): Promise<Outcome> {
  const startedAt = performance.now();
  let code = 'ok';
  try {
    await graphql(dispatcher, url, key, QUERY, { before: new Date(occurredBefore).toISOString() });
  } catch (error) {
    const { code: known, cause } = error as { code?: unknown; cause?: { code?: unknown; message?: unknown } };
    code = known !== undefined ? String(known) : `NETWORK ${String(cause?.code ?? cause?.message ?? (error as Error).message)}`;
  }
  const finishedAt = performance.now();
  return { code, finishedAt, latencyMs: finishedAt - startedAt };
}

/** `n × code` for each failure code but `ok` and `excluded`, or `0`. */
function failureSummary(outcomes: readonly Outcome[], excluded: string[] = []): string {
  const counts = new Map<string, number>();
  for (const { code } of outcomes) if (code !== 'ok' && !excluded.includes(code)) counts.set(code, (counts.get(code) ?? 0) + 1);
  if (counts.size === 0) return '0';
  return [...counts].map(([code, n]) => `${n} × ${code}`).join(', ');
}

export async function run(): Promise<Record<string, number | string>> {
  // BENCH_FACADE_NODE_ARGS, e.g. `--cpu-prof --cpu-prof-dir=/tmp/prof`, profiles the facade process.
  const nodeArgs = (process.env['BENCH_FACADE_NODE_ARGS'] ?? '').split(' ').filter((arg) => arg !== '');
  const processes = await startFacadeOnSimulator(
    'fairness',
    // A's flood is for the upstream fair queue to share out; the per-key rate limit would refuse it first.
    { LOG_LEVEL: 'silent', CACHE_PAGE_TTL_MS: '0', CACHE_ALARM_TTL_MS: '0', KEY_BUDGET_MAXIMUM: '0' },
    nodeArgs,
  );
  const { graphqlUrl: url, simulatorUrl, adminKey } = processes;
  // B's requests never wait for a socket behind A's: each key has a pool of its own, A's unbounded.
  const quietPool = new Agent({ connections: 8, keepAliveTimeout: 30_000 });
  const floodPool = new Agent({ keepAliveTimeout: 30_000 });
  const controlPool = new Agent({ connections: 4, keepAliveTimeout: 30_000 });
  try {
    const control = async <T>(route: string, method = 'GET'): Promise<T> => {
      const response = await fetch(`${simulatorUrl}/__sim${route}`, { method, dispatcher: controlPool });
      const text = await response.text();
      if (!response.ok) throw new Error(`simulator ${method} ${route} answered ${response.status}: ${text}`);
      return (text === '' ? undefined : JSON.parse(text)) as T;
    };
    const mark = async () => (await control<{ next: number }>('/requests?limit=0')).next;

    const createKey = async (name: string): Promise<string> => {
      const data = await graphql(
        controlPool,
        url,
        adminKey,
        `mutation { createApiKey(input: { name: "${name}", permissions: [ALARMS_READ] }) { secret } }`,
      );
      return data.createApiKey.secret as string;
    };
    const floodKey = await createKey('fairness-flood-a');
    const quietKey = await createKey('fairness-quiet-b');

    // A's queries ask for alarms before t0 - n ms, B's before t0 - 20 min - i s: no two alike.
    const t0 = Date.now();
    let quietSent = 0;
    const quietBefore = () => t0 - 1_200_000 - 1000 * quietSent++;

    // Warm: the token and the deployment list are fetched once; after that a query is one GET.
    const warm = await timedQuery(quietPool, url, quietKey, quietBefore());
    if (warm.code !== 'ok') throw new Error(`the first query failed: ${warm.code}`);
    const before = await mark();
    await timedQuery(quietPool, url, quietKey, quietBefore());
    const { requests: oneQuery } = await control<{ requests: Array<{ method: string; target: string; path: string }> }>(
      `/requests?after=${before - 1}`,
    );
    const getsPerQuery = oneQuery.filter((r) => r.method === 'GET').length;
    if (getsPerQuery !== 1 || oneQuery.length !== 1) {
      process.stderr.write(
        `fairness: one warm query made ${oneQuery.length} upstream request(s), not one GET: ` +
          `${oneQuery.map((r) => `${r.method} ${r.target}${r.path}`).join(', ')}; the figures below count queries, not GETs\n`,
      );
    }
    // Both phases start with USM's window empty and its counters at zero.
    await sleep(1100);
    await control('/stats/reset', 'POST');

    const quietQuery = async (): Promise<QuietOutcome> => {
      const asked = await mark();
      const outcome = await timedQuery(quietPool, url, quietKey, quietBefore());
      return { ...outcome, arrivedWhileWaiting: (await mark()) - asked - 1 };
    };
    /** B's one query a second for one phase, each sent on its second whether or not the last is back. */
    const quietPhase = async (): Promise<{ outcomes: Promise<QuietOutcome>[]; end: number }> => {
      const start = performance.now();
      const outcomes: Promise<QuietOutcome>[] = [];
      for (let i = 0; i < PHASE_MS / QUIET_INTERVAL_MS; i++) {
        await sleep(start + i * QUIET_INTERVAL_MS - performance.now());
        outcomes.push(quietQuery());
      }
      await sleep(start + PHASE_MS - performance.now());
      return { outcomes, end: start + PHASE_MS };
    };

    // Phase 1: B alone.
    const alone = await quietPhase();
    const quietAlone = await Promise.all(alone.outcomes);

    // Phase 2: A floods while B keeps its pace.
    const cpuBefore = await cpuSeconds(processes.facade.pid!);
    const floodCalls: Promise<Outcome[]>[] = [];
    const floodStart = performance.now();
    const floodEnd = floodStart + PHASE_MS;
    const flooding = (async () => {
      let offered = 0;
      while (performance.now() < floodEnd) {
        const due = Math.floor(((performance.now() - floodStart) * FLOOD_PER_SECOND) / 1000);
        while (offered < due) {
          floodCalls.push(floodQuery(floodPool, url, floodKey, t0 - offered));
          offered += FIELDS_PER_FLOOD_QUERY;
        }
        await sleep(5);
      }
    })();
    const flooded = await quietPhase();
    await flooding;
    const facadeCpu = ((await cpuSeconds(processes.facade.pid!)) - cpuBefore) / phaseSecondsOf(PHASE_MS);
    const flood = (await Promise.all(floodCalls)).flat();
    const quietFlooded = await Promise.all(flooded.outcomes);
    const drainedMs = performance.now() - floodEnd;
    // What the facade itself counted (ApiKey.upstreamUsage): B's calls and their wait for the budget, last minute.
    const usage = await graphql(controlPool, url, adminKey, '{ apiKeys { name upstreamUsage { calls waitedMs maxWaitMs } } }');
    const quietUsage = (usage.apiKeys as Array<{ name: string; upstreamUsage: { calls: number; waitedMs: number; maxWaitMs: number } }>).find(
      (key) => key.name === 'fairness-quiet-b',
    )!.upstreamUsage;

    const stats = await control<SimStats>('/stats');
    let usm429s = 0;
    let largestWindow = 0;
    for (const { clients } of Object.values(stats.deployments)) {
      for (const traffic of Object.values(clients)) {
        usm429s += traffic.responses['429'] ?? 0;
        largestWindow = Math.max(largestWindow, traffic.maxGetsInWindow);
      }
    }

    const phaseSeconds = PHASE_MS / 1000;
    const deliveredBy = (outcomes: readonly Outcome[], end: number) =>
      outcomes.filter((o) => o.code === 'ok' && o.finishedAt <= end).length;
    const sortedLatencies = (outcomes: readonly Outcome[]) =>
      outcomes
        .filter((o) => o.code === 'ok')
        .map((o) => o.latencyMs)
        .sort((a, b) => a - b);
    const aloneMs = sortedLatencies(quietAlone);
    const floodedMs = sortedLatencies(quietFlooded);
    const waitedBehind = quietFlooded.map((o) => o.arrivedWhileWaiting).sort((a, b) => a - b);
    const p99Ratio = percentile(floodedMs, 99) / percentile(aloneMs, 99);
    const pair = (list: readonly number[]) => `${percentile(list, 50).toFixed(1)} / ${percentile(list, 99).toFixed(1)}`;

    return {
      'upstream GETs per query (one warm query, from /__sim/requests)': getsPerQuery,
      'phase length (s)': phaseSeconds,
      'A offered GETs/s (phase 2)': `${FLOOD_PER_SECOND} (${FLOOD_PER_SECOND / FIELDS_PER_FLOOD_QUERY} queries of ${FIELDS_PER_FLOOD_QUERY} pages)`,
      'B offered queries/s (both phases)': 1000 / QUIET_INTERVAL_MS,
      'A delivered GET/s (phase 2, answered within the 10 s)': deliveredBy(flood, floodEnd) / phaseSeconds,
      'B delivered GET/s (phase 2, answered within the 10 s)': deliveredBy(quietFlooded, flooded.end) / phaseSeconds,
      'A fields answered after the 10 s (queued, drained)': flood.filter((o) => o.code === 'ok' && o.finishedAt > floodEnd).length,
      'A fields refused (UPSTREAM_RATE_LIMITED)': flood.filter((o) => o.code === RATE_LIMITED).length,
      'A fields failed otherwise': failureSummary(flood, [RATE_LIMITED]),
      'B failures, phase 1 / phase 2': `${failureSummary(quietAlone)} / ${failureSummary(quietFlooded)}`,
      'B latency p50 / p99 ms, alone (phase 1)': pair(aloneMs),
      'B latency p50 / p99 ms, with the flood (phase 2)': pair(floodedMs),
      [`B p99 with the flood ÷ alone (goal ≤ ${GOAL_P99_RATIO})`]: Number.isFinite(p99Ratio) ? p99Ratio : 'n/a (B had no answers)',
      'USM requests arriving while a B query waited, p50 / max (phase 2)': `${percentile(waitedBehind, 50)} / ${waitedBehind.at(-1) ?? Number.NaN}`,
      "B's wait for the budget, mean / max ms (upstreamUsage, both phases)": `${(quietUsage.waitedMs / Math.max(1, quietUsage.calls)).toFixed(1)} / ${quietUsage.maxWaitMs.toFixed(1)}`,
      '429s seen at the simulator (goal 0)': usm429s,
      'largest 1000 ms window at the simulator (GETs)': largestWindow,
      'drain time after phase 2 (ms)': Math.round(drainedMs),
      'facade process CPU during phase 2 (cores)': Number.isFinite(facadeCpu) ? facadeCpu : 'n/a',
    };
  } finally {
    await processes.stop();
    await Promise.all([quietPool.close(), floodPool.close(), controlPool.close()]);
  }
}
