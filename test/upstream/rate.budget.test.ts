import { after, afterEach, before, beforeEach, describe, it, mock } from 'node:test';
import assert from 'node:assert/strict';
import { FacadeError } from '../../src/errors/facade.error.js';
import type { RunningSimulator } from '../../src/simulator/simulator.js';
import { RateBudget } from '../../src/upstream/budget/rate.budget.js';
import { MemoryRateWindow, type RateWindow } from '../../src/upstream/budget/rate.window.js';
import { expectCalls, type UpstreamCall } from '../../src/upstream/upstream.call.js';
import type { UpstreamRegistry } from '../../src/upstream/upstream.registry.js';
import { ManualClock } from '../support/manual.clock.js';
import {
  clientStats,
  deleteRedisKeys,
  outcomes,
  REDIS_URL,
  registryFor,
  startTestSimulator,
  uniquePrefix,
} from './upstream.fixture.js';

/** Lets the budget's pump run everything that is ready now. */
async function flush(): Promise<void> {
  for (let i = 0; i < 5; i += 1) await new Promise((resolve) => setImmediate(resolve));
}

describe('MemoryRateWindow', () => {
  it('holds a slot from the request until one window after its answer', async () => {
    const clock = new ManualClock(1_000_000);
    const window = new MemoryRateWindow({ clock });
    const take = () => window.tryTake('k', 2, 1000, 30_000);
    const first = await take();
    const second = await take();
    assert.ok(first.taken && second.taken);
    assert.deepEqual(await take(), { taken: false, retryInMs: 1001 }, 'in flight: free no sooner than a window from now');
    await clock.advance(100);
    await first.settle();
    await clock.advance(999);
    assert.deepEqual(await take(), { taken: false, retryInMs: 2 }, 'a window after the answer, not after the request');
    await clock.advance(1);
    assert.equal((await take()).taken, true);
    assert.equal((await window.tryTake('other', 2, 1000, 30_000)).taken, true, 'keys are independent');
  });

  it('frees the slot of a request that never reports back once its lease and a window have passed', async () => {
    const clock = new ManualClock(1_000_000);
    const window = new MemoryRateWindow({ clock });
    assert.equal((await window.tryTake('k', 1, 1000, 5000)).taken, true);
    await clock.advance(5999);
    assert.equal((await window.tryTake('k', 1, 1000, 5000)).taken, false);
    await clock.advance(1);
    assert.equal((await window.tryTake('k', 1, 1000, 5000)).taken, true);
  });
});

