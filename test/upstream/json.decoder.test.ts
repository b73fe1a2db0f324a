import { describe, it, mock } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { decodeJson, LARGE_JSON_BYTES } from '../../src/upstream/http/json.decoder.js';

const bytes = (text: string) => Buffer.from(text, 'utf8');
const sampleText = (name: string) => readFileSync(new URL(`../../../test/upstream/samples/${name}.json`, import.meta.url), 'utf8');

/** Asserts decodeJson agrees with JSON.parse on `text`, whole and split at every size tried. */
function agrees(text: string, sizes: readonly number[] = [1, 8, 64, 256, LARGE_JSON_BYTES]): void {
  let expected: unknown;
  try {
    expected = JSON.parse(text);
  } catch {
    for (const largeBytes of sizes) {
      assert.throws(() => decodeJson(bytes(text), { largeBytes }), SyntaxError, `largeBytes ${largeBytes}: ${text.slice(0, 80)}`);
    }
    return;
  }
  for (const largeBytes of sizes) assert.deepEqual(decodeJson(bytes(text), { largeBytes }), expected, `largeBytes ${largeBytes}`);
}

/** A deterministic stream of JSON values with the strings that trip up byte scanners. */
function* values(seed: number, count: number): Generator<unknown> {
  let state = seed;
  const next = () => {
    state = (state * 1103515245 + 12345) % 2147483648;
    return state / 2147483648;
  };
  const strings = ['plain', 'quote " inside', 'backslash \\', 'ends in backslash \\\\', '[{,:}]', 'ünïcödé ✓ 🛡', '\u0000\n\t', ''];
  const value = (depth: number): unknown => {
    const pick = next();
    if (depth > 3 || pick < 0.3) return strings[Math.floor(next() * strings.length)];
    if (pick < 0.4) return Math.floor(next() * 1e13) / 7;
    if (pick < 0.45) return [true, false, null][Math.floor(next() * 3)];
    if (pick < 0.75) return Array.from({ length: Math.floor(next() * 6) }, () => value(depth + 1));
    return Object.fromEntries(Array.from({ length: Math.floor(next() * 5) }, (_, i) => [strings[(i + Math.floor(next() * 8)) % 8]! + i, value(depth + 1)]));
  };
  for (let i = 0; i < count; i += 1) yield value(0);
}

describe('decodeJson', () => {
  it('reads what JSON.parse reads, whole or split, for the upstream samples', () => {
    for (const name of ['anywhere-alarms-page', 'anywhere-alarms-empty-page', 'anywhere-events-page', 'central-alarm', 'central-deployments', 'token']) {
      agrees(sampleText(name));
    }
  });

  it('reads generated documents with escapes, brackets in strings and non-ASCII text the same as JSON.parse', () => {
    for (const value of values(7, 300)) {
      agrees(JSON.stringify(value));
      agrees(JSON.stringify(value, null, 2), [16, 128]);
    }
  });

  it('never hands JSON.parse a string longer than largeBytes for a page whose bulk is its items, and parses items in runs', () => {
    const page = JSON.parse(sampleText('anywhere-alarms-page')) as { _embedded: { alarms: unknown[] } };
    const alarms = page._embedded.alarms;
    page._embedded.alarms = Array.from({ length: 120 }, (_, i) => alarms[i % alarms.length]);
    const text = JSON.stringify(page);
    assert.ok(text.length > 4 * 4096, 'the page is large');
    const parse = mock.method(JSON, 'parse');
    try {
      assert.deepEqual(decodeJson(bytes(text), { largeBytes: 4096 }), page);
      const longest = Math.max(...parse.mock.calls.map((call) => String(call.arguments[0]).length));
      assert.ok(longest <= 4096, `longest string parsed: ${longest}`);
      const calls = parse.mock.callCount();
      assert.deepEqual(decodeJson(bytes(text), { largeBytes: 32_768 }), page);
      const runCalls = parse.mock.callCount() - calls;
      assert.ok(runCalls <= Math.ceil(text.length / 32_768) + 3, `${runCalls} JSON.parse calls for 120 items`);
    } finally {
      parse.mock.restore();
    }
  });

  it('keeps what a later duplicate key says, as JSON.parse does', () => {
    const items = JSON.stringify(Array.from({ length: 50 }, (_, i) => ({ i })));
    agrees(`{"items":${items},"items":"replaced"}`, [64]);
    agrees(`{"items":"first","items":${items}}`, [64]);
    agrees(`{"a":{"b\\"c":[0,${items}]}}`, [64]);
  });

  it('reads a top-level array, empty arrays and a byte-order mark', () => {
    agrees(JSON.stringify(Array.from({ length: 40 }, (_, i) => [i, [], {}])), [32]);
    agrees(`{"empty":[   ],"items":[${'1,'.repeat(60)}1]}`, [32]);
    assert.deepEqual(decodeJson(Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), bytes('{"a":[1,2,3]}')]), { largeBytes: 4 }), { a: [1, 2, 3] });
  });

  it('answers undefined for an empty or blank body', () => {
    assert.equal(decodeJson(bytes('')), undefined);
    assert.equal(decodeJson(bytes(' \r\n\t')), undefined);
  });

  it('refuses with a SyntaxError exactly what JSON.parse refuses', () => {
    const items = Array.from({ length: 30 }, (_, i) => `{"n":${i}}`).join(',');
    for (const text of [
      `{"items":[${items},]}`,
      `{"items":[${items},,{"n":1}]}`,
      `{"items":[${items} {"n":1}]}`,
      `{"items":[${items}]`,
      `{"items":[${items}]}}`,
      `{"items":[${items}}]}`,
      `{"items":[${items}],"tail":"unterminated}`,
      `{"items":[ , ]}`,
      `[${items}] trailing`,
      `{items:[${items}]}`,
    ]) {
      agrees(text, [16, 64]);
    }
  });
});
