import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import {
  readCentralAlarm,
  readCentralAlarmPage,
  readCentralDeployments,
} from '../../src/upstream/central/central.schemas.js';

function sample(name: string): any {
  return JSON.parse(readFileSync(new URL(`../../../test/upstream/samples/${name}.json`, import.meta.url), 'utf8'));
}

const context = { deployment: 'central', what: 'GET /alarms/1b037291' };

describe('Central documents', () => {
  it("reads Central's alarm wrapper as the same alarm, its deployment taken from tenantId", () => {
    const alarm = readCentralAlarm(sample('central-alarm'), context);
    assert.equal(alarm.deployment, 'acme-lab');
    assert.equal(alarm.uuid, '1b037291-65e3-a8bb-4a88-44bf0fe3987d');
    assert.equal(alarm.ruleMethod, 'Nmap');
    assert.equal(alarm.timestampReceived, 1790812863913);
    assert.equal(alarm.events.length, 3, 'the events Central lifted out of the alarm');
    assert.deepEqual(
      alarm.events.map((e) => [e.deployment, e.eventName]),
      [
        ['acme-lab', 'Port Scan'],
        ['acme-lab', 'DNS Query'],
        ['acme-lab', 'Port Scan'],
      ],
    );
    assert.equal(alarm.raw.tenantId, 'cn://acme-lab.alienvault.cloud', 'raw is the whole wrapper');
  });

  it("falls back to the alarm's own link when tenantId is missing, and refuses an alarm that names no deployment", () => {
    const body = sample('central-alarm');
    delete body.tenantId;
    assert.equal(readCentralAlarm(body, context).deployment, 'acme-lab');
    delete body.alarm._links;
    assert.throws(() => readCentralAlarm(body, context), { code: 'UPSTREAM_INVALID_RESPONSE', details: { path: 'tenantId' } });
  });

  it('reads a page of Central alarms and names a bad field by its path', () => {
    const wrapper = sample('central-alarm');
    const page = {
      _links: { self: { href: 'https://acme.alienvault.cloud/api/1.1/alarms?page=0&size=1' } },
      page: { size: 1, totalElements: 1, totalPages: 1, number: 0 },
      _embedded: { alarms: [wrapper] },
    };
    assert.deepEqual(
      readCentralAlarmPage(page, context).items.map((a) => a.deployment),
      ['acme-lab'],
    );
    wrapper.alarm.uuid = 42;
    assert.throws(() => readCentralAlarmPage(page, context), {
      code: 'UPSTREAM_INVALID_RESPONSE',
      details: { path: '_embedded.alarms[0].alarm.uuid' },
    });
    page._embedded.alarms = [{ ...wrapper, alarm: 'gone' }];
    assert.throws(() => readCentralAlarmPage(page, context), {
      code: 'UPSTREAM_INVALID_RESPONSE',
      details: { path: '_embedded.alarms[0].alarm' },
    });
  });

  it("reads Central's plain array of deployments", () => {
    const deployments = readCentralDeployments(sample('central-deployments'), { deployment: 'central', what: 'GET /deployments' });
    assert.deepEqual(
      deployments.map(({ raw: _raw, ...d }) => d),
      [
        {
          id: 'cn://acme-east.alienvault.cloud',
          name: 'acme-east',
          fqdn: 'acme-east.alienvault.cloud',
          displayName: 'ACME-EAST',
          type: 'USM Anywhere',
          joinedSince: 1790812800000,
          connectionStatus: 'connected',
          authorized: true,
          licenseKey: '70b80dd8-d7cc-6e03-2b87-87ac995e933b',
        },
        {
          id: 'cn://acme-west.alienvault.cloud',
          name: 'acme-west',
          fqdn: 'acme-west.alienvault.cloud',
          displayName: 'ACME-WEST',
          type: 'USM Anywhere',
          joinedSince: 1790726400000,
          connectionStatus: 'connected',
          authorized: true,
          licenseKey: '31d9a0ab-2dc8-2cbd-dde7-9ce121cb6156',
        },
        {
          id: 'cn://acme-lab.alienvault.cloud',
          name: 'acme-lab',
          fqdn: 'acme-lab.alienvault.cloud',
          displayName: 'ACME-LAB',
          type: 'USM Anywhere',
          joinedSince: 1790640000000,
          connectionStatus: 'disconnected',
          authorized: false,
          licenseKey: '4f0738e1-35d4-7540-f3d2-51652264bb4a',
        },
      ],
    );
  });
});
