/**
 * Behind a proxy (nginx, an ingress), failed logins are counted per client, not per
 * proxy, and the request log names the client, when `TRUSTED_PROXIES` trusts the proxy:
 * on HTTP, SSE and graphql-ws (its upgrade request). The test client connects from
 * 127.0.0.1 and sends `X-Forwarded-For` as the proxy in front would (what the client
 * sent, then the peer it saw), so `TRUSTED_PROXIES=loopback` trusts one hop. Unset, the
 * header is ignored: every client is 127.0.0.1.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createClient } from 'graphql-sse';
import type { FormattedExecutionResult } from 'graphql';
import { parseApiKey } from '../../src/keys/api-key.format.js';
import { startTestFacade, type TestFacade } from '../support/facade.fixture.js';
import { postGraphQL } from '../support/graphql.client.js';
import { requestLines } from '../support/request-log.lines.js';
import { captureLogs, type LogCapture } from '../upstream/credential.fixture.js';
import { bearer, connectWs, VIEWER, within, wsExecute } from './apikey.fixture.js';

const WRONG_KEY = 'usmf_wrong';
/** Failed logins an address may make in a window before its refusals carry a retry hint (`auth.throttle.ts`). */
const FAILURE_BUDGET = 10;

/** The retry hint of a refusal, undefined when it has none. */
const retryAfterOf = (errors: ReadonlyArray<{ extensions?: Record<string, unknown> }> | undefined) => errors?.[0]?.extensions?.['retryAfterSeconds'];

/** A failed login over HTTP through the proxy: `X-Forwarded-For: <forged>, <client>`. */
async function failOverHttp(facade: TestFacade, client: string, forged = '192.0.2.1'): Promise<unknown> {
  const { body } = await postGraphQL(facade.url, VIEWER, {}, { ...bearer(WRONG_KEY), 'x-forwarded-for': `${forged}, ${client}` });
  assert.equal(body.errors?.[0]?.extensions?.['code'], 'UNAUTHENTICATED');
  return retryAfterOf(body.errors);
}

/** The one result of `query` over Server-Sent Events with `headers`. */
function sseExecute(facade: TestFacade, headers: Record<string, string>, query: string): Promise<FormattedExecutionResult> {
  const client = createClient({ url: `${facade.url}/stream`, headers, retryAttempts: 0 });
  return new Promise<FormattedExecutionResult>((resolve, reject) => {
    let result: FormattedExecutionResult | undefined;
    client.subscribe(
      { query },
      {
        next: (value) => (result = value as FormattedExecutionResult),
        error: reject,
        complete: () => (result === undefined ? reject(new Error('completed without a result')) : resolve(result)),
      },
    );
  }).finally(() => client.dispose());
}

/** `[transport, clientAddress, outcome]` of each request log line written since `from`. */
const linesSince = (logs: LogCapture, from: number) =>
  requestLines(logs, from).map((line) => [line['transport'], line['clientAddress'], line['outcome']]);

