import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { connectWs, wsSubscribe, type WsConnection } from '../apikey/apikey.fixture.js';
import { alarmListCalls, injectAlarms, logEnd, startLiveFacade, TURN_MS, type LiveFacade } from './live.fixture.js';

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
    const { facade, timers } = live;
    const subscription = wsSubscribe(ws.client, PAGE, pageOf);
    const first = await subscription.next();
    assert.equal(first.uuids.length, 5);

    const [created] = await injectAlarms(facade.simulatorUrl, DEPLOYMENT);
    const mark = await logEnd(facade.simulatorUrl);
    await timers.advance(TURN_MS);
    const updated = await subscription.next();
    assert.equal(updated.uuids[0], created!.uuid, 'the new alarm heads the page');
    assert.deepEqual(updated.uuids.slice(1), first.uuids.slice(0, 4));
    assert.equal(updated.totalCount, first.totalCount + 1);
    assert.equal((await alarmListCalls(facade.simulatorUrl, mark)).length, 1, 'one poll for the interval');

    const quiet = await logEnd(facade.simulatorUrl);
    for (let i = 0; i < 3; i += 1) await timers.advance(TURN_MS);
    assert.equal((await alarmListCalls(facade.simulatorUrl, quiet)).length, 3, 'polled once per quiet interval');
    const [later] = await injectAlarms(facade.simulatorUrl, DEPLOYMENT);
    await timers.advance(TURN_MS);
    const next = await subscription.next();
    assert.equal(next.uuids[0], later!.uuid, 'the payload after three quiet intervals is the next change: none was sent for them');
    subscription.stop();
  });
});
