/**
 * Rate limits as a client of one facade meets them (memory store): over HTTP, where
 * queries and mutations run compiled by graphql-jit, and over WebSocket, where a
 * subscription counts when it subscribes.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { startTestFacade, type TestFacade } from '../support/facade.fixture.js';
import { connectWs, dataOf, wsExecute, wsSubscribe, type WsConnection } from '../apikey/apikey.fixture.js';

/** A page of `first` events; each call asks for another size, so the response cache answers none of them. */
const events = (first: number) => `{ events(deployment: "acme-east", first: ${first}) { edges { node { id } } } }`;
const PAGE = 'subscription { alarmPage(deployment: "acme-east", first: 1) { edges { node { id } } } }';

describe('rate limits of one facade', () => {
  let facade: TestFacade;
  let ws: WsConnection | undefined;

  before(async () => {
    facade = await startTestFacade({ RATE_LIMIT_READS: '2/60' });
  });
  after(async () => {
    await ws?.dispose();
    await facade.stop();
  });

  it('answers the call past the limit with RATE_LIMITED, the field, the limit and retryAfterSeconds, and nothing else', async () => {
    dataOf(await facade.gql(events(1)));
    dataOf(await facade.gql(events(2)));
    const { body } = await facade.gql(events(3));
    assert.equal(body.data, null);
    assert.equal(body.errors?.length, 1);
    const [error] = body.errors!;
    const retryAfterSeconds = error!.extensions?.['retryAfterSeconds'] as number;
    assert.ok(Number.isInteger(retryAfterSeconds) && retryAfterSeconds >= 1 && retryAfterSeconds <= 60, `retryAfterSeconds ${retryAfterSeconds}`);
    assert.deepEqual(error, {
      message: `Query.events allows 2 calls per 60 s for each API key, and this key has made them: retry in ${retryAfterSeconds} s`,
      locations: [{ line: 1, column: 3 }],
      path: ['events'],
      extensions: { code: 'RATE_LIMITED', retryAfterSeconds },
    });
  });

  it('counts each alias of a limited field, and leaves the fields without a limit alone', async () => {
    const { body } = await facade.gql(`{
      a: alarms(deployment: "acme-east", first: 1) { edges { node { id } } }
      b: alarms(deployment: "acme-east", first: 1) { edges { node { id } } }
      deployments { name }
    }`);
    assert.equal(body.errors, undefined, JSON.stringify(body.errors));
    const third = await facade.gql('{ c: alarms(deployment: "acme-east", first: 1) { edges { node { id } } } deployments { name } }');
    assert.deepEqual(third.body.errors?.map((e) => [e.path, e.extensions?.['code']]), [[['c'], 'RATE_LIMITED']]);
  });

  it('counts a subscription when it subscribes: two run and deliver, the third is refused', async () => {
    ws = connectWs(facade, { Authorization: `Bearer ${facade.adminKey}` });
    await ws.acknowledged;
    const pick = (data: Record<string, unknown>) => data['alarmPage'];
    const first = wsSubscribe(ws.client, PAGE, pick);
    const second = wsSubscribe(ws.client, PAGE, pick);
    await first.next();
    await second.next();
    const refused = await wsExecute(ws.client, PAGE);
    assert.deepEqual(refused.errors?.map((e) => [e.path, e.extensions?.['code']]), [[['alarmPage'], 'RATE_LIMITED']]);
    first.stop();
    second.stop();
  });
});
