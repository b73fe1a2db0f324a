/**
 * Fair share of one credential's quota between API keys, through whole facades: key A
 * offers five times the GET quota for 10 s while key B asks once every 100 ms. What
 * each key got is read off the simulator's request log (arrival order), not clocks.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import type { RunningSimulator } from '../../src/simulator/simulator.js';
import { createKey } from '../apikey/apikey.fixture.js';
import { startTestFacade, type TestFacade } from '../support/facade.fixture.js';
import { clientStats, deleteRedisKeys, REDIS_URL, startTestSimulator } from './upstream.fixture.js';

interface LoggedRequest {
  seq: number;
  at: number;
  method: string;
  path: string;
  query: string;
}

const FLOOD_MS = 10_000;
const ALIASES = 25;
/** Every query is distinct (its own time bound), so no cache or single flight merges two. */
const base = Date.parse('2026-12-01T00:00:00Z');
let bound = 0;
const nextBound = () => new Date(base - (bound += 1)).toISOString();

const FLOOD_QUERY = `query(${Array.from({ length: ALIASES }, (_, i) => `$t${i}: DateTime`).join(', ')}) {
  ${Array.from({ length: ALIASES }, (_, i) => `a${i}: alarms(deployment: "acme-east", first: 1, filter: { occurredBefore: $t${i} }) { edges { node { uuid } } }`).join('\n  ')}
}`;
/** `first: 7` asks upstream for 8 rows: B's calls are the ones with size=8. */
const QUIET_QUERY = 'query($t: DateTime) { alarms(deployment: "acme-east", first: 7, filter: { occurredBefore: $t }) { edges { node { uuid } } } }';

const ENV = {
  CACHE_PAGE_TTL_MS: '0',
  CACHE_ALARM_TTL_MS: '0',
  // A's queue is kept short, so the flood's backlog drains soon after it stops.
  UPSTREAM_QUEUE_MAX_WAIT_MS: '3000',
  // A's flood is for the fair queue to share out; A's reads rate limit would refuse it first.
  KEY_BUDGET_MAXIMUM: '0',
  // Each flood query is 25 aliased pages (25 upstream calls): past the default query limits.
  MAX_QUERY_ALIASES: String(ALIASES),
  MAX_QUERY_TOKENS: '5000',
};

async function requestLog(sim: RunningSimulator): Promise<LoggedRequest[]> {
  const all: LoggedRequest[] = [];
  for (let after = 0; ; ) {
    const page = (await (await fetch(`${sim.url}/__sim/requests?after=${after}&limit=10000`)).json()) as {
      next: number;
      requests: LoggedRequest[];
    };
    all.push(...page.requests);
    if (page.requests.length === 0) return all;
    after = page.requests.at(-1)!.seq;
  }
}

async function nextSeq(sim: RunningSimulator): Promise<number> {
  return ((await (await fetch(`${sim.url}/__sim/requests?limit=0`)).json()) as { next: number }).next;
}

