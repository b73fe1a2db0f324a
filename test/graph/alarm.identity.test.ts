/**
 * One alarm, one `Alarm`: the same id and the same fields whether it came from a list
 * page, from `alarm(id)` (a detail call), from `nodes`, from `_entities`, or through USM
 * Central for a deployment the facade holds no credentials for.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { startTestFacade, type TestFacade } from '../support/facade.fixture.js';
import { requestCount, resetSimulatorStats, simulatorStats } from '../support/simulator.stats.js';
import { alarmId, directReader, feedOrder, startFacadeOver, walkAlarms, type RestAlarm } from './graph.fixture.js';

const ENDPOINT = 'address hostname fqdn name assetId country organisation eventCount';
const EVENT = 'id uuid deployment { id name } name occurredAt receivedAt plugin sourceName sourceUsername sensorUuid raw';
const ALARM = `
  fragment Everything on Alarm {
    id uuid deployment { id name displayName fqdn type joinedSince connectionStatus authorized hasCredentials }
    status priority priorityLabel suppressed ruleId ruleIntent ruleMethod ruleStrategy ruleAttackTactic
    ruleAttackTechnique occurredAt receivedAt sources { ${ENDPOINT} } destinations { ${ENDPOINT} }
    sensorSources labelIds eventsCount
    events(first: 100) { totalCount pageInfo { hasNextPage hasPreviousPage startCursor endCursor } edges { cursor node { ${EVENT} } } }
    raw
  }`;

type Alarm = Record<string, unknown> & { id: string; raw: Record<string, unknown> };

describe('the same alarm, fetched every way', () => {
  let facade: TestFacade;
  let sample: RestAlarm[];

  before(async () => {
    facade = await startTestFacade();
    // Three alarms from the middle of acme-east's feed: the 50-alarm list page below holds them.
    sample = (await (await directReader(facade, 'acme-east')).alarms()).slice(20, 23);
    await resetSimulatorStats(facade.simulatorUrl);
  });
  after(async () => {
    await facade.stop();
  });

  it('is the same Alarm from a detail call, from nodes, from _entities and from a list page', async () => {
    const ids = sample.map(alarmId);
    // Cold: alarm(id) makes detail calls, and the cache then answers nodes and _entities from those documents.
    const detail = await facade.gql<Record<string, Alarm>>(
      `query($a: ID!, $b: ID!, $c: ID!) { a: alarm(id: $a) { ...Everything } b: alarm(id: $b) { ...Everything } c: alarm(id: $c) { ...Everything } } ${ALARM}`,
      { a: ids[0], b: ids[1], c: ids[2] },
    );
    assert.equal(detail.body.errors, undefined);
    const stats = await simulatorStats(facade.simulatorUrl);
    assert.equal(requestCount(stats, 'acme-east', 'GET /alarms/{id}'), 3);
    assert.equal(requestCount(stats, 'acme-east', 'GET /alarms'), 0);
    const fromDetail = [detail.body.data!.a!, detail.body.data!.b!, detail.body.data!.c!];

    const nodes = await facade.gql<{ nodes: Alarm[] }>(`query($ids: [ID!]!) { nodes(ids: $ids) { ...Everything } } ${ALARM}`, { ids });
    const entities = await facade.gql<{ _entities: Alarm[] }>(
      `query($r: [_Any!]!) { _entities(representations: $r) { ...Everything } } ${ALARM}`,
      { r: ids.map((id) => ({ __typename: 'Alarm', id })) },
    );
    const list = await facade.gql<{ alarms: { edges: Array<{ node: Alarm }> } }>(
      `{ alarms(deployment: "acme-east", first: 50) { edges { node { ...Everything } } } } ${ALARM}`,
    );
    const fromList = ids.map((id) => list.body.data!.alarms.edges.find((e) => e.node.id === id)!.node);

    assert.deepEqual(nodes.body.data!.nodes, fromDetail);
    assert.deepEqual(entities.body.data!._entities, fromDetail);
    assert.deepEqual(fromList, fromDetail);
    assert.deepEqual(
      fromDetail.map((a) => a.id),
      ids,
    );
    assert.equal(fromDetail[0]!.raw.uuid, sample[0]!.uuid);
  });
});

describe('the same event, inside its alarm and by id', () => {
  let facade: TestFacade;

  before(async () => {
    facade = await startTestFacade();
  });
  after(async () => {
    await facade.stop();
  });

  it('has the same id and fields, flat or wrapped under message, as event(id) gives; only raw, as received, differs', async () => {
    const { body } = await facade.gql<{ alarms: { edges: Array<{ node: { events: { edges: Array<{ node: Alarm }> } } }> } }>(
      `{ alarms(deployment: "acme-east", first: 10) { edges { node { events { edges { node { ${EVENT} } } } } } } }`,
    );
    const inAlarms = body.data!.alarms.edges.flatMap((e) => e.node.events.edges.map((edge) => edge.node));
    assert.ok(inAlarms.length >= 10);
    const byId = await facade.gql<{ nodes: Alarm[] }>(`query($ids: [ID!]!) { nodes(ids: $ids) { ... on Event { ${EVENT} } } }`, {
      ids: inAlarms.map((e) => e.id),
    });
    const withoutRaw = ({ raw: _raw, ...event }: Alarm) => event;
    assert.deepEqual(byId.body.data!.nodes.map(withoutRaw), inAlarms.map(withoutRaw));
  });
});

describe('the same alarm through USM Central', () => {
  let facade: TestFacade;
  let viaCentral: TestFacade;

  before(async () => {
    facade = await startTestFacade();
    // Holds credentials for acme-east only: acme-west and acme-lab are read through Central.
    viaCentral = await startFacadeOver(facade, ['acme-east']);
  });
  after(async () => {
    await viaCentral.stop();
    await facade.stop();
  });

  /**
   * Every field but `raw` (of the alarm and of its events), which is the document as
   * received: Central wraps the alarm and sends its events with fewer fields.
   */
  const withoutRaw = ({ raw: _raw, events, ...alarm }: Alarm) => {
    const { edges, ...connection } = events as { edges: Array<{ cursor: string; node: Alarm }> };
    return {
      ...alarm,
      events: { ...connection, edges: edges.map(({ cursor, node: { raw: _eventRaw, ...event } }) => ({ cursor, node: event })) },
    };
  };

  it('has the same id and fields whether read from the deployment or through Central, in a page and by id', async () => {
    const page = `{ alarms(deployment: "acme-west", first: 20) { pageInfo { endCursor } edges { cursor node { ...Everything } } } } ${ALARM}`;
    type Page = { alarms: { pageInfo: { endCursor: string }; edges: Array<{ cursor: string; node: Alarm }> } };
    const direct = await facade.gql<Page>(page);
    const central = await viaCentral.gql<Page>(page);
    assert.equal(central.body.errors, undefined, JSON.stringify(central.body.errors));
    // Deployment fields say whether *this* facade holds credentials; everything else is equal.
    const normalised = (edges: Page['alarms']['edges']) =>
      edges.map((e) => ({ cursor: e.cursor, node: { ...withoutRaw(e.node), deployment: { ...(e.node.deployment as object), hasCredentials: null } } }));
    assert.deepEqual(normalised(central.body.data!.alarms.edges), normalised(direct.body.data!.alarms.edges));
    assert.equal((central.body.data!.alarms.edges[0]!.node.deployment as { hasCredentials: boolean }).hasCredentials, false);

    const id = direct.body.data!.alarms.edges[7]!.node.id;
    await resetSimulatorStats(facade.simulatorUrl);
    const byId = await viaCentral.gql<{ alarm: Alarm }>(`query($id: ID!) { alarm(id: $id) { ...Everything } } ${ALARM}`, { id });
    assert.deepEqual(
      { ...withoutRaw(byId.body.data!.alarm), deployment: null },
      { ...withoutRaw(direct.body.data!.alarms.edges[7]!.node), deployment: null },
    );
  });

  it('answers an event of a deployment it holds no credentials for with NOT_FOUND saying why, without asking Central', async () => {
    const { body: listed } = await facade.gql<{ alarms: { edges: Array<{ node: { events: { edges: Array<{ node: { id: string } }> } } }> } }>(
      '{ alarms(deployment: "acme-west", first: 1) { edges { node { events(first: 1) { edges { node { id } } } } } } }',
    );
    const id = listed.data!.alarms.edges[0]!.node.events.edges[0]!.node.id;
    await resetSimulatorStats(facade.simulatorUrl);
    const { body } = await viaCentral.gql('query($id: ID!) { event(id: $id) { id } }', { id });
    assert.equal(body.errors?.[0]?.extensions?.['code'], 'NOT_FOUND');
    assert.match(
      body.errors![0]!.message,
      /^deployment "acme-west" is known through USM Central, but the facade holds no credentials for it, so its events cannot be looked up; readable deployments: acme-east$/,
    );
    const stats = await simulatorStats(facade.simulatorUrl);
    assert.equal(requestCount(stats, 'central', 'GET /events/{id}') + requestCount(stats, 'acme-west', 'GET /events/{id}'), 0);
  });

  it('walks a deployment read through Central exactly as the deployment lists it, forward and backward', async () => {
    const rest = (await (await directReader(facade, 'acme-west')).alarms({ status: 'open' })).sort(
      feedOrder('timestamp_occured', 'desc'),
    );
    const filter = { status: ['OPEN'] };
    const forward = await walkAlarms(viaCentral, { deployment: 'acme-west', filter, direction: 'forward' });
    assert.deepEqual(forward.ids, rest.map(alarmId));
    const backward = await walkAlarms(viaCentral, { deployment: 'acme-west', filter, direction: 'backward' });
    assert.deepEqual(backward.ids, rest.map(alarmId));
  });
});
