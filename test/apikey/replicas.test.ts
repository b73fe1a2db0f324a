import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { formatApiKey, newKeyId, newSecret } from '../../src/keys/api-key.format.js';
import { startTestFacade, type TestFacade } from '../support/facade.fixture.js';
import { postGraphQL } from '../support/graphql.client.js';
import { redisScope, TEST_REDIS_URL, type RedisScope } from '../live/redis.fixture.js';
import {
  assertNoSecretIn,
  assertUnauthenticated,
  bearer,
  connectWs,
  createKey,
  dataOf,
  REVOKE,
  ROTATE,
  ROTATED,
  VIEWER,
  within,
  wsExecute,
  wsSubscribe,
  type ApiKeyRotation,
  type Created,
  type WsConnection,
} from './apikey.fixture.js';

describe('two facade replicas on one Redis', () => {
  let scope: RedisScope;
  let a: TestFacade;
  let b: TestFacade;
  const secrets: string[] = [];
  const connections: WsConnection[] = [];

  before(async () => {
    scope = redisScope();
    const env = { REDIS_URL: TEST_REDIS_URL, REDIS_PREFIX: scope.prefix, FACADE_ADMIN_KEY: formatApiKey(newKeyId(), newSecret()) };
    a = await startTestFacade(env);
    b = await startTestFacade(env);
    secrets.push(env.FACADE_ADMIN_KEY);
  });
  after(async () => {
    await Promise.all(connections.map((connection) => connection.dispose()));
    await a?.stop();
    await b?.stop();
    await scope.cleanup();
  });

  it('share one default key and every key made on either', async () => {
    const created = await createKey(a, { name: 'shared' });
    secrets.push(created.secret);
    assert.equal(dataOf(await postGraphQL<{ viewer: { name: string } }>(b.url, VIEWER, {}, bearer(created.secret))).viewer.name, 'shared');
    const listed = (facade: TestFacade) => facade.gql<{ apiKeys: Array<{ id: string }> }>('{ apiKeys { id } }');
    assert.deepEqual(dataOf(await listed(b)), dataOf(await listed(a)));
    assert.equal(dataOf(await listed(a)).apiKeys.length, 2, 'one default key, adopted by both');
  });

  it('accept a secret rotated on one replica on the other at once, and the previous one through its grace period', async () => {
    const created = await createKey(a, { name: 'rotating' });
    assert.equal((await postGraphQL(b.url, VIEWER, {}, bearer(created.secret))).status, 200, 'B has the key cached');
    const rotated = dataOf(await a.gql<{ rotateApiKey: Created }>(ROTATE, { id: created.key.id, gracePeriod: 'PT1H' })).rotateApiKey;
    secrets.push(created.secret, rotated.secret);
    assert.equal((await postGraphQL(b.url, VIEWER, {}, bearer(rotated.secret))).status, 200);
    assert.equal((await postGraphQL(b.url, VIEWER, {}, bearer(created.secret))).status, 200);
  });

  it('refuse a key revoked on A on B within one second, and close its WebSocket connections on both', async () => {
    const created = await createKey(a, { name: 'to-revoke' });
    secrets.push(created.secret);
    assert.equal((await postGraphQL(b.url, VIEWER, {}, bearer(created.secret))).status, 200, 'B has the key cached');
    const onA = connectWs(a, { Authorization: `Bearer ${created.secret}` });
    const onB = connectWs(b, { Authorization: `Bearer ${created.secret}` });
    connections.push(onA, onB);
    await within(2_000, Promise.all([onA.acknowledged, onB.acknowledged]), 'both connections are acknowledged');
    wsSubscribe(onB.client, ROTATED, (data) => data['apiKeyRotated']);
    assert.equal((await wsExecute(onB.client, VIEWER)).errors, undefined);

    dataOf(await a.gql(REVOKE, { id: created.key.id }));
    // B closes the key's connections when the revocation reaches it, on the message that empties its auth cache.
    const closed = await within(1_000, Promise.all([onA.closed, onB.closed]), 'both connections close within one second of the revoke');
    assert.deepEqual(
      closed.map((event) => event.code),
      [4401, 4401],
    );
    assertUnauthenticated(await postGraphQL(b.url, VIEWER, {}, bearer(created.secret)), /invalid or expired/);
  });

  it('hand a key its new secret through apiKeyRotated on the replica its connection is on', async () => {
    const created = await createKey(a, { name: 'subscriber' });
    const onB = connectWs(b, { Authorization: `Bearer ${created.secret}` });
    connections.push(onB);
    await within(2_000, onB.acknowledged, 'the connection is acknowledged');
    const rotations = wsSubscribe(onB.client, ROTATED, (data) => data['apiKeyRotated'] as ApiKeyRotation);
    assert.equal((await wsExecute(onB.client, VIEWER)).errors, undefined);
    secrets.push(created.secret);
    // The client cannot see when B's Redis SUBSCRIBE is confirmed: rotate until a message arrives, boundedly.
    const issued: string[] = [];
    let delivered: ApiKeyRotation | undefined;
    for (let attempt = 0; attempt < 5 && delivered === undefined; attempt += 1) {
      const rotated = dataOf(await a.gql<{ rotateApiKey: Created }>(ROTATE, { id: created.key.id, gracePeriod: 'PT1H' })).rotateApiKey;
      issued.push(rotated.secret);
      delivered = await rotations.next(200).catch(() => undefined);
    }
    secrets.push(...issued);
    assert.ok(delivered !== undefined, 'a rotation reached the connection on the other replica');
    assert.equal(delivered.keyId, created.key.id);
    assert.ok(issued.includes(delivered.secret), 'with a secret the rotation issued');
  });

  it('keep every key under the configured Redis prefix, and no secret in Redis', async () => {
    const client = await scope.client();
    const names: string[] = [];
    for await (const batch of client.scanIterator({ MATCH: `${scope.prefix}*`, COUNT: 100 })) names.push(...batch);
    assert.ok(names.some((name) => name.includes('apikeys:index')), `the key index is under ${scope.prefix}`);
    const values = await Promise.all(names.map(async (name) => ((await client.type(name)) === 'string' ? ((await client.get(name)) ?? '') : '')));
    assert.ok(values.join('\n').includes('"subscriber"'), 'the records are readable, so the search means something');
    assertNoSecretIn(names.join('\n') + values.join('\n'), secrets, 'Redis');
  });

  it('keep every Redis key they write under REDIS_PREFIX: keys, tokens, quota windows and cached documents', async () => {
    const page = await a.gql<{ alarms: { edges: Array<{ node: { id: string } }> } }>('{ alarms(first: 3) { edges { node { id } } } }');
    const [first] = dataOf(page).alarms.edges;
    assert.ok(first !== undefined);
    dataOf(await b.gql(`{ alarm(id: "${first.node.id}") { id } }`));
    const redis = await scope.client();
    const written = await redis.keys(`${scope.prefix}*`);
    const kinds = new Set(written.map((key) => key.slice(scope.prefix.length).split(':')[0]));
    for (const kind of ['keys', 'tokens', 'cache']) assert.ok(kinds.has(kind), `no ${kind} key under the prefix: ${[...kinds].join(', ')}`);
  });
});