describe('failed logins behind a trusted proxy (TRUSTED_PROXIES=loopback)', () => {
  let facade: TestFacade;
  const logs = captureLogs();
  before(async () => {
    facade = await startTestFacade({ TRUSTED_PROXIES: 'loopback' }, { facade: { logger: logs.logger } });
  });
  after(async () => {
    await facade.stop();
  });

  it('throttles each forwarded client on its own, believing only the entry the proxy appended, and logs each client', async () => {
    const from = logs.text().length;
    // The forged entries differ each time: were they believed, no budget would ever run out.
    for (let attempt = 1; attempt <= FAILURE_BUDGET; attempt += 1) {
      assert.equal(await failOverHttp(facade, '203.0.113.7', `192.0.2.${attempt}`), undefined, `failed login ${attempt} of 203.0.113.7 is within its budget`);
    }
    const throttled = await failOverHttp(facade, '203.0.113.7', '192.0.2.99');
    assert.ok(typeof throttled === 'number' && throttled >= 1, `the 11th failed login of 203.0.113.7 carries a retry hint, not ${String(throttled)}`);
    assert.equal(await failOverHttp(facade, '203.0.113.8'), undefined, 'another client behind the same proxy has a budget of its own');
    assert.deepEqual(linesSince(logs, from), [
      ...Array.from({ length: FAILURE_BUDGET + 1 }, () => ['http', '203.0.113.7', 'UNAUTHENTICATED']),
      ['http', '203.0.113.8', 'UNAUTHENTICATED'],
    ]);
  });

  it('reads a graphql-ws client from its upgrade request: its failed login counts on its own budget, and its lines name it', async () => {
    for (let attempt = 1; attempt <= FAILURE_BUDGET; attempt += 1) await failOverHttp(facade, '203.0.113.20');
    const from = logs.text().length;
    const over = connectWs(facade, { Authorization: `Bearer ${WRONG_KEY}` }, { 'x-forwarded-for': '192.0.2.1, 203.0.113.20' });
    const fresh = connectWs(facade, { Authorization: `Bearer ${WRONG_KEY}` }, { 'x-forwarded-for': '192.0.2.1, 203.0.113.21' });
    const served = connectWs(facade, { Authorization: `Bearer ${facade.adminKey}` }, { 'x-forwarded-for': '192.0.2.1, 203.0.113.22' });
    try {
      const refusedOver = await wsExecute(over.client, VIEWER);
      assert.equal(refusedOver.errors?.[0]?.extensions?.['code'], 'UNAUTHENTICATED');
      assert.equal(typeof retryAfterOf(refusedOver.errors), 'number', 'the 11th failed login of 203.0.113.20, at connection_init');
      const refusedFresh = await wsExecute(fresh.client, VIEWER);
      assert.equal(refusedFresh.errors?.[0]?.extensions?.['code'], 'UNAUTHENTICATED');
      assert.equal(retryAfterOf(refusedFresh.errors), undefined, "203.0.113.21's first failed login");
      await within(2_000, served.acknowledged, 'the connection with a valid key is acknowledged');
      const answer = await wsExecute<{ viewer: { isDefault: boolean } }>(served.client, VIEWER);
      assert.equal(answer.data?.viewer.isDefault, true);
    } finally {
      await Promise.all([over.dispose(), fresh.dispose(), served.dispose()]);
    }
    const lines = requestLines(logs, from);
    assert.deepEqual(
      lines.map((line) => [line['transport'], line['clientAddress'], line['outcome']]).sort(),
      [
        ['ws', '203.0.113.20', 'UNAUTHENTICATED'],
        ['ws', '203.0.113.21', 'UNAUTHENTICATED'],
        ['ws', '203.0.113.22', 'ok'],
      ],
    );
    const parsed = parseApiKey(facade.adminKey);
    assert.ok(parsed.ok);
    assert.equal(lines.find((line) => line['clientAddress'] === '203.0.113.22')?.['keyId'], parsed.id, "the served operation's line names its key and its client");
  });

  it('names the forwarded client of an operation over Server-Sent Events, served or refused', async () => {
    const from = logs.text().length;
    const served = await sseExecute(facade, { ...bearer(facade.adminKey), 'x-forwarded-for': '203.0.113.30' }, VIEWER);
    assert.equal(served.errors, undefined, JSON.stringify(served.errors));
    const refused = await sseExecute(facade, { ...bearer(WRONG_KEY), 'x-forwarded-for': '192.0.2.1, 203.0.113.31' }, VIEWER);
    assert.equal(refused.errors?.[0]?.extensions?.['code'], 'UNAUTHENTICATED');
    assert.deepEqual(linesSince(logs, from), [
      ['sse', '203.0.113.30', 'ok'],
      ['sse', '203.0.113.31', 'UNAUTHENTICATED'],
    ]);
  });

  it('still takes the socket address of a client that reaches it directly, without the header', async () => {
    const from = logs.text().length;
    const { body } = await postGraphQL(facade.url, VIEWER, {}, bearer(facade.adminKey));
    assert.equal(body.errors, undefined);
    assert.deepEqual(linesSince(logs, from), [['http', '127.0.0.1', 'ok']]);
  });
});

describe('failed logins without TRUSTED_PROXIES', () => {
  let facade: TestFacade;
  const logs = captureLogs();
  before(async () => {
    facade = await startTestFacade({}, { facade: { logger: logs.logger } });
  });
  after(async () => {
    await facade.stop();
  });

  it('ignores X-Forwarded-For: every client shares the socket address’s budget, and the log shows 127.0.0.1', async () => {
    const from = logs.text().length;
    for (let attempt = 1; attempt <= FAILURE_BUDGET; attempt += 1) {
      assert.equal(await failOverHttp(facade, '203.0.113.7'), undefined, `failed login ${attempt} of 127.0.0.1 is within its budget`);
    }
    assert.equal(typeof (await failOverHttp(facade, '203.0.113.8')), 'number', 'a "different" client is the same 127.0.0.1, over its budget');
    const connection = connectWs(facade, { Authorization: `Bearer ${WRONG_KEY}` }, { 'x-forwarded-for': '203.0.113.9' });
    try {
      assert.equal(typeof retryAfterOf((await wsExecute(connection.client, VIEWER)).errors), 'number', 'graphql-ws counts on the same budget');
    } finally {
      await connection.dispose();
    }
    assert.deepEqual(linesSince(logs, from), [
      ...Array.from({ length: FAILURE_BUDGET + 1 }, () => ['http', '127.0.0.1', 'UNAUTHENTICATED']),
      ['ws', '127.0.0.1', 'UNAUTHENTICATED'],
    ]);
  });
});
