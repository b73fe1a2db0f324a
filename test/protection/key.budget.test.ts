/**
 * Each API key's budget in points, as a client meets it: cached reads cost the base, a
 * key of uncached reads is refused at its budget with 429, Retry-After and the RateLimit
 * headers and nothing sent upstream, the charge is corrected to the actual calls, an
 * operator's budget for one key applies, and two replicas on one Redis share a bucket.
 * The budgets restore on a clock the test moves by hand: no test waits.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createMemoryBudgetStore, createRedisBudgetStore, KeyBudget, type BudgetStore } from '../../src/protection/key.budget.js';
import { FacadeError } from '../../src/errors/facade.error.js';
import { formatApiKey, newKeyId, newSecret } from '../../src/keys/api-key.format.js';
import { startTestFacade, type TestFacade } from '../support/facade.fixture.js';
import { ManualClock } from '../support/manual.clock.js';
import { dataRequestsOf } from '../support/simulator.stats.js';
import { redisScope, TEST_REDIS_URL, type RedisScope } from '../live/redis.fixture.js';
import { createKey, dataOf } from '../apikey/apikey.fixture.js';

interface Throttle {
  maximumAvailable: number;
  currentlyAvailable: number;
  restoreRate: number;
}

interface Answer {
  status: number;
  headers: Headers;
  body: {
    data?: unknown;
    errors?: Array<{ message: string; extensions?: Record<string, unknown> }>;
    extensions?: { cost?: { estimatedUpstreamCalls: number; actualUpstreamCalls: number; throttleStatus?: Throttle } };
  };
}

/** Posts as a client that reads HTTP statuses (only `application/graphql-response+json`). */
async function post(facade: { url: string }, query: string, key: string, variables: Record<string, unknown> = {}): Promise<Answer> {
  const response = await fetch(facade.url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', accept: 'application/graphql-response+json', authorization: `Bearer ${key}` },
    body: JSON.stringify({ query, variables }),
  });
  return { status: response.status, headers: response.headers, body: (await response.json()) as Answer['body'] };
}

/** Five pages of events, none cached with CACHE_PAGE_TTL_MS=0: estimated 6 calls, 5 sent. */
const FIVE_PAGES = `{ ${[1, 2, 3, 4, 5].map((n) => `p${n}: events(deployment: "acme-east", first: ${n}) { edges { node { id } } }`).join(' ')} }`;

const throttleOf = (answer: Answer) => answer.body.extensions?.cost?.throttleStatus;

function assertBudgetRefusal(answer: Answer): number {
  assert.equal(answer.status, 429, JSON.stringify(answer.body));
  const [error] = answer.body.errors ?? [];
  assert.equal(error?.extensions?.['code'], 'RATE_LIMITED', JSON.stringify(answer.body));
  assert.equal(error?.extensions?.['limit'], 'KEY_BUDGET');
  const retryAfterSeconds = error?.extensions?.['retryAfterSeconds'] as number;
  assert.ok(Number.isInteger(retryAfterSeconds) && retryAfterSeconds >= 1, `retryAfterSeconds ${retryAfterSeconds}`);
  assert.equal(answer.headers.get('retry-after'), String(retryAfterSeconds));
  assert.match(answer.headers.get('ratelimit') ?? '', new RegExp(`^"key-budget";r=\\d+;t=${retryAfterSeconds}$`));
  assert.ok(answer.body.data === undefined || answer.body.data === null);
  return retryAfterSeconds;
}

