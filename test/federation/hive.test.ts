/**
 * The facade behind Hive Gateway, a real process with the config the README shows:
 * composed with another team's subgraph that extends `Alarm`, dashboards subscribing
 * through it (client → gateway over graphql-ws or SSE, gateway → facade over one
 * graphql-ws connection per key), and every refusal reaching the client with its code.
 */
import { after, before, beforeEach, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createClient as createWsClient, type Client as WsClient } from 'graphql-ws';
import { createClient as createSseClient } from 'graphql-sse';
import { WebSocket } from 'ws';
import { createKey, dataOf, REVOKE } from '../apikey/apikey.fixture.js';
import { postGraphQL } from '../support/graphql.client.js';
import { injectAlarms, logEnd, record, startLiveFacade, TURN_MS, untilListCallsAnswered, type LiveFacade, type Payload } from '../live/live.fixture.js';
import { freePort } from '../../bench/processes.js';
import { encodeGlobalId } from '../../src/graph/node/global.id.js';
import { composeSupergraph } from '../../src/graph/supergraph.file.js';
import { startHiveGateway, type RunningGateway } from './hive.gateway.js';
import { startTicketsSubgraph, type TicketsSubgraph } from './tickets.subgraph.js';

const DEPLOYMENT = 'acme-east';
const DASHBOARDS = 100;
const page = (first: number) =>
  `subscription { alarmPage(deployment: "${DEPLOYMENT}", first: ${first}, orderBy: { field: RECEIVED_AT, direction: DESC }) { totalCount edges { node { uuid } } } }`;
const headOf = (payload: Payload) => {
  assert.equal(payload.errors, undefined, JSON.stringify(payload.errors));
  return (payload.data!['alarmPage'] as { edges: Array<{ node: { uuid: string } }> }).edges[0]!.node.uuid;
};
const codeOf = (payload: { errors?: ReadonlyArray<{ extensions?: Record<string, unknown> }> }) => payload.errors?.[0]?.extensions?.['code'];

/** A graphql-ws client of the gateway that sends `authorization` in connection_init, as the README says. */
const gatewayWs = (gateway: RunningGateway, key: string): WsClient =>
  createWsClient({
    url: gateway.url.replace(/^http/, 'ws'),
    webSocketImpl: WebSocket,
    retryAttempts: 0,
    connectionParams: { authorization: `Bearer ${key}` },
  });

/** The facade's open graphql-ws connections, as its /metrics reports them. */
async function webSocketsAt(metricsUrl: string): Promise<{ authenticated: number; unauthenticated: number }> {
  const text = await (await fetch(metricsUrl)).text();
  const read = (state: string) => Number(new RegExp(`^usm_facade_websocket_connections\\{state="${state}"\\} (\\d+)`, 'm').exec(text)?.[1] ?? NaN);
  return { authenticated: read('authenticated'), unauthenticated: read('unauthenticated') };
}

/** GraphQL requests over HTTP the facade answered, every outcome together (its /metrics). */
async function graphqlRequestsAt(metricsUrl: string): Promise<number> {
  const text = await (await fetch(metricsUrl)).text();
  return [...text.matchAll(/^usm_facade_graphql_requests_total\{[^}]*\} (\d+)/gm)].reduce((sum, match) => sum + Number(match[1]), 0);
}

/** Failed logins the facade counted, every transport together, as its /metrics reports them. */
async function failedLoginsAt(metricsUrl: string): Promise<number> {
  const text = await (await fetch(metricsUrl)).text();
  return [...text.matchAll(/^usm_facade_failed_logins_total\{transport="\w+"\} (\d+)/gm)].reduce((sum, match) => sum + Number(match[1]), 0);
}

