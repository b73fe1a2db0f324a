import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { bearer, connectWs, wsExecute, wsSubscribe, type WsConnection } from '../apikey/apikey.fixture.js';
import { alarmListCalls, injectAlarms, logEnd, record, startLiveFacade, TURN_MS, type LiveFacade } from './live.fixture.js';

const DEPLOYMENT = 'acme-east';

interface PageView {
  ids: string[];
  uuids: string[];
  labels: string[][];
  totalCount: number;
}

const PAGE = `subscription { alarmPage(deployment: "${DEPLOYMENT}", first: 5, orderBy: { field: RECEIVED_AT, direction: DESC }) {
  totalCount edges { node { id uuid labelIds status } } } }`;

const pageOf = (data: Record<string, unknown>): PageView => {
  const page = data['alarmPage'] as { totalCount: number; edges: Array<{ node: { id: string; uuid: string; labelIds: string[] } }> };
  return {
    ids: page.edges.map((e) => e.node.id),
    uuids: page.edges.map((e) => e.node.uuid),
    labels: page.edges.map((e) => e.node.labelIds),
    totalCount: page.totalCount,
  };
};

describe('alarmPage over graphql-ws', () => {
  let live: LiveFacade;
  let ws: WsConnection;

  before(async () => {
    live = await startLiveFacade();
    ws = connectWs(live.facade, { Authorization: `Bearer ${live.key}` });
    await ws.acknowledged;
  });
  after(async () => {
    await ws.dispose();
    await live.facade.stop();
  });

  it('sends the first page at once, one update per change, and nothing over quiet intervals', async () => {
    const { facade, clock } = live;
    const subscription = wsSubscribe(ws.client, PAGE, pageOf);
    const first = await subscription.next();
    assert.equal(first.uuids.length, 5);

    const [created] = await injectAlarms(facade.simulatorUrl, DEPLOYMENT);
    const mark = await logEnd(facade.simulatorUrl);
    await clock.advance(TURN_MS);
    const updated = await subscription.next();
    assert.equal(updated.uuids[0], created!.uuid, 'the new alarm heads the page');
    assert.deepEqual(updated.uuids.slice(1), first.uuids.slice(0, 4));
    assert.equal(updated.totalCount, first.totalCount + 1);
    assert.equal((await alarmListCalls(facade.simulatorUrl, mark)).length, 1, 'one poll for the interval');

    const quiet = await logEnd(facade.simulatorUrl);
    for (let i = 0; i < 3; i += 1) await clock.advance(TURN_MS);
    assert.equal((await alarmListCalls(facade.simulatorUrl, quiet)).length, 3, 'polled once per quiet interval');
    const [later] = await injectAlarms(facade.simulatorUrl, DEPLOYMENT);
    await clock.advance(TURN_MS);
    const next = await subscription.next();
    assert.equal(next.uuids[0], later!.uuid, 'the payload after three quiet intervals is the next change: none was sent for them');
    subscription.stop();
  });

  it('shows a label added through the mutation, without waiting for the interval', async () => {
    const { facade, key } = live;
    const subscription = wsSubscribe(ws.client, PAGE, pageOf);
    const first = await subscription.next();
    const answer = await facade.gql<{ addAlarmLabel: { labelIds: string[] } }>(
      'mutation($id: ID!) { addAlarmLabel(alarmId: $id, labelId: "on-the-wall") { labelIds } }',
      { id: first.ids[2] },
      bearer(key),
    );
    assert.deepEqual(answer.body.errors, undefined);
    const updated = await subscription.next();
    assert.ok(updated.labels[2]!.includes('on-the-wall'), `labels of the third alarm: ${updated.labels[2]}`);
    assert.deepEqual(updated.uuids, first.uuids, 'the same alarms, one label more');
    subscription.stop();
  });

  it('shares one poll among every subscriber of the same page', async () => {
    const { facade, clock } = live;
    const subscriptions = Array.from({ length: 5 }, () => wsSubscribe(ws.client, PAGE, pageOf));
    const firsts = await Promise.all(subscriptions.map((s) => s.next()));
    for (const first of firsts) assert.deepEqual(first.uuids, firsts[0]!.uuids);
    const [created] = await injectAlarms(facade.simulatorUrl, DEPLOYMENT);
    const mark = await logEnd(facade.simulatorUrl);
    await clock.advance(TURN_MS);
    for (const subscription of subscriptions) assert.equal((await subscription.next()).uuids[0], created!.uuid);
    assert.equal((await alarmListCalls(facade.simulatorUrl, mark)).length, 1, 'five subscribers, one poll');
    for (const subscription of subscriptions) subscription.stop();
  });

  it('refuses bad arguments as alarms does, before subscribing', async () => {
    const tooMany = await wsExecute(ws.client, `subscription { alarmPage(first: 500) { totalCount } }`);
    assert.equal(tooMany.errors?.[0]?.extensions?.['code'], 'BAD_USER_INPUT');
    assert.match(tooMany.errors![0]!.message, /first/);
    const unknown = await wsExecute(ws.client, `subscription { alarmPage(deployment: "nowhere") { totalCount } }`);
    assert.equal(unknown.errors?.[0]?.extensions?.['code'], 'NOT_FOUND');
    assert.match(unknown.errors![0]!.message, /acme-east/, 'names the known deployments');
    const backwards = await wsExecute(
      ws.client,
      `subscription { alarmCreated(filter: { receivedAfter: "2026-02-01T00:00:00Z", receivedBefore: "2026-01-01T00:00:00Z" }) { uuid } }`,
    );
    assert.equal(backwards.errors?.[0]?.extensions?.['code'], 'BAD_USER_INPUT');
  });
});

