import { after, afterEach, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import {
  basicAuth,
  call,
  controlUrl,
  startTestSimulator,
  tokenFor,
  type TestSimulator,
} from './simulator.fixture.js';

describe('simulator request log (GET /__sim/requests)', () => {
  let t: TestSimulator;
  let east: TestSimulator['sim']['deployments'][number];
  let west: TestSimulator['sim']['deployments'][number];
  let token: string;
  let westToken: string;
  const control = (path: string, method = 'GET', body?: unknown) => call(controlUrl(t.sim, path), { method, body });
  /** The seq the next USM request will get. */
  const mark = async (): Promise<number> => (await control('/requests?limit=0')).body.next;

  before(async () => {
    // A frozen clock: every `at` is the time the test set.
    t = await startTestSimulator({ alarmsPerDeployment: 10 });
    [east, west] = [t.sim.deployments[0]!, t.sim.deployments[1]!];
    token = await tokenFor(t.sim);
    westToken = await tokenFor(t.sim, west.name);
  });
  afterEach(async () => {
    await control('/faults', 'DELETE');
    // Past the quota window, so no suite's requests meet a 429 left by another's.
    t.clock.advance(1000);
  });
  after(async () => {
    await t.sim.stop();
  });

  it('lists USM API requests in arrival order with target, client, path, raw query and status, and no control requests', async () => {
    await control('/stats/reset', 'POST');
    const at = t.clock.time;
    await call(`${east.url}/alarms?size=1&sort=timestamp_occured,desc&status=open&status=closed`, { token });
    await control('/stats');
    t.clock.advance(5);
    await call(`${west.url}/alarms/nope`, { token: westToken });
    await call(`${east.url}/alarms`);
    await call(`${t.sim.central.url}/oauth/token?grant_type=client_credentials`, {
      method: 'POST',
      authorization: basicAuth('central-client', 'wrong'),
    });
    await call(`${t.sim.url}/nowhere/api/2.0/alarms`);
    const log = (await control('/requests')).body;
    const first = log.requests[0].seq;
    assert.deepEqual(log, {
      next: first + 4,
      requests: [
        {
          seq: first,
          at,
          target: 'acme-east',
          clientId: 'acme-east-client',
          method: 'GET',
          path: '/alarms',
          query: 'size=1&sort=timestamp_occured,desc&status=open&status=closed',
          status: 200,
        },
        {
          seq: first + 1,
          at: at + 5,
          target: 'acme-west',
          clientId: 'acme-west-client',
          method: 'GET',
          path: '/alarms/nope',
          query: '',
          status: 404,
        },
        {
          seq: first + 2,
          at: at + 5,
          target: 'acme-east',
          clientId: '(anonymous)',
          method: 'GET',
          path: '/alarms',
          query: '',
          status: 401,
        },
        {
          seq: first + 3,
          at: at + 5,
          target: 'central',
          clientId: 'central-client',
          method: 'POST',
          path: '/oauth/token',
          query: 'grant_type=client_credentials',
          status: 401,
        },
      ],
    });
  });

  it('numbers a request when it arrives: one held back by latency keeps its place, and shows status null until answered', async () => {
    await control('/faults', 'POST', { deployment: 'acme-east', latencyMs: 300 });
    const start = await mark();
    const slow = call(`${east.url}/alarms?size=1`, { token });
    let pending: any;
    while (pending === undefined) {
      pending = (await control(`/requests?after=${start - 1}`)).body.requests[0];
    }
    assert.deepEqual([pending.seq, pending.target, pending.status], [start, 'acme-east', null]);
    const fast = await call(`${west.url}/alarms?size=1`, { token: westToken });
    const whileSlowWaits = (await control(`/requests?after=${start - 1}`)).body.requests;
    assert.deepEqual(
      whileSlowWaits.map((r: any) => [r.seq, r.target, r.status]),
      [
        [start, 'acme-east', null],
        [start + 1, 'acme-west', fast.status],
      ],
    );
    assert.equal((await slow).status, 200);
    const answered = (await control(`/requests?after=${start - 1}`)).body.requests;
    assert.deepEqual(
      answered.map((r: any) => [r.seq, r.target, r.status]),
      [
        [start, 'acme-east', 200],
        [start + 1, 'acme-west', 200],
      ],
    );
  });

  it('records a dropped connection as status reset', async () => {
    await control('/faults', 'POST', { deployment: 'acme-east', resetRate: 1 });
    const start = await mark();
    await assert.rejects(fetch(`${east.url}/alarms`, { headers: { authorization: `Bearer ${token}` } }));
    const [entry] = (await control(`/requests?after=${start - 1}&limit=1`)).body.requests;
    assert.deepEqual([entry.seq, entry.status], [start, 'reset']);
  });

  it('pages with after and limit; next is the last seq + 1, or with nothing listed the seq the next arrival gets', async () => {
    const start = await mark();
    for (let i = 0; i < 5; i++) await call(`${east.url}/alarms?size=1&page=${i}`, { token });
    assert.deepEqual((await control('/requests?limit=0')).body, { next: start + 5, requests: [] });

    const page = (query: string) => control(`/requests?${query}`).then((r) => r.body);
    const seqs = (body: any) => body.requests.map((r: any) => r.seq);
    const firstTwo = await page(`after=${start - 1}&limit=2`);
    assert.deepEqual([seqs(firstTwo), firstTwo.next], [[start, start + 1], start + 2]);
    assert.deepEqual(
      firstTwo.requests.map((r: any) => r.query),
      ['size=1&page=0', 'size=1&page=1'],
    );
    const rest = await page(`after=${firstTwo.next - 1}&limit=10`);
    assert.deepEqual([seqs(rest), rest.next], [[start + 2, start + 3, start + 4], start + 5]);
    assert.deepEqual(await page(`after=${rest.next - 1}`), { next: start + 5, requests: [] });
    assert.deepEqual(await page('after=999999999'), { next: start + 5, requests: [] });
    const fromTheStart = await page('');
    assert.deepEqual(seqs(fromTheStart).slice(-5), [start, start + 1, start + 2, start + 3, start + 4]);
    assert.equal(fromTheStart.next, start + 5);
  });

  it('refuses bad parameters with 400 naming the parameter and what is allowed', async () => {
    const cases: Array<[string, RegExp]> = [
      ['after=-1', /^after must be an integer from 0 to 9007199254740991; got "-1"$/],
      ['after=abc', /^after must be an integer from 0 to/],
      ['after=', /^after must be an integer from 0 to/],
      ['limit=10001', /^limit must be an integer from 0 to 10000; got "10001"$/],
      ['limit=1.5', /^limit must be an integer from 0 to 10000; got "1.5"$/],
      ['limit=1e3', /^limit must be an integer from 0 to 10000/],
      ['limit=1&limit=2', /^query parameter limit is given more than once; give it once$/],
      ['since=3', /^unknown query parameter 'since'; allowed: after, limit$/],
    ];
    for (const [query, message] of cases) {
      const response = await control(`/requests?${query}`);
      assert.equal(response.status, 400, query);
      assert.match(response.body.error, message, query);
    }
    assert.equal((await control('/requests?after=0&limit=10000')).status, 200);
  });

  it('is emptied by POST /__sim/stats/reset, while seq goes on from where it was', async () => {
    await call(`${east.url}/alarms?size=1`, { token });
    const before = await mark();
    assert.equal((await control('/stats/reset', 'POST')).status, 204);
    assert.deepEqual((await control('/requests')).body, { next: before, requests: [] });
    await call(`${east.url}/alarms?size=1`, { token });
    const after = (await control('/requests')).body;
    assert.deepEqual(after.requests.map((r: any) => r.seq), [before]);
    assert.equal(after.next, before + 1);
  });
});

describe('simulator request log bounds', () => {
  it('keeps the newest requestLogSize entries: a reader sees the gap where older ones were dropped', async () => {
    const t = await startTestSimulator({ alarmsPerDeployment: 1, requestLogSize: 3 });
    try {
      const token = await tokenFor(t.sim);
      for (let i = 0; i < 4; i++) await call(`${t.sim.deployments[0]!.url}/alarms?page=${i}`, { token });
      const log = (await call(controlUrl(t.sim, '/requests'))).body;
      // seq 1 was the token request and seq 2 page=0: both are gone.
      assert.deepEqual(
        log.requests.map((r: any) => [r.seq, r.query]),
        [
          [3, 'page=1'],
          [4, 'page=2'],
          [5, 'page=3'],
        ],
      );
      assert.equal(log.next, 6);
    } finally {
      await t.sim.stop();
    }
  });

  it('refuses a requestLogSize outside 1 to 1000000', async () => {
    await assert.rejects(startTestSimulator({ requestLogSize: 0 }), /requestLogSize must be an integer from 1 to 1000000/);
  });
});
