/**
 * Bad input gets a GraphQL error whose `extensions.code` is BAD_USER_INPUT or NOT_FOUND
 * and whose message says what is allowed; never INTERNAL_SERVER_ERROR, never an HTTP
 * 500, and no upstream data call where the facade can tell on its own.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { encodeGlobalId } from '../../src/graph/node/global.id.js';
import { startTestFacade, type TestFacade } from '../support/facade.fixture.js';
import { dataRequestCount, resetSimulatorStats, simulatorStats } from '../support/simulator.stats.js';

interface Case {
  name: string;
  query: string;
  variables?: () => Record<string, unknown>;
  code: 'BAD_USER_INPUT' | 'NOT_FOUND';
  message: RegExp;
  /** Data calls the case may cost: a nested field's arguments are checked after its parent resolved. Default 0. */
  calls?: number;
}

describe('bad input', () => {
  let facade: TestFacade;
  let eastCursor: string;
  let eventId: string;
  let eventCursor: string;

  before(async () => {
    facade = await startTestFacade();
    const { body } = await facade.gql<{
      alarms: {
        pageInfo: { endCursor: string };
        edges: Array<{ node: { events: { edges: Array<{ cursor: string; node: { id: string } }> } } }>;
      };
      deployments: unknown[];
    }>(`{ deployments { name }
          alarms(deployment: "acme-east", first: 2) { pageInfo { endCursor }
            edges { node { events(first: 1) { edges { cursor node { id } } } } } } }`);
    eastCursor = body.data!.alarms.pageInfo.endCursor;
    eventId = body.data!.alarms.edges[0]!.node.events.edges[0]!.node.id;
    eventCursor = body.data!.alarms.edges[0]!.node.events.edges[0]!.cursor;
  });
  after(async () => {
    await facade.stop();
  });

  const alarmsPage = (args: string) => `{ alarms(${args}) { edges { cursor } } }`;
  const cases: Case[] = [
    {
      name: 'a malformed id',
      query: '{ alarm(id: "%%%") { id } }',
      code: 'BAD_USER_INPUT',
      message: /"%%%" is not a valid Alarm ID .*use an `id` returned by this API/,
    },
    {
      name: 'an id that decodes to no known type',
      query: '{ alarm(id: "abc") { id } }',
      code: 'BAD_USER_INPUT',
      message: /is not a valid Alarm ID \(unknown type\)/,
    },
    {
      name: 'an Event id given to alarm(id)',
      query: 'query($id: ID!) { alarm(id: $id) { id } }',
      variables: () => ({ id: eventId }),
      code: 'BAD_USER_INPUT',
      message: /is not a valid Alarm ID \(it is a Event ID\)/,
    },
    {
      name: 'an Alarm id of a deployment nobody knows',
      query: 'query($id: ID!) { alarm(id: $id) { id } }',
      variables: () => ({ id: encodeGlobalId('Alarm', 'nowhere', '00000000-0000-4000-8000-000000000001') }),
      code: 'NOT_FOUND',
      message: /unknown deployment "nowhere"; known deployments: acme-east, acme-lab, acme-west/,
    },
    {
      name: 'a cursor of the same feed in another sort',
      query: `query($after: String) { alarms(deployment: "acme-east", first: 2, after: $after,
                orderBy: { field: RECEIVED_AT, direction: DESC }) { edges { cursor } } }`,
      variables: () => ({ after: eastCursor }),
      code: 'BAD_USER_INPUT',
      message: /this cursor belongs to a different query or order; use a cursor from this connection/,
    },
    {
      name: 'a cursor of the same feed in the other direction',
      query: `query($after: String) { alarms(deployment: "acme-east", first: 2, after: $after,
                orderBy: { field: OCCURRED_AT, direction: ASC }) { edges { cursor } } }`,
      variables: () => ({ after: eastCursor }),
      code: 'BAD_USER_INPUT',
      message: /belongs to a different query or order/,
    },
    {
      name: 'a cursor of another deployment’s feed',
      query: 'query($after: String) { alarms(deployment: "acme-west", first: 2, after: $after) { edges { cursor } } }',
      variables: () => ({ after: eastCursor }),
      code: 'BAD_USER_INPUT',
      message: /belongs to a different query or order/,
    },
    {
      name: 'a cursor of a filtered feed given to the unfiltered one',
      query: `query($after: String) { alarms(deployment: "acme-east", first: 2, after: $after,
                filter: { status: [OPEN] }) { edges { cursor } } }`,
      variables: () => ({ after: eastCursor }),
      code: 'BAD_USER_INPUT',
      message: /belongs to a different query or order/,
    },
    {
      name: 'an alarm’s event cursor given to alarms',
      query: 'query($after: String) { alarms(deployment: "acme-east", first: 2, after: $after) { edges { cursor } } }',
      variables: () => ({ after: eventCursor }),
      code: 'BAD_USER_INPUT',
      message: /belongs to a different query or order/,
    },
    {
      name: 'a string that is no cursor at all',
      query: alarmsPage('deployment: "acme-east", first: 2, after: "page=3"'),
      code: 'BAD_USER_INPUT',
      message: /`after` "page=3" is not a cursor of this API; use a cursor from this connection's pageInfo\/edges/,
    },
    {
      name: 'first and last together',
      query: alarmsPage('deployment: "acme-east", first: 2, last: 2'),
      code: 'BAD_USER_INPUT',
      message: /Pass either `first` .* or `last` .*, not both/,
    },
    {
      name: 'last with after',
      query: 'query($after: String) { alarms(deployment: "acme-east", last: 2, after: $after) { edges { cursor } } }',
      variables: () => ({ after: eastCursor }),
      code: 'BAD_USER_INPUT',
      message: /`after` pages forward and goes with `first`/,
    },
    {
      name: 'first: -1',
      query: alarmsPage('deployment: "acme-east", first: -1'),
      code: 'BAD_USER_INPUT',
      message: /^`first` must be an integer from 0 to 100; got -1\.$/,
    },
    {
      name: 'first: 101',
      query: alarmsPage('deployment: "acme-east", first: 101'),
      code: 'BAD_USER_INPUT',
      message: /^`first` must be an integer from 0 to 100; got 101\.$/,
    },
    {
      name: 'last: 1000 on an alarm’s events',
      query: '{ alarms(deployment: "acme-east", first: 1) { edges { node { events(last: 1000) { edges { cursor } } } } } }',
      code: 'BAD_USER_INPUT',
      message: /^`last` must be an integer from 0 to 100; got 1000\.$/,
      calls: 1,
    },
    {
      name: 'occurredAfter later than occurredBefore',
      query: alarmsPage(
        'deployment: "acme-east", first: 2, filter: { occurredAfter: "2026-01-02T00:00:00Z", occurredBefore: "2026-01-01T00:00:00Z" }',
      ),
      code: 'BAD_USER_INPUT',
      message: /filter\.occurredAfter \(2026-01-02T00:00:00\.000Z\) is later than filter\.occurredBefore .*start is at or before its end/,
    },
    {
      name: 'receivedAfter later than receivedBefore on events of the merged feed',
      query: alarmsPage('first: 2, filter: { receivedAfter: "2026-01-02T00:00:00Z", receivedBefore: "2026-01-01T00:00:00Z" }'),
      code: 'BAD_USER_INPUT',
      message: /filter\.receivedAfter .* is later than filter\.receivedBefore/,
    },
    {
      name: 'an unknown deployment for alarms',
      query: alarmsPage('deployment: "acme-north", first: 2'),
      code: 'NOT_FOUND',
      message: /^unknown deployment "acme-north"; known deployments: acme-east, acme-lab, acme-west$/,
    },
    {
      name: 'an unknown deployment for events',
      query: '{ events(deployment: "acme-north", first: 2) { edges { cursor } } }',
      code: 'NOT_FOUND',
      message: /^unknown deployment "acme-north"; known deployments: acme-east, acme-lab, acme-west$/,
    },
    {
      name: 'nodes with 101 ids',
      query: 'query($ids: [ID!]!) { nodes(ids: $ids) { id } }',
      variables: () => ({
        ids: Array.from({ length: 101 }, (_, i) => encodeGlobalId('Alarm', 'acme-east', `00000000-0000-4000-8000-${String(i).padStart(12, '0')}`)),
      }),
      code: 'BAD_USER_INPUT',
      message: /^nodes takes at most 100 ids, got 101; ask in chunks$/,
    },
    {
      name: 'nodes with one malformed id among good ones',
      query: 'query($ids: [ID!]!) { nodes(ids: $ids) { id } }',
      variables: () => ({ ids: [encodeGlobalId('Alarm', 'acme-east', '00000000-0000-4000-8000-000000000001'), 'nope!'] }),
      code: 'BAD_USER_INPUT',
      message: /"nope!" is not a valid Alarm or Event or Deployment ID/,
    },
    {
      name: 'an entity reference with a malformed id',
      query: 'query($r: [_Any!]!) { _entities(representations: $r) { ... on Alarm { id } } }',
      variables: () => ({ r: [{ __typename: 'Alarm', id: '%%%' }] }),
      code: 'BAD_USER_INPUT',
      message: /"%%%" is not a valid Alarm ID/,
    },
  ];

  for (const c of cases) {
    const calls = c.calls === undefined ? 'asks no deployment for data' : `costs at most the parent's ${c.calls} call`;
    it(`answers ${c.name} with ${c.code} saying what is allowed, and ${calls}`, async () => {
      await resetSimulatorStats(facade.simulatorUrl);
      const { status, body } = await facade.gql(c.query, c.variables?.() ?? {});
      assert.equal(status, 200);
      assert.equal(body.errors?.length, 1, JSON.stringify(body.errors));
      const [error] = body.errors!;
      assert.equal(error!.extensions?.['code'], c.code);
      assert.match(error!.message, c.message);
      const stats = await simulatorStats(facade.simulatorUrl);
      const total = ['acme-east', 'acme-west', 'acme-lab'].reduce((sum, d) => sum + dataRequestCount(stats, d), 0);
      assert.ok(total <= (c.calls ?? 0), `${total} data calls`);
    });
  }

  it('never answers any of these with INTERNAL_SERVER_ERROR', async () => {
    const answers = await Promise.all(cases.map((c) => facade.gql(c.query, c.variables?.() ?? {})));
    const codes = answers.flatMap((a) => a.body.errors ?? []).map((e) => e.extensions?.['code']);
    assert.equal(codes.length, cases.length);
    assert.ok(codes.every((code) => code === 'BAD_USER_INPUT' || code === 'NOT_FOUND'), codes.join(', '));
  });

  it('answers an alarm id its deployment does not know with null and no error', async () => {
    const id = encodeGlobalId('Alarm', 'acme-east', '00000000-0000-4000-8000-000000000001');
    const { body } = await facade.gql('query($id: ID!) { alarm(id: $id) { id } node(id: $id) { id } }', { id });
    assert.deepEqual(body, { data: { alarm: null, node: null }, extensions: body.extensions });
  });
});
