import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { loadConfig } from '../../src/config/config.js';
import { parseApiKey } from '../../src/keys/api-key.format.js';
import { createLogger } from '../../src/log/logger.js';
import { REQUEST_LOG_MESSAGE } from '../../src/observability/request.log.js';
import { startTestFacade, type TestFacade } from '../support/facade.fixture.js';
import { captureLogs } from '../upstream/credential.fixture.js';
import { requestLines } from '../support/request-log.lines.js';

const PAGE = 'query Page { alarms(deployment: "acme-east", first: 2) { edges { node { uuid } } } }';

describe('request log', () => {
  let facade: TestFacade;
  const logs = captureLogs();
  let keyId: string;

  before(async () => {
    facade = await startTestFacade({}, { facade: { logger: logs.logger } });
    const parsed = parseApiKey(facade.adminKey);
    assert.ok(parsed.ok);
    keyId = parsed.id;
  });
  after(async () => {
    await facade.stop();
  });

  it('writes one line per request: its id, client address, key, operation, duration, upstream calls, cost and outcome', async () => {
    const from = logs.text().length;
    const { body } = await facade.gql(PAGE, {}, { 'x-request-id': 'log-test-1' });
    assert.equal(body.errors, undefined);
    const cost = body.extensions?.['cost'] as { estimatedUpstreamCalls: number; actualUpstreamCalls: number };
    assert.ok(cost.actualUpstreamCalls > 0);
    const lines = requestLines(logs, from);
    assert.equal(lines.length, 1);
    const { time, durationMs, ...line } = lines[0]!;
    assert.equal(typeof time, 'number');
    assert.ok(typeof durationMs === 'number' && durationMs >= 0);
    assert.deepEqual(line, {
      level: 30,
      service: 'usm-graphql-facade',
      transport: 'http',
      requestId: 'log-test-1',
      clientAddress: '127.0.0.1',
      keyId,
      operationType: 'query',
      operationName: 'Page',
      upstreamCalls: cost.actualUpstreamCalls,
      estimatedUpstreamCalls: cost.estimatedUpstreamCalls,
      outcome: 'ok',
      msg: REQUEST_LOG_MESSAGE,
    });
  });

  it('logs the id the server made when the caller sent none, the one it answered', async () => {
    const from = logs.text().length;
    const response = await fetch(facade.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${facade.adminKey}` },
      body: JSON.stringify({ query: '{ viewer { id } }' }),
    });
    assert.equal(response.status, 200);
    const answered = response.headers.get('x-request-id');
    assert.match(answered ?? '', /^[0-9a-f-]{36}$/);
    assert.deepEqual(
      requestLines(logs, from).map((line) => [line['requestId'], line['operationType'], line['operationName'], line['outcome']]),
      [[answered, 'query', undefined, 'ok']],
    );
  });

  it('names the outcome of refused and failed requests by their error codes', async () => {
    const from = logs.text().length;
    await facade.gql('{ alarms(deployment: "acme-east", first: 1) { edges { cursor } }', {}, { 'x-request-id': 'log-parse' });
    await facade.gql('query Missing { alarm(id: "bm90IGFuIGlk") { uuid } nope }', {}, { 'x-request-id': 'log-invalid' });
    await facade.gql('mutation Revoke { revokeApiKey(id: "000000000000") { id } }', {}, { 'x-request-id': 'log-mutation' });
    await facade.gql(PAGE, {}, { authorization: 'Bearer usmf_000000000000_00000000000000000000000000000000000000', 'x-request-id': 'log-unknown-key' });
    assert.deepEqual(
      requestLines(logs, from).map((line) => [line['requestId'], line['operationType'], line['operationName'], line['outcome'], line['errorCodes']]),
      [
        ['log-parse', 'unknown', undefined, 'GRAPHQL_PARSE_FAILED', ['GRAPHQL_PARSE_FAILED']],
        ['log-invalid', 'query', 'Missing', 'GRAPHQL_VALIDATION_FAILED', ['GRAPHQL_VALIDATION_FAILED']],
        ['log-mutation', 'mutation', 'Revoke', 'NOT_FOUND', ['NOT_FOUND']],
        // Refused while its key was checked: no operation known, but the request's id is.
        ['log-unknown-key', 'unknown', undefined, 'UNAUTHENTICATED', ['UNAUTHENTICATED']],
      ],
    );
  });
});

describe('log format', () => {
  const sink = () => {
    let text = '';
    const destination = new Writable({
      write(chunk, _encoding, done) {
        text += String(chunk);
        done();
      },
    });
    return { destination, text: () => text };
  };

  it('writes JSON by default and readable lines with pretty, redacting secrets in both', () => {
    for (const pretty of [false, true]) {
      const out = sink();
      const logger = createLogger({ destination: out.destination, pretty });
      logger.info(
        {
          deployment: 'acme-east',
          clientSecret: 'shh-1',
          headers: { authorization: 'Bearer shh-2' },
          connectionParams: { authorization: 'Bearer shh-3' },
          variables: { input: [{ clientSecret: 'shh-4' }] },
          request: { authorization: 'Bearer shh-5' },
        },
        'a line',
      );
      const text = out.text();
      assert.doesNotMatch(text, /shh-/);
      assert.match(text, /acme-east/);
      if (pretty) {
        assert.doesNotMatch(text, /^\{/);
        assert.match(text, /INFO.*a line/);
      } else {
        assert.equal(JSON.parse(text).msg, 'a line');
      }
    }
  });

  it('is JSON unless LOG_PRETTY says or a development terminal asks', () => {
    assert.equal(loadConfig({ NODE_ENV: 'production' }).logPretty, false);
    assert.equal(loadConfig({ NODE_ENV: 'test' }).logPretty, false);
    assert.equal(loadConfig({ NODE_ENV: 'production', LOG_PRETTY: 'true' }).logPretty, true);
    assert.equal(loadConfig({ NODE_ENV: 'development', LOG_PRETTY: 'false' }).logPretty, false);
    // The test runner's standard output is a pipe, not a terminal.
    assert.equal(loadConfig({ NODE_ENV: 'development' }).logPretty, process.stdout.isTTY === true);
    assert.throws(() => loadConfig({ LOG_PRETTY: 'yes' }), /LOG_PRETTY: must be true or false/);
  });
});
