/**
 * The facade behind Apollo Gateway, in the test process: the supergraph of the facade
 * and another team's tickets subgraph, composed with Apollo's composition, answered by
 * `@apollo/gateway` inside Apollo Server 5 (queries only; it does not do subscriptions):
 * - queries cross both subgraphs with entities both ways, on the client's own key;
 * - refusals reach the client with the facade's code and message.
 *
 * `RemoteGraphQLDataSource` sets no Accept of its own, so its fetch (minipass-fetch)
 * sends the any-type wildcard, which accepts `application/json`: the facade answers a
 * refusal 200 with `errors` (src/server/refusal.status.ts), and the gateway passes it on
 * with the facade's code and message, adding `serviceName`. (With a 4xx it would replace
 * the answer with an error of its own, "<status>: <statusText>", keeping a code only for
 * 401 and 403: COST_LIMIT_EXCEEDED would become INTERNAL_SERVER_ERROR.)
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { encodeGlobalId } from '../../src/graph/node/global.id.js';
import { assertNoStackTrace, bearer, createKey, dataOf } from '../apikey/apikey.fixture.js';
import { startTestFacade, type TestFacade } from '../support/facade.fixture.js';
import { postGraphQL, type GraphQLResponse } from '../support/graphql.client.js';
import { composeApolloSupergraph, startApolloGateway, type ApolloSupergraph, type RunningApolloGateway } from './apollo.gateway.js';
import { startTicketsSubgraph, type TicketsSubgraph } from './tickets.subgraph.js';

const DEPLOYMENT = 'acme-east';

/** A refusal of the facade's, as the test provokes it and as the facade words it. */
interface Refusal {
  name: string;
  query: string;
  variables?: Record<string, unknown>;
  /** The client's headers to the gateway. */
  headers(): Record<string, string>;
  code: string;
  message: RegExp;
}

/** The one error of a refused answer, which has no data. */
function errorOf(answer: GraphQLResponse) {
  assert.equal(answer.status, 200, 'Apollo Server answers a failed subgraph fetch 200 with errors');
  assert.equal(answer.body.errors?.length, 1, `expected one error, got ${JSON.stringify(answer.body)}`);
  assert.equal(answer.body.data, null);
  assertNoStackTrace(answer.body);
  return answer.body.errors[0]!;
}

