import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { formatApiKey, newKeyId, newSecret } from '../../src/keys/api-key.format.js';
import { startTestFacade, type TestFacade } from '../support/facade.fixture.js';
import { postGraphQL } from '../support/graphql.client.js';
import {
  assertUnauthenticated,
  bearer,
  connectWs,
  createKey,
  dataOf,
  VIEWER,
  within,
  wsExecute,
} from './apikey.fixture.js';

/** The key with its last checksum character changed: a typo the checksum catches. */
function withBrokenChecksum(key: string): string {
  const last = key.at(-1)!;
  return key.slice(0, -1) + (last === 'A' ? 'B' : 'A');
}

describe('authentication of every GraphQL request', () => {
  let facade: TestFacade;
  let reader: string;
  before(async () => {
    facade = await startTestFacade();
    reader = (await createKey(facade, { name: 'reader' })).secret;
  });
  after(async () => {
    await facade.stop();
  });

  it('answers 401 UNAUTHENTICATED, without data or stack trace, when no key is sent', async () => {
    assertUnauthenticated(await postGraphQL(facade.url, VIEWER), /An API key is required.*Authorization: Bearer.*X-API-Key/);
  });

  it('answers 401 for a malformed key, a key with a broken checksum and an unknown key alike', async () => {
    assertUnauthenticated(await postGraphQL(facade.url, VIEWER, {}, bearer('not-a-key')), /malformed/);
    assertUnauthenticated(await postGraphQL(facade.url, VIEWER, {}, bearer(withBrokenChecksum(reader))), /malformed/);
    const unknown = formatApiKey(newKeyId(), newSecret());
    assertUnauthenticated(await postGraphQL(facade.url, VIEWER, {}, bearer(unknown)), /^The API key is invalid or expired\./);
  });

  it('answers 401 for a known key id with a wrong secret, saying no more than for an unknown key', async () => {
    const id = reader.slice('usmf_'.length, 'usmf_'.length + 12);
    const guessed = formatApiKey(id, newSecret());
    assertUnauthenticated(await postGraphQL(facade.url, VIEWER, {}, bearer(guessed)), /^The API key is invalid or expired\./);
  });

  it('serves /healthz without a key', async () => {
    const response = await fetch(new URL('/healthz', facade.url));
    assert.equal(response.status, 200);
    assert.deepEqual(await response.json(), { status: 'ok' });
  });

  it('accepts the key as Authorization: Bearer and as X-API-Key', async () => {
    const asBearer = dataOf(await postGraphQL<{ viewer: { name: string } }>(facade.url, VIEWER, {}, bearer(reader)));
    const asHeader = dataOf(await postGraphQL<{ viewer: { name: string } }>(facade.url, VIEWER, {}, { 'x-api-key': reader }));
    assert.equal(asBearer.viewer.name, 'reader');
    assert.deepEqual(asHeader, asBearer);
  });

  it('answers viewer with the calling key, and the admin key with every permission', async () => {
    const { viewer } = dataOf(await facade.gql<{ viewer: { permissions: string[]; isDefault: boolean; name: string } }>(VIEWER));
    assert.deepEqual(viewer.permissions, ['ALARMS_READ', 'ALARMS_WRITE', 'KEYS_MANAGE', 'CREDENTIALS_MANAGE', 'SCHEMA_READ']);
    assert.equal(viewer.isDefault, true);
    assert.match(viewer.name, /^usm-facade@\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
  });

  it('answers every operation of a WebSocket without a key UNAUTHENTICATED, then closes it with 4401', async () => {
    const connection = connectWs(facade, {});
    await within(2_000, connection.acknowledged, 'the connection is acknowledged, so refusals reach the client with their code');
    const refused = await wsExecute(connection.client, VIEWER);
    assert.equal(refused.data, undefined);
    assert.equal(refused.errors?.[0]?.extensions?.['code'], 'UNAUTHENTICATED');
    assert.match(refused.errors![0]!.message, /An API key is required/);
    const { code } = await within(3_000, connection.closed, 'the idle unauthenticated connection closes');
    assert.equal(code, 4401, 'Unauthorized: a close graphql-ws clients (and routers) do not retry');
    await connection.dispose();
  });

  it('answers the operations of a WebSocket with a bad key in connection_init UNAUTHENTICATED, then closes it with 4401', async () => {
    for (const key of ['not-a-key', withBrokenChecksum(reader), formatApiKey(newKeyId(), newSecret())]) {
      const connection = connectWs(facade, { Authorization: `Bearer ${key}` });
      const refused = await wsExecute(connection.client, 'subscription { alarmCreated { uuid } }');
      assert.equal(refused.errors?.[0]?.extensions?.['code'], 'UNAUTHENTICATED', key);
      assert.equal((await within(3_000, connection.closed, 'the refused connection closes')).code, 4401);
      await connection.dispose();
    }
  });

  it('serves a WebSocket with a key in connection_init, given as Authorization or as apiKey', async () => {
    for (const params of [{ Authorization: `Bearer ${reader}` }, { apiKey: reader }]) {
      const connection = connectWs(facade, params);
      await within(2_000, connection.acknowledged, 'the connection is acknowledged');
      const result = await wsExecute<{ viewer: { name: string } }>(connection.client, VIEWER);
      assert.equal(result.data?.viewer.name, 'reader');
      await connection.dispose();
    }
  });
});

describe('throttling of failed authentication per client address', () => {
  let facade: TestFacade;
  before(async () => {
    facade = await startTestFacade();
  });
  after(async () => {
    await facade.stop();
  });

  it('adds a retry-after signal once an address has failed 10 times, and still serves a valid key from it', async () => {
    const fail = () =>
      fetch(facade.url, {
        method: 'POST',
        // The spec's newer media type, whose refusals carry their own status (401).
        headers: { 'content-type': 'application/json', accept: 'application/graphql-response+json', authorization: 'Bearer usmf_wrong' },
        body: JSON.stringify({ query: VIEWER }),
      });
    for (let attempt = 1; attempt <= 10; attempt += 1) {
      const response = await fail();
      assert.equal(response.status, 401);
      assert.equal(response.headers.get('retry-after'), null, `attempt ${attempt} is within the budget`);
      const body = (await response.json()) as { errors: Array<{ message: string; extensions: Record<string, unknown> }> };
      assert.equal(body.errors[0]!.extensions['retryAfterSeconds'], undefined);
    }
    const throttled = await fail();
    assert.equal(throttled.status, 401);
    const retryAfter = Number(throttled.headers.get('retry-after'));
    assert.ok(retryAfter >= 1 && retryAfter <= 60, `retry-after ${retryAfter}`);
    const body = (await throttled.json()) as { errors: Array<{ message: string; extensions: Record<string, unknown> }> };
    assert.equal(body.errors[0]!.extensions['code'], 'UNAUTHENTICATED');
    assert.equal(body.errors[0]!.extensions['retryAfterSeconds'], retryAfter);
    assert.match(body.errors[0]!.message, /Too many failed attempts from this address; retry in \d+ s\./);

    assert.equal(dataOf(await facade.gql<{ viewer: { isDefault: boolean } }>(VIEWER)).viewer.isDefault, true);
  });

  it('counts one failed login for a WebSocket with a bad key, however many operations it carries (a router multiplexes them)', async () => {
    const other = await startTestFacade();
    try {
      const connection = connectWs(other, { Authorization: 'Bearer usmf_wrong' });
      const answers = await Promise.all(Array.from({ length: 25 }, () => wsExecute(connection.client, 'subscription { alarmCreated { uuid } }')));
      for (const answer of answers) {
        assert.equal(answer.errors?.[0]?.extensions?.['code'], 'UNAUTHENTICATED');
        assert.equal(answer.errors[0]!.extensions?.['retryAfterSeconds'], undefined, 'the connection failed one login, within the budget of 10');
      }
      await connection.dispose();
      const failOverHttp = () => postGraphQL(other.url, VIEWER, {}, bearer('usmf_wrong'));
      for (let attempt = 2; attempt <= 10; attempt += 1) {
        assert.equal((await failOverHttp()).body.errors?.[0]?.extensions?.['retryAfterSeconds'], undefined, `failed login ${attempt} is within the budget`);
      }
      assert.ok(typeof (await failOverHttp()).body.errors?.[0]?.extensions?.['retryAfterSeconds'] === 'number', 'the 11th failed login is throttled');
    } finally {
      await other.stop();
    }
  });
});
