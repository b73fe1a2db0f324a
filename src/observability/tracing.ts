/**
 * Traces (OpenTelemetry): a span per GraphQL operation, on every transport, and, under it, a span
 * per upstream attempt (the token exchange included), with undici's HTTP client span
 * under that.
 *
 * Contract:
 * - Off unless made: `main.ts` makes one when `Config.tracing.enabled` (the `OTEL_*`
 *   variables, read by `config.ts`) or a test passes an exporter. The exporters read
 *   the remaining standard variables themselves (`OTEL_EXPORTER_OTLP_[TRACES_]ENDPOINT`,
 *   `_HEADERS`, `_TIMEOUT`, `_COMPRESSION`), as do the provider (`OTEL_TRACES_SAMPLER[_ARG]`,
 *   `OTEL_SPAN_*_LIMIT`), the batch processor (`OTEL_BSP_*`) and the resource
 *   (`OTEL_RESOURCE_ATTRIBUTES`).
 * - Each instance has a TracerProvider of its own, never the global one, so facades in
 *   one process (tests) do not see each other's spans; `shutdown()` flushes and closes
 *   its exporters, which otherwise keep the process alive.
 * - Not `@opentelemetry/sdk-node`: it registers process-wide providers and is meant to
 *   start before the application loads. graphql is loaded before anything could patch it
 *   anyway, so the spans are explicit: `operations` (an OperationObserver) for the operation, `upstream` (an
 *   UpstreamObserver) for each attempt. undici's instrumentation needs no patching (it
 *   listens on diagnostics_channel); it records only requests under this instance's
 *   attempt spans, and records no header.
 * - The active span crosses awaits through an AsyncLocalStorage context manager, one per
 *   process, installed while some instance is running and removed when the last one shuts
 *   down: its promise hooks cost ~0.1 ms on a 50-alarm page, which a facade without
 *   tracing does not pay. The operation span is the active one while the operation
 *   executes (attached to the request's async chain when Apollo's pipeline starts, which
 *   belongs to that request alone; around the execution on WebSocket and SSE), so what
 *   its resolvers start upstream nests under it.
 * - No attribute holds a token, a secret, a document, variables, an error message or a
 *   query string of our own making (undici's span has the URL the facade sent: ids and
 *   filters, never a credential, which travel in headers). Attributes:
 *   operation: `graphql.operation.type`, `graphql.operation.name`, `facade.transport`, `facade.request_id`,
 *   `facade.api_key_id`, `facade.outcome`, `facade.error_codes`,
 *   `facade.cost.estimated_upstream_calls`, `facade.cost.upstream_calls`;
 *   attempt: `usm.deployment`, `usm.endpoint` (the path's template), `http.request.method`,
 *   `usm.attempt`, `usm.budget_wait_ms`, `usm.work_class`, `http.response.status_code`,
 *   `error.type` (the error's code) when no answer came.
 */
