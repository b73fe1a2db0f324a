/**
 * The facade as a subgraph behind Grafbase Gateway (a real `grafbase dev` process),
 * composed with another team's tickets subgraph:
 * - queries cross both subgraphs with entities both ways, on the client's own key;
 * - 100 subscriptions of one key (client → Grafbase over SSE, Grafbase → facade over
 *   graphql-ws) all get their first page, then an alarm injected at the simulator;
 * - refusals reach the client with the facade's `extensions.code` and message.
 * Skipped where Grafbase's CLI is not installed (it ships for linux x64 only).
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createClient, type Client } from 'graphql-sse';
import { formatApiKey, newKeyId, newSecret } from '../../src/keys/api-key.format.js';
import { encodeGlobalId } from '../../src/graph/node/global.id.js';
import { bearer, createKey, dataOf, within } from '../apikey/apikey.fixture.js';
import { injectAlarms, record, startLiveFacade, TURN_MS, type LiveFacade, type Payload, type Recorded } from '../live/live.fixture.js';
import { startTestFacade, type TestFacade } from '../support/facade.fixture.js';
import { postGraphQL } from '../support/graphql.client.js';
import { freePort } from '../../bench/processes.js';
import { GRAFBASE_MISSING, startGrafbase, type RunningGrafbase } from './grafbase.gateway.js';
import { startTicketsSubgraph, type TicketsSubgraph } from './tickets.subgraph.js';

const DEPLOYMENT = 'acme-east';
const SUBSCRIBERS = 100;
/** What routers and graphql-request send. */
const CLIENT_ACCEPT = { accept: 'application/graphql-response+json, application/json' };

const page = (first: number) => `subscription { alarmPage(deployment: "${DEPLOYMENT}", first: ${first}, orderBy: { field: RECEIVED_AT, direction: DESC }) {
  edges { node { id uuid tickets { title } } } } }`;

interface LivePage {
  edges: Array<{ node: { id: string; uuid: string; tickets: Array<{ title: string }> } }>;
}
const pageOf = (payload: Payload): LivePage => {
  assert.equal(payload.errors, undefined, `errors instead of a page: ${JSON.stringify(payload.errors)}`);
  return payload.data!['alarmPage'] as LivePage;
};

/** The one error of a refused answer. */
function refusalOf(answer: { data?: unknown; errors?: ReadonlyArray<{ message: string; extensions?: Record<string, unknown> }> }) {
  assert.equal(answer.errors?.length, 1, `expected one error, got ${JSON.stringify(answer)}`);
  return { code: answer.errors[0]!.extensions?.['code'], message: answer.errors[0]!.message };
}

/** A client of the gateway over Server-Sent Events (POST, `Accept: text/event-stream`), one stream per operation. */
const sseClient = (gateway: RunningGrafbase, headers: Record<string, string>): Client =>
  createClient({ url: gateway.url, headers, retryAttempts: 0 });

/**
 * A query through the gateway. Grafbase asks the facade with `Accept:
 * application/graphql-response+json, application/json`, so refusals come back 200 with
 * `errors`; a 4xx it would turn into SUBGRAPH_REQUEST_ERROR, dropping the code. It
 * answers the client 200 for them too, whatever the client's Accept.
 */
const viaGateway = <T>(gateway: RunningGrafbase, query: string, variables: Record<string, unknown> = {}, headers: Record<string, string> = {}) =>
  postGraphQL<T>(gateway.url, query, variables, { ...CLIENT_ACCEPT, ...headers });

