import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { call, startTestSimulator, tokenFor, walkPages, type TestSimulator } from './simulator.fixture.js';

describe('simulator Anywhere events', () => {
  let t: TestSimulator;
  let url: string;
  let token: string;
  let all: any[];
  const get = (path: string) => call(`${url}${path}`, { token });

  before(async () => {
    t = await startTestSimulator({ alarmsPerDeployment: 60 }, 50);
    url = t.sim.deployments[0]!.url;
    token = await tokenFor(t.sim);
    all = (await get('/events?size=500')).body._embedded.eventResources;
  });
  after(async () => {
    await t.sim.stop();
  });

  it('embeds event pages under _embedded.eventResources, as real responses do', async () => {
    const page = (await get('/events?size=2')).body;
    assert.deepEqual(Object.keys(page), ['_links', 'page', '_embedded']);
    assert.deepEqual(Object.keys(page._embedded), ['eventResources']);
    assert.equal(page._embedded.eventResources.length, 2);
    assert.equal(page._links.next.href, `${url}/events?page=1&size=2&sort=timestamp_occured,desc`);
  });

  it('visits every event exactly once following next links', async () => {
    const pages = await walkPages(`${url}/events?size=33&sort=timestamp_received,asc`, token);
    const seen = pages.flatMap((p) => p._embedded.eventResources.map((e: any) => e.uuid));
    assert.equal(seen.length, all.length);
    assert.equal(new Set(seen).size, all.length);
  });

  it('lists every event an alarm references, plus events that raised no alarm', async () => {
    const alarms = (await get('/alarms?size=500')).body._embedded.alarms;
    const referenced = alarms.flatMap((a: any) => a.events.map((e: any) => e.message?.uuid ?? e.uuid));
    const listed = new Set(all.map((e) => e.uuid));
    for (const uuid of referenced) assert.ok(listed.has(uuid), uuid);
    assert.ok(all.some((e) => e.has_alarm === false));
    assert.ok(all.some((e) => e.has_alarm === true));
  });

  it('returns one event by id with its fields, and 404 for an unknown one', async () => {
    const event = all[0];
    const response = await get(`/events/${event.uuid}`);
    assert.equal(response.status, 200);
    assert.deepEqual(response.body, event);
    for (const field of ['event_name', 'plugin', 'source_name', 'sensor_uuid', 'account_name', 'timestamp_occured', 'timestamp_received']) {
      assert.equal(typeof event[field], 'string', field);
    }
    assert.equal(event._links.self.href, `${url}/events/${event.uuid}`);
    assert.equal((await get('/events/00000000-0000-0000-0000-000000000000')).status, 404);
  });

  it('filters by plugin, event_name, source_name, sensor_uuid, source_username, suppressed and account_name', async () => {
    const sample = all.find((e) => e.source_username !== null);
    const filters: Array<[string, (e: any) => boolean]> = [
      [`plugin=${encodeURIComponent(sample.plugin)}`, (e) => e.plugin === sample.plugin],
      [`event_name=${encodeURIComponent(sample.event_name)}`, (e) => e.event_name === sample.event_name],
      [`source_name=${sample.source_name}`, (e) => e.source_name === sample.source_name],
      [`sensor_uuid=${sample.sensor_uuid}`, (e) => e.sensor_uuid === sample.sensor_uuid],
      [`source_username=${sample.source_username}`, (e) => e.source_username === sample.source_username],
      ['suppressed=false', (e) => e.suppressed === false],
      [`account_name=${sample.account_name}`, (e) => e.account_name === sample.account_name],
      [
        `plugin=${encodeURIComponent(sample.plugin)}&account_name=${sample.account_name}`,
        (e) => e.plugin === sample.plugin && e.account_name === sample.account_name,
      ],
    ];
    for (const [query, keep] of filters) {
      const listed = ((await get(`/events?size=500&${query}`)).body._embedded?.eventResources ?? []).map((e: any) => e.uuid);
      assert.deepEqual(listed, all.filter(keep).map((e) => e.uuid), query);
      assert.ok(listed.length > 0, query);
    }
  });

  it('filters by occurred time and sorts both ways, ties broken by uuid ascending', async () => {
    const pivot = Number(all[40].timestamp_occured);
    const byTime = (sign: number) => (a: any, b: any) =>
      sign * (Number(a.timestamp_occured) - Number(b.timestamp_occured)) || (a.uuid < b.uuid ? -1 : 1);
    for (const [direction, sign] of [['asc', 1], ['desc', -1]] as const) {
      const listed = (await get(`/events?size=500&timestamp_occured_lte=${pivot}&sort=timestamp_occured,${direction}`)).body
        ._embedded.eventResources;
      const expected = all.filter((e) => Number(e.timestamp_occured) <= pivot).sort(byTime(sign));
      assert.deepEqual(listed.map((e: any) => e.uuid), expected.map((e) => e.uuid), direction);
    }
  });

  it('answers without account_name, which the spec calls required but nobody can fill', async () => {
    assert.equal((await get('/events')).status, 200);
  });

  it('refuses bad sizes, sorts and filter values with 400', async () => {
    const queries = ['size=501', 'sort=event_name', 'suppressed=maybe', 'sensor_uuid=x', 'timestamp_occured_gte=soon', 'plugin='];
    for (const query of queries) {
      assert.equal((await get(`/events?${query}`)).status, 400, query);
    }
  });
});
