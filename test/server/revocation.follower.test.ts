/**
 * Revocations heard on the pubsub end WebSocket connections: the follower on a memory
 * pubsub, with a server that records what it is told to do.
 */
import { afterEach, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createMemoryPubSub, Topic, type PubSub } from '../../src/live/pubsub.js';
import { followRevocations } from '../../src/server/revocation.follower.js';

const nextTurn = () => new Promise((resolve) => setImmediate(resolve));

describe('followRevocations', () => {
  let pubsub: PubSub;
  let stop: (() => Promise<void>) | undefined;
  const calls: string[] = [];
  const server = {
    closeConnectionsOf: (keyId: string) => void calls.push(`close ${keyId}`),
    reauthenticateConnectionsOf: async (keyId: string) => void calls.push(`reauthenticate ${keyId}`),
  };
  afterEach(async () => {
    await stop?.();
    await pubsub.close();
    calls.length = 0;
  });

  async function follow() {
    pubsub = createMemoryPubSub();
    stop = await followRevocations({ pubsub, server });
  }

  it('closes every connection of a key that was revoked or deleted', async () => {
    await follow();
    await pubsub.publish(Topic.ApiKeyRevoked, undefined, { keyId: 'k1', reason: 'REVOKED' });
    await pubsub.publish(Topic.ApiKeyRevoked, undefined, { keyId: 'k2', reason: 'DELETED' });
    await nextTurn();
    assert.deepEqual(calls, ['close k1', 'close k2']);
  });

  it('checks again, on the next turn, the connections of a key whose secret was replaced', async () => {
    await follow();
    await pubsub.publish(Topic.ApiKeyRevoked, undefined, { keyId: 'k1', reason: 'SECRET_REPLACED' });
    await Promise.resolve();
    assert.deepEqual(calls, [], 'not before the key service has dropped the key from its auth cache');
    await nextTurn();
    await nextTurn();
    assert.deepEqual(calls, ['reauthenticate k1']);
  });

  it('ends nothing once stopped', async () => {
    await follow();
    await stop!();
    await pubsub.publish(Topic.ApiKeyRevoked, undefined, { keyId: 'k1', reason: 'REVOKED' });
    await nextTurn();
    assert.deepEqual(calls, []);
  });
});
