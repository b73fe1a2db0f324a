/**
 * The one path every GraphQL operation takes, whatever carried it: HTTP (Apollo's
 * pipeline, through `httpPlugin()`), graphql-ws and graphql-sse (through `prepare`, then
 * `execute` or `subscribe`). The transports only translate what it answers into their
 * wire forms (`refusal.status.ts`).
 *
 * Contract, in the order an operation meets it:
 * 1. Parse and validate, with the query limits (`queryLimits`), once per document text
 *    (`VALID_DOCUMENTS_KEPT` of them; HTTP: Apollo's own document cache, same rules).
 * 2. Authenticate: the injected `context` factory (a `FacadeError` UNAUTHENTICATED refuses;
 *    HTTP: through `httpContext`, Apollo's context function).
 * 3. `admit`: the operation the document names (BAD_REQUEST when it has none of that
 *    name; a subscription over plain HTTP is BAD_REQUEST too; a subscription while the
 *    replica drains is refused with the error `drain` was given), the key's permissions and
 *    trusted documents (`authorizeOperation`: FORBIDDEN, PERSISTED_QUERY_NOT_ALLOWED),
 *    then its predicted upstream calls (`costOf`) against `maxOperationCost`
 *    (COST_LIMIT_EXCEEDED, nothing sent upstream), then the most objects its answer can
 *    hold (`resultNodesOf`) against `maxResultNodes` (RESULT_TOO_LARGE, nothing sent
 *    upstream). The estimate is passed to the upstream budget
 *    (`GraphContext.expectUpstreamCalls`), which admits the operation as a whole.
 *    Last, the key's budget in points (`budget`, `protection/key.budget.ts`) is charged
 *    the estimate + its base, or refuses with RATE_LIMITED (429) and `retryAfterSeconds`,
 *    nothing sent upstream; nothing is charged for an operation another rule refused.
 * 4. Execute or subscribe (a subscription through the shared `SubscriptionExecutor`, which
 *    holds the per-key limit).
 * 5. The charge is corrected to the actual calls + base (the rest refunded). The answer
 *    carries `extensions.cost { estimatedUpstreamCalls, actualUpstreamCalls, resultNodes,
 *    throttleStatus }` (a subscription's payloads: per poll and per payload, see the
 *    executor, and the key's bucket as it was set up; 0 for what a refusal left
 *    unestimated); every HTTP answer of a key with a budget carries the IETF draft's
 *    `RateLimit-Policy` and `RateLimit` headers. The operation is told
 *    to the `observer` (request log line, metrics, span, usage ledger) once, refused or
 *    not (`observability/operation.record.ts`).
 * A refusal at any step is a `FacadeError` made into a GraphQL error with its code; on
 * WebSocket and SSE it is the operation's only payload.
 */
import type http from 'node:http';
import type { ApolloServerPlugin } from '@apollo/server';
import { unwrapResolverError } from '@apollo/server/errors';
import {
  execute,
  getOperationAST,
  GraphQLError,
  Kind,
  parse,
  specifiedRules,
  validate,
  type DocumentNode,
  type ExecutionArgs,
  type ExecutionResult,
  type GraphQLSchema,
  type OperationDefinitionNode,
} from 'graphql';
import { FacadeError } from '../errors/facade.error.js';
import type { GraphContext } from '../graph/context.js';
import type { Logger } from '../log/logger.js';
import { recordOf, type OperationObserver, type OperationWatch, type Transport } from '../observability/operation.record.js';
import { rateLimitHeaders, type Charge, type KeyBudget, type ThrottleStatus } from '../protection/key.budget.js';
import type { QueryLimits } from '../protection/query.limits.js';
import { isUnexpected, requestErrorMessage } from './error.formatter.js';
import { acceptsJson, asPayloadError, toGraphQLError } from './refusal.status.js';
import { REQUEST_ID_HEADER, requestIdOf } from './request.id.js';
import type { SubscriptionExecutor } from './subscription.executor.js';