describe('the facade behind Apollo Gateway', () => {
  let facade: TestFacade;
  let tickets: TicketsSubgraph;
  let supergraph: ApolloSupergraph;
  /** The client's `authorization` forwarded, nothing else set (RemoteGraphQLDataSource sends `Accept: *` + `/*`). */
  let gateway: RunningApolloGateway;
  /** A key of its own, so the name `viewer` answers is the client's, not the admin's. */
  let deskKey: string;
  let schemaReaderKey: string;

  before(async () => {
    [facade, tickets] = await Promise.all([startTestFacade(), startTicketsSubgraph()]);
    const { body } = await facade.gql<{ _service: { sdl: string } }>('{ _service { sdl } }');
    supergraph = composeApolloSupergraph([
      { name: 'usm', url: facade.url, sdl: body.data!._service.sdl },
      { name: 'tickets', url: tickets.url, sdl: tickets.sdl },
    ]);
    gateway = await startApolloGateway({ supergraphSdl: supergraph.supergraphSdl });
    [deskKey, schemaReaderKey] = await Promise.all([
      createKey(facade, { name: 'ticket desk', permissions: ['ALARMS_READ'] }).then((created) => created.secret),
      createKey(facade, { name: 'schema reader', permissions: ['SCHEMA_READ'] }).then((created) => created.secret),
    ]);
  });
  after(async () => {
    await gateway?.stop();
    await Promise.all([tickets?.stop(), facade?.stop()]);
  });

  /** The first three alarms of every deployment, as the facade itself answers them. */
  const firstThree = async () =>
    dataOf(await facade.gql<{ alarms: { edges: Array<{ node: { id: string; status: string } }> } }>('{ alarms(first: 3) { edges { node { id status } } } }')).alarms.edges.map(
      (edge) => edge.node,
    );

  it('composes with Apollo’s composition, hinting only that the tickets subgraph describes Alarm in its own words', () => {
    assert.deepEqual(
      supergraph.hints.map((hint) => `${hint.definition.code} ${hint.coordinate}`),
      ['INCONSISTENT_DESCRIPTION Alarm'],
      supergraph.hints.map(String).join('\n'),
    );
    assert.match(supergraph.supergraphSdl, /@join__type\(graph: TICKETS, key: "id"\)\s+@join__type\(graph: USM, key: "id"\)/);
  });

  it('resolves a ticket’s alarm at the facade, on the client’s key', async () => {
    const alarms = await firstThree();
    tickets.setTickets([{ id: 't-1', title: 'Phishing on the mail relay', alarmId: alarms[1]!.id }]);
    const answer = await postGraphQL<{ viewer: { name: string }; ticket: { title: string; alarm: { id: string; status: string } } }>(
      gateway.url,
      'query($id: ID!) { viewer { name } ticket(id: $id) { title alarm { id status } } }',
      { id: 't-1' },
      bearer(deskKey),
    );
    assert.equal(answer.status, 200);
    assert.equal(answer.body.errors, undefined, JSON.stringify(answer.body.errors));
    assert.equal(answer.body.data!.viewer.name, 'ticket desk', 'the facade saw the client’s key, not another');
    assert.deepEqual(answer.body.data!.ticket, { title: 'Phishing on the mail relay', alarm: alarms[1] });
  });

  it('resolves each alarm’s tickets at the tickets subgraph, in one _entities call for the page', async () => {
    const alarms = await firstThree();
    tickets.setTickets([
      { id: 't-1', title: 'Isolate the host', alarmId: alarms[0]!.id },
      { id: 't-2', title: 'Reset the password', alarmId: alarms[0]!.id },
      { id: 't-3', title: 'Ask the user', alarmId: alarms[2]!.id },
      { id: 't-4', title: 'About no alarm', alarmId: null },
    ]);
    const calls = tickets.entityCalls();
    const answer = await postGraphQL<{ alarms: { edges: Array<{ node: { id: string; tickets: Array<{ title: string }> } }> } }>(
      gateway.url,
      '{ alarms(first: 3) { edges { node { id tickets { title } } } } }',
      {},
      bearer(deskKey),
    );
    assert.equal(answer.body.errors, undefined, JSON.stringify(answer.body.errors));
    assert.deepEqual(
      answer.body.data!.alarms.edges.map((edge) => edge.node),
      [
        { id: alarms[0]!.id, tickets: [{ title: 'Isolate the host' }, { title: 'Reset the password' }] },
        { id: alarms[1]!.id, tickets: [] },
        { id: alarms[2]!.id, tickets: [{ title: 'Ask the user' }] },
      ],
    );
    assert.equal(tickets.entityCalls() - calls, 1);
  });

  const ids = (from: number) =>
    Array.from({ length: 60 }, (_, i) => encodeGlobalId('Alarm', DEPLOYMENT, `00000000-0000-0000-0000-${String(from + i).padStart(12, '0')}`));
  const refusals: Refusal[] = [
    {
      name: 'a query without a key',
      query: '{ alarms(first: 1) { totalCount } }',
      headers: () => ({}),
      code: 'UNAUTHENTICATED',
      message: /^An API key is required/,
    },
    {
      name: 'a query the key lacks the permission for',
      query: '{ alarms(first: 1) { totalCount } }',
      headers: () => bearer(schemaReaderKey),
      code: 'FORBIDDEN',
      message: /^This needs the permission "alarms:read"; key "schema reader" has "schema:read"/,
    },
    {
      name: 'a query over MAX_OPERATION_COST',
      query: 'query($a: [ID!]!, $b: [ID!]!) { a: nodes(ids: $a) { id } b: nodes(ids: $b) { id } }',
      variables: { a: ids(0), b: ids(60) },
      headers: () => bearer(deskKey),
      code: 'COST_LIMIT_EXCEEDED',
      message: /^This operation could make 12[01] upstream calls; the limit is 100 \(MAX_OPERATION_COST\)/,
    },
  ];

  describe('refusals (RemoteGraphQLDataSource accepts */*, so the facade answers 200 with errors, which the gateway passes on)', () => {
    for (const refusal of refusals) {
      it(`reaches the client of ${refusal.name} with the facade’s ${refusal.code} and message, and serviceName "usm"`, async () => {
        const error = errorOf(await postGraphQL(gateway.url, refusal.query, refusal.variables, refusal.headers()));
        assert.equal(error.extensions?.['code'], refusal.code, error.message);
        assert.equal(error.extensions?.['serviceName'], 'usm');
        assert.match(error.message, refusal.message);
        assert.equal(error.extensions?.['response'], undefined);
      });
    }
  });
});
