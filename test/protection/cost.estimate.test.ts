/**
 * `extensions.cost` against what the simulator saw: each operation runs on a facade with
 * a cold cache, and its estimate is never below the upstream calls it made; the actual
 * count the facade reports is the simulator's own.
 */
import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import { encodeGlobalId } from '../../src/graph/node/global.id.js';
import { startTestFacade, type TestFacade } from '../support/facade.fixture.js';
import { dataRequestsOf } from '../support/simulator.stats.js';

interface Cost {
  estimatedUpstreamCalls: number;
  actualUpstreamCalls: number;
}

/** Alarm and event UUIDs of acme-east, read straight from the simulator. */
async function someDocuments(facade: TestFacade): Promise<{ alarms: string[]; events: string[] }> {
  const page = await facade.gql<{ alarms: { edges: Array<{ node: { uuid: string; events: { edges: Array<{ node: { uuid: string } }> } } }> } }>(
    '{ alarms(deployment: "acme-east", first: 5) { edges { node { uuid events(first: 1) { edges { node { uuid } } } } } } }',
  );
  const nodes = page.body.data!.alarms.edges.map((e) => e.node);
  return { alarms: nodes.map((n) => n.uuid), events: nodes.flatMap((n) => n.events.edges.map((e) => e.node.uuid)) };
}

interface Operation {
  name: string;
  query: string;
  variables?: (docs: { alarms: string[]; events: string[] }) => Record<string, unknown>;
  /** The estimate this schema's rules give on the embedded simulator (three readable deployments and Central). */
  estimate: number;
}

const alarm = (uuid: string) => encodeGlobalId('Alarm', 'acme-east', uuid);

const OPERATIONS: Operation[] = [
  { name: 'a key’s own data', query: '{ viewer { id name } }', estimate: 0 },
  {
    name: 'a 50-alarm page of every deployment, with deployments and events',
    query: '{ alarms(first: 50) { totalCount edges { cursor node { id priority deployment { name displayName } events(first: 5) { edges { node { name } } } } } } }',
    estimate: 4,
  },
  {
    name: 'one deployment’s high-priority alarms',
    query: '{ alarms(deployment: "acme-east", first: 10, filter: { priority: [HIGH] }) { totalCount edges { node { id } } } }',
    estimate: 2,
  },
  { name: 'the same page twice under two aliases', query: '{ a: alarms(first: 10) { totalCount } b: alarms(first: 10) { totalCount } }', estimate: 4 },
  {
    name: 'every deployment with its alarms and events',
    query: '{ deployments { name alarms(first: 20) { totalCount edges { node { id } } } events(first: 5) { totalCount } } }',
    estimate: 7,
  },
  {
    name: 'a page of alarms with their deployment’s alarms nested',
    query: '{ alarms(first: 100) { edges { node { id deployment { alarms(first: 100) { totalCount } } } } } }',
    estimate: 7,
  },
  { name: 'events of every deployment', query: '{ events(first: 30) { edges { node { name deployment { name } } } } }', estimate: 4 },
  { name: 'one alarm by id', query: 'query($id: ID!) { alarm(id: $id) { id labelIds events { totalCount } } }', variables: (d) => ({ id: alarm(d.alarms[0]!) }), estimate: 2 },
  {
    name: 'three alarms and a deployment by global id',
    query: 'query($ids: [ID!]!) { nodes(ids: $ids) { id ... on Alarm { priority } ... on Deployment { name } } }',
    variables: (d) => ({ ids: [alarm(d.alarms[0]!), alarm(d.alarms[1]!), alarm(d.alarms[1]!), alarm(d.alarms[2]!), encodeGlobalId('Deployment', 'acme-east')] }),
    estimate: 4,
  },
  {
    name: 'federation entities',
    query: 'query($r: [_Any!]!) { _entities(representations: $r) { ... on Alarm { id priority } ... on Event { name } ... on Deployment { deploymentName: name } } }',
    variables: (d) => ({
      r: [
        { __typename: 'Alarm', id: alarm(d.alarms[3]!) },
        { __typename: 'Event', id: encodeGlobalId('Event', 'acme-east', d.events[0]!) },
        { __typename: 'Deployment', id: encodeGlobalId('Deployment', 'acme-west') },
      ],
    }),
    estimate: 3,
  },
  {
    name: 'one deployment’s alarms by received time',
    query: '{ deployment(name: "acme-west") { alarms(first: 100, orderBy: { field: RECEIVED_AT }) { edges { node { id } } } } }',
    estimate: 2,
  },
  {
    name: 'a label write',
    query: 'mutation($id: ID!) { addAlarmLabel(alarmId: $id, labelId: "needs-triage") { id labelIds deployment { name } } }',
    variables: (d) => ({ id: alarm(d.alarms[4]!) }),
    estimate: 3,
  },
];

describe('extensions.cost predicts upstream calls', () => {
  let docs: { alarms: string[]; events: string[] };

  before(async () => {
    // The embedded simulator makes the same alarms every start.
    const reader = await startTestFacade();
    try {
      docs = await someDocuments(reader);
    } finally {
      await reader.stop();
    }
  });

  for (const operation of OPERATIONS) {
    it(`estimates ${operation.estimate} for ${operation.name}, never below what a cold facade sends`, async () => {
      // A new facade each time: its caches are cold.
      const facade = await startTestFacade();
      try {
        const before = await dataRequestsOf(facade.simulatorUrl);
        const response = await facade.gql(operation.query, operation.variables?.(docs) ?? {});
        assert.equal(response.body.errors, undefined, JSON.stringify(response.body.errors));
        const sent = (await dataRequestsOf(facade.simulatorUrl)) - before;
        const cost = response.body.extensions?.['cost'] as Cost;
        assert.equal(cost.actualUpstreamCalls, sent, 'the facade counts what the simulator received');
        assert.ok(cost.estimatedUpstreamCalls >= sent, `estimated ${cost.estimatedUpstreamCalls}, sent ${sent}`);
        assert.equal(cost.estimatedUpstreamCalls, operation.estimate);
      } finally {
        await facade.stop();
      }
    });
  }

  it('reports 0 actual calls for an answer served from cache, with the same estimate', async () => {
    const facade = await startTestFacade();
    try {
      const query = '{ alarms(first: 20) { edges { node { id } } } }';
      const first = (await facade.gql(query)).body.extensions?.['cost'] as Cost;
      const second = (await facade.gql(query)).body.extensions?.['cost'] as Cost;
      assert.ok(first.actualUpstreamCalls > 0);
      const { throttleStatus: _status, ...calls } = second as Cost & { throttleStatus: unknown };
      assert.deepEqual(calls, { estimatedUpstreamCalls: first.estimatedUpstreamCalls, actualUpstreamCalls: 0, resultNodes: 41 });
    } finally {
      await facade.stop();
    }
  });
});