/** Where an operation came from, for the context factory (authentication, client address) and its record. */
export interface ContextSource {
  transport: Transport;
  headers: http.IncomingHttpHeaders;
  /** The graphql-ws `connection_init` payload, on WebSocket operations. */
  connectionParams?: Readonly<Record<string, unknown>>;
  /** The client's address as the transport read it through the trusted proxies (`client.address.ts`). */
  clientAddress: string | undefined;
}

/** An operation as WebSocket and SSE clients send it. */
export interface OperationPayload {
  query: string;
  operationName?: string | null;
  variables?: Record<string, unknown> | null;
}

/** What `prepare` answers: the operation to run, or why not (errors to send as its only payload). */
export type PreparedOperation = { args: ExecutionArgs } | { errors: readonly GraphQLError[] };

export type CostOf = (document: DocumentNode, operation: OperationDefinitionNode, variables: Record<string, unknown> | undefined) => number;

/** The most objects an operation's answer can hold (a subscription: per payload). */
export type ResultNodesOf = CostOf;

export interface OperationGateOptions {
  schema: GraphQLSchema;
  /** Authenticates the caller and builds the operation's context; throws `FacadeError` to refuse. */
  context: (source: ContextSource) => Promise<GraphContext>;
  /** Throws `FacadeError` (FORBIDDEN, PERSISTED_QUERY_NOT_ALLOWED) when the caller may not run `operation`. */
  authorizeOperation: (context: GraphContext, document: DocumentNode, operation: OperationDefinitionNode) => void;
  /** The upstream calls an operation is predicted to make (a subscription: per poll). */
  costOf: CostOf;
  /** `MAX_OPERATION_COST`. */
  maxOperationCost: number;
  /** Each key's budget in points, charged per operation. Default none: no budget. */
  budget?: KeyBudget;
  /** The most objects an operation's answer can hold (`protection/result.size.ts`). */
  resultNodesOf: ResultNodesOf;
  /** `MAX_RESULT_NODES`. */
  maxResultNodes: number;
  /** Parse options and validation rules that bound a document's shape. Default none. */
  queryLimits?: QueryLimits;
  /** `NODE_ENV=production`: messages hide schema hints (suggestions) and exact query limits. */
  production: boolean;
  /** Runs subscriptions (per-key limit, shared executions). */
  subscriptions: SubscriptionExecutor<ContextSource>;
  /** Told of every operation: the request log, metrics, traces, the usage ledger. */
  observer: OperationObserver;
  logger: Logger;
}

/** WebSocket and SSE documents kept parsed and validated, by their text. */
const VALID_DOCUMENTS_KEPT = 500;

export const GRAPHQL_PATH = '/graphql';
export const EVENT_STREAM_PATH = '/graphql/stream';

/** An operation of WebSocket or SSE between `prepare` and its answer. */
interface Admitted {
  watch: OperationWatch;
  startedAt: number;
  source: ContextSource;
  requestId: string;
  operation: OperationDefinitionNode;
  estimated: number;
  resultNodes: number;
}

/** What `admit` measured of an operation it let through. */
export interface Admission {
  /** Upstream calls predicted (a subscription: per poll). */
  estimated: number;
  /** Objects its answer can hold (a subscription: per payload). */
  resultNodes: number;
}

const elapsedMs = (startedAt: number) => Math.round((performance.now() - startedAt) * 100) / 100;

/**
 * An HTTP operation's source, carried on its context: Apollo hands the plugin hooks a
 * copy of the context (its own properties, this one among them), so a map keyed by the
 * object `httpContext` answered would not find it.
 */
const HTTP_SOURCE = Symbol('ContextSource');
type SourcedContext = GraphContext & { [HTTP_SOURCE]?: ContextSource };

export class OperationGate {
  readonly #options: OperationGateOptions;
  readonly #validationRules;
  readonly #validDocuments = new Map<string, DocumentNode>();
  readonly #admitted = new WeakMap<GraphContext, Admitted>();
  readonly #charges = new WeakMap<GraphContext, Charge>();
  /** Why new subscriptions are refused, once the replica drains. */
  #goingAway: FacadeError | undefined;