describe('alarmPage limits and outages', () => {
  let live: LiveFacade;
  let ws: WsConnection;

  before(async () => {
    live = await startLiveFacade({
      LIVE_MAX_SUBSCRIPTIONS_PER_KEY: '4',
      LIVE_MAX_GROUPS: '2',
      UPSTREAM_RETRY_MAX_ATTEMPTS: '1',
      UPSTREAM_BREAKER_THRESHOLD: '1000',
    });
    ws = connectWs(live.facade, { Authorization: `Bearer ${live.key}` });
    await ws.acknowledged;
  });
  after(async () => {
    await ws.dispose();
    await live.facade.stop();
  });

  const page = (first: number) => `subscription { alarmPage(deployment: "${DEPLOYMENT}", first: ${first}) { edges { node { uuid } } } }`;

  it('refuses a subscription past each limit with LIMIT_EXCEEDED, and leaves the others running', async () => {
    const { facade, clock } = live;
    const running = [record(ws.client, page(3)), record(ws.client, page(3)), record(ws.client, page(4))];
    for (const subscription of running) await subscription.next();

    const second = connectWs(facade, { Authorization: `Bearer ${live.key}` });
    await second.acknowledged;
    const groups = await wsExecute(second.client, page(5));
    assert.equal(groups.errors?.[0]?.extensions?.['code'], 'LIMIT_EXCEEDED', 'a third distinct page on a replica allowed two');
    assert.match(groups.errors![0]!.message, /LIVE_MAX_GROUPS/);
    // One connection carries as many of its key's subscriptions as the key may run (a router's does).
    const fourth = record(ws.client, page(3));
    assert.equal((await fourth.next()).errors, undefined, 'a fourth on the first connection');
    const perKey = await wsExecute(second.client, page(4));
    assert.equal(perKey.errors?.[0]?.extensions?.['code'], 'LIMIT_EXCEEDED');
    assert.match(perKey.errors![0]!.message, /LIVE_MAX_SUBSCRIPTIONS_PER_KEY/);

    await injectAlarms(facade.simulatorUrl, DEPLOYMENT);
    await clock.advance(TURN_MS);
    for (const subscription of [...running, fourth]) {
      const update = await subscription.next();
      assert.equal(update.errors, undefined, 'the running subscriptions go on');
    }
    for (const subscription of [...running, fourth]) subscription.stop();
    await second.dispose();
  });

  it('sends one error per outage, keeps the subscription, and the page again when USM is back', async () => {
    const { facade, clock } = live;
    const subscription = record(ws.client, page(3));
    const first = await subscription.next();
    assert.equal(first.errors, undefined);

    await fetch(`${facade.simulatorUrl}/__sim/faults`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ deployment: DEPLOYMENT, errorStatus: 503 }),
    });
    for (let i = 0; i < 3; i += 1) await clock.advance(TURN_MS);
    const outage = await subscription.next();
    assert.equal(outage.data, null);
    assert.equal(outage.errors?.length, 1);
    assert.match(String(outage.errors![0]!.extensions?.['code']), /^UPSTREAM_/);
    assert.equal(subscription.payloads.length, 2, 'one error for three failed polls');

    await fetch(`${facade.simulatorUrl}/__sim/faults`, { method: 'DELETE' });
    await clock.advance(TURN_MS);
    const back = await subscription.next();
    assert.equal(back.errors, undefined);
    assert.deepEqual(back.data, first.data, 'the same page again, though it did not change');
    subscription.stop();
  });
});
