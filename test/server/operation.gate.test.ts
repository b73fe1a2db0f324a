/**
 * One gate for every transport: the same bad operation gets the same refusal, with the
 * same `extensions.code`, over HTTP, over graphql-ws and over graphql-sse, read through
 * the client libraries a dashboard uses; a good one gets the same `extensions.cost`; and
 * an operation on WebSocket or SSE writes one request log line and one span, as on HTTP.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { WebSocket } from 'ws';
import { SpanKind } from '@opentelemetry/api';
import { InMemorySpanExporter } from '@opentelemetry/sdk-trace-base';
import { createClient as createWsClient } from 'graphql-ws';
import { createClient as createSseClient } from 'graphql-sse';
import { startTestFacade, type TestFacade } from '../support/facade.fixture.js';
import { captureLogs } from '../upstream/credential.fixture.js';
import { createKey } from '../apikey/apikey.fixture.js';
import { requestLines } from '../support/request-log.lines.js';

interface Answer {
  data?: unknown;
  errors?: ReadonlyArray<{ message: string; extensions?: Record<string, unknown> }>;
  extensions?: Record<string, unknown>;
}

/** What graphql-ws and graphql-sse clients share: `subscribe(payload, sink)`, a query included. */
interface SubscribingClient {
  subscribe(payload: { query: string }, sink: { next(value: unknown): void; error(error: unknown): void; complete(): void }): () => void;
  dispose(): unknown;
}

/** The one answer of an operation through a client library, as a dashboard's code receives it. */
function answerOf(client: SubscribingClient, query: string): Promise<Answer> {
  return new Promise((resolve, reject) => {
    let first: Answer | undefined;
    client.subscribe(
      { query },
      {
        next: (value) => void (first ??= value as Answer),
        error: (error) => reject(error instanceof Error ? error : new Error(JSON.stringify(error))),
        complete: () => (first === undefined ? reject(new Error('completed without a payload')) : resolve(first)),
      },
    );
  });
}

const PAGE = 'query GatePage { alarms(deployment: "acme-east", first: 2) { edges { node { uuid } } } }';
/** Nine levels deep: one past MAX_QUERY_DEPTH (8). */
const TOO_DEEP = '{ alarms(deployment: "acme-east", first: 1) { edges { node { deployment { alarms(first: 1) { edges { node { deployment { name } } } } } } } } }';

/** Within the cost limit (one deployment's page: its events come with each alarm), but 20,301 objects. */
const BIG_ANSWER = '{ alarms(deployment: "acme-east", first: 100) { edges { node { events(first: 100) { edges { node { name } } } } } } }';

