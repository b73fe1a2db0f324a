import { after, afterEach, before, beforeEach, describe, it, mock } from 'node:test';
import assert from 'node:assert/strict';
import { FacadeError } from '../../src/errors/facade.error.js';
import type { RunningSimulator } from '../../src/simulator/simulator.js';
import { RateBudget } from '../../src/upstream/budget/rate.budget.js';
import { MemoryRateWindow } from '../../src/upstream/budget/rate.window.js';
import type { UpstreamRegistry } from '../../src/upstream/upstream.registry.js';
import {
  clientStats,
  deleteRedisKeys,
  outcomes,
  REDIS_URL,
  registryFor,
  startTestSimulator,
  uniquePrefix,
} from './upstream.fixture.js';

class ManualClock {
  time = 1_000_000;
  readonly now = (): number => this.time;
}

/** Lets the budget's pump run everything that is ready now. */
async function flush(): Promise<void> {
  for (let i = 0; i < 5; i += 1) await new Promise((resolve) => setImmediate(resolve));
}

describe('MemoryRateWindow', () => {
  it('holds a slot from the request until one window after its answer', async () => {
    const clock = new ManualClock();
    const window = new MemoryRateWindow({ clock: clock.now });
    const take = () => window.tryTake('k', 2, 1000, 30_000);
    const first = await take();
    const second = await take();
    assert.ok(first.taken && second.taken);
    assert.deepEqual(await take(), { taken: false, retryInMs: 1001 }, 'in flight: free no sooner than a window from now');
    clock.time += 100;
    await first.settle();
    clock.time += 999;
    assert.deepEqual(await take(), { taken: false, retryInMs: 2 }, 'a window after the answer, not after the request');
    clock.time += 1;
    assert.equal((await take()).taken, true);
    assert.equal((await window.tryTake('other', 2, 1000, 30_000)).taken, true, 'keys are independent');
  });

  it('frees the slot of a request that never reports back once its lease and a window have passed', async () => {
    const clock = new ManualClock();
    const window = new MemoryRateWindow({ clock: clock.now });
    assert.equal((await window.tryTake('k', 1, 1000, 5000)).taken, true);
    clock.time += 5999;
    assert.equal((await window.tryTake('k', 1, 1000, 5000)).taken, false);
    clock.time += 1;
    assert.equal((await window.tryTake('k', 1, 1000, 5000)).taken, true);
  });
});

describe('RateBudget', () => {
  let clock: ManualClock;
  beforeEach(() => {
    clock = new ManualClock();
    mock.timers.enable({ apis: ['setTimeout'] });
  });
  afterEach(() => {
    mock.timers.reset();
  });

  /** Moves the budget's clock and its timers together. */
  async function advance(ms: number): Promise<void> {
    clock.time += ms;
    mock.timers.tick(ms);
    await flush();
  }

  function budget(overrides: Partial<ConstructorParameters<typeof RateBudget>[0]> = {}): RateBudget {
    return new RateBudget({ deployment: 'acme-east', key: 'k', clock: clock.now, ...overrides });
  }

  it('lets floor(limit × share) GETs through per window, in arrival order', async () => {
    const b = budget();
    const order: number[] = [];
    // Each request is answered at once.
    const all = Array.from({ length: 200 }, (_, i) =>
      b.acquire('get').then((permit) => {
        permit.done();
        order.push(i);
      }),
    );
    await flush();
    assert.equal(order.length, 95, '95% of 100 in the first window');
    await advance(1010);
    assert.equal(order.length, 95, 'the window is 1000 ms plus a 10 ms margin');
    await advance(1);
    assert.equal(order.length, 190);
    await advance(1011);
    await Promise.all(all);
    assert.deepEqual(order, Array.from({ length: 200 }, (_, i) => i), 'first come, first served');
    b.close();
  });

  it('counts POST-class requests against their own, smaller limit', async () => {
    const b = budget();
    let posts = 0;
    let gets = 0;
    const waiting = [
      ...Array.from({ length: 100 }, () => b.acquire('post').then(() => (posts += 1))),
      ...Array.from({ length: 10 }, () => b.acquire('get').then(() => (gets += 1))),
    ];
    await flush();
    assert.equal(posts, 47, 'floor(50 × 0.95)');
    assert.equal(gets, 10, 'GETs do not wait behind POSTs');
    b.close();
    await Promise.allSettled(waiting);
  });

  it('refuses at once a caller whose expected wait exceeds the queue limit', async () => {
    const b = budget({ maxQueueWaitMs: 2000 });
    const all = Array.from({ length: 300 }, () => b.acquire('get'));
    const results = await Promise.allSettled(all.slice(190));
    const refused = results.filter((r) => r.status === 'rejected');
    assert.equal(refused.length, 110, 'callers 190.. would wait 2020 ms or more');
    const reason = (refused[0] as PromiseRejectedResult).reason as FacadeError;
    assert.ok(reason instanceof FacadeError);
    assert.equal(reason.code, 'UPSTREAM_RATE_LIMITED');
    assert.equal(reason.deployment, 'acme-east');
    assert.equal(reason.details.retryAfterMs, 2020);
    b.close();
    await Promise.allSettled(all);
  });

  it('halves its rate after an upstream 429, once per window, and grows back by 5% per second', async () => {
    const b = budget();
    assert.equal(b.currentLimit('get'), 95);
    b.throttled('get', undefined);
    assert.equal(b.currentLimit('get'), 47);
    b.throttled('get', undefined);
    assert.equal(b.currentLimit('get'), 47, 'a burst of 429s from one window halves once');
    clock.time += 1000;
    assert.equal(b.currentLimit('get'), 52);
    clock.time += 10_000;
    assert.equal(b.currentLimit('get'), 95);
    assert.equal(b.currentLimit('post'), 47, 'the other class is untouched');
    b.close();
  });

  it('pauses the class for Retry-After after an upstream 429', async () => {
    const b = budget();
    b.throttled('get', 500);
    let through = false;
    const pending = b.acquire('get').then(() => (through = true));
    await flush();
    assert.equal(through, false);
    await advance(499);
    assert.equal(through, false);
    await advance(1);
    await pending;
    assert.equal(through, true);
    b.close();
  });

  it('refuses waiting callers when closed', async () => {
    const b = budget();
    const waiting = Array.from({ length: 100 }, () => b.acquire('get'));
    await flush();
    b.close();
    const settled = await Promise.allSettled(waiting);
    assert.equal(settled.filter((s) => s.status === 'rejected').length, 5);
    await assert.rejects(b.acquire('get'), { code: 'UPSTREAM_UNAVAILABLE' });
  });
});

