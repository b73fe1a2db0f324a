import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { startTestFacade, type TestFacade } from '../support/facade.fixture.js';
import { postGraphQL } from '../support/graphql.client.js';
import {
  assertUnauthenticated,
  bearer,
  connectWs,
  createKey,
  dataOf,
  RESET,
  ROTATE,
  ROTATED,
  VIEWER,
  within,
  wsExecute,
  wsSubscribe,
  type ApiKeyRotation,
  type Created,
  type WsConnection,
  type WsSubscription,
} from './apikey.fixture.js';

describe('the apiKeyRotated subscription', () => {
  let facade: TestFacade;
  const connections: WsConnection[] = [];
  before(async () => {
    facade = await startTestFacade();
  });
  after(async () => {
    await Promise.all(connections.map((connection) => connection.dispose()));
    await facade.stop();
  });

  /**
   * A connection with `secret`, subscribed to apiKeyRotated. The query answered on the
   * same connection afterwards shows the server has set the subscription up.
   */
  async function subscribed(secret: string): Promise<{ connection: WsConnection; rotations: WsSubscription<ApiKeyRotation> }> {
    const connection = connectWs(facade, { Authorization: `Bearer ${secret}` });
    connections.push(connection);
    await within(2_000, connection.acknowledged, 'the connection is acknowledged');
    const rotations = wsSubscribe(connection.client, ROTATED, (data) => data['apiKeyRotated'] as ApiKeyRotation);
    assert.equal((await wsExecute(connection.client, VIEWER)).errors, undefined);
    return { connection, rotations };
  }

  it("hands a rotated key's new secret to its own connections only, and the client reconnects with it without a restart", async () => {
    const dashboard = await createKey(facade, { name: 'dashboard' });
    const other = await createKey(facade, { name: 'other' });
    const mine = await subscribed(dashboard.secret);
    const theirs = await subscribed(other.secret);

    const rotated = dataOf(await facade.gql<{ rotateApiKey: Created }>(ROTATE, { id: dashboard.key.id, gracePeriod: 'PT1H' })).rotateApiKey;
    const message = await mine.rotations.next();
    assert.deepEqual(message, {
      keyId: dashboard.key.id,
      secret: rotated.secret,
      previousSecretValidUntil: rotated.key.previousSecretValidUntil,
      rotatedAt: rotated.key.lastRotatedAt,
      trigger: 'MANUAL',
    });

    const otherRotated = dataOf(await facade.gql<{ rotateApiKey: Created }>(ROTATE, { id: other.key.id, gracePeriod: 'PT1H' })).rotateApiKey;
    assert.equal((await theirs.rotations.next()).secret, otherRotated.secret, "the other key's first message is its own rotation");
    assert.equal(theirs.rotations.received.length, 1, 'nothing of the dashboard key reached the other key');
    assert.equal(mine.rotations.received.length, 1, 'nothing of the other key reached the dashboard');

    const reconnected = connectWs(facade, { Authorization: `Bearer ${message.secret}` });
    connections.push(reconnected);
    await within(2_000, reconnected.acknowledged, 'the new secret opens a connection');
    const viewer = await wsExecute<{ viewer: { id: string } }>(reconnected.client, VIEWER);
    assert.equal(viewer.data?.viewer.id, dashboard.key.id);
    assert.equal((await wsExecute(mine.connection.client, VIEWER)).errors, undefined, 'the old connection works through the grace period');
  });

  it("does not hand a reset key's new secret to connections opened with the old one, and closes them", async () => {
    const leaked = await createKey(facade, { name: 'leaked' });
    const holder = await subscribed(leaked.secret);
    const reset = dataOf(await facade.gql<{ resetApiKey: Created }>(RESET, { id: leaked.key.id })).resetApiKey;
    const { code } = await within(1_000, holder.connection.closed, 'the connection of the reset secret closes');
    assert.equal(code, 4401);
    assert.deepEqual(holder.rotations.received, [], 'the new secret went to whoever reset the key, and no one else');
    assertUnauthenticated(await postGraphQL(facade.url, VIEWER, {}, bearer(leaked.secret)));
    const fresh = connectWs(facade, { Authorization: `Bearer ${reset.secret}` });
    connections.push(fresh);
    await within(2_000, fresh.acknowledged, 'the new secret opens a connection');
  });

  it('keeps the connections of a key on its current secret open when an earlier secret in its grace period is cut short', async () => {
    const dashboard = await createKey(facade, { name: 'twice-rotated' });
    const first = dataOf(await facade.gql<{ rotateApiKey: Created }>(ROTATE, { id: dashboard.key.id, gracePeriod: 'PT1H' })).rotateApiKey;
    const onOldest = await subscribed(dashboard.secret);
    const onCurrent = await subscribed(first.secret);
    const second = dataOf(await facade.gql<{ rotateApiKey: Created }>(ROTATE, { id: dashboard.key.id, gracePeriod: 'PT1H' })).rotateApiKey;
    assert.equal((await onCurrent.rotations.next()).secret, second.secret);
    assert.equal((await within(1_000, onOldest.connection.closed, 'the connection of the ended secret closes')).code, 4401);
    assert.equal((await postGraphQL(facade.url, VIEWER, {}, bearer(second.secret))).status, 200);
    assert.equal(onCurrent.connection.isClosed(), false, 'the connection of the current secret stays open');
    assert.equal((await wsExecute(onCurrent.connection.client, VIEWER)).errors, undefined);
    assert.equal(onCurrent.connection.isClosed(), false);
  });
});
