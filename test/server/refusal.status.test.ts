/**
 * How a refusal travels over HTTP: 200 with `errors` to a caller that accepts
 * application/json (routers: Grafbase drops any other status's body, Apollo Gateway
 * keeps only a code it can guess from it), the 4xx to one that asks for
 * application/graphql-response+json alone.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { acceptsJson, refusalStatus } from '../../src/server/refusal.status.js';
import { createKey } from '../apikey/apikey.fixture.js';
import { startTestFacade, type TestFacade } from '../support/facade.fixture.js';

const ROUTER_ACCEPT = 'application/graphql-response+json; charset=utf-8, application/json; charset=utf-8';
const SPEC_ACCEPT = 'application/graphql-response+json';

describe('acceptsJson and refusalStatus', () => {
  it('reads application/json in an Accept list, named or by a wildcard, with its parameters and q; no Accept is application/json', () => {
    assert.equal(acceptsJson(ROUTER_ACCEPT), true);
    assert.equal(acceptsJson('application/json'), true);
    assert.equal(acceptsJson('Application/JSON;q=0.5'), true);
    assert.equal(acceptsJson('*/*'), true);
    assert.equal(acceptsJson('application/*'), true);
    assert.equal(acceptsJson(undefined), true);
    assert.equal(acceptsJson('application/json;q=0'), false);
    assert.equal(acceptsJson(SPEC_ACCEPT), false);
    assert.equal(acceptsJson('text/html'), false);
  });

  it('answers 200 for a refusal under the JSON rules, its 4xx otherwise, and keeps 5xx', () => {
    assert.equal(refusalStatus('UNAUTHENTICATED', true), 200);
    assert.equal(refusalStatus('UNAUTHENTICATED', false), 401);
    assert.equal(refusalStatus('FORBIDDEN', false), 403);
    assert.equal(refusalStatus('INTERNAL_SERVER_ERROR', true), 500);
  });
});

describe('refusals over HTTP by the caller’s Accept', () => {
  let facade: TestFacade;
  let reader: string;
  before(async () => {
    facade = await startTestFacade();
    reader = (await createKey(facade, { name: 'reader', permissions: ['ALARMS_READ'] })).secret;
  });
  after(async () => {
    await facade.stop();
  });

  const post = async (query: string, headers: Record<string, string>) => {
    const response = await fetch(facade.url, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify({ query }) });
    const body = (await response.json()) as { data?: unknown; errors?: Array<{ message: string; extensions?: Record<string, unknown> }> };
    return { status: response.status, type: response.headers.get('content-type'), code: body.errors?.[0]?.extensions?.['code'], body };
  };

  it('answers no key with 200 and UNAUTHENTICATED to a router and to curl, 401 to a client asking for graphql-response+json alone', async () => {
    const routed = await post('{ viewer { id } }', { accept: ROUTER_ACCEPT });
    assert.deepEqual([routed.status, routed.code], [200, 'UNAUTHENTICATED']);
    assert.match(routed.type!, /^application\/json/);
    assert.equal(routed.body.data, undefined);
    assert.match(routed.body.errors![0]!.message, /An API key is required/);
    assert.deepEqual([(await post('{ viewer { id } }', { accept: SPEC_ACCEPT })).status, (await post('{ viewer { id } }', { accept: '*/*' })).status], [401, 200]);
  });

  it('answers a key without the permission, FORBIDDEN, the same way', async () => {
    const mutation = 'mutation { addAlarmLabel(alarmId: "QWxhcm06YWNtZS1lYXN0Ong=", labelId: "x") { id } }';
    const routed = await post(mutation, { accept: ROUTER_ACCEPT, authorization: `Bearer ${reader}` });
    assert.deepEqual([routed.status, routed.code], [200, 'FORBIDDEN']);
    const direct = await post(mutation, { accept: SPEC_ACCEPT, authorization: `Bearer ${reader}` });
    assert.deepEqual([direct.status, direct.code], [403, 'FORBIDDEN']);
  });

  it('answers a validation error with 200 under the JSON rules and 400 otherwise', async () => {
    const routed = await post('{ nope }', { accept: ROUTER_ACCEPT, authorization: `Bearer ${reader}` });
    assert.deepEqual([routed.status, routed.code], [200, 'GRAPHQL_VALIDATION_FAILED']);
    assert.match(routed.type!, /^application\/json/);
    const direct = await post('{ nope }', { accept: SPEC_ACCEPT, authorization: `Bearer ${reader}` });
    assert.deepEqual([direct.status, direct.code], [400, 'GRAPHQL_VALIDATION_FAILED']);
    assert.match(direct.type!, /^application\/graphql-response\+json/);
  });

  it('keeps 4xx for a request that is no GraphQL request, whatever the Accept', async () => {
    const response = await fetch(facade.url, { method: 'POST', headers: { 'content-type': 'application/json', accept: ROUTER_ACCEPT }, body: '{"query": ' });
    assert.equal(response.status, 400);
  });
});