describe('KeyBudget', () => {
  const limits = { maximum: 300, restoreRate: 30 };
  const budgetOn = (store: BudgetStore, clock: ManualClock) => new KeyBudget({ store, defaults: limits, basePoints: 0.1, clock });

  for (const [kind, open] of [
    ['memory', async () => ({ store: createMemoryBudgetStore(), close: async () => {} })],
    [
      'Redis',
      async () => {
        const scope = redisScope();
        const client = await scope.client();
        return { store: createRedisBudgetStore({ client: client as never, prefix: scope.prefix }), close: () => scope.cleanup() };
      },
    ],
  ] as const) {
    it(`corrects a charge to the actual calls + base, refunding the rest (${kind})`, async () => {
      const { store, close } = await open();
      try {
        const clock = new ManualClock(1_000_000);
        const budget = budgetOn(store, clock);
        const charge = await budget.charge({ id: 'cheap-in-fact' }, 10);
        assert.deepEqual(charge.status, { maximumAvailable: 300, currentlyAvailable: 289.9, restoreRate: 30 });
        assert.deepEqual(await charge.settle(2), { maximumAvailable: 300, currentlyAvailable: 297.9, restoreRate: 30 }, 'it cost 2 calls + 0.1');
        assert.deepEqual(await charge.settle(2), { maximumAvailable: 300, currentlyAvailable: 297.9, restoreRate: 30 }, 'settled once');
        await clock.advance(1_000);
        assert.equal((await budget.statusOf({ id: 'cheap-in-fact' }))?.currentlyAvailable, 300, 'restored, never past the maximum');
      } finally {
        await close();
      }
    });

    it(`refuses what the bucket does not hold with retryAfterSeconds, takes nothing, and admits a dearer-than-maximum operation only when full (${kind})`, async () => {
      const { store, close } = await open();
      try {
        const clock = new ManualClock(1_000_000);
        const budget = budgetOn(store, clock);
        const key = { id: 'small', budget: { maximum: 10, restoreRate: 2 } };
        await (await budget.charge(key, 8)).settle(8);
        const refused = await budget.charge(key, 5).then(
          () => assert.fail('admitted'),
          (error: unknown) => error,
        );
        assert.ok(refused instanceof FacadeError && refused.code === 'RATE_LIMITED');
        // 1.9 held, 5.1 needed: 3.2 points at 2 a second.
        assert.equal(refused.details['retryAfterSeconds'], 2);
        assert.deepEqual(refused.details['throttleStatus'], { maximumAvailable: 10, currentlyAvailable: 1.9, restoreRate: 2 });
        await clock.advance(4_050);
        const dear = await budget.charge(key, 50);
        assert.equal(dear.status?.currentlyAvailable, 0, 'below 0 is shown as 0: the key waits its debt off');
        await assert.rejects(budget.charge(key, 0), /retry in 21 s/);
      } finally {
        await close();
      }
    });
  }
});

