/**
 * The `schema` bench case: what the GraphQL facade costs on top of the USM API it
 * wraps, all in this process (simulator, facades, bare server and load generator share
 * one event loop, so every side pays the same client costs).
 *
 * - Overhead: 300 sequential rounds after warm-up, each one request of four, paced
 *   under the upstream's quota (100 GET/s per client) so none waits for it: the 50
 *   newest alarms of acme-east from the simulator's REST API directly (`GET
 *   /alarms?size=50`, bearer token), and the same 50 through the facade with its page
 *   cache off (so each request makes its one upstream list call), once with a realistic
 *   selection (events, labels, deployment, endpoints: ~2,500 resolved fields), once
 *   with a slim one, and once with the realistic selection through a second facade that
 *   keeps no parsed documents (`UPSTREAM_PARSED_DOCUMENTS=0`: every document parsed,
 *   read and mapped anew, as when the whole page is new). Overhead = facade latency −
 *   direct latency, at p50 and p99.
 * - Cached throughput: 16 concurrent callers for 5 s against a facade with the default
 *   TTLs: the realistic 50-alarm page (its page cache answers; one upstream call per
 *   2 s), and one alarm by id (its document cache answers).
 * - Reference: a bare Apollo Server (the facade's stack: `@apollo/server` with the
 *   express 5 integration and `express.json`, on an `http.Server`) answering a constant
 *   `{ hello }` under the same load.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import express from 'express';
import { ApolloServer } from '@apollo/server';
import { expressMiddleware } from '@as-integrations/express5';
import { Agent, fetch } from 'undici';
import { loadConfig } from '../src/config/config.js';
import { formatApiKey, newKeyId, newSecret } from '../src/keys/api-key.format.js';
import { encodeGlobalId } from '../src/graph/node/global.id.js';
import { startFacade, type RunningFacade } from '../src/main.js';
import { startSimulator, type RunningSimulator } from '../src/simulator/simulator.js';

const SEQUENTIAL = 300;
const WARM_UP = 30;
/** Rounds per second in the overhead run: three facade list calls each (one client), under USM's 100 GET/s. */
const ROUNDS_PER_SECOND = 30;
const CONCURRENCY = 16;
const LOAD_MS = 5_000;

const PAGE_QUERY = `{
  alarms(deployment: "acme-east", first: 50) {
    pageInfo { hasNextPage endCursor }
    edges { cursor node {
      id uuid status priority priorityLabel suppressed ruleIntent ruleMethod ruleStrategy
      occurredAt receivedAt labelIds sensorSources
      sources { address hostname } destinations { address hostname }
      deployment { name }
      events { edges { node { id name occurredAt plugin } } }
    } }
  }
}`;
const SLIM_QUERY = '{ alarms(deployment: "acme-east", first: 50) { edges { node { id status priorityLabel occurredAt labelIds } } } }';
const alarmQuery = (id: string) => `{ alarm(id: "${id}") { id status priorityLabel occurredAt labelIds } }`;