import { context, SpanKind, SpanStatusCode, trace, type Span } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { OTLPTraceExporter as OtlpJsonExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { OTLPTraceExporter as OtlpProtobufExporter } from '@opentelemetry/exporter-trace-otlp-proto';
import { UndiciInstrumentation } from '@opentelemetry/instrumentation-undici';
import { detectResources, envDetector, resourceFromAttributes } from '@opentelemetry/resources';
import {
  BasicTracerProvider,
  BatchSpanProcessor,
  ConsoleSpanExporter,
  SimpleSpanProcessor,
  type SpanExporter,
  type SpanProcessor,
} from '@opentelemetry/sdk-trace-base';
import type { OperationObserver } from './operation.record.js';
import type { ObservedAttempt } from './observed.attempt.js';
import { DEFAULT_SERVICE_NAME } from './observability.settings.js';

export interface TracingOptions {
  /** `OTEL_SERVICE_NAME`; default that setting's. `OTEL_RESOURCE_ATTRIBUTES` may add more. */
  serviceName?: string;
  /** `OTEL_TRACES_EXPORTER`: where spans go, batched; default `['otlp']`. Unused with `exporter`. */
  exporters?: ReadonlyArray<'otlp' | 'console'>;
  /** The OTLP protocol; default `http/protobuf`. */
  protocol?: 'http/protobuf' | 'http/json';
  /** Each span as it ends goes here instead (tests: an `InMemorySpanExporter`). Default none. */
  exporter?: SpanExporter;
}

const TRACER_NAME = 'usm-graphql-facade';

/** The process's one context manager, shared by the instances running. */
let shared: { manager: AsyncLocalStorageContextManager; registered: boolean; users: number } | undefined;

function acquireContextManager(): AsyncLocalStorageContextManager {
  if (shared === undefined) {
    const manager = new AsyncLocalStorageContextManager().enable();
    // Another SDK may own the global one: this facade's spans still nest (they use this
    // manager directly); undici's then find no parent and are not made.
    shared = { manager, registered: context.setGlobalContextManager(manager), users: 0 };
  }
  shared.users += 1;
  return shared.manager;
}

function releaseContextManager(): void {
  if (shared === undefined || --shared.users > 0) return;
  if (shared.registered) context.disable();
  else shared.manager.disable();
  shared = undefined;
}

function processorsOf(options: TracingOptions): SpanProcessor[] {
  if (options.exporter !== undefined) return [new SimpleSpanProcessor(options.exporter)];
  return (options.exporters ?? ['otlp']).map((name) => {
    switch (name) {
      case 'otlp':
        return new BatchSpanProcessor(options.protocol === 'http/json' ? new OtlpJsonExporter() : new OtlpProtobufExporter());
      case 'console':
        return new BatchSpanProcessor(new ConsoleSpanExporter());
      default:
        return unknownExporter(name);
    }
  });
}

function unknownExporter(name: never): never {
  throw new Error(`tracing: unknown exporter ${String(name)}; use otlp or console`);
}

/** The error's code, or its class name: never its message. */
function errorTypeOf(error: unknown): string {
  const code = (error as { code?: unknown } | null)?.code;
  if (typeof code === 'string') return code;
  return error instanceof Error ? error.name : 'Error';
}

export class FacadeTracing {
  readonly #provider: BasicTracerProvider;
  readonly #tracer;
  readonly #manager = acquireContextManager();
  readonly #undici: UndiciInstrumentation;
  /** The attempt spans now open, so undici's instrumentation records only requests under them. */
  readonly #attempts = new WeakSet<Span>();
  #stopped = false;

  constructor(options: TracingOptions = {}) {
    const detected = detectResources({ detectors: [envDetector] });
    this.#provider = new BasicTracerProvider({
      resource: resourceFromAttributes({ 'service.name': options.serviceName ?? DEFAULT_SERVICE_NAME }).merge(detected),
      spanProcessors: processorsOf(options),
    });
    this.#tracer = this.#provider.getTracer(TRACER_NAME);
    // Enabled as it is made (it only listens), and given this provider before any request can start.
    this.#undici = new UndiciInstrumentation({
      requireParentforSpans: true,
      ignoreRequestHook: () => {
        const parent = trace.getSpan(context.active());
        return parent === undefined || !this.#attempts.has(parent);
      },
    });
    this.#undici.setTracerProvider(this.#provider);
  }

  /** Wraps every attempt of every upstream client in a span; give it to the upstream registry. */
  readonly upstream = {
    send: <T extends { status: number }>(attempt: ObservedAttempt, send: () => Promise<T>): Promise<T> => {
      const parent = this.#manager.active();
      const span = this.#tracer.startSpan(
        `${attempt.method} ${attempt.endpoint}`,
        {
          kind: SpanKind.INTERNAL,
          attributes: {
            'usm.deployment': attempt.deployment,
            'usm.endpoint': attempt.endpoint,
            'http.request.method': attempt.method,
            'usm.attempt': attempt.attempt,
            'usm.budget_wait_ms': attempt.budgetWaitMs,
            'usm.work_class': attempt.workClass,
          },
        },
        parent,
      );
      this.#attempts.add(span);
      return this.#manager.with(trace.setSpan(parent, span), async () => {
        try {
          const answer = await send();
          span.setAttribute('http.response.status_code', answer.status);
          if (answer.status >= 500 || answer.status === 429) span.setStatus({ code: SpanStatusCode.ERROR, message: String(answer.status) });
          return answer;
        } catch (error) {
          const type = errorTypeOf(error);
          span.setAttribute('error.type', type);
          span.setStatus({ code: SpanStatusCode.ERROR, message: type });
          throw error;
        } finally {
          this.#attempts.delete(span);
          span.end();
        }
      });
    },
  };

  /** A span per GraphQL operation, on every transport (the operation gate tells it). */
  readonly operations: OperationObserver = {
    begin: () => {
      const parent = this.#manager.active();
      const span = this.#tracer.startSpan('GraphQL operation', { kind: SpanKind.SERVER }, parent);
      const active = trace.setSpan(parent, span);
      let attached: { dispose(): void } | undefined;
      return {
        run: (execution) => this.#manager.with(active, execution),
        enter: () => {
          attached ??= this.#manager.attach(active);
        },
        end: (record) => {
          span.updateName(record.operationName === undefined ? record.operationType : `${record.operationType} ${record.operationName}`);
          span.setAttributes({
            'graphql.operation.type': record.operationType,
            ...(record.operationName === undefined ? {} : { 'graphql.operation.name': record.operationName }),
            'facade.transport': record.transport,
            // The semantic conventions' name: the client behind the trusted proxies (TRUSTED_PROXIES).
            ...(record.clientAddress === undefined ? {} : { 'client.address': record.clientAddress }),
            ...(record.requestId === undefined ? {} : { 'facade.request_id': record.requestId }),
            ...(record.keyId === undefined ? {} : { 'facade.api_key_id': record.keyId }),
            'facade.outcome': record.outcome,
            ...(record.errorCodes.length === 0 ? {} : { 'facade.error_codes': record.errorCodes }),
            ...(record.estimatedUpstreamCalls === undefined ? {} : { 'facade.cost.estimated_upstream_calls': record.estimatedUpstreamCalls }),
            'facade.cost.upstream_calls': record.upstreamCalls,
          });
          if (record.outcome !== 'ok') span.setStatus({ code: SpanStatusCode.ERROR, message: record.outcome });
          span.end();
          attached?.dispose();
        },
      };
    },
  };

  /** Ends the undici listener, sends the spans still buffered, and closes the exporters. */
  async shutdown(): Promise<void> {
    if (this.#stopped) return;
    this.#stopped = true;
    this.#undici.disable();
    try {
      await this.#provider.shutdown();
    } finally {
      releaseContextManager();
    }
  }
}