describe('the facade behind Hive Gateway', () => {
  let live: LiveFacade;
  let tickets: TicketsSubgraph;
  let gateway: RunningGateway;

  before(async () => {
    live = await startLiveFacade({
      LIVE_MAX_SUBSCRIPTIONS_PER_KEY: String(DASHBOARDS + 10),
      KEY_BUDGET_MAXIMUM: '0',
      METRICS_PORT: String(await freePort()),
    });
    tickets = await startTicketsSubgraph();
    const { body } = await live.facade.gql<{ _service: { sdl: string } }>('{ _service { sdl } }');
    const supergraph = composeSupergraph([
      { name: 'usm', url: live.facade.url, sdl: body.data!._service.sdl },
      { name: 'tickets', url: tickets.url, sdl: tickets.sdl },
    ]);
    gateway = await startHiveGateway({ supergraph });
    // The gateway loads its WebSocket transport on first use, and each subscription that
    // starts meanwhile opens a socket of its own (bench router-live measures it): one first.
    await live.clock.advance(Math.max(0, Date.now() - live.clock.now()));
    const warm = gatewayWs(gateway, live.key);
    const first = record(warm, page(1));
    assert.equal((await first.next(20_000)).errors, undefined);
    first.stop();
    await warm.dispose();
  });
  after(async () => {
    await gateway?.stop();
    await tickets?.stop();
    await live?.facade.stop();
  });

  /**
   * The live clock is hand-driven and the gateway takes real seconds to start: a poll's
   * deadline is read on that clock, so it is brought to the wall clock before each test.
   */
  beforeEach(async () => {
    await live.clock.advance(Math.max(0, Date.now() - live.clock.now()));
  });

  const viaGateway = <T>(query: string, key: string, variables: Record<string, unknown> = {}) =>
    postGraphQL<T>(gateway.url, query, variables, { authorization: `Bearer ${key}` });

  it('answers queries across both subgraphs, entities both ways, with the client’s key forwarded', async () => {
    const direct = dataOf(await live.facade.gql<{ alarms: { edges: Array<{ node: { id: string; status: string } }> } }>(
      `{ alarms(deployment: "${DEPLOYMENT}", first: 3) { edges { node { id status } } } }`,
    ));
    const [first, second] = direct.alarms.edges.map((edge) => edge.node);
    tickets.setTickets([
      { id: 't-1', title: 'Investigate the first', alarmId: first!.id },
      { id: 't-2', title: 'Investigate the second', alarmId: second!.id },
    ]);
    const fromTicket = await viaGateway<{ ticket: { title: string; alarm: { id: string; status: string } } }>(
      '{ ticket(id: "t-1") { title alarm { id status } } }',
      live.key,
    );
    assert.deepEqual(fromTicket.body.errors, undefined);
    assert.deepEqual(fromTicket.body.data!.ticket, { title: 'Investigate the first', alarm: { id: first!.id, status: first!.status } });

    const fromAlarms = await viaGateway<{ alarms: { edges: Array<{ node: { id: string; tickets: Array<{ title: string }> } }> } }>(
      `{ alarms(deployment: "${DEPLOYMENT}", first: 3) { edges { node { id tickets { title } } } } }`,
      live.key,
    );
    assert.deepEqual(fromAlarms.body.errors, undefined);
    assert.deepEqual(
      fromAlarms.body.data!.alarms.edges.map((edge) => edge.node.tickets.map((ticket) => ticket.title)),
      [['Investigate the first'], ['Investigate the second'], []],
    );
  });

  it('passes on a refused query with the facade’s code and message: no key, a key without the permission', async () => {
    const anonymous = await postGraphQL(gateway.url, `{ alarms(first: 1) { totalCount } }`);
    assert.equal(codeOf(anonymous.body), 'UNAUTHENTICATED', JSON.stringify(anonymous.body));
    assert.match(anonymous.body.errors![0]!.message, /An API key is required/);

    const { secret } = await createKey(live.facade, { name: 'labels only', permissions: ['ALARMS_READ'] });
    const forbidden = await viaGateway('mutation { addAlarmLabel(alarmId: "QWxhcm06YWNtZS1lYXN0Ong=", labelId: "x") { id } }', secret);
    assert.equal(codeOf(forbidden.body), 'FORBIDDEN', JSON.stringify(forbidden.body));
    assert.match(forbidden.body.errors![0]!.message, /ALARMS_WRITE|alarms:write/i);
  });

  it('passes on a key over its budget with RATE_LIMITED and retryAfterSeconds, nothing sent upstream for it', async () => {
    // One point: the first two-call read runs on a full bucket and leaves it in debt; the next, at once, must wait.
    const { secret } = await createKey(live.facade, { name: 'tight budget', permissions: ['ALARMS_READ'], budget: { maximum: 1, restoreRate: 1 } });
    const read = (first: number) => `{ alarms(deployment: "${DEPLOYMENT}", first: ${first}) { totalCount } }`;
    assert.equal((await viaGateway(read(7), secret)).body.errors, undefined);
    const refused = await viaGateway(read(8), secret);
    assert.equal(codeOf(refused.body), 'RATE_LIMITED', JSON.stringify(refused.body));
    const retryAfter = refused.body.errors![0]!.extensions?.['retryAfterSeconds'];
    assert.ok(typeof retryAfter === 'number' && retryAfter >= 1, JSON.stringify(refused.body));
  });

  it('refuses at the gateway what the facade would refuse for its cost, reading the facade’s @cost/@listSize, before it reaches the facade', async () => {
    const ids = (from: number) =>
      Array.from({ length: 60 }, (_, i) => encodeGlobalId('Alarm', DEPLOYMENT, `00000000-0000-0000-0000-${String(from + i).padStart(12, '0')}`));
    const query = 'query($a: [ID!]!, $b: [ID!]!) { a: nodes(ids: $a) { id } b: nodes(ids: $b) { id } }';
    const direct = await live.facade.gql(query, { a: ids(0), b: ids(60) });
    assert.equal(codeOf(direct.body), 'COST_LIMIT_EXCEEDED', 'the facade itself refuses it');
    const requests = await graphqlRequestsAt(live.facade.metricsUrl!);
    const routed = await viaGateway(query, live.key, { a: ids(0), b: ids(60) });
    assert.equal(codeOf(routed.body), 'COST_ESTIMATED_TOO_EXPENSIVE', JSON.stringify(routed.body));
    assert.equal(await graphqlRequestsAt(live.facade.metricsUrl!), requests, 'the facade never saw it');
    const ordinary = await viaGateway(`{ alarms(first: 50, filter: { priority: [HIGH] }) { totalCount edges { node { id uuid status } } } }`, live.key);
    assert.equal(ordinary.body.errors, undefined, 'an ordinary page passes the gateway’s demand control');
  });

  it(`gives ${DASHBOARDS} dashboards on one key their first page and a new alarm, the gateway multiplexing them onto one WebSocket`, async () => {
    const { facade, clock, key } = live;
    const mark = await logEnd(facade.simulatorUrl);
    // Half the wall on SSE (a stream each), half on five WebSockets to the gateway.
    const wsClients = Array.from({ length: 5 }, () => gatewayWs(gateway, key));
    const sseClients = Array.from({ length: DASHBOARDS / 2 }, () =>
      createSseClient({ url: gateway.url, headers: { authorization: `Bearer ${key}` }, retryAttempts: 0 }),
    );
    const dashboards = [
      ...sseClients.map((client, i) => record(client, page(1 + (i % 5)))),
      ...Array.from({ length: DASHBOARDS / 2 }, (_, i) => record(wsClients[i % wsClients.length]!, page(1 + (i % 5)))),
    ];
    try {
      const firsts = await Promise.all(dashboards.map((dashboard) => dashboard.next(20_000)));
      for (const first of firsts) assert.equal(first.errors, undefined, JSON.stringify(first.errors));
      const sockets = await webSocketsAt(facade.metricsUrl!);
      assert.equal(sockets.unauthenticated, 0);
      assert.equal(sockets.authenticated, 1, `the gateway multiplexes the ${DASHBOARDS} subscriptions of one key onto one WebSocket`);
      await untilListCallsAnswered(facade.simulatorUrl, mark, 5);
      const [created] = await injectAlarms(facade.simulatorUrl, DEPLOYMENT);
      await clock.advance(TURN_MS);
      const updates = await Promise.all(dashboards.map((dashboard) => dashboard.next(20_000)));
      for (const update of updates) assert.equal(headOf(update), created!.uuid);
    } finally {
      for (const dashboard of dashboards) dashboard.stop();
      for (const client of sseClients) client.dispose();
      await Promise.all(wsClients.map((client) => client.dispose()));
    }
  });

  it('carries alarmCreated and SSE (client → gateway) too', async () => {
    const { facade, clock, key } = live;
    const sse = createSseClient({ url: gateway.url, headers: { authorization: `Bearer ${key}` }, retryAttempts: 0 });
    const ws = gatewayWs(gateway, key);
    try {
      const mark = await logEnd(facade.simulatorUrl);
      const created = record(ws, `subscription { alarmCreated(deployment: "${DEPLOYMENT}") { uuid } }`);
      const pageOverSse = record(sse, page(2));
      const first = await pageOverSse.next(10_000);
      assert.equal(first.errors, undefined, JSON.stringify(first.errors));
      await untilListCallsAnswered(facade.simulatorUrl, mark, 2);
      const [alarm] = await injectAlarms(facade.simulatorUrl, DEPLOYMENT);
      await clock.advance(TURN_MS);
      assert.equal(headOf(await pageOverSse.next(10_000)), alarm!.uuid);
      const news = await created.next(10_000);
      assert.equal(news.errors, undefined, JSON.stringify(news.errors));
      assert.equal((news.data!['alarmCreated'] as { uuid: string }).uuid, alarm!.uuid);
      created.stop();
      pageOverSse.stop();
    } finally {
      sse.dispose();
      await ws.dispose();
    }
  });

  it('tells a bad key’s client UNAUTHENTICATED within a second, with one failed login at the facade', async () => {
    const before = await failedLoginsAt(live.facade.metricsUrl!);
    const ws = gatewayWs(gateway, 'usmf_not-a-real-key');
    try {
      const started = performance.now();
      const dashboards = Array.from({ length: 5 }, () => record(ws, page(1)));
      const refusals = await Promise.all(dashboards.map((dashboard) => dashboard.next(5_000)));
      const elapsed = performance.now() - started;
      for (const refusal of refusals) {
        assert.equal(codeOf(refusal), 'UNAUTHENTICATED', JSON.stringify(refusal));
        assert.match(refusal.errors![0]!.message, /invalid|malformed/);
      }
      assert.ok(elapsed < 1_000, `refused after ${Math.round(elapsed)} ms`);
      assert.equal(await failedLoginsAt(live.facade.metricsUrl!), before + 1, 'one failed login for the five dashboards the gateway multiplexed');
    } finally {
      await ws.dispose();
    }
  });

  it('ends a revoked key’s subscriptions behind the gateway with UNAUTHENTICATED', async () => {
    const { facade } = live;
    const created = await createKey(facade, { name: 'to revoke', permissions: ['ALARMS_READ'] });
    const ws = gatewayWs(gateway, created.secret);
    try {
      const dashboard = record(ws, page(1));
      assert.equal((await dashboard.next(10_000)).errors, undefined);
      dataOf(await facade.gql(REVOKE, { id: created.key.id }));
      const last = await dashboard.next(5_000);
      assert.equal(codeOf(last), 'UNAUTHENTICATED', JSON.stringify(last));
      assert.match(last.errors![0]!.message, /revoked/);
    } finally {
      await ws.dispose();
    }
  });

  it('passes on a refused subscription with its code: past LIVE_MAX_SUBSCRIPTIONS_PER_KEY, LIMIT_EXCEEDED', async () => {
    const small = await startLiveFacade({ LIVE_MAX_SUBSCRIPTIONS_PER_KEY: '2' });
    const { body } = await small.facade.gql<{ _service: { sdl: string } }>('{ _service { sdl } }');
    const narrow = await startHiveGateway({ supergraph: composeSupergraph([{ name: 'usm', url: small.facade.url, sdl: body.data!._service.sdl }]) });
    await small.clock.advance(Math.max(0, Date.now() - small.clock.now()));
    const ws = gatewayWs(narrow, small.key);
    try {
      const running = [record(ws, page(1)), record(ws, page(2))];
      for (const subscription of running) assert.equal((await subscription.next(10_000)).errors, undefined);
      const third = record(ws, page(3));
      const refused = await third.next(5_000);
      assert.equal(codeOf(refused), 'LIMIT_EXCEEDED', JSON.stringify(refused));
      assert.match(refused.errors![0]!.message, /LIVE_MAX_SUBSCRIPTIONS_PER_KEY/);
      for (const subscription of running) subscription.stop();
    } finally {
      await ws.dispose();
      await narrow.stop();
      await small.facade.stop();
    }
  });
});
