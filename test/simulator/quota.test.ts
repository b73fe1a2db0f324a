import { after, before, beforeEach, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { SlidingWindow } from '../../src/simulator/quota.window.js';
import { basicAuth, call, controlUrl, grantToken, startTestSimulator, type TestSimulator } from './simulator.fixture.js';

function countStatuses(statuses: number[]): Record<number, number> {
  const counts: Record<number, number> = {};
  for (const s of statuses) counts[s] = (counts[s] ?? 0) + 1;
  return counts;
}

describe('SlidingWindow', () => {
  it('admits up to the limit within one span and refuses the next', () => {
    const window = new SlidingWindow(3, 1000);
    assert.deepEqual([0, 1, 2, 3].map(() => window.tryAdmit(5000)), [true, true, true, false]);
  });

  it('frees a slot exactly when its stamp leaves the span (stamp <= now - span)', () => {
    const window = new SlidingWindow(2, 1000);
    window.tryAdmit(0);
    window.tryAdmit(400);
    assert.equal(window.tryAdmit(999), false);
    assert.equal(window.tryAdmit(1000), true);
    assert.equal(window.tryAdmit(1000), false);
    assert.equal(window.sizeAt(1400), 1);
  });

  it('keeps working after its ring buffer wraps many times', () => {
    const window = new SlidingWindow(5, 10);
    let admitted = 0;
    for (let t = 0; t < 1000; t++) if (window.tryAdmit(t)) admitted++;
    assert.equal(admitted, 500);
  });
});

describe('simulator quota: 100 GET / 50 POST per second per client and deployment', () => {
  let t: TestSimulator;
  let url: string;
  let token: string;
  const stats = async () => (await call(controlUrl(t.sim, '/stats'))).body;
  const clientStats = async (deployment = 'acme-east', clientId = 'acme-east-client') =>
    (await stats()).deployments[deployment].clients[clientId];
  const gets = (n: number, path = '/alarms?size=1', bearer = token) =>
    Promise.all(Array.from({ length: n }, () => call(`${url}${path}`, { token: bearer }).then((r) => r.status)));

  before(async () => {
    t = await startTestSimulator({ alarmsPerDeployment: 20 });
    url = t.sim.deployments[0]!.url;
  });
  after(async () => {
    await t.sim.stop();
  });
  beforeEach(async () => {
    t.clock.advance(10_000);
    token = await grantToken(url, 'acme-east-client', 'acme-east-secret');
    t.clock.advance(10_000);
    assert.equal((await call(controlUrl(t.sim, '/stats/reset'), { method: 'POST' })).status, 204);
  });

  it('refuses the 101st GET inside one second with 429 and counts exactly', async () => {
    const statuses = await gets(150);
    assert.deepEqual(countStatuses(statuses), { 200: 100, 429: 50 });
    const client = await clientStats();
    assert.equal(client.maxGetsInWindow, 100);
    assert.equal(client.rateLimited, 50);
    assert.deepEqual(client.responses, { '200': 100, '429': 50 });
    assert.deepEqual(client.requests, { 'GET /alarms': 150 });
  });

  it('answers 429 with the vendor error body', async () => {
    await gets(100);
    const refused = await call(`${url}/alarms`, { token });
    assert.equal(refused.status, 429);
    assert.deepEqual(refused.body, { result: 'error', location: '/alarms', error: 'too_many_requests' });
    assert.equal(refused.headers.get('retry-after'), null);
  });

  it('accepts again once the clock has moved 1000 ms past the accepted requests', async () => {
    await gets(100);
    t.clock.advance(999);
    assert.deepEqual(countStatuses(await gets(5)), { 429: 5 });
    t.clock.advance(1);
    assert.deepEqual(countStatuses(await gets(100)), { 200: 100 });
  });

  it('does not count refused requests toward the window', async () => {
    await gets(100);
    t.clock.advance(500);
    assert.deepEqual(countStatuses(await gets(30)), { 429: 30 });
    t.clock.advance(500);
    // Had the 30 refusals counted, only 70 of these would pass.
    assert.deepEqual(countStatuses(await gets(100)), { 200: 100 });
  });

  it('slides rather than resetting on a fixed second', async () => {
    await gets(60);
    t.clock.advance(500);
    await gets(40);
    t.clock.advance(500);
    // The first 60 have left the window; the 40 from 500 ms ago have not.
    assert.deepEqual(countStatuses(await gets(70)), { 200: 60, 429: 10 });
    const client = await clientStats();
    assert.equal(client.maxGetsInWindow, 100);
  });

  it('keeps separate budgets per client, per deployment and for Central', async () => {
    await gets(100);
    assert.deepEqual(countStatuses(await gets(1)), { 429: 1 });
    await call(controlUrl(t.sim, '/clients'), {
      method: 'POST',
      body: { deployment: 'acme-east', clientId: 'second', clientSecret: 'second-secret' },
    });
    const second = await grantToken(url, 'second', 'second-secret');
    assert.deepEqual(countStatuses(await gets(100, '/alarms?size=1', second)), { 200: 100 });
    const west = t.sim.deployments[1]!;
    const westToken = await grantToken(west.url, west.clientId, west.clientSecret);
    const westStatuses = await Promise.all(
      Array.from({ length: 100 }, () => call(`${west.url}/alarms?size=1`, { token: westToken }).then((r) => r.status)),
    );
    assert.deepEqual(countStatuses(westStatuses), { 200: 100 });
    const centralToken = await grantToken(t.sim.central.url, 'central-client', 'central-secret');
    assert.equal((await call(`${t.sim.central.url}/deployments`, { token: centralToken })).status, 200);
  });

  it('spends no quota on 401s', async () => {
    const refused = await gets(120, '/alarms?size=1', 'not-a-token');
    assert.deepEqual(countStatuses(refused), { 401: 120 });
    assert.deepEqual(countStatuses(await gets(100)), { 200: 100 });
    const anonymous = (await stats()).deployments['acme-east'].clients['(anonymous)'];
    assert.deepEqual(anonymous.responses, { '401': 120 });
    assert.equal(anonymous.maxGetsInWindow, 0);
  });

  it('allows 50 POST-class requests: token requests and label writes share the budget', async () => {
    const alarm = (await call(`${url}/alarms?size=1`, { token })).body._embedded.alarms[0];
    const authorization = basicAuth('acme-east-client', 'acme-east-secret');
    const tokenRequests = Array.from({ length: 40 }, () =>
      call(`${url}/oauth/token?grant_type=client_credentials`, { method: 'POST', authorization }).then((r) => r.status),
    );
    const labelWrites = Array.from({ length: 20 }, (_, i) =>
      call(`${url}/alarms/${alarm.uuid}/labels/quota-${i % 2}`, { method: i % 2 === 0 ? 'PUT' : 'DELETE', token }).then(
        (r) => r.status,
      ),
    );
    const statuses = await Promise.all([...tokenRequests, ...labelWrites]);
    assert.deepEqual(countStatuses(statuses), { 200: 50, 429: 10 });
    const client = await clientStats();
    assert.equal(client.maxPostsInWindow, 50);
    assert.equal(client.maxGetsInWindow, 1);
    // The GET budget is untouched by writes.
    assert.deepEqual(countStatuses(await gets(99)), { 200: 99 });
  });

  it('counts token requests against the Basic user before checking the secret', async () => {
    const wrong = basicAuth('acme-east-client', 'wrong');
    const statuses = await Promise.all(
      Array.from({ length: 50 }, () =>
        call(`${url}/oauth/token?grant_type=client_credentials`, { method: 'POST', authorization: wrong }).then((r) => r.status),
      ),
    );
    assert.deepEqual(countStatuses(statuses), { 401: 50 });
    const right = await call(`${url}/oauth/token?grant_type=client_credentials`, {
      method: 'POST',
      authorization: basicAuth('acme-east-client', 'acme-east-secret'),
    });
    assert.equal(right.status, 429);
    t.clock.advance(1000);
    await grantToken(url, 'acme-east-client', 'acme-east-secret');
  });

  it('zeroes counters and windows on stats reset', async () => {
    await gets(100);
    assert.equal((await call(controlUrl(t.sim, '/stats/reset'), { method: 'POST' })).status, 204);
    const snapshot = await stats();
    assert.deepEqual(snapshot.deployments['acme-east'], { clients: {} });
    assert.deepEqual(snapshot.tokenGrants, []);
    assert.equal(snapshot.since, t.clock.time);
    assert.deepEqual(countStatuses(await gets(100)), { 200: 100 });
  });
});
