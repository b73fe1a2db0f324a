/**
 * What the facade asks USM for, counted by the simulator (`/__sim/stats`, reset before
 * each measurement): a list page costs one call, whatever the selection; lookups of
 * alarms the request has already listed cost nothing; other lookups cost one detail
 * call per distinct alarm, then nothing while cached; concurrent requests for one
 * alarm share one call; failures are not remembered.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { startTestFacade, type TestFacade } from '../support/facade.fixture.js';
import {
  dataRequestCount,
  requestCount,
  resetSimulatorStats,
  simulatorStats,
  type SimulatorStats,
} from '../support/simulator.stats.js';
import { alarmId, directReader, feedOrder, type RestAlarm } from '../graph/graph.fixture.js';

const LIST_50 = `
  alarms(deployment: "acme-east", first: 50) {
    edges { node { id labelIds deployment { name } events { edges { node { name } } } } }
  }`;

type ListData = { alarms: { edges: Array<{ node: { id: string; labelIds: string[]; deployment: { name: string }; events: { edges: unknown[] } } }> } };
type NodesData = { nodes: Array<{ id: string; uuid: string; labelIds: string[] } | null> };

/** The request counts of one deployment, by route, summed over its clients. */
function routes(stats: SimulatorStats, deployment: string): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const client of Object.values(stats.deployments[deployment]?.clients ?? {})) {
    for (const [route, n] of Object.entries(client.requests)) counts[route] = (counts[route] ?? 0) + n;
  }
  return counts;
}

const rateLimited = (stats: SimulatorStats) =>
  Object.values(stats.deployments).reduce(
    (sum, d) => sum + Object.values(d.clients).reduce((s, c) => s + c.rateLimited, 0),
    0,
  );

describe('upstream calls of a list page on a cold facade', () => {
  let facade: TestFacade;
  let newest: RestAlarm[];

  before(async () => {
    facade = await startTestFacade();
    newest = (await (await directReader(facade, 'acme-east')).alarms()).slice(0, 50);
    await resetSimulatorStats(facade.simulatorUrl);
  });
  after(async () => {
    await facade.stop();
  });

  it('costs one GET /alarms and one token for 50 alarms with labels, deployment and events, and at most one Central /deployments', async () => {
    const { body } = await facade.gql<ListData>(`{ ${LIST_50} }`);
    assert.equal(body.errors, undefined);
    assert.equal(body.data!.alarms.edges.length, 50);
    assert.ok(body.data!.alarms.edges.every((e) => e.node.deployment.name === 'acme-east' && e.node.events.edges.length > 0));

    const stats = await simulatorStats(facade.simulatorUrl);
    assert.deepEqual(routes(stats, 'acme-east'), { 'POST /oauth/token': 1, 'GET /alarms': 1 });
    assert.equal(dataRequestCount(stats, 'acme-west'), 0);
    assert.equal(dataRequestCount(stats, 'acme-lab'), 0);
    // `deployment { name }` reads the deployment list, which Central serves (one call, then cached).
    assert.ok(requestCount(stats, 'central', 'GET /deployments') <= 1);
    assert.deepEqual(Object.keys(routes(stats, 'central')).filter((r) => r !== 'POST /oauth/token' && r !== 'GET /deployments'), []);
  });

  it('lists exactly the 50 newest alarms the simulator lists', async () => {
    const { body } = await facade.gql<ListData>(`{ ${LIST_50} }`);
    assert.deepEqual(
      body.data!.alarms.edges.map((e) => e.node.id),
      newest.map(alarmId),
    );
  });
});

