import 'reflect-metadata';
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { toAlarm, toEvent } from '../../src/graph/alarm/alarm.mapper.js';
import { readAlarmPage } from '../../src/upstream/anywhere/anywhere.schemas.js';

const sample = () => JSON.parse(readFileSync(new URL('../../../test/upstream/samples/anywhere-alarms-page.json', import.meta.url), 'utf8')) as unknown;
const docs = () => readAlarmPage(sample(), { deployment: 'acme-east', what: 'GET /alarms' }).items;

describe('alarm mapper', () => {
  it('maps a document object once: the same document gives the same Alarm and Events', () => {
    const [doc] = docs();
    assert.equal(toAlarm(doc!), toAlarm(doc!));
    assert.equal(toEvent(doc!.events[0]!), toEvent(doc!.events[0]!));
  });

  it('maps an equal document read again to an equal Alarm', () => {
    const [a] = docs();
    const [b] = docs();
    assert.notEqual(a, b);
    assert.notEqual(toAlarm(a!), toAlarm(b!));
    assert.deepEqual(toAlarm(a!), toAlarm(b!));
  });
});