describe('RateBudget', () => {
  let clock: ManualClock;
  beforeEach(() => {
    clock = new ManualClock(1_000_000);
  });

  /** Moves the budget's clock, runs its timers, and lets the pump run what is ready then. */
  async function advance(ms: number): Promise<void> {
    await clock.advance(ms);
    await flush();
  }

  function budget(overrides: Partial<ConstructorParameters<typeof RateBudget>[0]> = {}): RateBudget {
    return new RateBudget({ deployment: 'acme-east', key: 'k', clock, ...overrides });
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
    await clock.advance(1000);
    assert.equal(b.currentLimit('get'), 52);
    await clock.advance(10_000);
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

  const call = (caller: string, workClass: UpstreamCall['workClass'] = 'INTERACTIVE', deadline = Number.POSITIVE_INFINITY): UpstreamCall => ({
    caller,
    workClass,
    deadline,
  });

  it('serves a quiet key within one window while another key offers 5x the quota, and gives the flood what is left', async () => {
    const b = budget({ maxQueueWaitMs: 60_000 });
    const grants: string[] = [];
    const take = (caller: string) =>
      b.acquire('get', call(caller)).then((permit) => {
        grants.push(caller);
        permit.done();
      });
    // A offers 500 per second for 10 s; B asks once every 100 ms.
    const flood: Promise<void>[] = [];
    const quiet: Promise<unknown>[] = [];
    const quietWaits: number[] = [];
    for (let tick = 0; tick < 100; tick += 1) {
      if (tick % 10 === 0) for (let i = 0; i < 500; i += 1) flood.push(take('A'));
      const before = grants.length;
      quiet.push(take('B').then(() => quietWaits.push(grants.length - 1 - before)));
      await advance(100);
    }
    await advance(1011);
    await Promise.all(quiet);
    assert.equal(quietWaits.length, 100, 'every one of B\'s requests was granted');
    assert.ok(Math.max(...quietWaits) <= 95, `B waited behind at most one window of grants (most: ${Math.max(...quietWaits)})`);
    const windows = (100 * 100) / 1010;
    const granted = grants.length;
    const aGrants = grants.filter((c) => c === 'A').length;
    assert.ok(granted >= Math.floor(windows) * 95, `the window stayed full: ${granted} grants in ${windows.toFixed(1)} windows`);
    assert.ok(aGrants >= 0.9 * (Math.floor(windows) * 95 - 100), `A received ${aGrants}: at least 90% of what B left`);
    b.close();
    await Promise.allSettled(flood);
  });

  it('keeps a few slots of the window for a key that asks now and then while another key\'s backlog fills the rest', async () => {
    const b = budget({ maxQueueWaitMs: 60_000 });
    const flood = Array.from({ length: 1000 }, () => b.acquire('get', call('A')).then((p) => p.done()));
    await flush();
    assert.equal(b.usage('A').calls.get, 95, 'alone on the lane, the backlog uses the whole window');
    await advance(100);
    const first = b.acquire('get', call('B')).then((p) => p.done());
    await flush();
    assert.equal(b.usage('B').calls.get, 0, 'the window is full: the first quiet request waits for the next one');
    await advance(911);
    await first;
    assert.equal(b.usage('A').calls.get, 95 + 90, 'once B shares the lane the backlog fills 91 of 95 slots (B took one of them), leaving 4 for requests that come alone');
    await advance(100);
    const second = b.acquire('get', call('B')).then((p) => p.done());
    await flush();
    await second;
    assert.equal(b.usage('B').calls.get, 2);
    assert.equal(b.usage('B').maxWaitMs, 911, 'the second went out at once, in the headroom');
    b.close();
    await Promise.allSettled(flood);
  });

  it('gives each waiting key one turn per round, first come first served within a key', async () => {
    const b = budget({ limits: { get: 3, post: 3 }, share: 1 });
    const order: string[] = [];
    const take = (caller: string, n: number) => b.acquire('get', call(caller)).then((p) => (order.push(`${caller}${n}`), p.done()));
    // A1 is asked for before the others arrive; then the keys take turns, three grants a window.
    const all = [take('A', 1), take('A', 2), take('A', 3), take('A', 4), take('A', 5), take('B', 1), take('C', 1), take('B', 2)];
    await flush();
    await advance(1011);
    await advance(1011);
    await Promise.all(all);
    assert.deepEqual(order, ['A1', 'B1', 'C1', 'A2', 'B2', 'A3', 'A4', 'A5']);
    b.close();
  });

  it('never sends a LIVE or BACKGROUND request while an INTERACTIVE one for the credential waits', async () => {
    const b = budget({ limits: { get: 10, post: 10 }, share: 1, classMaxWaitMs: { LIVE: 60_000, BACKGROUND: 60_000 }, maxQueueWaitMs: 60_000 });
    const waiting = { INTERACTIVE: 0, LIVE: 0, BACKGROUND: 0 };
    const granted: string[] = [];
    const take = (caller: string, workClass: UpstreamCall['workClass']) => {
      waiting[workClass] += 1;
      return b.acquire('get', call(caller, workClass)).then((p) => {
        waiting[workClass] -= 1;
        if (workClass !== 'INTERACTIVE') assert.equal(waiting.INTERACTIVE, 0, `a ${workClass} request went out while interactive work waited`);
        if (workClass === 'BACKGROUND') assert.equal(waiting.LIVE, 0, 'a BACKGROUND request went out while a LIVE one waited');
        granted.push(workClass);
        p.done();
      });
    };
    const all: Promise<unknown>[] = [];
    for (let i = 0; i < 30; i += 1) all.push(take(`bg${i % 3}`, 'BACKGROUND'), take(`live${i % 2}`, 'LIVE'));
    // Interactive work keeps arriving, 8 requests a window of 10 slots, on several keys.
    for (let round = 0; round < 4; round += 1) {
      for (let i = 0; i < 8; i += 1) all.push(take(`user${i % 4}`, 'INTERACTIVE'));
      await flush();
      await advance(1011);
    }
    for (let round = 0; round < 8; round += 1) await advance(1011);
    await Promise.all(all);
    assert.equal(granted.length, 92);
    assert.deepEqual(granted.slice(-20), Array(20).fill('BACKGROUND'), 'background work goes last, once nothing else waits');
    b.close();
  });

  it('tells a LIVE caller at once when its wait would pass its class limit, while INTERACTIVE work still queues', async () => {
    const b = budget({ classMaxWaitMs: { LIVE: 2000, BACKGROUND: 5000 } });
    const queued = Array.from({ length: 300 }, () => b.acquire('get', call('A')).then((p) => p.done()));
    await flush();
    await assert.rejects(b.acquire('get', call('dash', 'LIVE')), (error: FacadeError) => {
      assert.equal(error.code, 'UPSTREAM_RATE_LIMITED');
      assert.match(error.message, /longer than this live request may wait/);
      return true;
    });
    const interactive = b.acquire('get', call('B'));
    await advance(1011);
    (await interactive).done();
    b.close();
    await Promise.allSettled(queued);
  });

  it('takes a waiter out of the queue at its deadline and refuses it as still queued', async () => {
    const b = budget({ limits: { get: 1, post: 1 }, share: 1 });
    const first = await b.acquire('get', call('A'));
    const late = b.acquire('get', call('B', 'INTERACTIVE', clock.now() + 500));
    const rejected = assert.rejects(late, (error: FacadeError) => {
      assert.equal(error.code, 'UPSTREAM_RATE_LIMITED');
      assert.equal(error.details.queued, true);
      assert.match(error.message, /acme-east: still waiting/);
      return true;
    });
    await advance(500);
    await rejected;
    first.done();
    const next = b.acquire('get', call('C'));
    await advance(1011);
    await next;
    assert.equal(b.usage('B').calls.get, 0, 'the refused waiter took no slot');
    assert.equal(b.usage('C').calls.get, 1);
    b.close();
  });

  it('refuses at once a call whose deadline comes before its turn', async () => {
    const b = budget();
    const queued = Array.from({ length: 190 }, () => b.acquire('get', call('A')));
    await flush();
    await assert.rejects(b.acquire('get', call('A', 'INTERACTIVE', clock.now() + 500)), { code: 'UPSTREAM_RATE_LIMITED' });
    b.close();
    await Promise.allSettled(queued);
  });

  it('counts each caller\'s grants and waits over the last minute', async () => {
    const b = budget({ limits: { get: 1, post: 1 }, share: 1 });
    (await b.acquire('get', call('A'))).done();
    const second = b.acquire('get', call('A'));
    await flush();
    await advance(1011);
    (await second).done();
    (await b.acquire('post', call('A'))).done();
    // What the calls came to is counted per operation by the registry, not per budget.
    assert.deepEqual(b.usage('A'), { calls: { get: 2, post: 1 }, waitedMs: 1011, maxWaitMs: 1011, servedCalls: 0, wastedCalls: 0 });
    assert.deepEqual(b.usage('nobody'), { calls: { get: 0, post: 0 }, waitedMs: 0, maxWaitMs: 0, servedCalls: 0, wastedCalls: 0 });
    await clock.advance(61_000);
    assert.deepEqual(b.usage('A').calls, { get: 0, post: 0 }, 'a minute later it is forgotten');
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

describe('RateBudget: every call serves an answer', () => {
  // The system clock under node:test's mock timers: each step fires every timer due in it before
  // the pumps run, so two replicas' pumps that wake together both ask the shared window.
  beforeEach(() => {
    mock.timers.enable({ apis: ['setTimeout', 'Date'], now: 1_000_000 });
  });
  afterEach(() => {
    mock.timers.reset();
  });

  /** Moves the clock in 10 ms steps, letting the pumps run what is ready after each. */
  async function advance(ms: number): Promise<void> {
    for (let left = ms; left > 0; left -= 10) {
      mock.timers.tick(Math.min(10, left));
      await flush();
    }
  }

  function budget(overrides: Partial<ConstructorParameters<typeof RateBudget>[0]> = {}): RateBudget {
    return new RateBudget({ deployment: 'acme-east', key: 'k', ...overrides });
  }

  const operation = (caller: string, deadline = Number.POSITIVE_INFINITY): UpstreamCall => ({ caller, workClass: 'INTERACTIVE', deadline });

  it('admits from the share the shared window grants this replica, so two replicas turn work away at once instead of after queueing', async () => {
    // Two replicas of one credential on one window, each offered 2.5 times the whole quota, each request wanted within 3 s.
    const window = new MemoryRateWindow();
    const replicas = [budget({ window }), budget({ window })];
    const tally = replicas.map(() => ({ granted: 0, refusedAtOnce: 0, refusedQueued: 0 }));
    const all: Promise<void>[] = [];
    for (let tick = 0; tick < 50; tick += 1) {
      for (let i = 0; i < 25; i += 1) {
        replicas.forEach((replica, r) => {
          all.push(
            replica.acquire('get', operation('A', Date.now() + 3000)).then(
              (permit) => {
                tally[r]!.granted += 1;
                permit.done();
              },
              (error: FacadeError) => {
                if (error.details['queued'] === true) tally[r]!.refusedQueued += 1;
                else tally[r]!.refusedAtOnce += 1;
              },
            ),
          );
        });
      }
      await advance(100);
    }
    await advance(5000);
    await Promise.all(all);
    const granted = tally[0]!.granted + tally[1]!.granted;
    for (const [r, t] of tally.entries()) {
      // Estimated from the whole limit, each would admit twice what it is served and refuse about half of it after queueing.
      assert.ok(t.refusedQueued <= 0.1 * t.granted, `replica ${r} admitted about what it could serve in time: ${JSON.stringify(tally)}`);
      assert.ok(t.granted >= 0.3 * granted, `replica ${r} got its share: ${JSON.stringify(tally)}`);
    }
    assert.ok(granted >= 5 * 95, `the window stayed full: ${granted} grants in about 5.5 windows`);
    replicas.forEach((replica) => replica.close());
  });

  it('admits a quiet key on a replica that sent little lately for the fair share the shared window says it is sure of', async () => {
    // A floods through replica 1; B, quiet, asks through replica 2 for a few pages at once. Replica 2 was granted
    // little lately (B asked little), so its measured share is small; what B is sure of is half the window.
    const run = async (share: number | undefined) => {
      const memory = new MemoryRateWindow();
      const window: RateWindow = {
        async tryTake(key, limit, windowMs, leaseMs, claim) {
          const answer = await memory.tryTake(key, limit, windowMs, leaseMs);
          return answer.taken || share === undefined || claim?.caller !== 'B' ? answer : { ...answer, share };
        },
      };
      const [one, two] = [budget({ window, maxQueueWaitMs: 3000 }), budget({ window, maxQueueWaitMs: 3000 })];
      const flood = Array.from({ length: 400 }, () => one.acquire('get', operation('A', Date.now() + 20_000)).then((p) => p.done(), () => {}));
      await flush();
      let refused = 0;
      const quiet: Promise<void>[] = [];
      for (let round = 0; round < 6; round += 1) {
        for (let i = 0; i < 6; i += 1) {
          quiet.push(two.acquire('get', operation('B', Date.now() + 20_000)).then((p) => p.done(), () => void (refused += 1)));
        }
        await advance(300);
      }
      await advance(8000);
      await Promise.all([...flood, ...quiet]);
      [one, two].forEach((b) => b.close());
      return refused;
    };
    assert.equal(await run(47), 0, 'B is admitted for its sure share');
    assert.ok((await run(undefined)) > 0, 'measured from replica 2\'s own grants alone, B would be refused');
  });

  it('refuses at once an operation whose answers would come after its deadline at the upstream\'s recent latency', async () => {
    const b = budget();
    // Two answers that took 3 s each: the upstream is slow lately.
    for (let i = 0; i < 2; i += 1) {
      const permit = await b.acquire('get', operation('A'));
      await advance(3000);
      permit.done();
    }
    const tight = operation('A', Date.now() + 5000);
    expectCalls(tight, 2);
    // No queue at all, but two rounds of 3 s pass its 5 s deadline: refused before anything is granted.
    await assert.rejects(b.acquire('get', tight), (error: FacadeError) => error.code === 'UPSTREAM_RATE_LIMITED' && error.details['queued'] === undefined);
    const roomy = operation('A', Date.now() + 10_000);
    expectCalls(roomy, 2);
    (await b.acquire('get', roomy)).done();
    assert.equal(b.usage('A').calls.get, 3, 'the refused operation was granted nothing');
    b.close();
  });

  it('reports the slots this replica holds: granted and not yet a window past their answer', async () => {
    const b = budget();
    const permits = await Promise.all([b.acquire('get'), b.acquire('get'), b.acquire('get')]);
    assert.equal(b.snapshot().get.held, 3);
    permits[0]!.done();
    await advance(1010);
    assert.equal(b.snapshot().get.held, 2, 'the answered one frees one window after its answer');
    permits.slice(1).forEach((p) => p.done());
    await advance(1010);
    assert.equal(b.snapshot().get.held, 0);
    b.close();
  });

  it('serves a continuation before newer operations of the same key and class, and does not refuse it for their queue', async () => {
    const b = budget({ limits: { get: 2, post: 1 }, share: 1, maxQueueWaitMs: 2500 });
    const granted: string[] = [];
    const take = (name: string, call: UpstreamCall) =>
      b.acquire('get', call).then((permit) => {
        granted.push(name);
        permit.done();
      });
    const x = operation('A');
    const first = [take('x1', x), take('z', operation('A'))];
    await flush();
    assert.deepEqual(granted, ['x1', 'z'], 'the window (2) is full');
    const newer = Array.from({ length: 4 }, (_, i) => take(`y${i + 1}`, operation('A')));
    await flush();
    // A fifth new operation would wait two more windows: past the 2.5 s it may wait.
    await assert.rejects(take('y5', operation('A')), (error: FacadeError) => error.code === 'UPSTREAM_RATE_LIMITED');
    // x's second call continues an operation under way: only continuations of A go before it.
    const continuation = take('x2', x);
    await advance(1011);
    assert.deepEqual(granted.slice(2), ['x2', 'y1'], 'the continuation went first, then the oldest new operation');
    await advance(3000);
    await Promise.all([...first, ...newer, continuation]);
    assert.deepEqual(granted, ['x1', 'z', 'x2', 'y1', 'y2', 'y3', 'y4']);
    b.close();
  });

  it('moves up the waiting calls of an operation as soon as one of them is granted', async () => {
    const b = budget({ limits: { get: 1, post: 1 }, share: 1 });
    const granted: string[] = [];
    const take = (name: string, call: UpstreamCall) =>
      b.acquire('get', call).then((permit) => {
        granted.push(name);
        permit.done();
      });
    const blocker = take('blocker', operation('A'));
    await flush();
    const x = operation('A');
    // x asks for two pages at once (two aliases); a newer operation y queues between them... then x's first is granted.
    const waits = [take('x1', x), take('y1', operation('A')), take('x2', x)];
    await advance(1100);
    assert.deepEqual(granted, ['blocker', 'x1']);
    await advance(1100);
    assert.deepEqual(granted, ['blocker', 'x1', 'x2'], 'x2 went ahead of y1, which was queued before it');
    await advance(2000);
    await Promise.all([blocker, ...waits]);
    b.close();
  });

  it('refuses at once an operation whose expected calls do not fit before its limit, with retryAfterSeconds, and grants none of them', async () => {
    const b = budget({ maxQueueWaitMs: 2000 });
    const backlog = Array.from({ length: 150 }, () => b.acquire('get', operation('A')).then((p) => p.done()));
    await flush();
    // 55 wait; 60 more calls would need two more windows (1011 + 1010 ms), 30 fit in the next one.
    const big = operation('A');
    expectCalls(big, 60);
    await assert.rejects(b.acquire('get', big), (error: FacadeError) => {
      assert.equal(error.code, 'UPSTREAM_RATE_LIMITED');
      assert.equal(error.details.retryAfterMs, 2021);
      assert.equal(error.details.retryAfterSeconds, 3);
      return true;
    });
    assert.equal(b.usage('A').calls.get, 95, 'nothing of the refused operation was granted');
    const small = operation('A');
    expectCalls(small, 30);
    // Its 30 calls ask one after another: the first is admitted for all of them, the others come with it.
    const calls = Array.from({ length: 30 }, () => b.acquire('get', small).then((p) => p.done()));
    await advance(2000);
    await Promise.all(calls);
    await Promise.all(backlog);
    b.close();
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
