import { describe, it, mock } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { ElementMemo } from '../../src/upstream/http/element.memo.js';
import { decodeJson, MEMO_SPLIT_BYTES } from '../../src/upstream/http/json.decoder.js';
import { readAlarmPage, readEventPage } from '../../src/upstream/anywhere/anywhere.schemas.js';

const sampleText = (name: string) => readFileSync(new URL(`../../../test/upstream/samples/${name}.json`, import.meta.url), 'utf8');

interface SamplePage {
  _embedded: { alarms: Array<Record<string, unknown>> };
}

/** The vendor sample page grown to `count` alarms, each its own document (own uuid). */
function page(count: number, change: (alarm: Record<string, unknown>, i: number) => void = () => {}): SamplePage {
  const sample = JSON.parse(sampleText('anywhere-alarms-page')) as SamplePage;
  const alarms = sample._embedded.alarms;
  sample._embedded.alarms = Array.from({ length: count }, (_, i) => {
    const alarm = structuredClone(alarms[i % alarms.length]!);
    alarm.uuid = `00000000-0000-4000-8000-${String(i).padStart(12, '0')}`;
    change(alarm, i);
    return alarm;
  });
  return sample;
}

const bodyOf = (value: unknown) => Buffer.from(JSON.stringify(value), 'utf8');
const alarmsOf = (decoded: unknown) => (decoded as SamplePage)._embedded.alarms;

describe('decodeJson with an ElementMemo', () => {
  it('parses an unchanged page’s items once: the second answer is equal and holds the same objects', () => {
    const memo = new ElementMemo(100);
    const text = page(30);
    const first = decodeJson(bodyOf(text), { memo });
    assert.deepEqual(first, text);
    assert.equal(memo.size, 30);

    const parse = mock.method(JSON, 'parse');
    try {
      const second = decodeJson(bodyOf(text), { memo });
      assert.deepEqual(second, text);
      alarmsOf(second).forEach((alarm, i) => assert.equal(alarm, alarmsOf(first)[i], `alarm ${i} is the object parsed before`));
      // Only the envelope was parsed: no item reached JSON.parse.
      assert.equal(parse.mock.callCount(), 3, 'the envelope and the two keys on the way to the array');
      assert.ok(parse.mock.calls.every((call) => !String(call.arguments[0]).includes('"uuid"')));
    } finally {
      parse.mock.restore();
    }
  });

  it('parses only the items whose bytes changed, new ones and moved ones alike', () => {
    const memo = new ElementMemo(100);
    const before = page(30);
    const first = alarmsOf(decodeJson(bodyOf(before), { memo }));
    // Two new alarms on top (the page shifts), and alarm 5 changed status: same uuid, same length.
    const after = page(30, (alarm, i) => {
      if (i === 5) alarm.status = alarm.status === 'open' ? 'done' : 'open';
    });
    assert.equal(JSON.stringify(after._embedded.alarms[5]).length, JSON.stringify(before._embedded.alarms[5]).length);
    const fresh = page(2, (alarm, i) => (alarm.uuid = `ffffffff-0000-4000-8000-${String(i).padStart(12, '0')}`))._embedded.alarms;
    after._embedded.alarms = [...fresh, ...after._embedded.alarms.slice(0, 28)];

    const second = alarmsOf(decodeJson(bodyOf(after), { memo }));
    assert.deepEqual(second, after._embedded.alarms);
    second.forEach((alarm, i) => {
      const was = i - 2;
      if (was >= 0 && was !== 5) assert.equal(alarm, first[was], `alarm ${i} is alarm ${was} as parsed before`);
      else assert.notEqual(alarm, first[was]);
    });
    assert.equal(second[7]!.status, after._embedded.alarms[7]!.status, 'the changed alarm is read as it is now');
  });

  it('keeps at most maxEntries, and nothing with 0', () => {
    const bounded = new ElementMemo(10);
    decodeJson(bodyOf(page(30)), { memo: bounded });
    assert.equal(bounded.size, 10);

    const off = new ElementMemo(0);
    const text = page(30);
    const first = alarmsOf(decodeJson(bodyOf(text), { memo: off }));
    const second = alarmsOf(decodeJson(bodyOf(text), { memo: off }));
    assert.deepEqual(second, first);
    assert.notEqual(second[0], first[0]);
    assert.equal(off.size, 0);
  });

  it('splits from MEMO_SPLIT_BYTES with a memo, and still answers exactly what JSON.parse does', () => {
    const memo = new ElementMemo(100);
    const small = page(4);
    assert.ok(bodyOf(small).length > MEMO_SPLIT_BYTES, 'four sample alarms are over the split size');
    assert.deepEqual(decodeJson(bodyOf(small), { memo }), small);
    assert.equal(memo.size, 4);
    // Elements without a uuid, duplicates, nested arrays: equal answers every time.
    const odd = { items: [...Array.from({ length: 400 }, (_, i) => ({ n: i % 7, list: [i, [i]] })), 'text', 3, null] };
    for (let round = 0; round < 2; round += 1) assert.deepEqual(decodeJson(bodyOf(odd), { memo }), odd);
  });
});

