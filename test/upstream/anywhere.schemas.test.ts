import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { FacadeError } from '../../src/errors/facade.error.js';
import {
  readAlarm,
  readAlarmPage,
  readEvent,
  readEventPage,
} from '../../src/upstream/anywhere/anywhere.schemas.js';
import { alarmsSearchParams, eventsSearchParams } from '../../src/upstream/anywhere/anywhere.query.js';

/** The vendor-style samples in test/upstream/samples (copied from the shared upstream notes). */
function sample(name: string): any {
  return JSON.parse(readFileSync(new URL(`../../../test/upstream/samples/${name}.json`, import.meta.url), 'utf8'));
}

const context = { deployment: 'acme-east', what: 'GET /alarms' };

function invalid(fn: () => unknown): FacadeError {
  try {
    fn();
  } catch (error) {
    assert.ok(error instanceof FacadeError);
    assert.equal(error.code, 'UPSTREAM_INVALID_RESPONSE');
    return error;
  }
  return assert.fail('expected UPSTREAM_INVALID_RESPONSE');
}

describe('Anywhere alarm pages', () => {
  it('reads an alarm page whose alarms carry flat and wrapped events alike', () => {
    const page = readAlarmPage(sample('anywhere-alarms-page'), context);
    assert.deepEqual(page.page, { size: 2, totalElements: 8, totalPages: 4, number: 1 });
    assert.equal(page.links.next, 'https://acme-east.alienvault.cloud/api/2.0/alarms?size=2&page=2');
    const [flat, wrapped] = page.items;
    assert.equal(flat!.events.length, 3);
    assert.equal(wrapped!.events.length, 3);
    assert.deepEqual(
      wrapped!.events.map((e) => e.uuid),
      ['07c6057f-0d27-d659-dd3c-083ebed73dbf', '1f2264f6-98ed-6c2b-eeb7-14c1e3d3d76b', 'b5f846e4-ecfa-a816-bdcb-9dcb6ce6da72'],
    );
    assert.equal(wrapped!.events[0]!.raw.uuid, '07c6057f-0d27-d659-dd3c-083ebed73dbf', 'a wrapped event keeps its own JSON as raw');
    assert.equal(flat!.events[0]!.sourceAddress, '10.1.27.252');
    assert.equal(flat!.events[2]!.sourceUsername, undefined, 'null becomes absent');
  });

  it('normalises an alarm to clean fields and keeps its upstream JSON', () => {
    const [alarm] = readAlarmPage(sample('anywhere-alarms-page'), context).items;
    const { events, raw, ...fields } = alarm!;
    assert.deepEqual(fields, {
      deployment: 'acme-east',
      uuid: '22612396-670d-82bd-b1e0-e90e5bd10f94',
      status: 'in_review',
      priority: 60,
      priorityLabel: 'high',
      suppressed: false,
      ruleId: 'rule-15',
      ruleDictionary: 'DetectionRules',
      ruleIntent: 'Delivery & Attack',
      ruleMethod: 'Suspicious Login',
      ruleStrategy: 'Credential Abuse',
      ruleAttackId: 'T1046',
      ruleAttackTactic: ['TA0007 - Discovery'],
      ruleAttackTechnique: 'T1046 - Network Service Scanning',
      sources: [{ address: '10.1.27.252', hostname: 'host-4', fqdn: 'host-4.corp.example', country: 'US', eventCount: 3 }],
      destinations: [{ address: '10.9.0.86', eventCount: 3 }],
      sensorSources: ['68373453-20d5-8d3b-abe9-30c5d67be40c'],
      eventsCount: 3,
      labels: [],
      sourceUsername: 'bob',
      timestampOccurred: 1790812860000,
      timestampReceived: 1790812862275,
    });
    assert.equal(events.length, 3);
    assert.equal(raw.x_att_tenantid, '3e9fa644-2da4-fd0d-8d20-ebdacef0f752', 'unknown fields are kept');
    assert.equal(raw.timestamp_occured, '1790812860000', 'raw is the upstream JSON, not the parsed form');
  });

  it('takes endpoints from alarm_sources strings when the objects are missing', () => {
    const [, second] = readAlarmPage(sample('anywhere-alarms-page'), context).items;
    assert.deepEqual(second!.sources, [{ address: '10.1.161.173' }]);
    assert.deepEqual(second!.destinations, [{ address: '10.9.0.211' }]);
    assert.deepEqual(second!.labels, ['lbl-escalated']);
  });

  it('reads an empty page that has no _embedded at all', () => {
    const page = readAlarmPage(sample('anywhere-alarms-empty-page'), context);
    assert.deepEqual(page.items, []);
    assert.equal(page.page.number, 40);
    assert.equal(page.links.next, undefined);
  });

  it('accepts timestamps as numbers, as strings of digits, or only as their ISO 8601 twin', () => {
    const base = { uuid: 'a1' };
    assert.equal(readAlarm({ ...base, timestamp_occured: 1790812860000 }, context).timestampOccurred, 1790812860000);
    assert.equal(readAlarm({ ...base, timestamp_occured: '1790812860000' }, context).timestampOccurred, 1790812860000);
    assert.equal(
      readAlarm({ ...base, timestamp_occured_iso8601: '2026-10-01T00:01:00.000Z' }, context).timestampOccurred,
      Date.parse('2026-10-01T00:01:00.000Z'),
    );
    assert.equal(readAlarm(base, context).timestampOccurred, undefined);
  });

  it('refuses a bad field with UPSTREAM_INVALID_RESPONSE naming its path', () => {
    const body = sample('anywhere-alarms-page');
    body._embedded.alarms[1].timestamp_received = 'yesterday';
    const error = invalid(() => readAlarmPage(body, context));
    assert.equal(error.details.path, '_embedded.alarms[1].timestamp_received');
    assert.equal(error.deployment, 'acme-east');
    assert.match(error.message, /acme-east: the answer to GET \/alarms does not have the expected shape at _embedded\.alarms\[1\]\.timestamp_received/);
    assert.doesNotMatch(error.message, /yesterday/, 'the bad value is not echoed');
  });

  it('names the path inside a wrapped event', () => {
    const body = sample('anywhere-alarms-page');
    delete body._embedded.alarms[1].events[2].message.uuid;
    assert.equal(invalid(() => readAlarmPage(body, context)).details.path, '_embedded.alarms[1].events[2].message.uuid');
  });

  it('gives documents a key only for each value present, and keeps unknown fields in raw alone', () => {
    const body = sample('anywhere-alarms-page');
    body._embedded.alarms[0].vendor_extra = { kept: true };
    const page = readAlarmPage(body, context);
    const documents = page.items.flatMap((alarm) => [alarm, ...alarm.events, ...alarm.sources, ...alarm.destinations]);
    for (const doc of [...documents, page.links]) {
      for (const [key, value] of Object.entries(doc)) assert.notEqual(value, undefined, `${key} is present but undefined`);
    }
    const [first] = page.items;
    assert.equal('vendor_extra' in first!, false);
    assert.deepEqual(first!.raw.vendor_extra, { kept: true });
  });

  it('reads an ISO 8601 twin only when its plain timestamp is absent', () => {
    const alarm = readAlarm({ uuid: 'a1', timestamp_occured: '1790812860000', timestamp_occured_iso8601: 'not a date' }, context);
    assert.equal(alarm.timestampOccurred, 1790812860000, 'the unread twin cannot break the alarm');
    const error = invalid(() => readAlarm({ uuid: 'a1', timestamp_occured_iso8601: 'not a date' }, context));
    assert.equal(error.details.path, 'timestamp_occured_iso8601');
    assert.match(error.message, /must be epoch milliseconds \(a number or a string of digits\) or an ISO 8601 date/);
  });

  it('names what each field must be, at its path', () => {
    const cases: Array<[Record<string, unknown>, string, RegExp]> = [
      [{ uuid: '' }, 'uuid', /must be a non-empty string/],
      [{ uuid: 'a1', status: 3 }, 'status', /must be a string/],
      [{ uuid: 'a1', suppressed: 'no' }, 'suppressed', /must be true or false/],
      [{ uuid: 'a1', priority: 'high' }, 'priority', /must be a number/],
      [{ uuid: 'a1', alarm_labels: [1] }, 'alarm_labels', /must be a list of strings/],
      [{ uuid: 'a1', sources: { address: '10.0.0.1' } }, 'sources', /must be a list of objects/],
      [{ uuid: 'a1', sources: ['10.0.0.1'] }, 'sources[0]', /must be an object/],
      [{ uuid: 'a1', destinations: [{ event_count: 'many' }] }, 'destinations[0].event_count', /must be a number/],
      [{ uuid: 'a1', events: [{ message: { uuid: 'e1', plugin: false } }] }, 'events[0].message.plugin', /must be a string/],
    ];
    for (const [body, path, rule] of cases) {
      const error = invalid(() => readAlarm(body, context));
      assert.equal(error.details.path, path);
      assert.match(error.message, rule);
    }
    assert.equal(invalid(() => readAlarm([{ uuid: 'a1' }], context)).details.path, '');
    const page = sample('anywhere-alarms-page');
    page._embedded.alarms[1] = 'not an alarm';
    assert.equal(invalid(() => readAlarmPage(page, context)).details.path, '_embedded.alarms[1]');
  });

  it('accepts numbers sent as strings of digits and a single string where a list is expected', () => {
    const alarm = readAlarm(
      { uuid: 'a1', priority: '60', alarm_events_count: 4, rule_attack_tactic: 'TA0007 - Discovery', alarm_labels: null, suppressed: null },
      context,
    );
    assert.equal(alarm.priority, 60);
    assert.equal(alarm.eventsCount, 4);
    assert.deepEqual(alarm.ruleAttackTactic, ['TA0007 - Discovery']);
    assert.deepEqual(alarm.labels, []);
    assert.equal('suppressed' in alarm, false, 'null is absent');
  });

  it('refuses a page without its page block', () => {
    const body = sample('anywhere-alarms-page');
    delete body.page;
    assert.equal(invalid(() => readAlarmPage(body, context)).details.path, 'page');
  });
});

