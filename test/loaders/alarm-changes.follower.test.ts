/**
 * Cache invalidation after another replica's alarm write: the follower on a memory
 * pubsub (the Redis one carries the same messages between replicas) and a real cache.
 */
import { afterEach, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { DocumentCache } from '../../src/loaders/document.cache.js';
import { followAlarmChanges } from '../../src/loaders/alarm-changes.follower.js';
import { documentKey } from '../../src/loaders/feed.sources.js';
import { createMemoryPubSub, Topic, type PubSub } from '../../src/live/pubsub.js';

/** Lets the follower's loop take what was published (it runs on promise jobs, all done before the next turn). */
const nextTurn = () => new Promise((resolve) => setImmediate(resolve));

describe('followAlarmChanges', () => {
  let pubsub: PubSub;
  let stop: (() => Promise<void>) | undefined;
  afterEach(async () => {
    await stop?.();
    await pubsub.close();
  });

  async function follow(cache: DocumentCache, onChange: () => void = () => undefined) {
    pubsub = createMemoryPubSub();
    stop = await followAlarmChanges({ pubsub, cache, deployments: ['acme-east', 'acme-west'], replicaId: 'replica-a', onChange });
  }

  async function cached(): Promise<DocumentCache> {
    const cache = new DocumentCache();
    cache.prime('alarm', documentKey('acme-east', 'a1'), { uuid: 'a1' });
    cache.prime('alarm', documentKey('acme-east', 'a2'), { uuid: 'a2' });
    await cache.get('page', 'east-page', async () => ['a1', 'a2'], ['acme-east']);
    await cache.get('page', 'west-page', async () => ['w1'], ['acme-west']);
    return cache;
  }

  it("forgets the written alarm and the deployment's pages when another replica writes, and says so first", async () => {
    const cache = await cached();
    const seen: string[] = [];
    await follow(cache, () => seen.push(cache.peek('page', 'east-page') === undefined ? 'after' : 'before'));
    await pubsub.publish(Topic.AlarmsChanged, 'acme-east', { deployment: 'acme-east', alarmIds: ['a1'], origin: 'replica-b' });
    await nextTurn();
    assert.deepEqual(seen, ['before'], 'onChange once, before the caches drop');
    assert.equal(cache.peek('alarm', documentKey('acme-east', 'a1')), undefined);
    assert.deepEqual(cache.peek('alarm', documentKey('acme-east', 'a2')), { uuid: 'a2' }, 'other alarms stay');
    assert.equal(cache.peek('page', 'east-page'), undefined);
    assert.deepEqual(cache.peek('page', 'west-page'), ['w1'], "other deployments' pages stay");
  });

  it('skips the messages of its own replica, which refreshed its caches when it wrote', async () => {
    const cache = await cached();
    let changes = 0;
    await follow(cache, () => (changes += 1));
    await pubsub.publish(Topic.AlarmsChanged, 'acme-east', { deployment: 'acme-east', alarmIds: ['a1'], origin: 'replica-a' });
    await nextTurn();
    assert.equal(changes, 0);
    assert.deepEqual(cache.peek('alarm', documentKey('acme-east', 'a1')), { uuid: 'a1' });
    assert.deepEqual(cache.peek('page', 'east-page'), ['a1', 'a2']);
  });

  it('hears nothing once stopped', async () => {
    const cache = await cached();
    let changes = 0;
    await follow(cache, () => (changes += 1));
    await stop!();
    await pubsub.publish(Topic.AlarmsChanged, 'acme-east', { deployment: 'acme-east', alarmIds: ['a1'], origin: 'replica-b' });
    await nextTurn();
    assert.equal(changes, 0);
    assert.deepEqual(cache.peek('page', 'east-page'), ['a1', 'a2']);
  });
});