describe('lookups of alarms the same request lists', () => {
  for (const order of ['the list first', 'nodes first']) {
    it(`cost no call beyond the page when nodes(ids) comes in the same operation on a cold facade (${order})`, async () => {
      const facade = await startTestFacade();
      try {
        const ids = (await (await directReader(facade, 'acme-east')).alarms()).slice(0, 50).map(alarmId);
        await resetSimulatorStats(facade.simulatorUrl);
        const nodes = 'nodes(ids: $ids) { id ... on Alarm { uuid labelIds } }';
        const operation = `query($ids: [ID!]!) { ${order === 'nodes first' ? `${nodes} ${LIST_50}` : `${LIST_50} ${nodes}`} }`;
        const { body } = await facade.gql<ListData & NodesData>(operation, { ids });
        assert.equal(body.errors, undefined);
        assert.deepEqual(
          body.data!.nodes.map((n) => n?.id),
          ids,
        );
        assert.deepEqual(
          body.data!.alarms.edges.map((e) => e.node.id),
          ids,
        );
        const stats = await simulatorStats(facade.simulatorUrl);
        assert.deepEqual(routes(stats, 'acme-east'), { 'POST /oauth/token': 1, 'GET /alarms': 1 });
      } finally {
        await facade.stop();
      }
    });
  }
});

describe('lookups of alarms the merged feed of the same request lists', () => {
  it('cost no detail call, though the feed first reads Central’s deployment list', async () => {
    const facade = await startTestFacade();
    try {
      const readers = await Promise.all(['acme-east', 'acme-lab', 'acme-west'].map((name) => directReader(facade, name)));
      const newest = (await Promise.all(readers.map((r) => r.alarms()))).flat().sort(feedOrder('timestamp_occured', 'desc'));
      const ids = newest.slice(0, 30).map(alarmId);
      await resetSimulatorStats(facade.simulatorUrl);
      const { body } = await facade.gql<ListData & NodesData>(
        'query($ids: [ID!]!) { alarms(first: 30) { edges { node { id } } } nodes(ids: $ids) { id } }',
        { ids },
      );
      assert.deepEqual(
        body.data!.alarms.edges.map((e) => e.node.id),
        ids,
      );
      assert.deepEqual(
        body.data!.nodes.map((n) => n?.id),
        ids,
      );
      const stats = await simulatorStats(facade.simulatorUrl);
      for (const deployment of ['acme-east', 'acme-lab', 'acme-west']) {
        assert.deepEqual(routes(stats, deployment), { 'POST /oauth/token': 1, 'GET /alarms': 1 }, deployment);
      }
      assert.equal(requestCount(stats, 'central', 'GET /deployments'), 1);
    } finally {
      await facade.stop();
    }
  });
});