  constructor(options: OperationGateOptions) {
    this.#options = options;
    this.#validationRules = [...specifiedRules, ...(options.queryLimits?.validationRules ?? [])];
  }

  /** The replica drains: every new subscription, on every transport, is refused with `why` (queries still run). */
  drain(why: FacadeError): void {
    this.#goingAway = why;
  }

  /**
   * Step 3 for an authenticated operation: which operation runs, whether the key may run
   * it, what it will cost and how large its answer can be. Answers the estimates; throws a `FacadeError` to refuse.
   */
  async admit(
    context: GraphContext,
    document: DocumentNode,
    operation: OperationDefinitionNode | null | undefined,
    request: { operationName?: string | null; variables?: Record<string, unknown> | null; transport: Transport },
  ): Promise<Admission> {
    if (operation === null || operation === undefined) throw noSuchOperation(document, request.operationName);
    if (operation.operation === 'subscription' && request.transport === 'http') {
      throw new FacadeError(
        'BAD_REQUEST',
        `Subscriptions run over WebSocket (graphql-ws) on ${GRAPHQL_PATH} or Server-Sent Events (graphql-sse) on ${EVENT_STREAM_PATH}, not plain HTTP`,
      );
    }
    if (operation.operation === 'subscription' && this.#goingAway !== undefined) throw this.#goingAway;
    this.#options.authorizeOperation(context, document, operation);
    const estimated = this.#options.costOf(document, operation, request.variables ?? undefined);
    const { maxOperationCost } = this.#options;
    if (estimated > maxOperationCost) {
      throw new FacadeError(
        'COST_LIMIT_EXCEEDED',
        `This operation could make ${estimated} upstream calls${operation.operation === 'subscription' ? ' per poll' : ''}; ` +
          `the limit is ${maxOperationCost} (MAX_OPERATION_COST). Ask for fewer items (first/last), fewer deployments ` +
          'or fewer nested connections, or split it into several operations. Nothing was sent upstream.',
        { details: { estimatedUpstreamCalls: estimated, maxOperationCost } },
      );
    }
    const resultNodes = this.#options.resultNodesOf(document, operation, request.variables ?? undefined);
    const { maxResultNodes } = this.#options;
    if (resultNodes > maxResultNodes) {
      throw new FacadeError(
        'RESULT_TOO_LARGE',
        `This operation's answer could hold ${resultNodes} objects${operation.operation === 'subscription' ? ' per payload' : ''}; ` +
          `the limit is ${maxResultNodes} (MAX_RESULT_NODES). Ask for fewer items (smaller first/last), fewer aliases ` +
          'or fewer nested lists, or split it into several operations. Nothing was sent upstream.',
        { details: { resultNodes, maxResultNodes } },
      );
    }
    // A subscription's estimate is per poll, and its polls are the live hub's.
    if (operation.operation !== 'subscription') context.expectUpstreamCalls(estimated);
    if (this.#options.budget !== undefined) this.#charges.set(context, await this.#options.budget.charge(context.apiKey, estimated));
    return { estimated, resultNodes };
  }

  /** Steps 1 to 3 for a WebSocket or SSE operation. */
  async prepare(source: ContextSource, payload: OperationPayload): Promise<PreparedOperation> {
    const watch = this.#options.observer.begin(source.transport);
    const startedAt = performance.now();
    const requestId = requestIdOf(source.headers[REQUEST_ID_HEADER]);
    const refuse = (errors: readonly GraphQLError[], context?: GraphContext, operation?: OperationDefinitionNode | null) => {
      watch.end(
        recordOf({
          transport: source.transport,
          requestId,
          clientAddress: source.clientAddress,
          keyId: context?.apiKey.id,
          operationType: operation?.operation,
          operationName: payload.operationName ?? operation?.name?.value,
          errors,
          estimatedUpstreamCalls: undefined,
          upstreamCalls: 0,
          durationMs: elapsedMs(startedAt),
        }),
      );
      return { errors };
    };
    const document = this.#document(payload.query);
    if (!('kind' in document)) return refuse(document);
    const operation = getOperationAST(document, payload.operationName);
    let context: GraphContext | undefined;
    try {
      // Authenticated again per operation: a key revoked since the connection opened stops here.
      context = await this.#options.context(source);
      const { estimated, resultNodes } = await this.admit(context, document, operation, { ...payload, transport: source.transport });
      this.#admitted.set(context, { watch, startedAt, source, requestId, operation: operation!, estimated, resultNodes });
      return { args: { schema: this.#options.schema, document, operationName: payload.operationName, variableValues: payload.variables, contextValue: context } };
    } catch (error) {
      if (!(error instanceof FacadeError)) this.#options.logger.error({ err: error, transport: source.transport }, 'preparing an operation failed unexpectedly');
      return refuse([asPayloadError(toGraphQLError(error))], context, operation);
    }
  }

  /** A WebSocket or SSE operation refused before it reached the gate (its connection's key did not authenticate, a limit of the connection). */
  refuse(source: ContextSource, payload: OperationPayload, error: FacadeError): PreparedOperation {
    const errors = [asPayloadError(toGraphQLError(error))];
    this.#options.observer.begin(source.transport).end(
      recordOf({
        transport: source.transport,
        requestId: requestIdOf(source.headers[REQUEST_ID_HEADER]),
        clientAddress: source.clientAddress,
        keyId: undefined,
        operationType: undefined,
        operationName: payload.operationName,
        errors,
        estimatedUpstreamCalls: undefined,
        upstreamCalls: 0,
        durationMs: 0,
      }),
    );
    return { errors };
  }

  /** Step 4 and 5 for a query or mutation over WebSocket or SSE. */
  readonly execute = async (args: ExecutionArgs): Promise<ExecutionResult> => {
    const context = args.contextValue as GraphContext;
    const admitted = this.#admittedOf(context);
    let result: ExecutionResult;
    try {
      result = await admitted.watch.run(() => execute(args));
    } catch (error) {
      // graphql-js answers errors as results; a throw here is a bug, and still one line.
      this.#end(context, admitted, [toGraphQLError(error)]);
      await this.#settle(context);
      throw error;
    }
    this.#end(context, admitted, result.errors);
    const throttleStatus = await this.#settle(context);
    return { ...result, extensions: { ...result.extensions, cost: this.#cost(context, admitted.estimated, admitted.resultNodes, throttleStatus) } };
  };

  /** Step 4 and 5 for a subscription: ends its record once it is set up (or refused by the executor). */
  readonly subscribe = async (args: ExecutionArgs): Promise<AsyncIterableIterator<ExecutionResult> | ExecutionResult> => {
    const context = args.contextValue as GraphContext;
    const admitted = this.#admittedOf(context);
    // The key's bucket as the subscription was set up: its polls are the live hub's, not the key's.
    let throttleStatus: ThrottleStatus | undefined;
    const running = await admitted.watch.run(() =>
      this.#options.subscriptions.subscribe(args, {
        keyId: context.apiKey.id,
        permissions: context.apiKey.permissions,
        source: admitted.source,
        extensions: () => ({ cost: this.#cost(context, admitted.estimated, admitted.resultNodes, throttleStatus) }),
      }),
    );
    this.#end(context, admitted, Symbol.asyncIterator in running ? undefined : running.errors);
    throttleStatus = await this.#settle(context);
    return running;
  };

  /**
   * Step 2 for the HTTP transport, as Apollo's context function: authenticates through
   * `context`. A request refused here never starts in Apollo's pipeline: it is still an
   * operation, told to the observer with who asked, and the refusal is thrown on.
   */
  async httpContext(source: ContextSource): Promise<GraphContext> {
    let context: SourcedContext;
    try {
      context = await this.#options.context(source);
    } catch (error) {
      this.#options.observer.begin('http').end(
        recordOf({
          transport: 'http',
          requestId: requestIdOf(source.headers[REQUEST_ID_HEADER]),
          clientAddress: source.clientAddress,
          keyId: undefined,
          operationType: undefined,
          operationName: undefined,
          errors: [toGraphQLError(error)],
          estimatedUpstreamCalls: undefined,
          upstreamCalls: 0,
          durationMs: 0,
        }),
      );
      throw error;
    }
    context[HTTP_SOURCE] = source;
    return context;
  }

  /** The HTTP transport: steps 3 to 5 in Apollo's pipeline (which parses and validates with the same limits; `httpContext` authenticates). */
  httpPlugin(): ApolloServerPlugin<GraphContext> {
    const { observer, logger } = this.#options;
    const gate = this;
    return {
      async requestDidStart() {
        const watch = observer.begin('http');
        // Before this hook's first await: the rest of the request's pipeline runs under the watch.
        watch.enter();
        const startedAt = performance.now();
        let estimated = 0;
        let resultNodes = 0;
        let refusedBy: FacadeError | undefined;
        return {
          async didResolveOperation({ contextValue, document, operation, request }) {
            try {
              ({ estimated, resultNodes } = await gate.admit(contextValue, document, operation, { ...request, transport: 'http' }));
            } catch (error) {
              if (error instanceof FacadeError) refusedBy = error;
              if (error instanceof FacadeError && error.code === 'COST_LIMIT_EXCEEDED') estimated = error.details['estimatedUpstreamCalls'] as number;
              if (error instanceof FacadeError && error.code === 'RESULT_TOO_LARGE') resultNodes = error.details['resultNodes'] as number;
              throw toGraphQLError(error);
            }
          },
          async didEncounterErrors({ errors, request }) {
            for (const error of errors) {
              if (!isUnexpected(error)) continue;
              const requestId = request.http?.headers.get(REQUEST_ID_HEADER);
              logger.error({ err: unwrapResolverError(error), path: error.path, requestId }, 'unexpected error while resolving');
            }
          },
          async willSendResponse({ response, contextValue, request, operation, document, operationName }) {
            // Apollo's own refusals (parse, validation) and the gate's, under the JSON rules.
            const status = response.http.status;
            if (status !== undefined && status >= 400 && status < 500 && acceptsJson(request.http?.headers.get('accept'))) response.http.status = 200;
            if (response.body.kind !== 'single') return;
            const requestId = request.http?.headers.get(REQUEST_ID_HEADER);
            // A new result object: the response cache may hold the one it replaces.
            const result = response.body.singleResult;
            const errors = result.errors?.map((error) =>
              error.extensions?.['code'] === 'INTERNAL_SERVER_ERROR' ? { ...error, extensions: { ...error.extensions, requestId } } : error,
            );
            const throttleStatus = await gate.#settle(contextValue, refusedBy);
            if (throttleStatus !== undefined) {
              const retryAfter = refusedBy?.details['retryAfterSeconds'];
              for (const [name, value] of Object.entries(rateLimitHeaders(throttleStatus, typeof retryAfter === 'number' ? retryAfter : undefined))) {
                response.http.headers.set(name, value);
              }
            }
            const cost = gate.#cost(contextValue, estimated, resultNodes, throttleStatus);
            response.body.singleResult = { ...result, ...(errors === undefined ? {} : { errors }), extensions: { ...result.extensions, cost } };
            // A document that failed validation has no resolved operation, but still says which it is.
            const named = operation ?? (document === undefined ? undefined : getOperationAST(document, request.operationName));
            watch.end(
              recordOf({
                transport: 'http',
                requestId,
                clientAddress: (contextValue as SourcedContext)[HTTP_SOURCE]?.clientAddress,
                keyId: contextValue.apiKey?.id,
                operationType: named?.operation,
                operationName: operationName ?? named?.name?.value,
                errors,
                estimatedUpstreamCalls: cost.estimatedUpstreamCalls,
                upstreamCalls: cost.actualUpstreamCalls,
                durationMs: elapsedMs(startedAt),
              }),
            );
          },
        };
      },
    };
  }

  /** The document for `query`, parsed and validated once per text; or why it cannot run. */
  #document(query: string): DocumentNode | GraphQLError[] {
    const known = this.#validDocuments.get(query);
    if (known !== undefined) return known;
    let document: DocumentNode;
    try {
      document = parse(query, this.#options.queryLimits?.parseOptions);
    } catch (error) {
      const syntax = error instanceof GraphQLError ? error : new GraphQLError('The query does not parse');
      return [this.#requestError(syntax, 'GRAPHQL_PARSE_FAILED')];
    }
    const invalid = validate(this.#options.schema, document, this.#validationRules);
    if (invalid.length > 0) return invalid.map((error) => this.#requestError(error, 'GRAPHQL_VALIDATION_FAILED'));
    // Screens subscribe with the same few documents: parse and validate each once, and share its tree.
    if (this.#validDocuments.size >= VALID_DOCUMENTS_KEPT) this.#validDocuments.delete(this.#validDocuments.keys().next().value!);
    this.#validDocuments.set(query, document);
    return document;
  }

  /** A parse or validation error as this deployment shows it (no suggestions or limits in production). */
  #requestError(error: GraphQLError, code: string): GraphQLError {
    return new GraphQLError(requestErrorMessage(error.message, code, this.#options.production), {
      nodes: error.nodes,
      source: error.source,
      positions: error.positions,
      extensions: { code },
    });
  }

  #admittedOf(context: GraphContext): Admitted {
    const admitted = this.#admitted.get(context);
    if (admitted === undefined) throw new Error('the operation’s context was not made by OperationGate.prepare');
    return admitted;
  }

  #cost(context: GraphContext | undefined, estimated: number, resultNodes: number, throttleStatus: ThrottleStatus | undefined) {
    return {
      estimatedUpstreamCalls: estimated,
      actualUpstreamCalls: context?.upstreamCallsSent.count ?? 0,
      resultNodes,
      ...(throttleStatus === undefined ? {} : { throttleStatus }),
    };
  }

  /**
   * Corrects the operation's charge to its actual calls, and answers the key's bucket:
   * after the correction, as a budget refusal found it, or as it is (another refusal).
   * Undefined without a key or a budget.
   */
  async #settle(context: GraphContext | undefined, refusedBy?: FacadeError): Promise<ThrottleStatus | undefined> {
    const { budget } = this.#options;
    if (budget === undefined || context?.apiKey === undefined) return undefined;
    const charge = this.#charges.get(context);
    if (charge !== undefined) return charge.settle(context.upstreamCallsSent.count);
    const refused = refusedBy?.details['throttleStatus'];
    if (refused !== undefined) return refused as ThrottleStatus;
    return budget.statusOf(context.apiKey);
  }

  #end(context: GraphContext, admitted: Admitted, errors: ReadonlyArray<{ message: string; extensions?: Readonly<Record<string, unknown>> }> | undefined): void {
    admitted.watch.end(
      recordOf({
        transport: admitted.source.transport,
        requestId: admitted.requestId,
        clientAddress: admitted.source.clientAddress,
        keyId: context.apiKey.id,
        operationType: admitted.operation.operation,
        operationName: admitted.operation.name?.value,
        errors,
        estimatedUpstreamCalls: admitted.estimated,
        upstreamCalls: context.upstreamCallsSent.count,
        durationMs: elapsedMs(admitted.startedAt),
      }),
    );
  }
}

/** The operations a document holds, by name, for a message that says which to choose. */
function operationNames(document: DocumentNode): string {
  const names = document.definitions.flatMap((d) => (d.kind === Kind.OPERATION_DEFINITION ? [d.name?.value ?? '(anonymous)'] : []));
  return names.length === 0 ? 'none' : names.map((name) => (name === '(anonymous)' ? name : `"${name}"`)).join(', ');
}

/** Why no operation of `document` can run for `operationName`, as a BAD_REQUEST. */
function noSuchOperation(document: DocumentNode, operationName: string | null | undefined): FacadeError {
  const message =
    operationName === null || operationName === undefined
      ? `The document holds several operations (${operationNames(document)}): name the one to run in operationName`
      : `The document has no operation named "${operationName}"; it has: ${operationNames(document)}`;
  return new FacadeError('BAD_REQUEST', message, { details: { operationName: operationName ?? null } });
}