function percentile(sorted: readonly number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function timed(request: () => Promise<void>): Promise<number> {
  const start = performance.now();
  await request();
  return performance.now() - start;
}

function graphql(dispatcher: Agent, url: string, query: string, key?: string): () => Promise<void> {
  const body = JSON.stringify({ query });
  const headers: Record<string, string> = { 'content-type': 'application/json' };
  if (key !== undefined) headers.authorization = `Bearer ${key}`;
  return async () => {
    const response = await fetch(url, { method: 'POST', headers, body, dispatcher });
    const text = await response.text();
    if (response.status !== 200 || text.includes('"errors"')) throw new Error(`GraphQL answered ${response.status}: ${text.slice(0, 300)}`);
  };
}

/** Calls `request` from `concurrency` loops for `durationMs`; answers per second. */
async function load(request: () => Promise<void>, durationMs: number): Promise<number> {
  const end = performance.now() + durationMs;
  let done = 0;
  const worker = async () => {
    while (performance.now() < end) {
      await request();
      done += 1;
    }
  };
  const start = performance.now();
  await Promise.all(Array.from({ length: CONCURRENCY }, worker));
  return done / ((performance.now() - start) / 1000);
}

/** A facade over `sim` (Central and every deployment), with its own store and admin key. */
async function facadeOver(sim: RunningSimulator, dispatcher: Agent, env: Record<string, string>) {
  const dataDir = await mkdtemp(path.join(tmpdir(), 'usm-facade-bench-'));
  const file = path.join(dataDir, 'usm.json');
  await writeFile(
    file,
    JSON.stringify({
      central: { url: sim.central.url, clientId: sim.central.clientId, clientSecret: sim.central.clientSecret },
      deployments: sim.deployments.map((d) => ({ name: d.name, url: d.url, clientId: d.clientId, clientSecret: d.clientSecret })),
    }),
  );
  const key = formatApiKey(newKeyId(), newSecret());
  const facade: RunningFacade = await startFacade(
    loadConfig({
      NODE_ENV: 'production',
      LOG_LEVEL: 'silent',
      PORT: '0',
      HOST: '127.0.0.1',
      // Two facades in this process: neither needs /metrics, and both would want 9464.
      METRICS_PORT: '0',
      DATA_DIR: dataDir,
      FACADE_ADMIN_KEY: key,
      USM_CONFIG: file,
      // One key sends every round, faster than a client's reads limit allows: the bench measures the facade, not the limit.
      KEY_BUDGET_MAXIMUM: '0',
      ...env,
    }),
  );
  const url = facade.url.replace('localhost', '127.0.0.1');
  return {
    request: (query: string) => graphql(dispatcher, url, query, key),
    async stop() {
      await facade.stop();
      await rm(dataDir, { recursive: true, force: true });
    },
  };
}

/** The reference: Apollo Server on express 5 answering a constant. */
async function startBareApollo(): Promise<{ url: string; stop(): Promise<void> }> {
  const app = express();
  const server = http.createServer(app);
  const apollo = new ApolloServer({
    typeDefs: 'type Query { hello: String! }',
    resolvers: { Query: { hello: () => 'world' } },
  });
  await apollo.start();
  app.use('/graphql', express.json(), expressMiddleware(apollo));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/graphql`,
    async stop() {
      await apollo.stop();
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}

export async function run(): Promise<Record<string, number | string>> {
  const sim = await startSimulator({ port: 0 });
  // One keep-alive pool for every request the bench makes, so no side pays for connecting.
  const dispatcher = new Agent({ connections: CONCURRENCY * 2, keepAliveTimeout: 30_000 });
  try {
    // Direct reads under a client of their own: the facade's quota stays the facade's.
    const created = (await (
      await fetch(`${sim.url}/__sim/clients`, {
        dispatcher,
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ deployment: 'acme-east' }),
      })
    ).json()) as { clientId: string; clientSecret: string };
    const east = sim.deployments.find((d) => d.name === 'acme-east')!;
    const basic = Buffer.from(`${created.clientId}:${created.clientSecret}`).toString('base64');
    const { access_token: token } = (await (
      await fetch(`${east.url}/oauth/token?grant_type=client_credentials`, {
        dispatcher,
        method: 'POST',
        headers: { authorization: `Basic ${basic}` },
      })
    ).json()) as { access_token: string };
    const direct = async () => {
      const response = await fetch(`${east.url}/alarms?size=50&sort=timestamp_occured,desc`, {
        headers: { authorization: `Bearer ${token}` },
        dispatcher,
      });
      const page = (await response.json()) as { _embedded: { alarms: unknown[] } };
      if (page._embedded.alarms.length !== 50) throw new Error('direct page is not 50 alarms');
    };
    const newest = (
      (await (
        await fetch(`${east.url}/alarms?size=1`, { headers: { authorization: `Bearer ${token}` }, dispatcher })
      ).json()) as { _embedded: { alarms: Array<{ uuid: string }> } }
    )._embedded.alarms[0]!.uuid;

    // Overhead, page cache off: every facade request makes its one upstream list call.
    const uncached = await facadeOver(sim, dispatcher, { CACHE_PAGE_TTL_MS: '0' });
    const unmemoised = await facadeOver(sim, dispatcher, { CACHE_PAGE_TTL_MS: '0', UPSTREAM_PARSED_DOCUMENTS: '0' });
    const full = uncached.request(PAGE_QUERY);
    const slim = uncached.request(SLIM_QUERY);
    const fresh = unmemoised.request(PAGE_QUERY);
    const directMs: number[] = [];
    const fullMs: number[] = [];
    const slimMs: number[] = [];
    const freshMs: number[] = [];
    try {
      for (let i = 0; i < WARM_UP + SEQUENTIAL; i += 1) {
        const slot = sleep(1000 / ROUNDS_PER_SECOND);
        const d = await timed(direct);
        const f = await timed(full);
        const s = await timed(slim);
        const n = await timed(fresh);
        if (i >= WARM_UP) {
          directMs.push(d);
          fullMs.push(f);
          slimMs.push(s);
          freshMs.push(n);
        }
        await slot;
      }
    } finally {
      await uncached.stop();
      await unmemoised.stop();
    }
    for (const list of [directMs, fullMs, slimMs, freshMs]) list.sort((a, b) => a - b);

    // Cached throughput, default TTLs.
    const cached = await facadeOver(sim, dispatcher, {});
    let pagePerSecond: number;
    let alarmPerSecond: number;
    try {
      const page = cached.request(PAGE_QUERY);
      await load(page, 500);
      pagePerSecond = await load(page, LOAD_MS);
      const one = cached.request(alarmQuery(encodeGlobalId('Alarm', 'acme-east', newest)));
      await load(one, 500);
      alarmPerSecond = await load(one, LOAD_MS);
    } finally {
      await cached.stop();
    }

    const bare = await startBareApollo();
    let barePerSecond: number;
    try {
      const hello = graphql(dispatcher, bare.url, '{ hello }');
      await load(hello, 500);
      barePerSecond = await load(hello, LOAD_MS);
    } finally {
      await bare.stop();
    }

    const p = (list: number[], q: number) => percentile(list, q);
    const share = (n: number) => `${Math.round((n / barePerSecond) * 100)} %`;
    return {
      'rounds (sequential, after warm-up)': SEQUENTIAL,
      'direct REST p50 / p99 ms (GET /alarms?size=50)': `${p(directMs, 50).toFixed(2)} / ${p(directMs, 99).toFixed(2)}`,
      'facade p50 / p99 ms, 50 alarms, realistic selection (page cache off)': `${p(fullMs, 50).toFixed(2)} / ${p(fullMs, 99).toFixed(2)}`,
      'facade overhead p50 ms, realistic selection': p(fullMs, 50) - p(directMs, 50),
      'facade overhead p99 ms, realistic selection': p(fullMs, 99) - p(directMs, 99),
      'facade p50 / p99 ms, realistic selection, every document parsed anew': `${p(freshMs, 50).toFixed(2)} / ${p(freshMs, 99).toFixed(2)}`,
      'facade overhead p50 ms, realistic selection, every document parsed anew': p(freshMs, 50) - p(directMs, 50),
      'facade overhead p99 ms, realistic selection, every document parsed anew': p(freshMs, 99) - p(directMs, 99),
      'facade p50 / p99 ms, 50 alarms, 5 fields each (page cache off)': `${p(slimMs, 50).toFixed(2)} / ${p(slimMs, 99).toFixed(2)}`,
      'facade overhead p50 ms, 5 fields each': p(slimMs, 50) - p(directMs, 50),
      'facade overhead p99 ms, 5 fields each': p(slimMs, 99) - p(directMs, 99),
      [`facade cached req/s, realistic 50-alarm page (${CONCURRENCY} concurrent)`]: `${pagePerSecond.toFixed(0)} (${share(pagePerSecond)} of bare)`,
      [`facade cached req/s, one alarm by id (${CONCURRENCY} concurrent)`]: `${alarmPerSecond.toFixed(0)} (${share(alarmPerSecond)} of bare)`,
      [`bare Apollo Server { hello } req/s (${CONCURRENCY} concurrent)`]: barePerSecond,
    };
  } finally {
    await sim.stop();
    await dispatcher.close();
  }
}
