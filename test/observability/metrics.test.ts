/**
 * `/metrics` after a known sequence of requests: it parses as Prometheus text, and each
 * series moved by what the sequence did — a page read, the same page from cache, a
 * refused key, 429s from the simulator, a token the simulator revoked.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startTestFacade, type TestFacade } from '../support/facade.fixture.js';
import { freePort } from '../../bench/processes.js';


interface Exposition {
  types: Map<string, string>;
  /** `name{a="1",b="2"}` (labels sorted) → value */
  samples: Map<string, number>;
}

// prom-client writes NaN as `Nan` (nodejs_eventloop_lag_*_seconds when two scrapes come within the
// histogram's 10 ms resolution, on any Node version), which Prometheus and promtool accept.
const SAMPLE = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (-?[0-9.e+-]+|NaN|Nan|\+Inf|-Inf)$/;
const LABEL = /([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g;

/** Parses the text exposition format strictly enough to fail on anything Prometheus would refuse. */
function parseExposition(text: string): Exposition {
  const types = new Map<string, string>();
  const samples = new Map<string, number>();
  for (const line of text.split('\n')) {
    if (line === '') continue;
    if (line.startsWith('# HELP ')) continue;
    if (line.startsWith('# TYPE ')) {
      const [, , name, type] = line.split(' ');
      assert.ok(['counter', 'gauge', 'histogram', 'summary', 'untyped'].includes(type!), line);
      types.set(name!, type!);
      continue;
    }
    const match = SAMPLE.exec(line);
    assert.ok(match !== null, `not a sample line: ${line}`);
    const [, name, labelText, value] = match;
    const family = [...types.keys()].find((t) => name === t || name!.startsWith(`${t}_`));
    assert.ok(family !== undefined, `sample without # TYPE: ${line}`);
    const labels = [...(labelText ?? '').matchAll(LABEL)].map(([, k, v]) => `${k}="${v}"`).sort();
    samples.set(`${name}{${labels.join(',')}}`, Number(value));
  }
  return { types, samples };
}

const series = (name: string, labels: Record<string, string> = {}) =>
  `${name}{${Object.entries(labels)
    .map(([k, v]) => `${k}="${v}"`)
    .sort()
    .join(',')}}`;

describe('/metrics', () => {
  let facade: TestFacade;
  const scrape = async () => {
    const response = await fetch(facade.metricsUrl!);
    assert.equal(response.status, 200);
    assert.match(response.headers.get('content-type') ?? '', /^text\/plain; version=0\.0\.4/);
    return parseExposition(await response.text());
  };
  const sim = (path: string, body: unknown, method = 'POST') =>
    fetch(`${facade.simulatorUrl}/__sim${path}`, { method, headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });

  before(async () => {
    facade = await startTestFacade({ METRICS_PORT: String(await freePort()), UPSTREAM_RETRY_MAX_ATTEMPTS: '2', UPSTREAM_RETRY_BASE_DELAY_MS: '0' });
  });
  after(() => facade.stop());

  it('serves Prometheus text on its own port, with the process metrics, and nothing else there', async () => {
    const { types } = await scrape();
    assert.equal(types.get('process_cpu_user_seconds_total'), 'counter');
    assert.equal(types.get('usm_facade_upstream_requests_total'), 'counter');
    assert.equal(types.get('usm_facade_graphql_request_duration_seconds'), 'histogram');
    for (const name of types.keys()) assert.match(name, /^[a-z][a-z0-9_]*$/, 'snake_case');
    for (const [name, type] of types) if (type === 'counter') assert.match(name, /_total$/, `${name} is a counter`);
    assert.equal((await fetch(facade.metricsUrl!.replace('/metrics', '/graphql'))).status, 404);
  });

  it('moves each series by what a known sequence of requests did', async () => {
    const query = 'query EastPage { alarms(deployment: "acme-east", first: 5) { totalCount edges { node { id } } } }';
    const east = { deployment: 'acme-east' };
    const before = await scrape();
    const moved = (after: Exposition, name: string, labels: Record<string, string> = {}) =>
      (after.samples.get(series(name, labels)) ?? 0) - (before.samples.get(series(name, labels)) ?? 0);

    // A page read upstream (a miss), then the same page from the response cache (a hit).
    assert.equal((await facade.gql(query)).body.errors, undefined);
    assert.equal((await facade.gql(query)).body.errors, undefined);
    // A refused key.
    assert.equal((await facade.gql(query, {}, { authorization: 'Bearer usmf_nope' })).status, 401);
    // 429s: with two attempts per request, the query fails after one retry.
    await sim('/faults', { deployment: 'acme-east', errorStatus: 429, retryAfterSeconds: 0 });
    const limited = await facade.gql('{ alarms(deployment: "acme-east", first: 6) { totalCount } }');
    await sim('/faults', {}, 'DELETE');
    assert.equal(limited.body.errors?.[0]?.extensions?.['code'], 'UPSTREAM_RATE_LIMITED');
    // A token the simulator revoked: one 401, a new token, the request sent again.
    await sim('/tokens/revoke', east);
    assert.equal((await facade.gql('{ alarms(deployment: "acme-east", first: 7) { totalCount } }')).body.errors, undefined);

    const after = await scrape();
    const list = { ...east, endpoint: '/alarms', method: 'GET' };
    const http = { transport: 'http' };
    assert.equal(moved(after, 'usm_facade_graphql_requests_total', { ...http, operation_type: 'query', operation_name: 'EastPage', outcome: 'ok' }), 2);
    assert.equal(moved(after, 'usm_facade_graphql_requests_total', { ...http, operation_type: 'unknown', operation_name: 'anonymous', outcome: 'UNAUTHENTICATED' }), 1);
    assert.equal(moved(after, 'usm_facade_graphql_requests_total', { ...http, operation_type: 'query', operation_name: 'anonymous', outcome: 'UPSTREAM_RATE_LIMITED' }), 1);
    assert.equal(moved(after, 'usm_facade_graphql_request_duration_seconds_count', { ...http, operation_type: 'query', operation_name: 'EastPage' }), 2);
    assert.equal(moved(after, 'usm_facade_cache_requests_total', { cache: 'response', result: 'miss' }), 3);
    assert.equal(moved(after, 'usm_facade_cache_requests_total', { cache: 'response', result: 'hit' }), 1);
    // The first page, the revoked token's resend and its 401: three 200s or 401s to /alarms, two 429s.
    assert.equal(moved(after, 'usm_facade_upstream_requests_total', { ...list, status: '200' }), 2);
    assert.equal(moved(after, 'usm_facade_upstream_requests_total', { ...list, status: '401' }), 1);
    assert.equal(moved(after, 'usm_facade_upstream_requests_total', { ...list, status: '429' }), 2);
    assert.equal(moved(after, 'usm_facade_upstream_rate_limited_total', east), 2);
    assert.equal(moved(after, 'usm_facade_upstream_retries_total', east), 2, 'the 429 retried once, the 401 sent again once');
    // Every attempt counts: the first page (1) and the resent one with its 401 (2) served an answer; the two 429s were wasted.
    assert.equal(moved(after, 'usm_facade_upstream_calls_by_answer_total', { answer: 'served' }), 3);
    assert.equal(moved(after, 'usm_facade_upstream_calls_by_answer_total', { answer: 'wasted' }), 2);
    assert.equal(moved(after, 'usm_facade_upstream_token_requests_total', { ...east, outcome: 'granted' }), 2, 'the first token and the one after the revocation');
    assert.equal(moved(after, 'usm_facade_upstream_request_duration_seconds_count', { ...east, endpoint: '/alarms', method: 'GET' }), 5);
    assert.equal(moved(after, 'usm_facade_budget_wait_seconds_count', { ...east, class: 'INTERACTIVE' }), 7, 'five list attempts and two token requests');
    // Halved after the 429s (95 → 47), growing back by 5 a second since.
    const limit = after.samples.get(series('usm_facade_quota_limit', { ...east, quota: 'get' }))!;
    assert.ok(limit >= 47 && limit < 95, `GET limit ${limit}`);
    assert.equal(after.samples.get(series('usm_facade_quota_limit', { deployment: 'acme-west', quota: 'get' })), 95);
    assert.equal(after.samples.get(series('usm_facade_upstream_breaker_state', { ...east, state: 'closed' })), 1);
    assert.equal(after.samples.get(series('usm_facade_upstream_credential_state', { ...east, state: 'WORKING' })), 1);
    assert.equal(after.samples.get(series('usm_facade_live_groups')), 0);
  });
});
