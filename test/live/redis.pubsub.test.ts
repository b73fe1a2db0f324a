import { afterEach, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { Topic, type PubSub } from '../../src/live/pubsub.js';
import { createRedisPubSub } from '../../src/live/redis.pubsub.js';
import { connectRedis, type RedisConnection } from '../../src/store/redis.connection.js';
import { redisScope, TEST_REDIS_URL, type RedisScope } from './redis.fixture.js';

const rotated = (keyId: string) => ({
  keyId,
  secret: `usmf_${keyId}_secret`,
  previousValidUntil: '2025-03-02T08:00:00.000Z',
  rotatedAt: '2025-03-01T08:00:00.000Z',
  trigger: 'SCHEDULED' as const,
});

describe('createRedisPubSub', () => {
  let scope: RedisScope;
  let opened: PubSub[] = [];
  let connections: RedisConnection[] = [];
  async function open(): Promise<PubSub> {
    const [publisher, subscriber] = [await connectRedis(TEST_REDIS_URL), await connectRedis(TEST_REDIS_URL)];
    connections.push(publisher, subscriber);
    const pubsub = createRedisPubSub({ publisher, subscriber, prefix: `${scope.prefix}live:` });
    opened.push(pubsub);
    return pubsub;
  }
  afterEach(async () => {
    for (const pubsub of opened) await pubsub.close();
    await Promise.all(connections.map((connection) => connection.close()));
    opened = [];
    connections = [];
    await scope.cleanup();
  });

  it('carries a revocation published on one replica to a subscriber on another', async () => {
    scope = redisScope();
    const [a, b] = [await open(), await open()];
    const heard = b.subscribe(Topic.ApiKeyRevoked);
    await heard.ready;
    await a.publish(Topic.ApiKeyRevoked, undefined, { keyId: 'k1', reason: 'REVOKED' });
    assert.deepEqual((await heard.next()).value, { keyId: 'k1', reason: 'REVOKED' });
    await heard.return();
  });

  it('routes by topic and key across replicas', async () => {
    scope = redisScope();
    const [a, b] = [await open(), await open()];
    const mine = b.subscribe(Topic.ApiKeyRotated, 'k1');
    const alsoMine = a.subscribe(Topic.ApiKeyRotated, 'k1');
    const other = b.subscribe(Topic.ApiKeyRotated, 'k2');
    const unkeyed = b.subscribe(Topic.ApiKeyRotated);
    await Promise.all([mine.ready, alsoMine.ready, other.ready, unkeyed.ready]);
    await a.publish(Topic.ApiKeyRotated, 'k1', rotated('k1'));
    await a.publish(Topic.ApiKeyRotated, 'k2', rotated('k2'));
    assert.deepEqual((await mine.next()).value, rotated('k1'));
    assert.deepEqual((await alsoMine.next()).value, rotated('k1'));
    assert.deepEqual((await other.next()).value, rotated('k2'));
    // Redis delivers one connection's messages in order: once k2 arrived, a stray k1 for `unkeyed` would have too.
    await b.close();
    assert.deepEqual(await unkeyed.next(), { value: undefined, done: true });
  });

  it('unsubscribes from Redis when the last local subscriber of a channel returns', async () => {
    scope = redisScope();
    const pubsub = await open();
    const observer = await scope.client();
    const channel = `${scope.prefix}live:${Topic.ApiKeyRotated}:k1`;
    const first = pubsub.subscribe(Topic.ApiKeyRotated, 'k1');
    const second = pubsub.subscribe(Topic.ApiKeyRotated, 'k1');
    await Promise.all([first.ready, second.ready]);
    assert.deepEqual({ ...(await observer.pubSubNumSub(channel)) }, { [channel]: 1 });
    await first.return();
    assert.deepEqual({ ...(await observer.pubSubNumSub(channel)) }, { [channel]: 1 });
    await second.return();
    // The UNSUBSCRIBE is sent on the subscriber connection; a round trip on it orders our check after it.
    const third = pubsub.subscribe(Topic.ApiKeyRevoked);
    await third.ready;
    assert.deepEqual({ ...(await observer.pubSubNumSub(channel)) }, { [channel]: 0 });
    await third.return();
  });

  it('ends every subscription and unsubscribes on close(), leaving the connections to their opener', async () => {
    scope = redisScope();
    const pubsub = await open();
    const observer = await scope.client();
    const channel = `${scope.prefix}live:${Topic.ApiKeyRevoked}`;
    const subscription = pubsub.subscribe(Topic.ApiKeyRevoked);
    await subscription.ready;
    assert.deepEqual({ ...(await observer.pubSubNumSub(channel)) }, { [channel]: 1 });
    await pubsub.close();
    assert.deepEqual(await subscription.next(), { value: undefined, done: true });
    await assert.rejects(pubsub.publish(Topic.ApiKeyRevoked, undefined, { keyId: 'k1', reason: 'REVOKED' }), /This pubsub is closed/);
    assert.deepEqual({ ...(await observer.pubSubNumSub(channel)) }, { [channel]: 0 });
    assert.deepEqual(
      connections.map((connection) => connection.isReady),
      [true, true],
    );
  });
});