describe('Anywhere event pages', () => {
  it('reads events embedded under eventResources', () => {
    const page = readEventPage(sample('anywhere-events-page'), { deployment: 'acme-east', what: 'GET /events' });
    assert.deepEqual(
      page.items.map((e) => [e.uuid, e.eventName, e.timestampOccurred]),
      [
        ['16892614-0bc9-ffe2-cde3-4639fe0223f9', 'Process Start', 1790812922813],
        ['6609b22c-fa59-0315-d878-51e8d9e65457', 'Failed Login', 1790812922813],
      ],
    );
    assert.equal(page.items[0]!.deployment, 'acme-east');
  });

  it('reads events embedded under events, as the vendor spec has it', () => {
    const body = sample('anywhere-events-page');
    body._embedded = { events: body._embedded.eventResources };
    assert.equal(readEventPage(body, context).items.length, 2);
  });

  it('reads one free-form event and keeps every field', () => {
    const event = readEvent({ uuid: 'e1', account_name: 'generic-account', event_name: 'PutObject', timestamp_occured: '1528817037000', custom: { x: 1 } }, context);
    assert.equal(event.accountName, 'generic-account');
    assert.equal(event.timestampOccurred, 1528817037000);
    assert.deepEqual(event.raw.custom, { x: 1 });
  });
});