describe('the rate budget against the simulator', () => {
  let sim: RunningSimulator;
  before(async () => {
    sim = await startTestSimulator();
  });
  after(async () => {
    await sim.stop();
  });

  it('serves 1000 GETs offered at once with one token, no 429 and never more than 100 in a window', async () => {
    // The default 10 s queue limit would turn the last ~50 callers away (1000 / 95 per
    // 1.02 s is 10.7 s); this test is about delivery, so it allows a longer wait.
    const registry = await registryFor(sim, { tuning: { queueMaxWaitMs: 20_000 } });
    try {
      const east = registry.anywhere('acme-east');
      const calls = Array.from({ length: 1000 }, () => east.alarmsPage({ size: 1 }));
      assert.deepEqual(await outcomes(calls), { ok: 1000 });
      const stats = await clientStats(sim, 'acme-east');
      assert.equal(stats.requests['GET /alarms'], 1000);
      assert.equal(stats.responses['429'], undefined);
      assert.equal(stats.rateLimited, 0);
      assert.ok(stats.maxGetsInWindow <= 100, `largest window held ${stats.maxGetsInWindow} GETs`);
      assert.equal(stats.tokensGranted, 1, '1000 concurrent cold calls, one token');
    } finally {
      await registry.close();
    }
  });

  it('turns callers away with UPSTREAM_RATE_LIMITED, before any request, when the queue is full', async () => {
    const registry = await registryFor(sim, { tuning: { queueMaxWaitMs: 1000 } });
    try {
      const west = registry.anywhere('acme-west');
      const counts = await outcomes(Array.from({ length: 300 }, () => west.alarmsPage({ size: 1 })));
      assert.deepEqual(counts, { ok: 95, UPSTREAM_RATE_LIMITED: 205 });
      const stats = await clientStats(sim, 'acme-west');
      assert.equal(stats.requests['GET /alarms'], 95, 'refused callers cost no request');
      assert.equal(stats.rateLimited, 0);
    } finally {
      await registry.close();
    }
  });

  describe('shared by replicas through Redis', () => {
    const prefix = uniquePrefix();
    let replicas: UpstreamRegistry[] = [];
    before(async () => {
      replicas = await Promise.all([0, 1].map(() => registryFor(sim, { redisUrl: REDIS_URL, redisKeyPrefix: prefix })));
    });
    after(async () => {
      await Promise.all(replicas.map((r) => r.close()));
      await deleteRedisKeys(prefix);
    });

    it('keeps two replicas together under 100 GETs in any window, with no 429 and one token', async () => {
      const calls = replicas.flatMap((replica) =>
        Array.from({ length: 150 }, () => replica.anywhere('acme-lab').alarmsPage({ size: 1 })),
      );
      assert.deepEqual(await outcomes(calls), { ok: 300 });
      const stats = await clientStats(sim, 'acme-lab');
      assert.equal(stats.requests['GET /alarms'], 300);
      assert.equal(stats.rateLimited, 0);
      assert.ok(stats.maxGetsInWindow <= 100, `largest window held ${stats.maxGetsInWindow} GETs`);
      assert.ok(stats.maxGetsInWindow >= 90, 'the replicas used the shared budget, not half each');
      assert.equal(stats.tokensGranted, 1, 'the replicas share one token');
    });
  });
});
