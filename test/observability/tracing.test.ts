import { after, before, beforeEach, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { SpanKind } from '@opentelemetry/api';
import { InMemorySpanExporter, type ReadableSpan } from '@opentelemetry/sdk-trace-base';
import { loadConfig } from '../../src/config/config.js';
import { startTestFacade, type TestFacade } from '../support/facade.fixture.js';
import { ACCESS_TOKEN, findSecrets, knownSecrets, sampleAccessToken } from './secrets.fixture.js';

interface LoggedRequest {
  target: string;
  method: string;
  path: string;
  status: number | string | null;
}

const PAGE = 'query Page($deployment: String!) { alarms(deployment: $deployment, first: 2) { edges { node { uuid } } } }';

const operationSpans = (spans: ReadableSpan[]) => spans.filter((span) => span.kind === SpanKind.SERVER);
const attemptSpans = (spans: ReadableSpan[]) => spans.filter((span) => span.attributes['usm.deployment'] !== undefined);
const parentOf = (span: ReadableSpan) => span.parentSpanContext?.spanId;

describe('traces', () => {
  const exporter = new InMemorySpanExporter();
  let facade: TestFacade;
  const mark = async () => ((await (await fetch(`${facade.simulatorUrl}/__sim/requests?limit=0`)).json()) as { next: number }).next;
  const requestsSince = async (after: number) =>
    ((await (await fetch(`${facade.simulatorUrl}/__sim/requests?after=${after - 1}`)).json()) as { requests: LoggedRequest[] }).requests;
  const setFault = (body: Record<string, unknown>) =>
    fetch(`${facade.simulatorUrl}/__sim/faults`, { method: body.deployment === undefined ? 'DELETE' : 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });

  before(async () => {
    facade = await startTestFacade(
      // No page cache, and retries at once, so each request goes upstream and a retry needs no wait.
      { CACHE_PAGE_TTL_MS: '0', UPSTREAM_RETRY_MAX_ATTEMPTS: '3', UPSTREAM_RETRY_BASE_DELAY_MS: '0' },
      { facade: { tracing: { exporter } } },
    );
  });
  after(async () => {
    await setFault({});
    await facade.stop();
  });
  beforeEach(() => exporter.reset());

  it('makes one operation span per request and, under it, one span per upstream call with its attributes', async () => {
    const from = await mark();
    const { body } = await facade.gql(PAGE, { deployment: 'acme-east' }, { 'x-request-id': 'trace-test-1' });
    assert.equal(body.errors, undefined);
    const sent = await requestsSince(from);
    const spans = exporter.getFinishedSpans();

    const [operation, ...others] = operationSpans(spans);
    assert.equal(others.length, 0);
    assert.equal(operation!.name, 'query Page');
    assert.equal(parentOf(operation!), undefined);
    const cost = body.extensions?.['cost'] as { estimatedUpstreamCalls: number; actualUpstreamCalls: number };
    assert.deepEqual(
      { ...operation!.attributes, 'facade.api_key_id': typeof operation!.attributes['facade.api_key_id'] },
      {
        'graphql.operation.type': 'query',
        'graphql.operation.name': 'Page',
        'facade.transport': 'http',
        'client.address': '127.0.0.1',
        'facade.request_id': 'trace-test-1',
        'facade.api_key_id': 'string',
        'facade.outcome': 'ok',
        'facade.cost.estimated_upstream_calls': cost.estimatedUpstreamCalls,
        'facade.cost.upstream_calls': cost.actualUpstreamCalls,
      },
    );

    // The cold start asks for a token, then lists the page: each request the simulator got is one span.
    const attempts = attemptSpans(spans);
    assert.deepEqual(
      attempts.map((span) => [span.attributes['http.request.method'], span.attributes['usm.endpoint']]).sort(),
      sent.map((request) => [request.method, request.path]).sort(),
    );
    assert.ok(attempts.some((span) => span.attributes['usm.endpoint'] === '/oauth/token'));
    for (const span of attempts) {
      assert.equal(span.spanContext().traceId, operation!.spanContext().traceId);
      assert.equal(parentOf(span), operation!.spanContext().spanId);
      assert.equal(span.name, `${span.attributes['http.request.method']} ${span.attributes['usm.endpoint']}`);
      assert.deepEqual(Object.keys(span.attributes).sort(), [
        'http.request.method',
        'http.response.status_code',
        'usm.attempt',
        'usm.budget_wait_ms',
        'usm.deployment',
        'usm.endpoint',
        'usm.work_class',
      ]);
      assert.equal(span.attributes['usm.deployment'], 'acme-east');
      assert.equal(span.attributes['usm.attempt'], 1);
      assert.equal(span.attributes['http.response.status_code'], 200);
      assert.equal(span.attributes['usm.work_class'], 'INTERACTIVE');
      assert.equal(typeof span.attributes['usm.budget_wait_ms'], 'number');
    }
    // undici's HTTP client span, one under each attempt.
    const clients = spans.filter((span) => span.kind === SpanKind.CLIENT);
    assert.deepEqual(clients.map(parentOf).sort(), attempts.map((span) => span.spanContext().spanId).sort());
  });

  it('keeps concurrent requests apart: each upstream span is under its own request’s operation', async () => {
    const deployments = ['acme-east', 'acme-west', 'acme-lab'];
    await Promise.all(deployments.map((deployment) => facade.gql(PAGE, { deployment }, { 'x-request-id': `concurrent-${deployment}` })));
    const spans = exporter.getFinishedSpans();
    const operations = operationSpans(spans);
    assert.deepEqual(operations.map((span) => span.attributes['facade.request_id']).sort(), deployments.map((d) => `concurrent-${d}`).sort());
    for (const operation of operations) {
      const deployment = String(operation.attributes['facade.request_id']).replace('concurrent-', '');
      const under = attemptSpans(spans).filter((span) => parentOf(span) === operation.spanContext().spanId);
      assert.ok(under.length > 0, `no upstream span under ${deployment}'s operation`);
      assert.deepEqual([...new Set(under.map((span) => span.attributes['usm.deployment']))], [deployment]);
    }
    assert.equal(attemptSpans(spans).filter((span) => !operations.some((o) => o.spanContext().spanId === parentOf(span))).length, 0);
  });

  it('numbers the attempts of a retried call and marks those that failed', async () => {
    await setFault({ deployment: 'acme-east', errorStatus: 503 });
    const { body } = await facade.gql(PAGE, { deployment: 'acme-east' });
    await setFault({});
    assert.equal(body.errors?.[0]?.extensions?.['code'], 'UPSTREAM_UNAVAILABLE');
    const spans = exporter.getFinishedSpans();
    const [operation] = operationSpans(spans);
    assert.equal(operation!.attributes['facade.outcome'], 'UPSTREAM_UNAVAILABLE');
    assert.equal(operation!.status.message, 'UPSTREAM_UNAVAILABLE');
    const listed = attemptSpans(spans).filter((span) => span.attributes['usm.endpoint'] === '/alarms');
    assert.deepEqual(
      listed.map((span) => [span.attributes['usm.attempt'], span.attributes['http.response.status_code'], span.status.message]),
      [
        [1, 503, '503'],
        [2, 503, '503'],
        [3, 503, '503'],
      ],
    );
  });

  it('puts no token, secret or key in any span', async () => {
    const token = await sampleAccessToken(facade, 'acme-east');
    assert.match(token, ACCESS_TOKEN);
    await facade.gql(PAGE, { deployment: 'acme-east' });
    await facade.gql('{ upstreamCredentials { deployment clientId } }');
    await facade.gql(PAGE, { deployment: 'acme-east' }, { authorization: 'Bearer usmf_not_a_real_key' });
    const spans = exporter.getFinishedSpans();
    assert.ok(spans.length > 0);
    const check = knownSecrets(facade);
    check.literals.set('the sampled token', token);
    for (const span of spans) {
      const names = Object.keys(span.attributes).filter((name) => /authori[sz]ation|token|secret|password|cookie/i.test(name));
      assert.deepEqual(names, [], `${span.name} has attributes named like a credential`);
      const text = JSON.stringify({ name: span.name, attributes: span.attributes, status: span.status, events: span.events, resource: span.resource.attributes });
      assert.deepEqual(findSecrets(text, check), [], `${span.name}: ${text}`);
    }
  });
});

describe('tracing configuration', () => {
  it('is off by default and on with an OTLP endpoint or a named exporter', () => {
    const off = loadConfig({}).tracing;
    assert.deepEqual(off, { enabled: false, exporters: [], protocol: 'http/protobuf', serviceName: 'usm-graphql-facade' });
    assert.deepEqual(loadConfig({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318' }).tracing, {
      enabled: true,
      exporters: ['otlp'],
      protocol: 'http/protobuf',
      serviceName: 'usm-graphql-facade',
    });
    assert.deepEqual(
      loadConfig({ OTEL_TRACES_EXPORTER: 'console, otlp', OTEL_EXPORTER_OTLP_TRACES_PROTOCOL: 'http/json', OTEL_SERVICE_NAME: 'facade-eu' }).tracing,
      { enabled: true, exporters: ['console', 'otlp'], protocol: 'http/json', serviceName: 'facade-eu' },
    );
    assert.equal(loadConfig({ OTEL_TRACES_EXPORTER: 'none', OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318' }).tracing.enabled, false);
    assert.equal(loadConfig({ OTEL_SDK_DISABLED: 'true', OTEL_TRACES_EXPORTER: 'otlp' }).tracing.enabled, false);
  });

  it('refuses an exporter or a protocol it does not have, saying what it has', () => {
    assert.throws(
      () => loadConfig({ OTEL_TRACES_EXPORTER: 'zipkin', OTEL_EXPORTER_OTLP_PROTOCOL: 'grpc', OTEL_EXPORTER_OTLP_ENDPOINT: 'collector:4318' }),
      (error: Error) => {
        assert.match(error.message, /OTEL_TRACES_EXPORTER: must be a comma-separated list of otlp, console, none/);
        assert.match(error.message, /OTEL_EXPORTER_OTLP_PROTOCOL: must be http\/protobuf or http\/json \(grpc is not supported/);
        assert.match(error.message, /OTEL_EXPORTER_OTLP_ENDPOINT: must be an http:\/\/ or https:\/\/ URL/);
        return true;
      },
    );
  });
});