describe('one operation gate for HTTP, graphql-ws and graphql-sse', () => {
  const exporter = new InMemorySpanExporter();
  const logs = captureLogs();
  let facade: TestFacade;
  let readerKey: string;
  let spentKey: string;
  const clients: SubscribingClient[] = [];
  const ws = (key: string): SubscribingClient => {
    const client = createWsClient({ url: facade.url.replace(/^http/, 'ws'), webSocketImpl: WebSocket, retryAttempts: 0, lazy: true, connectionParams: { Authorization: `Bearer ${key}` } });
    clients.push(client);
    return client;
  };
  const sse = (key: string): SubscribingClient => {
    const client = createSseClient({ url: `${facade.url}/stream`, headers: { authorization: `Bearer ${key}` }, retryAttempts: 0 });
    clients.push(client);
    return client;
  };
  /** The same operation over the three transports: [http, ws, sse]. */
  const everywhere = async (query: string, key: string): Promise<Answer[]> => [
    (await facade.gql(query, {}, { authorization: `Bearer ${key}` })).body as Answer,
    await answerOf(ws(key), query),
    await answerOf(sse(key), query),
  ];
  const codesOf = (answers: Answer[]) => answers.map((answer) => answer.errors?.map((error) => error.extensions?.['code']));

  before(async () => {
    // MAX_OPERATION_COST 3: every deployment's alarms (a page per deployment and Central's list) pass it.
    facade = await startTestFacade({ MAX_OPERATION_COST: '3', CACHE_PAGE_TTL_MS: '0' }, { facade: { logger: logs.logger, tracing: { exporter } } });
    readerKey = (await createKey(facade, { name: 'reader' })).secret;
    // One point, restoring one a second: an operation charged 3.1 points that sent 2 calls leaves it owing 1.1 for 2 s.
    spentKey = (await createKey(facade, { name: 'spent', budget: { maximum: 1, restoreRate: 1 } })).secret;
    const spend = '{ a: alarms(deployment: "acme-east", first: 3) { edges { node { uuid } } } b: alarms(deployment: "acme-west", first: 3) { edges { node { uuid } } } }';
    assert.equal((await facade.gql(spend, {}, { authorization: `Bearer ${spentKey}` })).body.errors, undefined);
  });
  after(async () => {
    await Promise.all(clients.map((client) => client.dispose()));
    await facade.stop();
  });

  const refusals: Array<[string, string, () => string, string]> = [
    // First, while the key still owes its points.
    ['a key past its budget', PAGE, () => spentKey, 'RATE_LIMITED'],
    ['an unknown key', '{ viewer { id } }', () => 'usmf_000000000000_00000000000000000000000000000000000000', 'UNAUTHENTICATED'],
    ['a key without the permission', 'mutation { revokeApiKey(id: "000000000000") { id } }', () => readerKey, 'FORBIDDEN'],
    ['an operation over the cost limit', '{ alarms(first: 5) { edges { node { uuid } } } }', () => facade.adminKey, 'COST_LIMIT_EXCEEDED'],
    ['an answer over the size limit', BIG_ANSWER, () => facade.adminKey, 'RESULT_TOO_LARGE'],
    ['a query too deep', TOO_DEEP, () => facade.adminKey, 'GRAPHQL_VALIDATION_FAILED'],
    ['a field that does not exist', '{ viewer { id nope } }', () => facade.adminKey, 'GRAPHQL_VALIDATION_FAILED'],
  ];
  for (const [what, query, key, code] of refusals) {
    it(`refuses ${what} with ${code} and the same message on every transport`, async () => {
      const answers = await everywhere(query, key());
      assert.deepEqual(codesOf(answers), [[code], [code], [code]], JSON.stringify(answers));
      const messages = answers.map((answer) => answer.errors?.[0]?.message);
      // A budget's message says how many points are left, which restore as the three arrive.
      if (code !== 'RATE_LIMITED') assert.equal(new Set(messages).size, 1, `one message: ${JSON.stringify(messages)}`);
      else for (const answer of answers) assert.ok((answer.errors?.[0]?.extensions?.['retryAfterSeconds'] as number) >= 1, JSON.stringify(answer.errors));
      for (const answer of answers) assert.ok(answer.data === undefined || answer.data === null);
    });
  }

  it('answers a good query with the same data and the same extensions.cost on every transport', async () => {
    const answers = await everywhere(PAGE, facade.adminKey);
    for (const answer of answers) assert.equal(answer.errors, undefined, JSON.stringify(answer.errors));
    assert.deepEqual(answers[1]!.data, answers[0]!.data);
    assert.deepEqual(answers[2]!.data, answers[0]!.data);
    // No page cache: each asks USM for its page once.
    const costs = answers.map((answer) => answer.extensions?.['cost'] as Record<string, unknown>);
    assert.deepEqual(
      costs.map(({ throttleStatus: _status, ...calls }) => calls),
      [0, 1, 2].map(() => ({ estimatedUpstreamCalls: 2, actualUpstreamCalls: 1, resultNodes: 5 })),
    );
    for (const { throttleStatus } of costs) assert.deepEqual(Object.keys(throttleStatus as object), ['maximumAvailable', 'currentlyAvailable', 'restoreRate']);
  });

  it('writes one request log line and one span for an operation on WebSocket and one on SSE', async () => {
    exporter.reset();
    const from = logs.text().length;
    assert.equal((await answerOf(ws(facade.adminKey), 'query OverWs { viewer { id } }')).errors, undefined);
    assert.equal((await answerOf(sse(facade.adminKey), 'query OverSse { viewer { id } }')).errors, undefined);
    assert.deepEqual((await answerOf(sse(readerKey), 'mutation RefusedSse { revokeApiKey(id: "000000000000") { id } }')).errors?.[0]?.extensions?.['code'], 'FORBIDDEN');
    const lines = requestLines(logs, from);
    assert.deepEqual(
      lines.map((line) => [line['transport'], line['operationType'], line['operationName'], line['outcome'], typeof line['keyId'], typeof line['requestId']]),
      [
        ['ws', 'query', 'OverWs', 'ok', 'string', 'string'],
        ['sse', 'query', 'OverSse', 'ok', 'string', 'string'],
        ['sse', 'mutation', 'RefusedSse', 'FORBIDDEN', 'string', 'string'],
      ],
    );
    const spans = exporter.getFinishedSpans().filter((span) => span.kind === SpanKind.SERVER);
    assert.deepEqual(
      spans.map((span) => [span.name, span.attributes['facade.transport'], span.attributes['facade.outcome']]),
      [
        ['query OverWs', 'ws', 'ok'],
        ['query OverSse', 'sse', 'ok'],
        ['mutation RefusedSse', 'sse', 'FORBIDDEN'],
      ],
    );
  });

  it('nests what a WebSocket operation sends upstream under its span', async () => {
    exporter.reset();
    assert.equal((await answerOf(ws(facade.adminKey), 'query NestedWs { alarms(deployment: "acme-west", first: 1) { edges { node { uuid } } } }')).errors, undefined);
    const spans = exporter.getFinishedSpans();
    const operation = spans.find((span) => span.kind === SpanKind.SERVER && span.name === 'query NestedWs');
    assert.ok(operation !== undefined);
    const attempts = spans.filter((span) => span.attributes['usm.deployment'] === 'acme-west');
    assert.ok(attempts.length >= 1, 'the page was read upstream');
    for (const attempt of attempts) assert.equal(attempt.parentSpanContext?.spanId, operation.spanContext().spanId);
  });
});