describe('key budgets of one facade', () => {
  const clock = new ManualClock(1_700_000_000_000);
  let cached: TestFacade;
  let uncached: TestFacade;

  before(async () => {
    cached = await startTestFacade({ CACHE_PAGE_TTL_MS: '600000' }, { facade: { budget: { clock } } });
    uncached = await startTestFacade({ CACHE_PAGE_TTL_MS: '0' }, { facade: { budget: { clock } } });
  });
  after(async () => {
    await cached?.stop();
    await uncached?.stop();
  });

  it('never throttles a key sending 100 distinct queries a second whose pages the cache answers', async () => {
    const { secret } = await createKey(cached, { name: 'frontend-backend' });
    let lowest = Infinity;
    for (let second = 0; second < 5; second += 1) {
      const answers = await Promise.all(
        Array.from({ length: 100 }, (_, n) => post(cached, `query Panel${second}x${n} { alarms(deployment: "acme-east", first: 5) { edges { node { id } } } }`, secret)),
      );
      for (const answer of answers) {
        assert.equal(answer.status, 200);
        assert.equal(answer.body.errors, undefined, JSON.stringify(answer.body.errors));
        lowest = Math.min(lowest, throttleOf(answer)!.currentlyAvailable);
      }
      await clock.advance(1_000);
    }
    // The first page cost its calls; every other answer 0.1 point, restored well within each second.
    assert.ok(lowest > 250, `the bucket never fell below ${lowest}`);
  });

  it('refuses a key of 5-call operations at its budget with 429, Retry-After and RateLimit headers, sending nothing upstream', async () => {
    // 30 points: each operation is charged 6.1 and costs 5.1, so five run and the sixth finds 4.5.
    const { secret } = await createKey(uncached, { name: 'exporter', budget: { maximum: 30, restoreRate: 1 } });
    for (let n = 1; n <= 5; n += 1) {
      const answer = await post(uncached, FIVE_PAGES, secret);
      assert.equal(answer.status, 200, JSON.stringify(answer.body.errors));
      assert.deepEqual(
        { ...answer.body.extensions?.cost, throttleStatus: undefined },
        { estimatedUpstreamCalls: 6, actualUpstreamCalls: 5, resultNodes: 35, throttleStatus: undefined },
      );
      assert.equal(throttleOf(answer)!.currentlyAvailable, Math.round((30 - 5.1 * n) * 10) / 10);
      assert.equal(answer.headers.get('ratelimit-policy'), '"key-budget";q=30;w=30');
    }
    const sent = await dataRequestsOf(uncached.simulatorUrl);
    const refused = await post(uncached, FIVE_PAGES, secret);
    // 4.5 held, 6.1 needed at 1 a second.
    assert.equal(assertBudgetRefusal(refused), 2);
    assert.deepEqual(throttleOf(refused), { maximumAvailable: 30, currentlyAvailable: 4.5, restoreRate: 1 });
    assert.equal(await dataRequestsOf(uncached.simulatorUrl), sent, 'the refused operation sent nothing upstream');

    await clock.advance(2_000);
    assert.equal((await post(uncached, FIVE_PAGES, secret)).status, 200, 'admitted once Retry-After has passed');
  });

  it('answers application/json callers 200 with the same code and retryAfterSeconds, and the headers', async () => {
    const { secret } = await createKey(uncached, { name: 'behind-a-router', budget: { maximum: 7, restoreRate: 1 } });
    assert.equal((await post(uncached, FIVE_PAGES, secret)).status, 200);
    const response = await fetch(uncached.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'application/json', authorization: `Bearer ${secret}` },
      body: JSON.stringify({ query: FIVE_PAGES }),
    });
    const body = (await response.json()) as Answer['body'];
    assert.equal(response.status, 200);
    assert.equal(body.errors?.[0]?.extensions?.['code'], 'RATE_LIMITED');
    assert.equal(response.headers.get('retry-after'), String(body.errors?.[0]?.extensions?.['retryAfterSeconds']));
    assert.ok(response.headers.get('ratelimit') !== null);
  });

  it('applies a budget an operator sets with setApiKeyBudget, audits it, and returns the key to the defaults with null', async () => {
    const { secret, key } = await createKey(uncached, { name: 'batch-job' });
    const set = `mutation($id: ID!, $budget: ApiKeyBudgetInput) { setApiKeyBudget(id: $id, budget: $budget) { id budget { maximum restoreRate } } }`;
    const changed = dataOf(await uncached.gql<{ setApiKeyBudget: { budget: unknown } }>(set, { id: key.id, budget: { maximum: 12, restoreRate: 1 } }));
    assert.deepEqual(changed.setApiKeyBudget.budget, { maximum: 12, restoreRate: 1 });
    // 12 → 6.9 → 1.8: two run, the third is refused.
    for (let n = 0; n < 2; n += 1) assert.equal((await post(uncached, FIVE_PAGES, secret)).status, 200);
    const refused = await post(uncached, FIVE_PAGES, secret);
    assertBudgetRefusal(refused);
    assert.equal(throttleOf(refused)?.maximumAvailable, 12);

    const { auditEvents } = dataOf(await uncached.gql<{ auditEvents: { edges: Array<{ node: { action: string; details: unknown } }> } }>('{ auditEvents(first: 1) { edges { node { action details } } } }'));
    assert.equal(auditEvents.edges[0]?.node.action, 'SET_BUDGET');

    dataOf(await uncached.gql(set, { id: key.id, budget: null }));
    assert.equal(throttleOf(await post(uncached, '{ viewer { id } }', secret))?.maximumAvailable, 300, 'the default again');
    const bad = await uncached.gql(set, { id: key.id, budget: { maximum: 0, restoreRate: 1 } });
    assert.equal(bad.body.errors?.[0]?.extensions?.['code'], 'BAD_USER_INPUT');
    assert.match(bad.body.errors?.[0]?.message ?? '', /budget\.maximum must be a whole number of points from 1 to 1000000/);
  });
});

describe('key budgets of two replicas on one Redis', () => {
  const clock = new ManualClock(1_700_000_000_000);
  let scope: RedisScope;
  let one: TestFacade;
  let two: TestFacade;

  before(async () => {
    scope = redisScope();
    const env = { REDIS_URL: TEST_REDIS_URL, REDIS_PREFIX: scope.prefix, FACADE_ADMIN_KEY: formatApiKey(newKeyId(), newSecret()), CACHE_PAGE_TTL_MS: '0' };
    one = await startTestFacade(env, { facade: { budget: { clock } } });
    two = await startTestFacade(env, { facade: { budget: { clock } } });
  });
  after(async () => {
    await one?.stop();
    await two?.stop();
    await scope?.cleanup();
  });

  it('draw on one bucket per key: what a key spent on one replica is gone on the other', async () => {
    const { secret, key } = await createKey(one, { name: 'two-replicas', budget: { maximum: 12, restoreRate: 1 } });
    assert.equal((await post(one, FIVE_PAGES, secret)).status, 200);
    const second = await post(two, FIVE_PAGES, secret);
    assert.equal(second.status, 200);
    assert.equal(throttleOf(second)?.currentlyAvailable, 1.8);
    assertBudgetRefusal(await post(one, FIVE_PAGES, secret));
    assertBudgetRefusal(await post(two, FIVE_PAGES, secret));
    const redis = await scope.client();
    assert.ok((await redis.pTTL(`${scope.prefix}budget:${key.id}`)) > 0, 'the bucket expires once it would be full again');
    await clock.advance(5_000);
    assert.equal((await post(two, FIVE_PAGES, secret)).status, 200);
  });
});
