/**
 * Subscriptions are costed when they start, per poll: one whose polls would pass
 * MAX_OPERATION_COST is refused at once, and no poll starts for it.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import WebSocket from 'ws';
import { createClient, type Client } from 'graphql-ws';
import { startTestFacade, type TestFacade } from '../support/facade.fixture.js';
import { dataRequestsOf } from '../support/simulator.stats.js';
import { record } from '../live/live.fixture.js';

describe('subscription cost', () => {
  let facade: TestFacade;
  let client: Client;
  before(async () => {
    // Every deployment's page is 1 + 3 calls a poll; one deployment's, 2.
    facade = await startTestFacade({ MAX_OPERATION_COST: '3' });
    client = createClient({
      url: facade.url.replace(/^http/, 'ws'),
      webSocketImpl: WebSocket,
      retryAttempts: 0,
      connectionParams: { Authorization: `Bearer ${facade.adminKey}` },
    });
  });
  after(async () => {
    await client.dispose();
    await facade.stop();
  });

  it('refuses alarmPage over every deployment with COST_LIMIT_EXCEEDED per poll, sending nothing upstream', async () => {
    const calls = await dataRequestsOf(facade.simulatorUrl);
    const subscription = record(client, 'subscription { alarmPage(first: 10) { totalCount } }');
    // One payload with the refusal, then completion: what a router in front passes on.
    const errors = (await subscription.next()).errors ?? [];
    assert.deepEqual(await subscription.ended, []);
    assert.equal(errors.length, 1);
    assert.equal(errors[0]!.extensions?.['code'], 'COST_LIMIT_EXCEEDED');
    assert.match(errors[0]!.message, /^This operation could make 4 upstream calls per poll; the limit is 3 \(MAX_OPERATION_COST\)/);
    assert.equal(errors[0]!.extensions?.['estimatedUpstreamCalls'], 4);
    assert.equal(await dataRequestsOf(facade.simulatorUrl), calls);
  });

  it('serves one deployment’s page, which costs 2 a poll', async () => {
    const subscription = record(client, 'subscription { alarmPage(deployment: "acme-east", first: 10) { totalCount } }');
    const first = await subscription.next();
    subscription.stop();
    assert.equal(first.errors, undefined);
    assert.equal(typeof (first.data?.['alarmPage'] as { totalCount: number }).totalCount, 'number');
    // The estimate per poll; the polls are shared and the facade's, so none is this subscriber's own.
    const { throttleStatus: _status, ...calls } = first.extensions?.['cost'] as Record<string, unknown>;
    assert.deepEqual(calls, { estimatedUpstreamCalls: 2, actualUpstreamCalls: 0, resultNodes: 1 });
  });

  it('adds the cost to queries over WebSocket too', async () => {
    const answer = record(client, '{ alarms(deployment: "acme-west", first: 3) { totalCount } }');
    const result = await answer.next();
    const cost = result.extensions?.['cost'] as { estimatedUpstreamCalls: number; actualUpstreamCalls: number };
    assert.equal(cost.estimatedUpstreamCalls, 2);
    assert.ok(cost.actualUpstreamCalls >= 1 && cost.actualUpstreamCalls <= 2, JSON.stringify(cost));
  });
});
