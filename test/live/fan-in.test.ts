import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { bearer, connectWs, type WsConnection } from '../apikey/apikey.fixture.js';
import { simulatorStats } from '../support/simulator.stats.js';
import { alarmListCalls, injectAlarms, logEnd, record, startLiveFacade, TURN_MS, type LiveFacade, type Recorded } from './live.fixture.js';

const DEPLOYMENT = 'acme-east';
const PAGES = 10;
const CONNECTIONS = 40;
const PER_CONNECTION = 25;
const page = (first: number) => `subscription { alarmPage(deployment: "${DEPLOYMENT}", first: ${first}) { edges { node { uuid } } } }`;
const headOf = (subscription: Recorded, index: number) =>
  ((subscription.payloads[index]!.data!['alarmPage'] as { edges: Array<{ node: { uuid: string } }> }).edges[0]!.node.uuid);

describe('1,000 subscribers on 10 distinct pages', () => {
  let live: LiveFacade;
  const connections: WsConnection[] = [];
  const subscriptions: Recorded[] = [];

  before(async () => {
    // One key opens all 1,000, and each subscribe counts against its reads rate limit.
    live = await startLiveFacade({ LIVE_MAX_SUBSCRIPTIONS_PER_KEY: '1000', KEY_BUDGET_MAXIMUM: '0' });
    for (let c = 0; c < CONNECTIONS; c += 1) {
      const connection = connectWs(live.facade, { Authorization: `Bearer ${live.key}` });
      await connection.acknowledged;
      connections.push(connection);
      for (let s = 0; s < PER_CONNECTION; s += 1) subscriptions.push(record(connection.client, page(1 + (subscriptions.length % PAGES))));
    }
    await Promise.all(subscriptions.map((subscription) => subscription.next(20_000)));
  });
  after(async () => {
    for (const subscription of subscriptions) subscription.stop();
    await Promise.all(connections.map((connection) => connection.dispose()));
    await live.facade.stop();
  });

  it('polls each distinct page once per interval, reaches every subscriber, and USM answers no 429', async () => {
    const { facade, clock } = live;
    const [created] = await injectAlarms(facade.simulatorUrl, DEPLOYMENT);
    for (let interval = 0; interval < 3; interval += 1) {
      const mark = await logEnd(facade.simulatorUrl);
      await clock.advance(TURN_MS);
      const polls = await alarmListCalls(facade.simulatorUrl, mark);
      assert.equal(polls.length, PAGES, `interval ${interval}: one list call per distinct page, whatever the subscribers`);
    }
    await Promise.all(subscriptions.map((subscription) => subscription.next(20_000)));
    for (const subscription of subscriptions) {
      assert.equal(subscription.payloads.length, 2, 'the first page and one update: none for the two quiet intervals');
      assert.equal(headOf(subscription, 1), created!.uuid);
    }
    const stats = await simulatorStats(facade.simulatorUrl);
    const limited = Object.values(stats.deployments).flatMap((d) => Object.values(d.clients)).reduce((sum, c) => sum + c.rateLimited, 0);
    assert.equal(limited, 0);
  });

  it('answers a query sent while a poll round is under way, from its own call', async () => {
    const { facade, clock, key } = live;
    const mark = await logEnd(facade.simulatorUrl);
    const round = clock.advance(TURN_MS);
    const answer = await facade.gql<{ alarms: { edges: unknown[] } }>(
      `{ alarms(deployment: "${DEPLOYMENT}", first: 7, filter: { status: [OPEN] }) { edges { node { uuid } } } }`,
      {},
      bearer(key),
    );
    await round;
    assert.equal(answer.body.errors, undefined);
    assert.equal(answer.body.data!.alarms.edges.length, 7);
    const calls = await alarmListCalls(facade.simulatorUrl, mark);
    assert.equal(calls.length, PAGES + 1, 'the round’s ten polls and the query’s own list call');
  });
});
