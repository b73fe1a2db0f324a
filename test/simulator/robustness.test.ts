import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { request as httpRequest } from 'node:http';
import { SeededRandom, seedFor } from '../../src/simulator/seeded.random.js';
import { call, controlUrl, startTestSimulator, tokenFor, type TestSimulator } from './simulator.fixture.js';

describe('simulator robustness', () => {
  let t: TestSimulator;
  let url: string;
  let token: string;
  let centralToken: string;
  const bugs: string[] = [];

  before(async () => {
    t = await startTestSimulator({ alarmsPerDeployment: 20, log: (line) => bugs.push(line) }, 50);
    url = t.sim.deployments[0]!.url;
    token = await tokenFor(t.sim);
    centralToken = await tokenFor(t.sim, 'central');
  });
  after(async () => {
    await t.sim.stop();
  });

  it('answers 404 JSON for an unknown deployment, API version or path', async () => {
    const cases = ['/', '/nowhere/api/2.0/alarms', '/acme-east/api/1.1/alarms', '/central/api/2.0/alarms', '/acme-east/alarms'];
    for (const path of cases) {
      const response = await call(`${t.sim.url}${path}`, { token });
      assert.equal(response.status, 404, path);
      assert.equal(response.body.result, 'error', path);
      assert.equal(response.body.location, path, path);
    }
    const unknownResource = await call(`${url}/assets`, { token });
    assert.equal(unknownResource.status, 404);
    assert.equal(unknownResource.body.location, '/assets');
  });

  it('answers 405 with Allow for a wrong method on a known path', async () => {
    const post = await call(`${url}/alarms`, { method: 'POST', token });
    assert.equal(post.status, 405);
    assert.equal(post.headers.get('allow'), 'GET');
    assert.equal((await call(`${t.sim.central.url}/deployments`, { method: 'DELETE', token: centralToken })).status, 405);
  });

  it('tolerates one trailing slash, as Spring does', async () => {
    assert.equal((await call(`${url}/alarms/?size=1`, { token })).status, 200);
  });

  it('never answers 500 to a barrage of bad input', async () => {
    const alarm = (await call(`${url}/alarms?size=1`, { token })).body._embedded.alarms[0];
    const paths = [
      '/alarms?page=1e3',
      '/alarms?size=%',
      '/alarms?size=%ZZ',
      '/alarms?sort=%00',
      '/alarms?status=&priority_label=',
      '/alarms?timestamp_occured_gte=-',
      '/alarms?timestamp_occured_gte=-5',
      '/alarms?alarm_sensor_sources=%E0%A4%A',
      `/alarms/${'a'.repeat(5000)}`,
      '/alarms/%E0%A4%A',
      '/alarms/%2e%2e',
      `/alarms/${alarm.uuid}/labels/${'x'.repeat(500)}`,
      `/alarms/${alarm.uuid}/labels/%ff`,
      '/events?page=2147483647&size=500',
      '/events?sensor_uuid=00000000-0000-0000-0000-00000000000G',
      '/events/%',
      '//alarms',
      '/alarms//labels',
    ];
    for (const path of paths) {
      for (const method of ['GET', 'PUT', 'DELETE', 'POST', 'PATCH']) {
        const response = await fetch(`${url}${path}`, { method, headers: { authorization: `Bearer ${token}` } });
        assert.ok(response.status < 500, `${method} ${path} answered ${response.status}`);
        const text = await response.text();
        if (text !== '') assert.doesNotThrow(() => JSON.parse(text), `${method} ${path}`);
      }
    }
    const controlBodies = [
      'null',
      '"text"',
      '42',
      '{"deployment":null}',
      '{"deployment":["acme-east"]}',
      '{"alarms":[null]}',
      '{"deployment":"acme-east","alarms":[[]]}',
      '{"deployment":"acme-east","alarms":[{"alarm_sources":[]}]}',
      '{"deployment":"acme-east","alarms":[{"alarm_sensor_sources":["x"]}]}',
      '{"deployment":"acme-east","alarms":[{"timestamp_occured":"soon"}]}',
    ];
    for (const path of ['/alarms', '/faults', '/clients', '/clients/disable', '/tokens/revoke', '/stats/reset']) {
      for (const body of controlBodies) {
        const response = await call(controlUrl(t.sim, path), { method: 'POST', body });
        assert.ok(response.status < 500, `POST /__sim${path} ${body} answered ${response.status}`);
      }
    }
    assert.deepEqual(bugs.filter((line) => line.includes('bug')), []);
  });

  it('refuses a control body over 1 MiB with 413', async () => {
    const response = await call(controlUrl(t.sim, '/alarms'), { method: 'POST', body: `{"x":"${'a'.repeat(1_100_000)}"}` });
    assert.equal(response.status, 413);
  });

  it('builds links from its own address when the Host header is unusable', async () => {
    const body = await new Promise<any>((resolve, reject) => {
      const target = new URL(`${url}/alarms?size=1`);
      const req = httpRequest(
        {
          host: target.hostname,
          port: target.port,
          path: `${target.pathname}${target.search}`,
          headers: { host: 'evil"host', authorization: `Bearer ${token}` },
        },
        (res) => {
          let text = '';
          res.on('data', (chunk) => (text += chunk));
          res.on('end', () => resolve(JSON.parse(text)));
        },
      );
      req.on('error', reject);
      req.end();
    });
    assert.ok(body._links.self.href.startsWith(`${url}/alarms?`));
  });

  it('stops cleanly while a delayed answer is pending', async () => {
    const s = await startTestSimulator({ alarmsPerDeployment: 1 });
    const pendingToken = await tokenFor(s.sim);
    await call(controlUrl(s.sim, '/faults'), { method: 'POST', body: { latencyMs: 60_000 } });
    const pending = fetch(`${s.sim.deployments[0]!.url}/alarms`, { headers: { authorization: `Bearer ${pendingToken}` } });
    // Requests are counted before the delay: once counted, the answer is being held back.
    const counted = async () =>
      (await call(controlUrl(s.sim, '/stats'))).body.deployments['acme-east'].clients['acme-east-client']?.requests['GET /alarms'];
    while ((await counted()) !== 1);
    await s.sim.stop();
    await assert.rejects(pending);
  });
});

describe('SeededRandom', () => {
  it('repeats its sequence for one seed and differs between seeds and labels', () => {
    const draw = (seed: number, label: string) => {
      const random = new SeededRandom(seedFor(seed, label));
      return [random.uuid(), random.next(), random.int(1, 6)];
    };
    assert.deepEqual(draw(1, 'acme-east'), draw(1, 'acme-east'));
    assert.notDeepEqual(draw(1, 'acme-east'), draw(2, 'acme-east'));
    assert.notDeepEqual(draw(1, 'acme-east'), draw(1, 'acme-west'));
    const seeds = new Set(Array.from({ length: 100 }, (_, i) => seedFor(i, 'acme-east')));
    assert.equal(seeds.size, 100);
  });

  it('formats ids like the vendor: 8-4-4-4-12 lowercase hex', () => {
    const random = new SeededRandom(7);
    for (let i = 0; i < 100; i++) assert.match(random.uuid(), /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
  });
});
