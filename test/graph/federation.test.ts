/**
 * Federation: this subgraph composes with another team's subgraph that references
 * `Alarm` by id, and a gateway's `_entities` call for 50 alarm references is answered
 * through the same batched, deduplicating, cached loaders as every query.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { parse, type GraphQLObjectType } from 'graphql';
import { composeServices } from '@apollo/composition';
import { buildFacadeSchema } from '../../src/graph/schema.builder.js';
import { startTestFacade, type TestFacade } from '../support/facade.fixture.js';
import { requestCount, resetSimulatorStats, simulatorStats } from '../support/simulator.stats.js';
import { alarmId, directReader, type RestAlarm } from './graph.fixture.js';

/** A tickets subgraph, as another team would write it: it knows an alarm by its id only. */
const TICKETS_SDL = `
  extend schema @link(url: "https://specs.apollo.dev/federation/v2.7", import: ["@key"])

  type Query {
    ticket(id: ID!): Ticket
  }

  type Ticket @key(fields: "id") {
    id: ID!
    title: String!
    alarm: Alarm
  }

  type Alarm @key(fields: "id", resolvable: false) {
    id: ID!
  }
`;

describe('composing the facade with a tickets subgraph', () => {
  const compose = (facadeSdl: string) =>
    composeServices([
      { name: 'usm', typeDefs: parse(facadeSdl), url: 'http://usm.invalid/graphql' },
      { name: 'tickets', typeDefs: parse(TICKETS_SDL), url: 'http://tickets.invalid/graphql' },
    ]);

  it('composes without errors, and the supergraph has Alarm with the facade’s fields reachable from Ticket', () => {
    const result = compose(buildFacadeSchema().sdl);
    assert.equal(result.errors, undefined, result.errors?.map((e) => e.message).join('\n'));
    // Both subgraphs know Alarm by id; only this one resolves it.
    assert.match(
      result.supergraphSdl!,
      /type Alarm implements Node\s+@join__implements\(graph: USM, interface: "Node"\)\s+@join__type\(graph: TICKETS, key: "id", resolvable: false\)\s+@join__type\(graph: USM, key: "id"\)/,
    );
    const api = result.schema!.toAPISchema().toGraphQLJSSchema();
    const alarm = api.getType('Alarm') as GraphQLObjectType;
    const fields = Object.keys(alarm.getFields());
    for (const field of ['id', 'uuid', 'deployment', 'status', 'priorityLabel', 'labelIds', 'events', 'raw']) {
      assert.ok(fields.includes(field), `Alarm.${field} in the supergraph`);
    }
    const ticket = api.getType('Ticket') as GraphQLObjectType;
    assert.equal(String(ticket.getFields()['alarm']!.type), 'Alarm');
    assert.ok(api.getQueryType()!.getFields()['alarms'], 'Query.alarms in the supergraph');
    assert.ok(api.getMutationType()!.getFields()['addAlarmLabel'], 'Mutation.addAlarmLabel in the supergraph');
  });

  it('composes with the SDL the running facade serves through _service', async () => {
    const facade = await startTestFacade();
    try {
      const { body } = await facade.gql<{ _service: { sdl: string } }>('{ _service { sdl } }');
      const result = compose(body.data!._service.sdl);
      assert.equal(result.errors, undefined, result.errors?.map((e) => e.message).join('\n'));
    } finally {
      await facade.stop();
    }
  });
});

