/**
 * The cross-request cache on its own, with an injected clock: single flight, TTLs per
 * kind, failures never kept, priming that never overwrites, writes that do, page
 * invalidation per deployment, and a bounded memory.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { DocumentCache } from '../../src/loaders/document.cache.js';
import { ManualClock } from '../support/manual.clock.js';

/** A loader that counts its calls and answers what it is given, after a turn of the event loop. */
function counted<T>(value: T) {
  const loader = async () => {
    loader.calls += 1;
    await new Promise((resolve) => setImmediate(resolve));
    return value;
  };
  loader.calls = 0;
  return loader;
}

describe('DocumentCache', () => {
  it('loads once for 200 concurrent callers of one key and gives them all the same value', async () => {
    const cache = new DocumentCache();
    const load = counted({ uuid: 'a' });
    const values = await Promise.all(Array.from({ length: 200 }, () => cache.get('alarm', 'east:a', load)));
    assert.equal(load.calls, 1);
    assert.ok(values.every((v) => v === values[0]));
  });

  it('answers from memory within the TTL and loads again after it', async () => {
    const clock = new ManualClock(1_000_000);
    const cache = new DocumentCache({ ttls: { alarm: 30_000 }, clock });
    const load = counted('doc');
    await cache.get('alarm', 'east:a', load);
    await clock.advance(29_999);
    await cache.get('alarm', 'east:a', load);
    assert.equal(load.calls, 1);
    await clock.advance(1);
    await cache.get('alarm', 'east:a', load);
    assert.equal(load.calls, 2);
  });

  it('keeps each kind for its own TTL', async () => {
    const clock = new ManualClock(1_000_000);
    const cache = new DocumentCache({ ttls: { page: 2_000, event: 300_000 }, clock });
    const page = counted('page');
    const event = counted('event');
    await cache.get('page', 'p', page);
    await cache.get('event', 'east:e', event);
    await clock.advance(2_000);
    await cache.get('page', 'p', page);
    await cache.get('event', 'east:e', event);
    assert.deepEqual([page.calls, event.calls], [2, 1]);
  });

  it('does not keep a failure: the next caller loads again', async () => {
    const cache = new DocumentCache();
    let calls = 0;
    const failing = async () => {
      calls += 1;
      throw new Error('upstream down');
    };
    await assert.rejects(cache.get('alarm', 'east:a', failing), /upstream down/);
    await assert.rejects(cache.get('alarm', 'east:a', failing), /upstream down/);
    assert.equal(calls, 2);
    assert.equal(await cache.get('alarm', 'east:a', async () => 'doc'), 'doc');
  });

  it('shares a failure among the callers that were waiting for it, and only them', async () => {
    const cache = new DocumentCache();
    let calls = 0;
    const failing = async () => {
      calls += 1;
      await new Promise((resolve) => setImmediate(resolve));
      throw new Error('upstream down');
    };
    const results = await Promise.allSettled(Array.from({ length: 5 }, () => cache.get('alarm', 'east:a', failing)));
    assert.equal(calls, 1);
    assert.ok(results.every((r) => r.status === 'rejected'));
  });

  it('caches nothing of a kind whose TTL is 0', async () => {
    const cache = new DocumentCache({ ttls: { alarm: 0 } });
    const load = counted('doc');
    await cache.get('alarm', 'east:a', load);
    await cache.get('alarm', 'east:a', load);
    cache.prime('alarm', 'east:a', 'primed');
    await cache.get('alarm', 'east:a', load);
    assert.equal(load.calls, 3);
  });

  it('primes documents seen in a page without overwriting a document already held', async () => {
    const cache = new DocumentCache();
    await cache.set('alarm', 'east:a', 'fresh after a write');
    cache.prime('alarm', 'east:a', 'from an older page');
    cache.prime('alarm', 'east:b', 'from a page');
    const never = async (): Promise<string> => assert.fail('should be cached');
    assert.equal(await cache.get('alarm', 'east:a', never), 'fresh after a write');
    assert.equal(await cache.get('alarm', 'east:b', never), 'from a page');
  });

  it('peeks at what memory holds without loading, and at nothing expired', async () => {
    const clock = new ManualClock(0);
    const cache = new DocumentCache({ clock });
    assert.equal(cache.peek('deployments', 'all'), undefined);
    await cache.get('deployments', 'all', async () => ['acme-east']);
    assert.deepEqual(cache.peek('deployments', 'all'), ['acme-east']);
    await clock.advance(60_000);
    assert.equal(cache.peek('deployments', 'all'), undefined, 'the 60 s TTL has passed');
  });

  it('replaces a held document on set and forgets it on delete', async () => {
    const cache = new DocumentCache();
    await cache.get('alarm', 'east:a', async () => 'old');
    await cache.set('alarm', 'east:a', 'new');
    assert.equal(await cache.get('alarm', 'east:a', async () => 'loaded'), 'new');
    await cache.delete('alarm', 'east:a');
    assert.equal(await cache.get('alarm', 'east:a', async () => 'loaded'), 'loaded');
  });

  it('keeps nothing of a load that was in flight during a write, and lets no later caller join it', async () => {
    const cache = new DocumentCache();
    let release!: (value: string) => void;
    const stale = cache.get('alarm', 'east:a', () => new Promise<string>((resolve) => (release = resolve)));
    await cache.set('alarm', 'east:a', 'after the write');
    assert.equal(await cache.get('alarm', 'east:a', async () => 'loaded'), 'after the write');
    release('read before the write');
    assert.equal(await stale, 'read before the write');
    assert.equal(await cache.get('alarm', 'east:a', async () => 'loaded'), 'after the write');
  });

  it('keeps no page that was in flight when the pages of its deployment were dropped', async () => {
    const cache = new DocumentCache();
    let release!: (value: string) => void;
    const stale = cache.get('page', 'east-page', () => new Promise<string>((resolve) => (release = resolve)), ['acme-east']);
    cache.dropPages('acme-east');
    const fresh = cache.get('page', 'east-page', async () => 'fetched after the write', ['acme-east']);
    release('fetched before the write');
    assert.equal(await stale, 'fetched before the write');
    assert.equal(await fresh, 'fetched after the write');
    assert.equal(await cache.get('page', 'east-page', async () => 'again', ['acme-east']), 'fetched after the write');
  });

  it('drops the pages that cover a deployment, and only those', async () => {
    const cache = new DocumentCache();
    await cache.get('page', 'east-page', async () => 'east', ['acme-east']);
    await cache.get('page', 'central-page', async () => 'central', ['acme-east', 'acme-west']);
    await cache.get('page', 'west-page', async () => 'west', ['acme-west']);
    cache.dropPages('acme-east');
    const reloaded = async () => 'reloaded';
    assert.equal(await cache.get('page', 'east-page', reloaded), 'reloaded');
    assert.equal(await cache.get('page', 'central-page', reloaded), 'reloaded');
    assert.equal(await cache.get('page', 'west-page', reloaded), 'west');
  });

  it('holds at most maxEntries, evicting the least recently used', async () => {
    const cache = new DocumentCache({ maxEntries: 2 });
    await cache.get('alarm', 'a', async () => 'a');
    await cache.get('alarm', 'b', async () => 'b');
    await cache.get('alarm', 'a', async () => 'a again'); // a is now the most recent
    await cache.get('alarm', 'c', async () => 'c');
    const reloaded = async () => 'reloaded';
    assert.equal(await cache.get('alarm', 'a', reloaded), 'a');
    assert.equal(await cache.get('alarm', 'b', reloaded), 'reloaded');
  });
});