describe('scanning with an ElementMemo', () => {
  it('steps over the items it knows while scanning, and asks the memo once per item', () => {
    const memo = new ElementMemo(100);
    const text = page(30);
    decodeJson(bodyOf(text), { memo });
    const at = mock.method(ElementMemo.prototype, 'at');
    const get = mock.method(ElementMemo.prototype, 'get');
    try {
      assert.deepEqual(decodeJson(bodyOf(text), { memo }), text);
      assert.equal(at.mock.callCount(), 30, 'one lookup at the start of each item of _embedded.alarms');
      assert.equal(get.mock.callCount(), 0, 'no second lookup once the scanner has asked');
    } finally {
      at.mock.restore();
      get.mock.restore();
    }
  });

  it('steps over known bytes only where a whole item ends, answering what JSON.parse does', () => {
    const memo = new ElementMemo(100);
    const item = (n: number) => `{"uuid":"00000000-0000-4000-8000-${String(n).padStart(12, '0')}","pad":"${'x'.repeat(400)}"}`;
    const items = Array.from({ length: 40 }, (_, n) => item(n));
    decodeJson(Buffer.from(`{"items":[${items.join(',')}]}`), { memo });
    const bodies = [
      `{"items":[${items.join(' , ')}]}`,
      `{"items":[${items.map((one) => `[${one}]`).join(',')}]}`,
      `{"items":[${items.map((one) => `${one.slice(0, -1)},"more":1}`).join(',')}]}`,
      `{"items":[${items.join(',')}x]}`,
      `{"items":[${items.join(',')}"]}`,
      `{"items":[${items.join(',')}`,
      `{"other":[${items.join(',')}],"items":[${items.join(',')}]}`,
      `[${items.join(',')}]`,
    ];
    for (const body of bodies) {
      let expected: unknown;
      try {
        expected = JSON.parse(body);
      } catch {
        assert.throws(() => decodeJson(Buffer.from(body), { memo }), SyntaxError, body.slice(-40));
        continue;
      }
      assert.deepEqual(decodeJson(Buffer.from(body), { memo }), expected, body.slice(0, 60));
    }
  });
});

describe('page readers', () => {
  it('read an item object once per deployment: the same body twice gives the same documents', () => {
    const body = decodeJson(bodyOf(page(6)), { memo: new ElementMemo(100) });
    const context = { deployment: 'acme-east', what: 'GET /alarms' };
    const first = readAlarmPage(body, context).items;
    const second = readAlarmPage(body, context).items;
    second.forEach((doc, i) => assert.equal(doc, first[i]));
    const elsewhere = readAlarmPage(body, { deployment: 'acme-west', what: 'GET /alarms' }).items;
    assert.notEqual(elsewhere[0], first[0]);
    assert.equal(elsewhere[0]!.deployment, 'acme-west');

    const events = JSON.parse(sampleText('anywhere-events-page')) as unknown;
    const eventContext = { deployment: 'acme-east', what: 'GET /events' };
    assert.equal(readEventPage(events, eventContext).items[0], readEventPage(events, eventContext).items[0]);
  });
});