describe('resolving Alarm references from a gateway', () => {
  let facade: TestFacade;
  let oldest: RestAlarm[];
  let newest: RestAlarm[];
  const ENTITIES = `query($r: [_Any!]!) { _entities(representations: $r) {
    ... on Alarm { id uuid status labelIds occurredAt deployment { name } eventsCount }
  } }`;
  type Entities = {
    _entities: Array<{ id: string; uuid: string; status: string; labelIds: string[]; occurredAt: string; deployment: { name: string } } | null>;
  };

  before(async () => {
    facade = await startTestFacade();
    const east = await directReader(facade, 'acme-east');
    oldest = (await east.alarms({ sort: 'timestamp_occured,asc' })).slice(0, 50);
    newest = (await east.alarms()).slice(0, 50);
  });
  after(async () => {
    await facade.stop();
  });

  it('answers 50 references in one _entities call with one detail lookup per alarm, in order', async () => {
    await resetSimulatorStats(facade.simulatorUrl);
    const r = oldest.map((a) => ({ __typename: 'Alarm', id: alarmId(a) }));
    const { body } = await facade.gql<Entities>(ENTITIES, { r });
    assert.equal(body.errors, undefined);
    assert.deepEqual(
      body.data!._entities.map((e) => e?.uuid),
      oldest.map((a) => a.uuid),
    );
    assert.ok(body.data!._entities.every((e) => e!.deployment.name === 'acme-east' && e!.occurredAt !== null));
    const stats = await simulatorStats(facade.simulatorUrl);
    assert.equal(requestCount(stats, 'acme-east', 'GET /alarms/{id}'), 50);
    assert.equal(requestCount(stats, 'acme-east', 'GET /alarms'), 0);
  });

  it('asks nothing more for the same references within the TTL, nor for repeated references', async () => {
    await resetSimulatorStats(facade.simulatorUrl);
    const r = [...oldest, ...oldest].map((a) => ({ __typename: 'Alarm', id: alarmId(a) }));
    const { body } = await facade.gql<Entities>(ENTITIES, { r });
    assert.equal(body.data!._entities.length, 100);
    const stats = await simulatorStats(facade.simulatorUrl);
    assert.equal(requestCount(stats, 'acme-east', 'GET /alarms/{id}'), 0);
  });

  it('costs no detail call for references to alarms a list page has already shown', async () => {
    await facade.gql('{ alarms(deployment: "acme-east", first: 50) { edges { node { id } } } }');
    await resetSimulatorStats(facade.simulatorUrl);
    const r = newest.map((a) => ({ __typename: 'Alarm', id: alarmId(a) }));
    const { body } = await facade.gql<Entities>(ENTITIES, { r });
    assert.deepEqual(
      body.data!._entities.map((e) => e?.id),
      newest.map(alarmId),
    );
    const stats = await simulatorStats(facade.simulatorUrl);
    assert.equal(requestCount(stats, 'acme-east', 'GET /alarms/{id}'), 0);
  });

  it('answers null for a reference to an alarm its deployment does not know, and the others still resolve', async () => {
    const missing = { __typename: 'Alarm', id: alarmId({ deployment: 'acme-east', uuid: '00000000-0000-4000-8000-0000000000bb' }) };
    const { body } = await facade.gql<Entities>(ENTITIES, { r: [missing, { __typename: 'Alarm', id: alarmId(newest[0]!) }] });
    assert.equal(body.errors, undefined);
    assert.deepEqual(
      body.data!._entities.map((e) => e?.uuid ?? null),
      [null, newest[0]!.uuid],
    );
  });

  it('resolves Event and Deployment references through the same loaders', async () => {
    const { body: listed } = await facade.gql<{
      alarm: { deployment: { id: string }; events: { edges: Array<{ node: { id: string; uuid: string } }> } };
    }>('query($id: ID!) { alarm(id: $id) { deployment { id } events(first: 2) { edges { node { id uuid } } } } }', {
      id: alarmId(newest[0]!),
    });
    const events = listed.data!.alarm.events.edges.map((e) => e.node);
    const { body } = await facade.gql(
      'query($r: [_Any!]!) { _entities(representations: $r) { ... on Event { uuid } ... on Deployment { name } } }',
      {
        r: [
          ...events.map((e) => ({ __typename: 'Event', id: e.id })),
          { __typename: 'Deployment', id: listed.data!.alarm.deployment.id },
        ],
      },
    );
    assert.deepEqual(body, { data: { _entities: [...events.map((e) => ({ uuid: e.uuid })), { name: 'acme-east' }] }, extensions: body.extensions });
  });
});