describe('lookups of alarms no page has shown', () => {
  let facade: TestFacade;
  let oldest: RestAlarm[];

  before(async () => {
    facade = await startTestFacade();
    oldest = (await (await directReader(facade, 'acme-east')).alarms({ sort: 'timestamp_occured,asc' })).slice(0, 50);
    await resetSimulatorStats(facade.simulatorUrl);
  });
  after(async () => {
    await facade.stop();
  });

  it('cost one detail call per distinct alarm for 50 ids, then none on a second request within the TTL', async () => {
    const ids = oldest.map(alarmId);
    const query = 'query($ids: [ID!]!) { nodes(ids: $ids) { id ... on Alarm { uuid labelIds occurredAt } } }';
    const first = await facade.gql<NodesData>(query, { ids });
    assert.equal(first.body.errors, undefined);
    assert.deepEqual(first.body.data!.nodes.map((n) => n?.uuid), oldest.map((a) => a.uuid));

    let stats = await simulatorStats(facade.simulatorUrl);
    assert.deepEqual(routes(stats, 'acme-east'), { 'POST /oauth/token': 1, 'GET /alarms/{id}': 50 });
    assert.equal(rateLimited(stats), 0);

    await resetSimulatorStats(facade.simulatorUrl);
    const second = await facade.gql<NodesData>(query, { ids });
    assert.deepEqual(second.body.data, first.body.data);
    assert.equal(second.body.errors, undefined);
    stats = await simulatorStats(facade.simulatorUrl);
    assert.equal(dataRequestCount(stats, 'acme-east'), 0);
  });

  it('asks once for an alarm named many times in one request', async () => {
    const fresh = (await (await directReader(facade, 'acme-east')).alarms({ sort: 'timestamp_occured,asc' })).slice(50, 60);
    await resetSimulatorStats(facade.simulatorUrl);
    const ids = [...fresh, ...fresh, ...fresh].map(alarmId);
    const { body } = await facade.gql<NodesData>('query($ids: [ID!]!) { nodes(ids: $ids) { id } }', { ids });
    assert.deepEqual(body.data!.nodes.map((n) => n?.id), ids);
    const stats = await simulatorStats(facade.simulatorUrl);
    assert.equal(requestCount(stats, 'acme-east', 'GET /alarms/{id}'), 10);
  });

  it('shares one upstream call among 200 concurrent requests for the same alarm', async () => {
    const target = (await (await directReader(facade, 'acme-east')).alarms({ sort: 'timestamp_occured,asc' }))[100]!;
    await resetSimulatorStats(facade.simulatorUrl);
    const answers = await Promise.all(
      Array.from({ length: 200 }, () =>
        facade.gql<{ alarm: { id: string; uuid: string } }>('query($id: ID!) { alarm(id: $id) { id uuid } }', {
          id: alarmId(target),
        }),
      ),
    );
    assert.ok(answers.every((a) => a.status === 200 && a.body.data?.alarm?.uuid === target.uuid));
    const stats = await simulatorStats(facade.simulatorUrl);
    assert.equal(requestCount(stats, 'acme-east', 'GET /alarms/{id}'), 1);
    assert.equal(dataRequestCount(stats, 'acme-east'), 1);
  });

  it('answers null for an alarm its deployment does not know, and asks again next time (a miss is not cached)', async () => {
    const missing = alarmId({ deployment: 'acme-east', uuid: '00000000-0000-4000-8000-0000000000ff' });
    const query = 'query($id: ID!) { alarm(id: $id) { uuid } }';
    await resetSimulatorStats(facade.simulatorUrl);
    const { body } = await facade.gql(query, { id: missing });
    assert.deepEqual(body, { data: { alarm: null }, extensions: body.extensions });
    // Another selection of the same alarm: an identical request would be answered whole by
    // the short-lived response cache; this one must reach the loaders and ask upstream again.
    await facade.gql('query($id: ID!) { alarm(id: $id) { id uuid } }', { id: missing });
    const stats = await simulatorStats(facade.simulatorUrl);
    assert.equal(requestCount(stats, 'acme-east', 'GET /alarms/{id}'), 2);
  });
});

describe('a lookup that fails upstream', () => {
  let facade: TestFacade;
  let target: RestAlarm;

  before(async () => {
    facade = await startTestFacade({ UPSTREAM_RETRY_MAX_ATTEMPTS: '1' });
    target = (await (await directReader(facade, 'acme-east')).alarms({ sort: 'timestamp_occured,asc' }))[0]!;
  });
  after(async () => {
    await fetch(`${facade.simulatorUrl}/__sim/faults`, { method: 'DELETE' });
    await facade.stop();
  });

  it('is reported with an upstream code and not remembered: the next request asks again and gets the alarm', async () => {
    const query = 'query($id: ID!) { alarm(id: $id) { uuid } }';
    await fetch(`${facade.simulatorUrl}/__sim/faults`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ deployment: 'acme-east', errorStatus: 503 }),
    });
    const failed = await facade.gql(query, { id: alarmId(target) });
    assert.equal(failed.body.data?.alarm, null);
    assert.equal(failed.body.errors?.[0]?.extensions?.['code'], 'UPSTREAM_UNAVAILABLE');

    await fetch(`${facade.simulatorUrl}/__sim/faults`, { method: 'DELETE' });
    await resetSimulatorStats(facade.simulatorUrl);
    const recovered = await facade.gql(query, { id: alarmId(target) });
    assert.deepEqual(recovered.body, { data: { alarm: { uuid: target.uuid } }, extensions: recovered.body.extensions });
    const stats = await simulatorStats(facade.simulatorUrl);
    assert.equal(requestCount(stats, 'acme-east', 'GET /alarms/{id}'), 1);
  });
});
