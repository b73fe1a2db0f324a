import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { call, startTestSimulator, tokenFor, type TestSimulator } from './simulator.fixture.js';

describe('simulator alarm labels', () => {
  let t: TestSimulator;
  let url: string;
  let token: string;
  let centralToken: string;
  let alarm: any;
  const labelsOf = async (uuid: string) => (await call(`${url}/alarms/${uuid}/labels`, { token })).body.alarm_labels;

  before(async () => {
    t = await startTestSimulator({ alarmsPerDeployment: 50 }, 50);
    url = t.sim.deployments[0]!.url;
    token = await tokenFor(t.sim);
    centralToken = await tokenFor(t.sim, 'central');
    const alarms = (await call(`${url}/alarms?size=50`, { token })).body._embedded.alarms;
    alarm = alarms.find((a: any) => a.alarm_labels.length === 0);
  });
  after(async () => {
    await t.sim.stop();
  });

  it('lists an alarm\'s labels as {alarm_labels: [...]}', async () => {
    const response = await call(`${url}/alarms/${alarm.uuid}/labels`, { token });
    assert.equal(response.status, 200);
    assert.deepEqual(response.body, { alarm_labels: [] });
  });

  it('adds a label once however often it is PUT', async () => {
    for (let i = 0; i < 2; i++) {
      const response = await call(`${url}/alarms/${alarm.uuid}/labels/lbl-escalated`, { method: 'PUT', token });
      assert.equal(response.status, 200);
      assert.equal(response.body, undefined, 'the spec documents no body');
    }
    assert.deepEqual(await labelsOf(alarm.uuid), ['lbl-escalated']);
  });

  it('shows the change in the list, the detail and through Central', async () => {
    const detail = (await call(`${url}/alarms/${alarm.uuid}`, { token })).body;
    assert.deepEqual(detail.alarm_labels, ['lbl-escalated']);
    const listed = (await call(`${url}/alarms?size=50`, { token })).body._embedded.alarms.find((a: any) => a.uuid === alarm.uuid);
    assert.deepEqual(listed.alarm_labels, ['lbl-escalated']);
    const central = (await call(`${t.sim.central.url}/alarms/${alarm.uuid}`, { token: centralToken })).body;
    assert.deepEqual(central.alarm.alarm_labels, ['lbl-escalated']);
  });

  it('keeps labels in the order they were added and accepts UUID label ids too', async () => {
    const uuidLabel = '971918fd-a569-548a-5a80-1ffcda2a8365';
    await call(`${url}/alarms/${alarm.uuid}/labels/${uuidLabel}`, { method: 'PUT', token });
    assert.deepEqual(await labelsOf(alarm.uuid), ['lbl-escalated', uuidLabel]);
    await call(`${url}/alarms/${alarm.uuid}/labels/${uuidLabel}`, { method: 'DELETE', token });
  });

  it('removes a label, and answers 200 when removing one the alarm lacks', async () => {
    const removed = await call(`${url}/alarms/${alarm.uuid}/labels/lbl-escalated`, { method: 'DELETE', token });
    assert.equal(removed.status, 200);
    assert.equal(removed.body, undefined);
    const again = await call(`${url}/alarms/${alarm.uuid}/labels/lbl-escalated`, { method: 'DELETE', token });
    assert.equal(again.status, 200);
    assert.deepEqual(await labelsOf(alarm.uuid), []);
    const central = (await call(`${t.sim.central.url}/alarms/${alarm.uuid}`, { token: centralToken })).body;
    assert.deepEqual(central.alarm.alarm_labels, []);
  });

  it('answers 404 for labels of an unknown alarm', async () => {
    const unknown = '00000000-0000-0000-0000-000000000000';
    assert.equal((await call(`${url}/alarms/${unknown}/labels`, { token })).status, 404);
    assert.equal((await call(`${url}/alarms/${unknown}/labels/x`, { method: 'PUT', token })).status, 404);
    assert.equal((await call(`${url}/alarms/${unknown}/labels/x`, { method: 'DELETE', token })).status, 404);
  });

  it('answers 404 for an alarm of another deployment', async () => {
    const west = t.sim.deployments[1]!;
    const westToken = await tokenFor(t.sim, west.name);
    const response = await call(`${west.url}/alarms/${alarm.uuid}/labels/x`, { method: 'PUT', token: westToken });
    assert.equal(response.status, 404);
  });

  it('refuses a label id with control characters with 400, and POST with 405', async () => {
    const bad = await call(`${url}/alarms/${alarm.uuid}/labels/a%00b`, { method: 'PUT', token });
    assert.equal(bad.status, 400);
    const post = await call(`${url}/alarms/${alarm.uuid}/labels/x`, { method: 'POST', token });
    assert.equal(post.status, 405);
    assert.equal(post.headers.get('allow'), 'PUT, DELETE');
  });
});
