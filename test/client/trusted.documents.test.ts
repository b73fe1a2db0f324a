/**
 * Trusted documents: the operations codegen lists in client/generated/persisted-documents.json
 * are served by their hash alone (automatic persisted queries), and a key created with
 * `trustedDocumentsOnly` runs those and nothing else, with no upstream call for a refusal.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import { startTestFacade, type TestFacade } from '../support/facade.fixture.js';
import { dataRequestsOf } from '../support/simulator.stats.js';
import { bearer, createKey } from '../apikey/apikey.fixture.js';

const MANIFEST = JSON.parse(readFileSync('client/generated/persisted-documents.json', 'utf8')) as Record<string, string>;
/** The manifest's hash of the operation named `name`, without its `sha256:` prefix. */
const hashOf = (name: string) => {
  const entry = Object.entries(MANIFEST).find(([, text]) => new RegExp(`^(query|mutation|subscription) ${name}\\b`).test(text));
  assert.ok(entry !== undefined, `${name} is in the manifest`);
  return entry[0].slice('sha256:'.length);
};

describe('trusted documents', () => {
  let facade: TestFacade;
  let trustedKey: string;
  let ordinaryKey: string;
  const post = async (body: unknown, key: string) => {
    // The spec's newer media type, whose refusals carry their own status (403).
    const response = await fetch(facade.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'application/graphql-response+json', ...bearer(key) },
      body: JSON.stringify(body),
    });
    return { status: response.status, body: (await response.json()) as { data?: Record<string, unknown>; errors?: Array<{ message: string; extensions?: Record<string, unknown> }> } };
  };

  before(async () => {
    facade = await startTestFacade();
    trustedKey = (await createKey(facade, { name: 'frontend', permissions: ['ALARMS_READ'], trustedDocumentsOnly: true })).secret;
    ordinaryKey = (await createKey(facade, { name: 'analyst', permissions: ['ALARMS_READ'] })).secret;
  });
  after(() => facade.stop());

  it('serves a listed document sent by its hash alone', async () => {
    const { status, body } = await post({ extensions: { persistedQuery: { version: 1, sha256Hash: hashOf('AlarmsByPriority') } }, variables: { first: 3 } }, trustedKey);
    assert.equal(status, 200, JSON.stringify(body));
    assert.equal((body.data?.['alarms'] as { edges: unknown[] }).edges.length, 3);
  });

  it('serves a listed document sent as text to a trusted-documents key, however it is formatted', async () => {
    const text = readFileSync('operations/viewer.graphql', 'utf8').replace(/^#.*$/gm, '').replace(/\s+/g, ' ');
    const { status, body } = await post({ query: text }, trustedKey);
    assert.equal(status, 200, JSON.stringify(body));
    assert.equal((body.data?.['viewer'] as { name: string }).name, 'frontend');
  });

  it('refuses an unlisted document for a trusted-documents key with PERSISTED_QUERY_NOT_ALLOWED and no upstream call', async () => {
    const calls = await dataRequestsOf(facade.simulatorUrl);
    const { status, body } = await post({ query: '{ alarms(first: 2) { edges { node { id ruleIntent } } } }' }, trustedKey);
    assert.equal(status, 403);
    assert.equal(body.errors?.[0]?.extensions?.['code'], 'PERSISTED_QUERY_NOT_ALLOWED');
    assert.match(body.errors![0]!.message, /^Key "frontend" runs only trusted documents \(the 9 operations of persisted-documents\.json\)/, 'the file by its name: no server path');
    assert.equal(body.data, undefined);
    assert.equal(await dataRequestsOf(facade.simulatorUrl), calls);
  });

  it('serves the same unlisted document to an ordinary key', async () => {
    const { status, body } = await post({ query: '{ alarms(first: 2) { edges { node { id ruleIntent } } } }' }, ordinaryKey);
    assert.equal(status, 200);
    assert.equal((body.data?.['alarms'] as { edges: unknown[] }).edges.length, 2);
  });

  it('answers a hash nobody registered with PERSISTED_QUERY_NOT_FOUND, and then the registered one by hash', async () => {
    const text = '{ viewer { id } }';
    const { createHash } = await import('node:crypto');
    const sha256Hash = createHash('sha256').update(text).digest('hex');
    const unknown = await post({ extensions: { persistedQuery: { version: 1, sha256Hash } } }, ordinaryKey);
    assert.equal(unknown.body.errors?.[0]?.extensions?.['code'], 'PERSISTED_QUERY_NOT_FOUND');
    assert.equal((await post({ query: text, extensions: { persistedQuery: { version: 1, sha256Hash } } }, ordinaryKey)).status, 200);
    const again = await post({ extensions: { persistedQuery: { version: 1, sha256Hash } } }, ordinaryKey);
    assert.equal(again.status, 200);
    assert.equal(typeof (again.body.data?.['viewer'] as { id: string }).id, 'string');
    // Registered is not trusted.
    assert.equal((await post({ extensions: { persistedQuery: { version: 1, sha256Hash } } }, trustedKey)).status, 403);
  });
});
