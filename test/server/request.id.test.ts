/**
 * An unexpected error (a bug) reaches the caller as INTERNAL_SERVER_ERROR with the
 * request's id and nothing of the original; the log line has the original and the same id.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { buildSchema } from 'graphql';
import { captureLogs, type LogCapture } from '../upstream/credential.fixture.js';
import { startFacadeServer, type RunningFacadeServer } from '../../src/server/facade.server.js';
import type { GraphContext } from '../../src/graph/context.js';
import { recordOnly } from '../../src/observability/operation.record.js';

const SECRET = 'upstream token 5f0c-secret';

describe('request ids', () => {
  let server: RunningFacadeServer;
  let logs: LogCapture;
  before(async () => {
    const schema = buildSchema('type Query { boom: String ok: String }');
    const root = schema.getQueryType()!.getFields();
    root['boom']!.resolve = () => {
      throw new Error(`could not reach https://usm.example/api with ${SECRET}`);
    };
    root['ok']!.resolve = () => 'fine';
    logs = captureLogs();
    server = await startFacadeServer({
      schema,
      sdl: 'type Query { boom: String ok: String }',
      port: 0,
      host: '127.0.0.1',
      logger: logs.logger,
      context: async () => ({ apiKey: { id: 'k1', permissions: [] }, upstreamCallsSent: { count: 0 }, expectUpstreamCalls: () => {} }) as unknown as GraphContext,
      authorizeOperation: () => {},
      costOf: () => 0,
      maxOperationCost: 100,
      resultNodesOf: () => 0,
      maxResultNodes: 10_000,
      production: false,
      maxSubscriptionsPerKey: 100,
      observer: recordOnly(() => {}),
    });
  });
  after(() => server.stop());

  const post = (query: string, headers: Record<string, string> = {}) =>
    fetch(server.url, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify({ query }) });

  it('answers a bug with INTERNAL_SERVER_ERROR and the request id the log line has, and nothing of the original', async () => {
    const response = await post('{ boom ok }', { 'x-request-id': 'trace-4711' });
    assert.equal(response.headers.get('x-request-id'), 'trace-4711');
    const text = await response.text();
    const body = JSON.parse(text) as { data: unknown; errors: Array<{ message: string; extensions: Record<string, unknown> }> };
    assert.deepEqual(body.data, { boom: null, ok: 'fine' });
    assert.deepEqual(body.errors.map((e) => [e.message, e.extensions['code'], e.extensions['requestId']]), [['Internal server error', 'INTERNAL_SERVER_ERROR', 'trace-4711']]);
    assert.doesNotMatch(text, /usm\.example|5f0c|stack/);
    const logged = logs.text().split('\n').filter(Boolean).map((line) => JSON.parse(line) as Record<string, unknown>);
    const line = logged.find((l) => l['msg'] === 'unexpected error while resolving');
    assert.equal(line?.['requestId'], 'trace-4711');
    assert.match(String((line?.['err'] as { message?: string } | undefined)?.message), /could not reach/);
  });

  it('makes a new id when the caller sends none, or one that is no id', async () => {
    for (const headers of [{}, { 'x-request-id': 'has spaces in it' }, { 'x-request-id': 'x'.repeat(200) }] as Array<Record<string, string>>) {
      const response = await post('{ ok }', headers);
      assert.match(response.headers.get('x-request-id') ?? '', /^[0-9a-f-]{36}$/);
      await response.text();
    }
  });
});
