/**
 * What one GraphQL operation was and how it ended, on any transport: what the request
 * log, the metrics, the traces and the usage ledger are told, once per operation, by the
 * operation gate (`server/operation.gate.ts`).
 *
 * Contract:
 * - An observer is told when an operation begins (`begin(transport)`, before it is
 *   authorized: a refusal is an operation too) and, through the watch it answers, when
 *   it ends (`end(record)`), exactly once. A query or mutation ends with its answer; a
 *   subscription ends when it is set up or refused (its payloads are the live hub's), so
 *   a line and a span stay short however long the dashboard watches.
 * - The execution runs inside the watch (`run`), or, where no function wraps it (Apollo's
 *   pipeline, whose async chain is the request's alone), after `enter()`: tracing makes
 *   the operation's span the parent of what the execution starts upstream.
 * - A record holds no document, no variables and no error message (any of them may carry
 *   a secret a client typed): who asked (client address, key id), the operation's type
 *   and name, the error codes, counts.
 * - Observers must not throw: an observer's fault is the facade's, not the caller's.
 */

export type Transport = 'http' | 'ws' | 'sse';

export interface OperationRecord {
  transport: Transport;
  /** The request's `x-request-id` (HTTP and SSE: the caller's, or the one the server made; WebSocket: the upgrade's). */
  requestId: string | undefined;
  /**
   * The client's address: the socket's peer, or, behind proxies trusted by
   * `TRUSTED_PROXIES`, the nearest address in `X-Forwarded-For` they do not vouch for
   * (`server/client.address.ts`); undefined when the socket had closed.
   */
  clientAddress: string | undefined;
  /** The id of the API key it authenticated with (never the key); undefined when it did not. */
  keyId: string | undefined;
  /** `query`, `mutation` or `subscription`; `unknown` when the document did not parse or name an operation. */
  operationType: string;
  /** The operation's name as the client gave it (at most 128 characters), or undefined when anonymous. */
  operationName: string | undefined;
  /** `ok`, or the first error's code (INTERNAL_SERVER_ERROR when it has none). */
  outcome: string;
  /** Every distinct error code, in the order the errors came; empty when there were none. */
  errorCodes: string[];
  /** Whether the document was refused by a query limit (tokens, depth, aliases, directives). */
  queryLimited: boolean;
  /** Upstream calls the cost estimator predicted (`extensions.cost.estimatedUpstreamCalls`); undefined when not estimated. */
  estimatedUpstreamCalls: number | undefined;
  /** Upstream requests the operation sent (`extensions.cost.actualUpstreamCalls`). */
  upstreamCalls: number;
  /** From the operation's start (authentication done, on HTTP) to its answer, in ms. */
  durationMs: number;
}

export interface OperationWatch {
  /** Runs the operation's execution under the watch (tracing: with its span active). */
  run<T>(execution: () => T): T;
  /** The same for the rest of the current async chain, where no function wraps the execution. */
  enter(): void;
  end(record: OperationRecord): void;
}

export interface OperationObserver {
  begin(transport: Transport): OperationWatch;
}

/** Every observer as one. */
export function observeAll(observers: readonly OperationObserver[]): OperationObserver {
  return {
    begin(transport) {
      const watches = observers.map((observer) => observer.begin(transport));
      return {
        run: (execution) => watches.reduceRight<() => ReturnType<typeof execution>>((inner, watch) => () => watch.run(inner), execution)(),
        enter: () => watches.forEach((watch) => watch.enter()),
        end: (record) => watches.forEach((watch) => watch.end(record)),
      };
    },
  };
}

/** A watch for observers that only want the record. */
export function recordOnly(end: (record: OperationRecord) => void): OperationObserver {
  return { begin: () => ({ run: (execution) => execution(), enter: () => {}, end }) };
}

const NAME_LENGTH = 128;

/** What the gate knows of a finished operation, made into its record. */
export function recordOf(operation: {
  transport: Transport;
  requestId: string | undefined;
  clientAddress: string | undefined;
  keyId: string | undefined;
  operationType: string | undefined;
  operationName: string | null | undefined;
  errors: ReadonlyArray<{ message: string; extensions?: Readonly<Record<string, unknown>> }> | undefined;
  estimatedUpstreamCalls: number | undefined;
  upstreamCalls: number;
  durationMs: number;
}): OperationRecord {
  const errors = operation.errors ?? [];
  const errorCodes = [...new Set(errors.map((error) => codeOf(error.extensions?.['code'])))];
  const name = operation.operationName;
  return {
    transport: operation.transport,
    requestId: operation.requestId,
    clientAddress: operation.clientAddress,
    keyId: operation.keyId,
    operationType: operation.operationType ?? 'unknown',
    operationName: name === undefined || name === null ? undefined : name.slice(0, NAME_LENGTH),
    outcome: errorCodes[0] ?? 'ok',
    errorCodes,
    queryLimited: errors.some(isQueryLimitRefusal),
    estimatedUpstreamCalls: operation.estimatedUpstreamCalls,
    upstreamCalls: operation.upstreamCalls,
    durationMs: operation.durationMs,
  };
}

/** An error's code, for a request refused before any operation ran too (context creation). */
export function codeOf(code: unknown): string {
  return typeof code === 'string' ? code : 'INTERNAL_SERVER_ERROR';
}

/** A parse or validation error that a query limit made (`protection/query.limits.ts`), told by its message. */
function isQueryLimitRefusal(error: { message: string; extensions?: Readonly<Record<string, unknown>> }): boolean {
  const code = error.extensions?.['code'];
  if (code !== 'GRAPHQL_VALIDATION_FAILED' && code !== 'GRAPHQL_PARSE_FAILED') return false;
  return /too deeply|too many|too long|depth limit|alias|directive|tokens/i.test(error.message);
}
