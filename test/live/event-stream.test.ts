import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createClient, type Client } from 'graphql-sse';
import { createKey, REVOKE } from '../apikey/apikey.fixture.js';
import { injectAlarms, logEnd, record, startLiveFacade, TURN_MS, untilListCallsAnswered, type LiveFacade, type Payload } from './live.fixture.js';

const DEPLOYMENT = 'acme-east';
const PAGE = `subscription { alarmPage(deployment: "${DEPLOYMENT}", first: 3, orderBy: { field: RECEIVED_AT, direction: DESC }) {
  edges { node { uuid } } } }`;

const streamUrl = (live: LiveFacade) => `${live.facade.url}/stream`;
const sseClient = (live: LiveFacade, key: string) =>
  createClient({ url: streamUrl(live), headers: { authorization: `Bearer ${key}` }, retryAttempts: 0 });
const uuidsOf = (payload: Payload) => {
  assert.equal(payload.errors, undefined, JSON.stringify(payload.errors));
  return (payload.data!['alarmPage'] as { edges: Array<{ node: { uuid: string } }> }).edges.map((e) => e.node.uuid);
};

describe('subscriptions over Server-Sent Events (graphql-sse) on /graphql/stream', () => {
  let live: LiveFacade;
  let client: Client;

  before(async () => {
    live = await startLiveFacade();
    client = sseClient(live, live.key);
  });
  after(async () => {
    client.dispose();
    await live.facade.stop();
  });

  it('sends the first page at once and the update after a new alarm', async () => {
    const page = record(client, PAGE);
    const first = uuidsOf(await page.next());
    assert.equal(first.length, 3);
    const [created] = await injectAlarms(live.facade.simulatorUrl, DEPLOYMENT);
    await live.clock.advance(TURN_MS);
    const updated = uuidsOf(await page.next());
    assert.deepEqual(updated, [created!.uuid, ...first.slice(0, 2)]);
    assert.match(String((page.payloads[1]!.extensions?.['live'] as { polledAt: string }).polledAt), /^\d{4}-\d\d-\d\dT/);
    page.stop();
  });

  it('answers a stream without a valid key with one UNAUTHENTICATED payload and completes it, as graphql-sse clients read', async () => {
    const stranger = sseClient(live, 'usmf_nope');
    try {
      const page = record(stranger, PAGE);
      const refused = await page.next();
      assert.equal(refused.data, null);
      assert.equal(refused.errors?.[0]?.extensions?.['code'], 'UNAUTHENTICATED');
      assert.match(refused.errors![0]!.message, /invalid|malformed/);
      assert.deepEqual(await page.ended, [], 'completed, not failed: the client (or a router in front) reads the code');
    } finally {
      stranger.dispose();
    }
  });

  it('answers a refused operation the same way: a field that does not exist, GRAPHQL_VALIDATION_FAILED', async () => {
    const page = record(client, 'subscription { alarmPage(deployment: "acme-east") { nope } }');
    const refused = await page.next();
    assert.equal(refused.errors?.[0]?.extensions?.['code'], 'GRAPHQL_VALIDATION_FAILED');
    assert.match(refused.errors![0]!.message, /nope/);
    assert.deepEqual(await page.ended, []);
  });

  it('answers 406 with what to send when the request is not an event stream', async () => {
    const response = await fetch(streamUrl(live), {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${live.key}` },
      body: JSON.stringify({ query: PAGE }),
    });
    assert.equal(response.status, 406);
    const body = (await response.json()) as { errors: Array<{ message: string }> };
    assert.match(body.errors[0]!.message, /text\/event-stream/);
  });

  it('ends a revoked key’s streams with a last error that says why', async () => {
    const { facade } = live;
    const { secret, key } = await createKey(facade, { name: 'doomed wall', permissions: ['ALARMS_READ'] });
    const doomed = sseClient(live, secret);
    const start = await logEnd(facade.simulatorUrl);
    const page = record(doomed, `subscription { alarmPage(deployment: "${DEPLOYMENT}", first: 2) { edges { node { uuid } } } }`);
    await page.next();
    await untilListCallsAnswered(facade.simulatorUrl, start);
    const revoked = await facade.gql(REVOKE, { id: key.id });
    assert.equal(revoked.body.errors, undefined);
    const last = await page.next();
    assert.equal(last.errors?.[0]?.extensions?.['code'], 'UNAUTHENTICATED');
    assert.match(last.errors![0]!.message, /revoked/);
    assert.deepEqual(await page.ended, [], 'then completed');
    doomed.dispose();
  });
});
