import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { call, startTestSimulator, tokenFor, walkPages, type TestSimulator } from './simulator.fixture.js';

describe('simulator USM Central', () => {
  let t: TestSimulator;
  let central: string;
  let token: string;
  const get = (path: string) => call(`${central}${path}`, { token });

  before(async () => {
    t = await startTestSimulator({ alarmsPerDeployment: 40 }, 50);
    central = t.sim.central.url;
    token = await tokenFor(t.sim, 'central');
  });
  after(async () => {
    await t.sim.stop();
  });

  it('lists the deployments as a plain array shaped like the vendor sample', async () => {
    const response = await get('/deployments');
    assert.equal(response.status, 200);
    assert.ok(Array.isArray(response.body));
    assert.deepEqual(
      response.body.map((d: any) => Object.keys(d)),
      Array(3).fill(['id', 'licenseKey', 'fqdn', 'name', 'displayName', 'type', 'joinedSince', 'connectionStatus', 'authorized']),
    );
    assert.deepEqual(
      response.body.map((d: any) => [d.id, d.fqdn, d.name, d.displayName, d.type, d.connectionStatus, d.authorized]),
      [
        ['cn://acme-east.alienvault.cloud', 'acme-east.alienvault.cloud', 'acme-east', 'ACME-EAST', 'USM Anywhere', 'connected', true],
        ['cn://acme-west.alienvault.cloud', 'acme-west.alienvault.cloud', 'acme-west', 'ACME-WEST', 'USM Anywhere', 'connected', true],
        ['cn://acme-lab.alienvault.cloud', 'acme-lab.alienvault.cloud', 'acme-lab', 'ACME-LAB', 'USM Anywhere', 'disconnected', false],
      ],
    );
    for (const d of response.body) {
      assert.equal(typeof d.joinedSince, 'number');
      assert.match(d.licenseKey, /^[0-9a-f-]{36}$/);
    }
  });

  it('merges every deployment\'s alarms into one HAL page of Central-shaped items', async () => {
    const page = (await get('/alarms?size=500')).body;
    assert.equal(page.page.totalElements, 120);
    const item = page._embedded.alarms[0];
    assert.deepEqual(Object.keys(item), [
      'events',
      '@timestamp',
      'alarm',
      'licenseId',
      'id',
      'timestamp',
      'msspId',
      '@version',
      'assets',
      'tenantId',
    ]);
    assert.equal(item['@version'], 1);
    assert.deepEqual(item.assets, []);
    assert.equal(item.id, item.alarm.uuid);
    assert.equal(item.timestamp, Number(item.alarm.timestamp_received));
    assert.equal(item['@timestamp'], new Date(item.timestamp).toISOString());
    assert.equal(page._links.self.href, `${central}/alarms?page=0&size=500&sort=timestamp_occured,desc`);
    const tenants = new Set(page._embedded.alarms.map((a: any) => a.tenantId));
    assert.deepEqual(
      [...tenants].sort(),
      ['acme-east', 'acme-lab', 'acme-west'].map((name) => `cn://${name}.alienvault.cloud`),
    );
    const occurred = page._embedded.alarms.map((a: any) => Number(a.alarm.timestamp_occured));
    assert.deepEqual(occurred, [...occurred].sort((a, b) => b - a));
  });

  it('shows the very alarm each deployment serves, its events lifted to the top level', async () => {
    const deployments = (await get('/deployments')).body;
    for (const deployment of t.sim.deployments) {
      const own = await tokenFor(t.sim, deployment.name);
      const alarms = (await call(`${deployment.url}/alarms?size=5`, { token: own })).body._embedded.alarms;
      const license = deployments.find((d: any) => d.name === deployment.name).licenseKey;
      for (const alarm of alarms) {
        const seen = (await get(`/alarms/${alarm.uuid}`)).body;
        const { events, ...withoutEvents } = alarm;
        assert.deepEqual(seen.alarm, withoutEvents);
        assert.deepEqual(
          seen.events.map((e: any) => e.uuid),
          events.map((e: any) => e.message?.uuid ?? e.uuid),
        );
        assert.equal(seen.tenantId, `cn://${deployment.name}.alienvault.cloud`);
        assert.equal(seen.licenseId, license);
        assert.equal(seen.alarm._links.self.href, `${deployment.url}/alarms/${alarm.uuid}`);
      }
    }
  });

  it('applies the Anywhere filters and paging to the merged alarms', async () => {
    const all = (await get('/alarms?size=500&sort=timestamp_received,asc')).body._embedded.alarms;
    const open = (await get('/alarms?size=500&sort=timestamp_received,asc&status=open&priority_label=high,medium')).body
      ._embedded.alarms;
    assert.deepEqual(
      open.map((a: any) => a.id),
      all.filter((a: any) => a.alarm.status === 'open' && a.alarm.priority_label !== 'low').map((a: any) => a.id),
    );
    const pages = await walkPages(`${central}/alarms?size=13&sort=timestamp_received,asc`, token);
    assert.deepEqual(pages.flatMap((p) => p._embedded.alarms.map((a: any) => a.id)), all.map((a: any) => a.id));
    assert.equal((await get('/alarms?size=501')).status, 400);
    assert.equal((await get('/alarms?status=bogus')).status, 400);
  });

  it('lists and returns events of every deployment, and 404s unknown ids', async () => {
    const page = (await get('/events?size=500&sort=timestamp_occured,asc')).body;
    const events = page._embedded.eventResources;
    assert.equal(events.length, Math.min(500, page.page.totalElements));
    const hosts = new Set(events.map((e: any) => e._links.self.href.split('/')[3]));
    assert.deepEqual([...hosts].sort(), ['acme-east', 'acme-lab', 'acme-west']);
    const one = (await get(`/events/${events[0].uuid}`)).body;
    assert.deepEqual(one, events[0]);
    assert.equal((await get('/events/00000000-0000-0000-0000-000000000000')).status, 404);
    assert.equal((await get('/alarms/00000000-0000-0000-0000-000000000000')).status, 404);
  });

  it('has no label endpoints: labels are written through a deployment', async () => {
    const alarm = (await get('/alarms?size=1')).body._embedded.alarms[0];
    assert.equal((await get(`/alarms/${alarm.id}/labels`)).status, 404);
  });

  it('shows every deployment as connected when the deployments are chosen explicitly', async () => {
    const custom = await startTestSimulator({ alarmsPerDeployment: 1, deployments: ['one', 'two'] });
    try {
      const deployments = (await call(`${custom.sim.central.url}/deployments`, { token: await tokenFor(custom.sim, 'central') })).body;
      assert.deepEqual(deployments.map((d: any) => [d.name, d.connectionStatus]), [['one', 'connected'], ['two', 'connected']]);
    } finally {
      await custom.sim.stop();
    }
  });
});