describe('list queries', () => {
  it('spells every filter the way USM does, repeating multi-valued ones', () => {
    const params = alarmsSearchParams(
      {
        page: 2,
        size: 500,
        sort: { field: 'timestampReceived', direction: 'desc' },
        status: ['open', 'in_review'],
        suppressed: false,
        ruleIntent: 'Delivery & Attack',
        ruleMethod: 'Nmap',
        ruleStrategy: 'Network Scanning',
        priorityLabel: ['high'],
        alarmSensorSources: '68373453-20d5-8d3b-abe9-30c5d67be40c',
        occurredGte: 1,
        occurredLte: 2,
        receivedGte: 3,
        receivedLte: 4,
      },
      'acme-east',
    );
    assert.equal(
      params.toString(),
      'page=2&size=500&sort=timestamp_received%2Cdesc&status=open&status=in_review&suppressed=false' +
        '&rule_intent=Delivery+%26+Attack&rule_method=Nmap&rule_strategy=Network+Scanning&priority_label=high' +
        '&alarm_sensor_sources=68373453-20d5-8d3b-abe9-30c5d67be40c&timestamp_occured_gte=1&timestamp_occured_lte=2' +
        '&timestamp_received_gte=3&timestamp_received_lte=4',
    );
    assert.equal(
      eventsSearchParams({ accountName: 'a', plugin: 'Okta', sort: { field: 'timestampOccurred', direction: 'asc' } }, 'acme-east').toString(),
      'sort=timestamp_occured%2Casc&account_name=a&plugin=Okta',
    );
  });

  it('refuses a bad query before any request, listing every problem', () => {
    assert.throws(
      () => alarmsSearchParams({ size: 501, page: -1, status: ['gone' as 'open'] }, 'acme-east'),
      (error: unknown) => {
        assert.ok(error instanceof FacadeError);
        assert.equal(error.code, 'BAD_USER_INPUT');
        assert.equal(error.deployment, 'acme-east');
        assert.deepEqual(error.details.problems, [
          'page: must be 0 or more',
          'size: must be from 1 to 500',
          'status: must be one of open, closed, in_review',
        ]);
        return true;
      },
    );
  });
});