describe('the facade behind Grafbase Gateway', { skip: GRAFBASE_MISSING }, () => {
  let tickets: TicketsSubgraph;
  before(async () => {
    tickets = await startTicketsSubgraph();
  });
  after(async () => {
    await tickets?.stop();
  });

  describe('one supergraph of the facade and the tickets subgraph', () => {
    let live: LiveFacade;
    let gateway: RunningGrafbase;
    before(async () => {
      live = await startLiveFacade({ LIVE_MAX_SUBSCRIPTIONS_PER_KEY: String(SUBSCRIBERS) });
      gateway = await startGrafbase({ facade: live.facade, subgraphs: [{ name: 'tickets', url: tickets.url, sdl: tickets.sdl }] });
    });
    after(async () => {
      await gateway?.stop();
      await live?.facade.stop();
    });

    /** The first five alarms of every deployment, as the facade itself answers them to the test's key. */
    const firstFive = async () =>
      dataOf(
        await live.facade.gql<{ alarms: { edges: Array<{ node: { id: string; status: string; priorityLabel: string } }> } }>(
          '{ alarms(first: 5) { edges { node { id status priorityLabel } } } }',
          {},
          bearer(live.key),
        ),
      ).alarms.edges.map((edge) => edge.node);

    it('resolves a ticket’s alarm at the facade, on the client’s key', async () => {
      const alarms = await firstFive();
      tickets.setTickets([{ id: 't-1', title: 'Phishing on the mail relay', alarmId: alarms[1]!.id }]);
      const answer = await viaGateway<{ viewer: { name: string }; ticket: { title: string; alarm: { id: string; status: string; priorityLabel: string } } }>(
        gateway,
        'query($id: ID!) { viewer { name } ticket(id: $id) { title alarm { id status priorityLabel } } }',
        { id: 't-1' },
        bearer(live.key),
      );
      assert.equal(answer.status, 200);
      assert.equal(answer.body.errors, undefined, JSON.stringify(answer.body.errors));
      assert.equal(answer.body.data!.viewer.name, 'wall screen', 'the facade saw the client’s key, not another');
      assert.deepEqual(answer.body.data!.ticket, { title: 'Phishing on the mail relay', alarm: alarms[1] });
    });

    it('resolves each alarm’s tickets at the tickets subgraph, in one _entities call for the page', async () => {
      const alarms = await firstFive();
      tickets.setTickets([
        { id: 't-1', title: 'Isolate the host', alarmId: alarms[0]!.id },
        { id: 't-2', title: 'Reset the password', alarmId: alarms[0]!.id },
        { id: 't-3', title: 'Ask the user', alarmId: alarms[3]!.id },
        { id: 't-4', title: 'About no alarm', alarmId: null },
      ]);
      const calls = tickets.entityCalls();
      const answer = await viaGateway<{ alarms: { edges: Array<{ node: { id: string; tickets: Array<{ title: string }> } }> } }>(
        gateway,
        '{ alarms(first: 5) { edges { node { id tickets { title } } } } }',
        {},
        bearer(live.key),
      );
      assert.equal(answer.body.errors, undefined, JSON.stringify(answer.body.errors));
      assert.deepEqual(
        answer.body.data!.alarms.edges.map((edge) => edge.node),
        [
          { id: alarms[0]!.id, tickets: [{ title: 'Isolate the host' }, { title: 'Reset the password' }] },
          { id: alarms[1]!.id, tickets: [] },
          { id: alarms[2]!.id, tickets: [] },
          { id: alarms[3]!.id, tickets: [{ title: 'Ask the user' }] },
          { id: alarms[4]!.id, tickets: [] },
        ],
      );
      assert.equal(tickets.entityCalls() - calls, 1);
    });

    describe(`${SUBSCRIBERS} subscriptions of one key over SSE`, () => {
      let client: Client;
      let subscriptions: Recorded[] = [];
      const sizeOf = (index: number) => 1 + (index % 10);
      before(() => {
        client = sseClient(gateway, bearer(live.key));
      });
      after(() => {
        for (const subscription of subscriptions) subscription.stop();
        client?.dispose();
      });

      it('gives every one its first page', async () => {
        tickets.setTickets([]);
        subscriptions = Array.from({ length: SUBSCRIBERS }, (_, index) => record(client, page(sizeOf(index))));
        const firsts = await Promise.all(subscriptions.map((subscription) => subscription.next(15_000).then(pageOf)));
        const longest = firsts[9]!.edges.map((edge) => edge.node.uuid);
        assert.equal(longest.length, 10);
        firsts.forEach((first, index) => {
          assert.deepEqual(
            first.edges.map((edge) => edge.node.uuid),
            longest.slice(0, sizeOf(index)),
            `subscription ${index}: the newest ${sizeOf(index)} alarms of ${DEPLOYMENT}`,
          );
        });
      });

      it('sends every one an alarm injected at the simulator, with its ticket from the other subgraph', async () => {
        const [created] = await injectAlarms(live.facade.simulatorUrl, DEPLOYMENT);
        // Its id as the facade will stream it (asserted below); a query for it now could answer a page cached before it arrived.
        const id = encodeGlobalId('Alarm', DEPLOYMENT, created!.uuid);
        tickets.setTickets([{ id: 't-new', title: 'Triage the new alarm', alarmId: id }]);
        await live.clock.advance(TURN_MS);
        const updates = await Promise.all(subscriptions.map((subscription) => subscription.next(15_000).then(pageOf)));
        updates.forEach((update, index) => {
          assert.deepEqual(update.edges[0]!.node, { id, uuid: created!.uuid, tickets: [{ title: 'Triage the new alarm' }] }, `subscription ${index}`);
          assert.equal(update.edges.length, sizeOf(index));
        });
      });

      it('refuses one more subscription of the key with LIMIT_EXCEEDED, and the others keep streaming', async () => {
        const extra = record(client, page(3));
        const refusal = refusalOf(await extra.next(5_000));
        assert.equal(refusal.code, 'LIMIT_EXCEEDED', refusal.message);
        assert.match(refusal.message, /LIVE_MAX_SUBSCRIPTIONS_PER_KEY/);
        assert.deepEqual(await within(5_000, extra.ended, 'the refused stream completes'), []);

        const [created] = await injectAlarms(live.facade.simulatorUrl, DEPLOYMENT);
        await live.clock.advance(TURN_MS);
        const updates = await Promise.all(subscriptions.map((subscription) => subscription.next(15_000).then(pageOf)));
        for (const update of updates) assert.equal(update.edges[0]!.node.uuid, created!.uuid);
      });

      it('frees the key’s slots at the facade when the client ends its streams', async () => {
        for (const subscription of subscriptions) subscription.stop();
        subscriptions = [];
        // The gateway closes its WebSockets to the facade as the streams end; until then a new one may still be refused.
        const deadline = Date.now() + 5_000;
        for (;;) {
          const again = record(client, page(2));
          const payload = await again.next(5_000);
          again.stop();
          if (payload.errors === undefined) break;
          assert.equal(refusalOf(payload).code, 'LIMIT_EXCEEDED');
          assert.ok(Date.now() < deadline, 'the key’s slots were not freed within 5 s of the client ending its streams');
          // Real time on purpose: a real Grafbase gateway process ends the streams on its own schedule.
          await new Promise((resolve) => setTimeout(resolve, 50));
        }
      });
    });

    it('refuses a query without a key with UNAUTHENTICATED', async () => {
      const answer = await viaGateway(gateway, '{ alarms(first: 1) { totalCount } }');
      const refusal = refusalOf(answer.body);
      assert.equal(refusal.code, 'UNAUTHENTICATED', refusal.message);
      assert.match(refusal.message, /^An API key is required/);
    });

    it('refuses a query the key lacks the permission for with FORBIDDEN', async () => {
      const { secret } = await createKey(live.facade, { name: 'schema reader', permissions: ['SCHEMA_READ'] });
      const answer = await viaGateway(gateway, '{ alarms(first: 1) { totalCount } }', {}, bearer(secret));
      const refusal = refusalOf(answer.body);
      assert.equal(refusal.code, 'FORBIDDEN', refusal.message);
      assert.match(refusal.message, /^This needs the permission "alarms:read"; key "schema reader" has "schema:read"/);
    });

    it('refuses a query over MAX_OPERATION_COST with COST_LIMIT_EXCEEDED', async () => {
      const ids = (from: number) =>
        Array.from({ length: 60 }, (_, i) => encodeGlobalId('Alarm', DEPLOYMENT, `00000000-0000-0000-0000-${String(from + i).padStart(12, '0')}`));
      const answer = await viaGateway(
        gateway,
        'query($a: [ID!]!, $b: [ID!]!) { a: nodes(ids: $a) { id } b: nodes(ids: $b) { id } }',
        { a: ids(0), b: ids(60) },
        bearer(live.key),
      );
      const refusal = refusalOf(answer.body);
      assert.equal(refusal.code, 'COST_LIMIT_EXCEEDED', refusal.message);
      assert.match(refusal.message, /^This operation could make 12[01] upstream calls; the limit is 100 \(MAX_OPERATION_COST\)/);
    });

    it('refuses a key over its budget with RATE_LIMITED and retryAfterSeconds', async () => {
      // One point: the first two-call read runs on a full bucket and leaves it in debt; the next, at once, must wait.
      const { secret } = await createKey(live.facade, { name: 'tight budget', permissions: ['ALARMS_READ'], budget: { maximum: 1, restoreRate: 1 } });
      const read = (first: number) => `{ alarms(deployment: "${DEPLOYMENT}", first: ${first}) { totalCount } }`;
      assert.equal((await viaGateway(gateway, read(7), {}, bearer(secret))).body.errors, undefined);
      const refusal = (await viaGateway(gateway, read(8), {}, bearer(secret))).body;
      assert.equal(refusalOf(refusal).code, 'RATE_LIMITED', refusalOf(refusal).message);
      const retryAfter = refusal.errors![0]!.extensions?.['retryAfterSeconds'];
      assert.ok(typeof retryAfter === 'number' && retryAfter >= 1, JSON.stringify(refusal));
    });
  });

  describe('a bad key’s subscription', () => {
    let facade: TestFacade;
    let gateway: RunningGrafbase;
    before(async () => {
      // Its own facade: its failed logins are only the ones this test makes.
      facade = await startTestFacade({ METRICS_PORT: String(await freePort()) });
      gateway = await startGrafbase({ facade, subgraphs: [{ name: 'tickets', url: tickets.url, sdl: tickets.sdl }] });
    });
    after(async () => {
      await gateway?.stop();
      await facade?.stop();
    });

    /** Failed logins the facade counted, every transport together (its /metrics). */
    async function failedLoginsSoFar(): Promise<number> {
      const text = await (await fetch(facade.metricsUrl!)).text();
      return [...text.matchAll(/^usm_facade_failed_logins_total\{transport="\w+"\} (\d+)/gm)].reduce((sum, match) => sum + Number(match[1]), 0);
    }

    it('is refused with UNAUTHENTICATED within 1 s, and its stream completes', async () => {
      const client = sseClient(gateway, bearer(formatApiKey(newKeyId(), newSecret())));
      try {
        const started = Date.now();
        const subscription = record(client, page(5));
        const refusal = refusalOf(await subscription.next(1_000));
        assert.ok(Date.now() - started <= 1_000);
        assert.equal(refusal.code, 'UNAUTHENTICATED', refusal.message);
        assert.match(refusal.message, /^The API key is invalid or expired/);
        assert.deepEqual(await within(1_000, subscription.ended, 'the refused stream completes'), []);
      } finally {
        client.dispose();
      }
    });

    it('cost one failed login at the facade, however the gateway connected', async () => {
      assert.equal(await failedLoginsSoFar(), 1);
    });
  });
});