/** Runs the flood through `loud` with key A and the quiet queries through `quiet` with key B. */
async function floodAndTrickle(sim: RunningSimulator, loud: TestFacade, keyA: string, quiet: TestFacade, keyB: string) {
  await fetch(`${sim.url}/__sim/stats/reset`, { method: 'POST' });
  const floods: Promise<unknown>[] = [];
  const quiets: Array<{ mark: number; bound: string; answer: Promise<{ errors?: unknown[] }> }> = [];
  const started = performance.now();
  let offered = 0;
  let asked = 0;
  while (performance.now() - started < FLOOD_MS) {
    const elapsed = performance.now() - started;
    // 20 queries of 25 calls a second: 500 GETs a second, five times the quota.
    for (const due = Math.floor(elapsed / 50); offered < due; offered += 1) {
      const variables = Object.fromEntries(Array.from({ length: ALIASES }, (_, i) => [`t${i}`, nextBound()]));
      floods.push(loud.gql(FLOOD_QUERY, variables, { authorization: `Bearer ${keyA}` }));
    }
    if (elapsed >= asked * 100) {
      asked += 1;
      const mark = await nextSeq(sim);
      const t = nextBound();
      quiets.push({ mark, bound: t, answer: quiet.gql(QUIET_QUERY, { t }, { authorization: `Bearer ${keyB}` }).then((r) => r.body) });
    }
    // Real time on purpose: whole facades on real sockets share a real 1 s quota window; the flood is paced in real time.
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
  const quietAnswers = await Promise.all(quiets.map((q) => q.answer));
  await Promise.allSettled(floods);
  const log = (await requestLog(sim)).filter((r) => r.method === 'GET' && r.path === '/alarms');
  return { quiets, quietAnswers, log };
}

function assertFair(result: Awaited<ReturnType<typeof floodAndTrickle>>): void {
  const { quiets, quietAnswers, log } = result;
  assert.equal(quietAnswers.filter((a) => a.errors !== undefined).length, 0, `B's queries failed: ${JSON.stringify(quietAnswers.find((a) => a.errors))}`);
  const isQuiet = (r: LoggedRequest) => new URLSearchParams(r.query).get('size') === '8';
  const ahead = quiets.map(({ mark, bound }) => {
    const lte = String(Date.parse(bound));
    const call = log.find((r) => isQuiet(r) && new URLSearchParams(r.query).get('timestamp_occured_lte') === lte);
    assert.ok(call !== undefined, `B's call for ${bound} reached the simulator`);
    return log.filter((r) => r.seq > mark && r.seq < call.seq).length;
  });
  // B's call waits at most for the window's 95 slots already granted when it asked (some may reach the
  // simulator after the mark) and for the one turn A may hold: within one window, not behind A's backlog.
  assert.ok(Math.max(...ahead) <= 100, `B's calls waited behind at most one window of GETs; most: ${Math.max(...ahead)}`);

  const flood = log.filter((r) => !isQuiet(r));
  const span = flood.at(-1)!.at - flood[0]!.at;
  const windows = Math.floor(span / 1010);
  const quietCalls = log.filter(isQuiet).length;
  const leftForA = windows * 95 - quietCalls;
  assert.ok(flood.length >= 0.9 * leftForA, `A got ${flood.length} GETs of the ${leftForA} B left in ${windows} windows`);
}

/** USM answered no 429 and never saw more than its 100 GETs in a window. */
async function assertWithinQuota(sim: RunningSimulator): Promise<void> {
  const traffic = await clientStats(sim, 'acme-east');
  assert.equal(traffic.responses['429'], undefined, 'no 429');
  assert.ok(traffic.maxGetsInWindow <= 100, `largest window held ${traffic.maxGetsInWindow} GETs`);
}

describe('fair share of the upstream quota between API keys', () => {
  let sim: RunningSimulator;
  before(async () => {
    sim = await startTestSimulator({ deployments: ['acme-east'], alarmsPerDeployment: 2000 });
  });
  after(async () => {
    await sim.stop();
  });

  it('serves a quiet key within one window while another key floods one facade at 5x the quota', async () => {
    const facade = await startTestFacade(ENV, { upstream: { simulator: sim, deployment: 'acme-east' } });
    try {
      const keyA = (await createKey(facade, { name: 'flood', permissions: ['ALARMS_READ'] })).secret;
      const keyB = (await createKey(facade, { name: 'quiet', permissions: ['ALARMS_READ'] })).secret;
      assertFair(await floodAndTrickle(sim, facade, keyA, facade, keyB));
      await assertWithinQuota(sim);
    } finally {
      await facade.stop();
    }
  });

  describe('two replicas on one Redis', () => {
    const prefix = `test:fair:${randomUUID()}:`;
    after(async () => {
      await deleteRedisKeys(prefix);
    });

    it('serves the quiet key on replica 2 within one window while the flood comes through replica 1', async () => {
      const env = { ...ENV, REDIS_URL, REDIS_PREFIX: prefix };
      const first = await startTestFacade(env, { upstream: { simulator: sim, deployment: 'acme-east' } });
      const second = await startTestFacade({ ...env, FACADE_ADMIN_KEY: first.adminKey }, { upstream: { simulator: sim, deployment: 'acme-east' } });
      try {
        const keyA = (await createKey(first, { name: 'flood', permissions: ['ALARMS_READ'] })).secret;
        const keyB = (await createKey(first, { name: 'quiet', permissions: ['ALARMS_READ'] })).secret;
        assertFair(await floodAndTrickle(sim, first, keyA, second, keyB));
        await assertWithinQuota(sim);
      } finally {
        await Promise.all([first.stop(), second.stop()]);
      }
    });
  });
});
