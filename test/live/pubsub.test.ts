import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createMemoryPubSub, Topic } from '../../src/live/pubsub.js';

const revoked = (keyId: string) => ({ keyId, reason: 'REVOKED' as const });
const rotated = (keyId: string) => ({
  keyId,
  secret: `usmf_${keyId}_secret`,
  previousValidUntil: null,
  rotatedAt: '2025-03-01T08:00:00.000Z',
  trigger: 'MANUAL' as const,
});

describe('createMemoryPubSub', () => {
  it('delivers to subscribers of the same topic, in publish order', async () => {
    const pubsub = createMemoryPubSub();
    const first = pubsub.subscribe(Topic.ApiKeyRevoked);
    const second = pubsub.subscribe(Topic.ApiKeyRevoked);
    await pubsub.publish(Topic.ApiKeyRevoked, undefined, revoked('k1'));
    await pubsub.publish(Topic.ApiKeyRevoked, undefined, revoked('k2'));
    for (const subscription of [first, second]) {
      assert.deepEqual((await subscription.next()).value, revoked('k1'));
      assert.deepEqual((await subscription.next()).value, revoked('k2'));
    }
    await pubsub.close();
  });

  it('routes keyed messages to that key only: not to other keys, not to the unkeyed topic, not to other topics', async () => {
    const pubsub = createMemoryPubSub();
    const mine = pubsub.subscribe(Topic.ApiKeyRotated, 'k1');
    const other = pubsub.subscribe(Topic.ApiKeyRotated, 'k2');
    const unkeyed = pubsub.subscribe(Topic.ApiKeyRotated);
    const otherTopic = pubsub.subscribe(Topic.ApiKeyRevoked, 'k1');
    await pubsub.publish(Topic.ApiKeyRotated, 'k1', rotated('k1'));
    await pubsub.publish(Topic.ApiKeyRotated, 'k2', rotated('k2'));
    assert.deepEqual((await mine.next()).value, rotated('k1'));
    assert.deepEqual((await other.next()).value, rotated('k2'));
    await pubsub.close();
    for (const subscription of [mine, other, unkeyed, otherTopic]) assert.deepEqual(await subscription.next(), { value: undefined, done: true });
  });

  it('hands each subscriber its own copy of the payload', async () => {
    const pubsub = createMemoryPubSub();
    const first = pubsub.subscribe(Topic.AlarmsChanged, 'acme');
    const second = pubsub.subscribe(Topic.AlarmsChanged, 'acme');
    await pubsub.publish(Topic.AlarmsChanged, 'acme', { deployment: 'acme', alarmIds: ['a1'], origin: 'replica-1' });
    const a = (await first.next()).value!;
    a.alarmIds.push('tampered');
    assert.deepEqual((await second.next()).value, { deployment: 'acme', alarmIds: ['a1'], origin: 'replica-1' });
    await pubsub.close();
  });

  it('ends a waiting next() and stops delivery when the subscriber returns', async () => {
    const pubsub = createMemoryPubSub();
    const subscription = pubsub.subscribe(Topic.ApiKeyRevoked);
    const waiting = subscription.next();
    await subscription.return();
    assert.deepEqual(await waiting, { value: undefined, done: true });
    await pubsub.publish(Topic.ApiKeyRevoked, undefined, revoked('k1'));
    assert.deepEqual(await subscription.next(), { value: undefined, done: true });
    const later = pubsub.subscribe(Topic.ApiKeyRevoked);
    await pubsub.publish(Topic.ApiKeyRevoked, undefined, revoked('k2'));
    assert.deepEqual((await later.next()).value, revoked('k2'));
    await pubsub.close();
  });

  it('ends a for-await loop on break, unsubscribing', async () => {
    const pubsub = createMemoryPubSub();
    const subscription = pubsub.subscribe(Topic.ApiKeyRevoked);
    await pubsub.publish(Topic.ApiKeyRevoked, undefined, revoked('k1'));
    await pubsub.publish(Topic.ApiKeyRevoked, undefined, revoked('k2'));
    for await (const message of subscription) {
      assert.deepEqual(message, revoked('k1'));
      break;
    }
    assert.deepEqual(await subscription.next(), { value: undefined, done: true });
    await pubsub.close();
  });

  it('keeps at most maxBuffered payloads for a busy subscriber, dropping the oldest', async () => {
    const pubsub = createMemoryPubSub({ maxBuffered: 2 });
    const subscription = pubsub.subscribe(Topic.ApiKeyRevoked);
    for (const id of ['k1', 'k2', 'k3']) await pubsub.publish(Topic.ApiKeyRevoked, undefined, revoked(id));
    assert.deepEqual((await subscription.next()).value, revoked('k2'));
    assert.deepEqual((await subscription.next()).value, revoked('k3'));
    await pubsub.close();
  });

  it('refuses to publish after close, saying so, and hands out ended subscriptions', async () => {
    const pubsub = createMemoryPubSub();
    await pubsub.close();
    await assert.rejects(pubsub.publish(Topic.ApiKeyRevoked, undefined, revoked('k1')), /This pubsub is closed/);
    assert.deepEqual(await pubsub.subscribe(Topic.ApiKeyRevoked).next(), { value: undefined, done: true });
  });
});
