import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { RunningSimulator } from '../../src/simulator/simulator.js';
import type { UpstreamRegistry } from '../../src/upstream/upstream.registry.js';
import { clientStats, control, registryFor, startTestSimulator, targetsOf } from './upstream.fixture.js';

describe('the upstream registry against the simulator', () => {
  let sim: RunningSimulator;
  let registry: UpstreamRegistry;
  before(async () => {
    sim = await startTestSimulator({ alarmsPerDeployment: 45 });
    registry = await registryFor(sim);
  });
  after(async () => {
    await registry.close();
    await sim.stop();
  });

  it('knows its deployments and refuses an unknown one with NOT_FOUND naming the known ones', () => {
    assert.deepEqual(registry.deploymentNames, ['acme-east', 'acme-lab', 'acme-west']);
    assert.throws(() => registry.anywhere('acme-north'), {
      code: 'NOT_FOUND',
      message: 'the facade holds no credentials for deployment "acme-north" (configured: acme-east, acme-lab, acme-west)',
    });
    assert.ok(registry.central !== undefined);
  });

  it("lists Central's deployments merged with the configured ones, telling which it holds credentials for", async () => {
    const eastOnly = await registryFor(sim, { targets: targetsOf(sim).filter((t) => t.name === 'acme-east' || t.api === 'central') });
    try {
      const listed = await eastOnly.listDeployments();
      assert.ok(listed.every((d) => typeof d.joinedSince === 'number'));
      assert.deepEqual(listed.map(({ joinedSince: _joined, ...d }) => d), [
        {
          name: 'acme-east',
          hasCredentials: true,
          displayName: 'ACME-EAST',
          fqdn: 'acme-east.alienvault.cloud',
          type: 'USM Anywhere',
          connectionStatus: 'connected',
          authorized: true,
        },
        {
          name: 'acme-lab',
          hasCredentials: false,
          displayName: 'ACME-LAB',
          fqdn: 'acme-lab.alienvault.cloud',
          type: 'USM Anywhere',
          connectionStatus: 'disconnected',
          authorized: false,
        },
        {
          name: 'acme-west',
          hasCredentials: false,
          displayName: 'ACME-WEST',
          fqdn: 'acme-west.alienvault.cloud',
          type: 'USM Anywhere',
          connectionStatus: 'connected',
          authorized: true,
        },
      ]);
    } finally {
      await eastOnly.close();
    }
  });

  it('still lists the configured deployments when Central fails', async () => {
    await control(sim, 'POST', '/faults', { deployment: 'central', errorStatus: 500 });
    try {
      assert.deepEqual(await registry.listDeployments(), [
        { name: 'acme-east', hasCredentials: true },
        { name: 'acme-lab', hasCredentials: true },
        { name: 'acme-west', hasCredentials: true },
      ]);
    } finally {
      await control(sim, 'DELETE', '/faults');
    }
  });

  it('lists only the configured deployments when Central is not configured', async () => {
    const withoutCentral = await registryFor(sim, { targets: targetsOf(sim).filter((t) => t.api === 'anywhere') });
    try {
      assert.equal(withoutCentral.central, undefined);
      assert.deepEqual(
        (await withoutCentral.listDeployments()).map((d) => d.name),
        ['acme-east', 'acme-lab', 'acme-west'],
      );
    } finally {
      await withoutCentral.close();
    }
  });

  it('walks every alarm page by following _links.next', async () => {
    const sizes: number[] = [];
    const ids = new Set<string>();
    for await (const page of registry.anywhere('acme-west').alarmPages({ size: 20, sort: { field: 'timestampReceived', direction: 'asc' } })) {
      sizes.push(page.items.length);
      for (const alarm of page.items) ids.add(alarm.uuid);
    }
    assert.deepEqual(sizes, [20, 20, 5]);
    assert.equal(ids.size, 45);
    assert.equal((await clientStats(sim, 'acme-west')).requests['GET /alarms'], 3);
  });

  it('reads, labels and unlabels one alarm, and reads its events', async () => {
    const east = registry.anywhere('acme-east');
    const [alarm] = (await east.alarmsPage({ size: 1 })).items;
    assert.equal((await east.alarm(alarm!.uuid)).uuid, alarm!.uuid);
    await east.addAlarmLabel(alarm!.uuid, 'lbl-test');
    await east.addAlarmLabel(alarm!.uuid, 'lbl-test');
    assert.deepEqual(await east.alarmLabels(alarm!.uuid), ['lbl-test'], 'adding twice is adding once');
    await east.removeAlarmLabel(alarm!.uuid, 'lbl-test');
    assert.deepEqual(await east.alarmLabels(alarm!.uuid), []);
    const events = await east.eventsPage({ size: 3 });
    assert.equal(events.items.length, 3);
    assert.equal((await east.event(events.items[0]!.uuid)).uuid, events.items[0]!.uuid);
  });

  it('reads alarms and events across deployments through Central', async () => {
    const central = registry.central!;
    const page = await central.alarmsPage({ size: 30 });
    assert.deepEqual(new Set(page.items.map((a) => a.deployment)), new Set(['acme-east', 'acme-west', 'acme-lab']));
    const one = await central.alarm(page.items[0]!.uuid);
    assert.equal(one.deployment, page.items[0]!.deployment);
    const events = await central.eventsPage({ size: 30 });
    assert.ok(events.items.every((e) => ['acme-east', 'acme-west', 'acme-lab'].includes(e.deployment)));
  });
});
