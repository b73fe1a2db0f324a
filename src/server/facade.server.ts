/**
 * The facade's HTTP and WebSocket front: express 5 + Apollo Server 5 on one
 * `http.Server`, with graphql-ws on the same `/graphql` path and GraphQL over
 * Server-Sent Events (graphql-sse) on `/graphql/stream`.
 *
 * Contract:
 * - `startFacadeServer` resolves once the port is listening; `stop()` stops accepting
 *   connections, lets in-flight operations finish (Apollo's drain plugin), closes
 *   WebSocket clients and resolves when all is closed. `/healthz` answers 200 while
 *   serving and 503 while draining (the process is alive); `/readyz` answers what
 *   `readiness` reports, 503 when not ready or draining. Neither needs a key.
 * - Every GraphQL operation, on any transport, first gets its context from the
 *   injected `context` factory (which authenticates: a `FacadeError` UNAUTHENTICATED
 *   refuses it), then passes `authorizeOperation` (FORBIDDEN) before anything executes.
 * - Refusals travel so that a federation router in front passes their code on:
 *   - HTTP: `refusal.status.ts` (200 with `errors` for a caller that accepts
 *     application/json, as every router does; the 4xx for one that asks for
 *     application/graphql-response+json alone);
 *   - WebSocket and SSE: a refused operation is answered by one payload whose `errors`
 *     carry `extensions.code`, then `complete` (never a graphql-ws `error` message or an
 *     HTTP error status, which routers turn into a message-less error);
 *   - a WebSocket whose `connection_init` does not authenticate is acknowledged, each of
 *     its operations answered UNAUTHENTICATED without authenticating again (one failed
 *     login, however many subscriptions a router multiplexes onto it), and it is closed
 *     with 4401 after a second idle: a close code graphql-ws clients do not retry.
 * - Before anything executes, a document passes the query limits (`queryLimits`: tokens
 *   while parsing, depth, aliases and directives while validating) and its predicted
 *   upstream calls (`costOf`) must not pass `maxOperationCost`: past it the operation is
 *   refused with COST_LIMIT_EXCEEDED (a subscription at subscribe time) and nothing is
 *   sent upstream. Every answer, on every transport, carries `extensions.cost {
 *   estimatedUpstreamCalls, actualUpstreamCalls }` (actual: what the operation's context
 *   counted in `upstreamCallsSent`; a subscription's shared polls are the facade's, so
 *   its payloads give the estimate per poll and the calls made for this subscriber alone).
 * - A request that is not a GraphQL request (malformed or empty JSON, another content
 *   type, a body over `bodyLimit`, an `operationName` the document does not have) gets a
 *   4xx with a GraphQL-shaped JSON error (`BAD_REQUEST`), never a 5xx. Every HTTP answer
 *   has an `x-request-id` (the caller's, or a new one), which an unexpected error's
 *   `extensions.requestId` and its log line repeat.
 * - Subscriptions on WebSocket and SSE run through one `SubscriptionExecutor`: at most
 *   `maxSubscriptionsPerKey` per key (counted by `subscriptionSlots` on every replica);
 *   past it, that operation is refused with LIMIT_EXCEEDED and nothing else is disturbed.
 *   A WebSocket carries one key, and a router multiplexes every subscription of a key
 *   onto one: no limit counts per connection beyond the key's own (which also holds a
 *   connection when the count across replicas cannot be reached).
 * - `closeConnectionsOf(keyId)` ends that key's subscriptions (each with a last error
 *   payload saying why) and then closes its WebSocket connections (4401);
 *   `reauthenticateConnectionsOf(keyId)` does the same for those whose `connection_init`
 *   or headers no longer authenticate (their secret was reset or its grace period was
 *   cut short), so no subscription keeps streaming to a secret that stopped working.
 * - The server knows nothing of USM or of how keys work.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import express from 'express';
import { ApolloServer, type ApolloServerPlugin } from '@apollo/server';
import { ApolloServerPluginCacheControlDisabled } from '@apollo/server/plugin/disabled';
import { ApolloServerPluginDrainHttpServer } from '@apollo/server/plugin/drainHttpServer';
import { ApolloServerPluginLandingPageDisabled } from '@apollo/server/plugin/disabled';
import { expressMiddleware } from '@as-integrations/express5';
import { WebSocket, WebSocketServer } from 'ws';
import { useServer } from 'graphql-ws/use/ws';
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
  type FormattedExecutionResult,
  type GraphQLSchema,
  type OperationDefinitionNode,
} from 'graphql';
import { FacadeError } from '../errors/facade.error.js';
import { answerJsonWhenAccepted, acceptsJson, refusalStatus } from './refusal.status.js';
import { jitGateway } from './jit.executor.js';
import type { GraphContext } from '../graph/context.js';
import type { Logger } from '../log/logger.js';
import { unwrapResolverError } from '@apollo/server/errors';
import { createErrorFormatter, isUnexpected, requestErrorMessage } from './error.formatter.js';
import { REQUEST_ID_HEADER, withRequestId } from './request.id.js';
import type { QueryLimits } from '../protection/query.limits.js';
import type { PersistedQueryCache } from '../protection/trusted.documents.js';
import { mountPlayground } from './playground.js';
import { SubscriptionExecutor } from './subscription.executor.js';
import { createMemorySlots, type SubscriptionSlots } from '../live/subscription.slots.js';
import { eventStreamHandler, type PreparedOperation } from './event-stream.handler.js';

/** Where an operation came from, for the context factory (authentication, client address). */
export interface ContextSource {
  transport: 'http' | 'ws' | 'sse';
  headers: http.IncomingHttpHeaders;
  /** The graphql-ws `connection_init` payload, on WebSocket operations. */
  connectionParams?: Readonly<Record<string, unknown>>;
  remoteAddress: string | undefined;
}

export interface FacadeServerOptions {
  schema: GraphQLSchema;
  /** The schema's SDL as the supergraph sees it (`buildFacadeSchema().sdl`). */
  sdl: string;
  /** Authenticates the caller and builds the operation's context; throws `FacadeError` to refuse. */
  context: (source: ContextSource) => Promise<GraphContext>;
  /** Throws `FacadeError` FORBIDDEN when the caller may not run `operation`. */
  authorizeOperation: (context: GraphContext, document: DocumentNode, operation: OperationDefinitionNode) => void;
  logger: Logger;
  /** Default 4000; 0 picks a free port. */
  port?: number;
  /** Default `0.0.0.0`. */
  host?: string;
  /** Largest accepted JSON body; default `1mb`. */
  bodyLimit?: string;
  /** Writes each answer's JSON (e.g. the response cache's, which reuses it). Default: Apollo's. */
  stringifyResult?: (result: FormattedExecutionResult) => string;
  /** More Apollo plugins, run after authorization (e.g. the response cache). Default none. */
  plugins?: ApolloServerPlugin<GraphContext>[];
  /** `LIVE_MAX_SUBSCRIPTIONS_PER_KEY`; default 100. */
  maxSubscriptionsPerKey?: number;
  /** Where subscriptions per key are counted; default this process only. */
  subscriptionSlots?: SubscriptionSlots;
  /** Parse options and validation rules that bound a document's shape (`protection/query.limits.ts`). Default none. */
  queryLimits?: QueryLimits;
  /** `NODE_ENV=production`: messages hide schema hints (suggestions) and exact query limits. Default false. */
  production?: boolean;
  /** The upstream calls an operation is predicted to make (a subscription: per poll). Default: 0 for every operation. */
  costOf?: (document: DocumentNode, operation: OperationDefinitionNode, variables: Record<string, unknown> | undefined) => number;
  /** `MAX_OPERATION_COST`; default 100. */
  maxOperationCost?: number;
  /** Whether this replica can serve, and the checks that say so (JSON, never a secret). Default: always ready. */
  readiness?: () => Promise<Readiness>;
  /** Apollo's automatic persisted queries cache (the trusted documents by hash, then what clients register). Default Apollo's own. */
  persistedQueries?: PersistedQueryCache;
}

export interface Readiness {
  ready: boolean;
  checks: Record<string, unknown>;
}

export interface RunningFacadeServer {
  /** e.g. `http://127.0.0.1:4000/graphql` */
  url: string;
  port: number;
  /** Open graphql-ws connections, by whether their key authenticated. */
  webSockets(): { authenticated: number; unauthenticated: number };
  /** Closes every WebSocket connection that authenticated with this key. */
  closeConnectionsOf(keyId: string): void;
  /** Authenticates this key's WebSocket connections again and closes those refused; resolves when done. */
  reauthenticateConnectionsOf(keyId: string): Promise<void>;
  stop(): Promise<void>;
}

export const GRAPHQL_PATH = '/graphql';
export const EVENT_STREAM_PATH = '/graphql/stream';
/** WebSocket and SSE documents kept parsed and validated, by their text. */
const VALID_DOCUMENTS_KEPT = 500;
/**
 * graphql-ws close code for a connection whose key does not authenticate: 4401
 * (Unauthorized), which graphql-ws clients, routers' among them, do not retry.
 */
const WS_UNAUTHORIZED = 4401;
/** What a refused WebSocket operation is executed as: its answer is the refusal (see `refusals`). */
const REFUSED_DOCUMENT = parse('query Refused { __typename }');
/** How long a connection that did not authenticate stays open, idle, to answer what a router multiplexes onto it. */
const UNAUTHENTICATED_LINGER_MS = 1_000;
/** How often a connection to close is checked for operations still running. */
const IDLE_CHECK_MS = 50;

/**
 * A refusal as GraphQL sends it: the facade's code, and the HTTP status for its
 * transport (`jsonRules`: the caller accepts application/json, see `refusal.status.ts`).
 */
function toGraphQLError(error: unknown, jsonRules = false): GraphQLError {
  if (error instanceof FacadeError) {
    const extensions = error.toExtensions();
    const retryAfter = error.details['retryAfterSeconds'];
    return new GraphQLError(error.message, {
      // Kept so the error formatter answers the FacadeError's details (the permission, the retry hint).
      originalError: error,
      extensions: {
        ...extensions,
        http: {
          status: refusalStatus(error.code, jsonRules),
          ...(typeof retryAfter === 'number' ? { headers: new Map([['retry-after', String(retryAfter)]]) } : {}),
        },
      },
    });
  }
  if (error instanceof GraphQLError) return error;
  // The caller sees a generic error; the original goes along for the error formatter to log.
  return new GraphQLError('Internal server error', {
    originalError: error instanceof Error ? error : undefined,
    extensions: { code: 'INTERNAL_SERVER_ERROR' },
  });
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

/** A JSON body the GraphQL-over-HTTP way, for requests refused before GraphQL sees them. */
function sendRequestError(res: express.Response, status: number, message: string): void {
  res.status(status).type('application/json').send(JSON.stringify({ errors: [{ message, extensions: { code: 'BAD_REQUEST' } }] }));
}

/** body-parser's failures (bad JSON, too large, unsupported encoding) as GraphQL request errors. */
function bodyErrors(bodyLimit: string): express.ErrorRequestHandler {
  return (error: { type?: string; status?: number }, _req, res, next) => {
    if (res.headersSent) return next(error);
    switch (error.type) {
      case 'entity.parse.failed':
        return sendRequestError(res, 400, 'The body is not valid JSON: send {"query": "…", "variables": {…}, "operationName": "…"}');
      case 'entity.too.large':
        return sendRequestError(res, 413, `The body is larger than ${bodyLimit}: send a shorter query, or the variables in several requests`);
      case 'encoding.unsupported':
      case 'charset.unsupported':
        return sendRequestError(res, 415, 'The body must be JSON in UTF-8, uncompressed or gzip/deflate/br');
      default:
        return sendRequestError(res, error.status !== undefined && error.status < 500 ? error.status : 400, 'The request body could not be read');
    }
  };
}

/** Refuses a POST whose body is not JSON, before body-parser skips it and Apollo answers in plain text. */
function jsonBodyOnly(req: express.Request, res: express.Response, next: express.NextFunction): void {
  if (req.method !== 'POST') return next();
  const type = req.headers['content-type'];
  if (type === undefined || !/^application\/json\s*(;|$)/i.test(type)) {
    return sendRequestError(
      res,
      415,
      `A POST must have Content-Type: application/json${type === undefined ? '' : `, not ${JSON.stringify(type.slice(0, 80))}`}`,
    );
  }
  const length = req.headers['content-length'];
  if (length === '0') return sendRequestError(res, 400, 'The body is empty: send {"query": "…"} as JSON');
  next();
}

/**
 * Refuses a parsed body that is no GraphQL request, saying what one looks like (Apollo
 * would answer some of these in plain text). An array is left to Apollo, which refuses
 * batches.
 */
function graphqlRequestOnly(req: express.Request, res: express.Response, next: express.NextFunction): void {
  if (req.method !== 'POST' || Array.isArray(req.body)) return next();
  const body: unknown = req.body;
  const problem =
    body === null || typeof body !== 'object'
      ? 'The body must be a JSON object: {"query": "…", "variables": {…}, "operationName": "…"}'
      : !hasQueryOrHash(body as Record<string, unknown>)
        ? '"query" must be the GraphQL document, as a non-empty string (or send its hash alone in extensions.persistedQuery.sha256Hash)'
        : !isOptional((body as Record<string, unknown>)['variables'], 'object')
          ? '"variables" must be a JSON object of variable values, or null'
          : !isOptional((body as Record<string, unknown>)['operationName'], 'string')
            ? '"operationName" must be the name of an operation in the document, as a string, or null'
            : !isOptional((body as Record<string, unknown>)['extensions'], 'object')
              ? '"extensions" must be a JSON object, or null'
              : undefined;
  if (problem === undefined) return next();
  sendRequestError(res, 400, problem);
}

/** A document's text, or an automatic persisted query's hash alone (Apollo's APQ protocol). */
function hasQueryOrHash(body: Record<string, unknown>): boolean {
  const query = body['query'];
  if (typeof query === 'string') return query !== '';
  if (query !== undefined && query !== null) return false;
  const persisted = (body['extensions'] as { persistedQuery?: { sha256Hash?: unknown } } | undefined)?.persistedQuery;
  return typeof persisted?.sha256Hash === 'string';
}

function isOptional(value: unknown, type: 'object' | 'string'): boolean {
  if (value === undefined || value === null) return true;
  return type === 'object' ? typeof value === 'object' && !Array.isArray(value) : typeof value === 'string';
}

/** A refusal sent as an operation's payload (WebSocket, SSE): without the HTTP-only part. */
function asPayloadError(error: GraphQLError): GraphQLError {
  const { http: _http, ...extensions } = error.extensions;
  return new GraphQLError(error.message, { extensions });
}

/** A graphql-ws connection as a `ContextSource`. */
function wsSource(ctx: {
  connectionParams?: Readonly<Record<string, unknown>> | undefined;
  extra: { request: http.IncomingMessage };
}): ContextSource {
  return {
    transport: 'ws',
    headers: ctx.extra.request.headers,
    connectionParams: ctx.connectionParams ?? {},
    remoteAddress: ctx.extra.request.socket.remoteAddress,
  };
}

export async function startFacadeServer(options: FacadeServerOptions): Promise<RunningFacadeServer> {
  const { schema, logger } = options;
  const app = express();
  app.disable('x-powered-by');
  // Express would hash every answer (64 KB for an alarm page) for an ETag that no GraphQL
  // client sends back: POST answers are never revalidated.
  app.set('etag', false);
  const httpServer = http.createServer(app);
  let draining = false;
  // Each open connection by the key it authenticated with, and what it authenticated with.
  const connectionsByKey = new Map<string, Map<WebSocket, ContextSource>>();

  const maxPerKey = options.maxSubscriptionsPerKey ?? 100;
  const executor = new SubscriptionExecutor<ContextSource>({
    maxPerKey,
    slots: options.subscriptionSlots ?? createMemorySlots(),
  });
  const production = options.production ?? false;
  const validationRules = [...specifiedRules, ...(options.queryLimits?.validationRules ?? [])];
  const maxOperationCost = options.maxOperationCost ?? 100;
  /** The operation's predicted upstream calls; throws COST_LIMIT_EXCEEDED past the limit. */
  const checkCost = (document: DocumentNode, operation: OperationDefinitionNode, variables: Record<string, unknown> | undefined): number => {
    const estimated = options.costOf?.(document, operation, variables) ?? 0;
    if (estimated > maxOperationCost) {
      throw new FacadeError(
        'COST_LIMIT_EXCEEDED',
        `This operation could make ${estimated} upstream calls${operation.operation === 'subscription' ? ' per poll' : ''}; ` +
          `the limit is ${maxOperationCost} (MAX_OPERATION_COST). Ask for fewer items (first/last), fewer deployments ` +
          'or fewer nested connections, or split it into several operations. Nothing was sent upstream.',
        { details: { estimatedUpstreamCalls: estimated, maxOperationCost } },
      );
    }
    return estimated;
  };
  /** A parse or validation error as this deployment shows it (no suggestions or limits in production). */
  const asRequestError = (error: GraphQLError, code: string): GraphQLError =>
    new GraphQLError(requestErrorMessage(error.message, code, production), {
      nodes: error.nodes,
      source: error.source,
      positions: error.positions,
      extensions: { code },
    });
  const validDocuments = new Map<string, DocumentNode>();
  /** The request each operation's context was made from, and its estimate, for the executor's bookkeeping. */
  const sources = new WeakMap<GraphContext, ContextSource>();
  const estimates = new WeakMap<GraphContext, number>();
  const costExtension = (context: GraphContext) => ({
    cost: { estimatedUpstreamCalls: estimates.get(context) ?? 0, actualUpstreamCalls: context.upstreamCallsSent.count },
  });
  const subscribe = (args: ExecutionArgs) => {
    const context = args.contextValue as GraphContext;
    const source = sources.get(context);
    if (source === undefined) throw new Error('subscribe: the operation’s context was not made by prepareOperation');
    return executor.subscribe(args, {
      keyId: context.apiKey.id,
      permissions: context.apiKey.permissions,
      source,
      extensions: () => costExtension(context),
    });
  };
  /** Queries and mutations over WebSocket and SSE: graphql-js's `execute`, with the cost added. */
  const executeCosted = async (args: ExecutionArgs) => {
    const context = args.contextValue as GraphContext;
    // The budget admits the operation as a whole from its estimate, as over HTTP.
    context.expectUpstreamCalls(estimates.get(context) ?? 0);
    const result = await execute(args);
    return { ...result, extensions: { ...result.extensions, ...costExtension(context) } };
  };

  /**
   * Parse, validate, authenticate, authorize: the same for WebSocket and SSE operations.
   * A refusal is answered as the operation's only payload (errors with their code), then
   * completion: that is what a client, or a router in front, passes on.
   */
  const prepareOperation = async (
    source: ContextSource,
    payload: { query: string; operationName?: string | null; variables?: Record<string, unknown> | null },
  ): Promise<PreparedOperation> => {
    let document = validDocuments.get(payload.query);
    if (document === undefined) {
      try {
        document = parse(payload.query, options.queryLimits?.parseOptions);
      } catch (error) {
        const syntax = error instanceof GraphQLError ? error : new GraphQLError('The query does not parse');
        return { errors: [asRequestError(syntax, 'GRAPHQL_PARSE_FAILED')] };
      }
      const invalid = validate(schema, document, validationRules);
      if (invalid.length > 0) return { errors: invalid.map((error) => asRequestError(error, 'GRAPHQL_VALIDATION_FAILED')) };
      // Screens subscribe with the same few documents: parse and validate each once, and share its tree.
      if (validDocuments.size >= VALID_DOCUMENTS_KEPT) validDocuments.delete(validDocuments.keys().next().value!);
      validDocuments.set(payload.query, document);
    }
    const operation = getOperationAST(document, payload.operationName);
    if (operation === null || operation === undefined) {
      return { errors: [asPayloadError(toGraphQLError(noSuchOperation(document, payload.operationName)))] };
    }
    try {
      // Authenticated again per operation: a key revoked since the connection opened stops here.
      const contextValue = await options.context(source);
      options.authorizeOperation(contextValue, document, operation);
      estimates.set(contextValue, checkCost(document, operation, payload.variables ?? undefined));
      sources.set(contextValue, source);
      return {
        args: { schema, document, operationName: payload.operationName, variableValues: payload.variables, contextValue },
      };
    } catch (error) {
      if (!(error instanceof FacadeError)) logger.error({ err: error, transport: source.transport }, 'preparing an operation failed unexpectedly');
      return { errors: [asPayloadError(toGraphQLError(error))] };
    }
  };

  /**
   * Refusals on WebSocket travel as a `next` payload with the error, then `complete`
   * (a graphql-ws `error` message reaches a router's client without its message or code):
   * graphql-ws's onSubscribe cannot answer a result, so it answers arguments whose
   * context is one of these, and `execute`/`subscribe` answer the refusal.
   */
  const refusals = new WeakMap<object, ExecutionResult>();
  const refused = (errors: readonly GraphQLError[]): ExecutionArgs => {
    const contextValue = {};
    refusals.set(contextValue, { errors });
    return { schema, document: REFUSED_DOCUMENT, contextValue };
  };
  /**
   * Connections whose key does not authenticate (bad at `connection_init`, or revoked,
   * reset or cut short since), with why: each operation on them is answered with that
   * refusal, without authenticating again (one failed login per connection), and they
   * close with 4401 once idle (`retire`).
   */
  const unauthenticated = new WeakMap<WebSocket, FacadeError>();
  const running = new WeakMap<WebSocket, () => number>();
  /** Closes `socket` with 4401 once no operation runs on it, after `lingerMs` idle. */
  const retire = (socket: WebSocket, error: FacadeError, lingerMs: number) => {
    unauthenticated.set(socket, error);
    const closeWhenIdle = () => {
      if (socket.readyState !== WebSocket.OPEN) return;
      // An operation still running (a query at its deadline) is waited for, checking now and then.
      if ((running.get(socket)?.() ?? 0) > 0) return void setTimeout(closeWhenIdle, Math.max(lingerMs, IDLE_CHECK_MS)).unref();
      // The reason is short and fixed (a close reason is at most 123 bytes); the refusal said why.
      socket.close(WS_UNAUTHORIZED, 'Unauthorized');
    };
    // After the pending sends (the operations' last payloads) are queued ahead of the close.
    setTimeout(closeWhenIdle, lingerMs).unref();
  };

  const wsServer = new WebSocketServer({ server: httpServer, path: GRAPHQL_PATH });
  const wsCleanup = useServer(
    {
      schema,
      subscribe: (args) => refusals.get(args.contextValue as object) ?? subscribe(args),
      execute: (args) => refusals.get(args.contextValue as object) ?? executeCosted(args),
      onConnect: async (ctx) => {
        const socket = ctx.extra.socket;
        running.set(socket, () => Object.keys(ctx.subscriptions).length);
        try {
          const source = wsSource(ctx);
          const keyId = (await options.context(source)).apiKey.id;
          const connections = connectionsByKey.get(keyId) ?? new Map<WebSocket, ContextSource>();
          connections.set(socket, source);
          connectionsByKey.set(keyId, connections);
          socket.once('close', () => {
            connections.delete(socket);
            if (connections.size === 0 && connectionsByKey.get(keyId) === connections) connectionsByKey.delete(keyId);
          });
        } catch (error) {
          if (!(error instanceof FacadeError)) logger.error({ err: error }, 'WebSocket authentication failed unexpectedly');
          // Acknowledged, so the refusal reaches the client as an operation's error with its code:
          // a router turns a refused connection into a message-less error, after retrying it.
          retire(socket, error instanceof FacadeError ? error : new FacadeError('UNAUTHENTICATED', 'The API key could not be checked; try again'), UNAUTHENTICATED_LINGER_MS);
        }
        return true;
      },
      onSubscribe: async (ctx, _id, payload) => {
        const refusal = unauthenticated.get(ctx.extra.socket);
        if (refusal !== undefined) return refused([asPayloadError(toGraphQLError(refusal))]);
        // The new operation is already registered (as null) when this runs. A connection
        // carries one key: it never runs more at once than the key may (a router multiplexes
        // every subscription of a key onto one connection); this holds when the count
        // across replicas cannot be reached.
        if (Object.keys(ctx.subscriptions).length > maxPerKey) {
          const error = new FacadeError(
            'LIMIT_EXCEEDED',
            `this connection already runs ${maxPerKey} operations, as many as its key may (LIVE_MAX_SUBSCRIPTIONS_PER_KEY); end one first`,
            { details: { limit: 'LIVE_MAX_SUBSCRIPTIONS_PER_KEY', max: maxPerKey } },
          );
          return refused([asPayloadError(toGraphQLError(error))]);
        }
        const prepared = await prepareOperation(wsSource(ctx), payload);
        return 'errors' in prepared ? refused(prepared.errors) : prepared.args;
      },
    },
    wsServer,
  );

  const apollo = new ApolloServer<GraphContext>({
    gateway: jitGateway(schema, options.sdl),
    ...(options.stringifyResult === undefined ? {} : { stringifyResult: options.stringifyResult }),
    includeStacktraceInErrorResponses: false,
    parseOptions: options.queryLimits?.parseOptions ?? {},
    validationRules: options.queryLimits?.validationRules ?? [],
    // One operation per request: a batch would multiply every limit and the cost by its length.
    allowBatchedHttpRequests: false,
    ...(options.persistedQueries === undefined ? {} : { persistedQueries: { cache: options.persistedQueries } }),
    // Apollo turns introspection off under NODE_ENV=production; analysts need it for the
    // playground, and only authenticated callers reach it.
    introspection: true,
    // main.ts owns SIGTERM/SIGINT so that everything, not only Apollo, drains in order.
    stopOnTerminationSignals: false,
    logger,
    formatError: createErrorFormatter({ production }),
    plugins: [
      ApolloServerPluginDrainHttpServer({ httpServer }),
      {
        async serverWillStart() {
          return {
            async drainServer() {
              await wsCleanup.dispose();
            },
          };
        },
        async requestDidStart() {
          let estimated = 0;
          return {
            async didResolveOperation({ contextValue, document, operation, request }) {
              try {
                if (operation === undefined) throw noSuchOperation(document, request.operationName);
                if (operation.operation === 'subscription') {
                  throw new FacadeError(
                    'BAD_REQUEST',
                    `Subscriptions run over WebSocket (graphql-ws) on ${GRAPHQL_PATH} or Server-Sent Events (graphql-sse) on ${EVENT_STREAM_PATH}, not plain HTTP`,
                  );
                }
                options.authorizeOperation(contextValue, document, operation);
                estimated = checkCost(document, operation, request.variables);
              } catch (error) {
                if (error instanceof FacadeError && error.code === 'COST_LIMIT_EXCEEDED') {
                  estimated = error.details['estimatedUpstreamCalls'] as number;
                }
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
            async willSendResponse({ response, contextValue, request }) {
              // Apollo's own refusals (parse, validation) and the ones above, under the JSON rules.
              const status = response.http.status;
              if (status !== undefined && status >= 400 && status < 500 && acceptsJson(request.http?.headers.get('accept'))) response.http.status = 200;
              if (response.body.kind !== 'single') return;
              // A new result object: the response cache may hold the one it replaces.
              const result = response.body.singleResult;
              const cost = { estimatedUpstreamCalls: estimated, actualUpstreamCalls: contextValue.upstreamCallsSent.count };
              const requestId = request.http?.headers.get(REQUEST_ID_HEADER);
              const errors = result.errors?.map((error) =>
                error.extensions?.['code'] === 'INTERNAL_SERVER_ERROR' ? { ...error, extensions: { ...error.extensions, requestId } } : error,
              );
              response.body.singleResult = { ...result, ...(errors === undefined ? {} : { errors }), extensions: { ...result.extensions, cost } };
            },
          };
        },
      },
      // The playground is served by mountPlayground from local files, not Apollo's CDN page.
      ApolloServerPluginLandingPageDisabled(),
      // The schema sets no cache hints; computing them costs a hook on every resolved field.
      ApolloServerPluginCacheControlDisabled(),
      ...(options.plugins ?? []),
    ],
  });
  await apollo.start();

  app.get('/healthz', (_req, res) => {
    res.status(draining ? 503 : 200).json({ status: draining ? 'draining' : 'ok' });
  });
  app.get('/readyz', async (_req, res) => {
    const readiness = (await options.readiness?.().catch((error: unknown) => {
      logger.error({ err: error }, 'readiness check failed unexpectedly');
      return { ready: false, checks: { error: 'the readiness check failed' } };
    })) ?? { ready: true, checks: {} };
    const ready = readiness.ready && !draining;
    res.status(ready ? 200 : 503).json({ status: draining ? 'draining' : ready ? 'ready' : 'not ready', ...readiness.checks });
  });
  mountPlayground(app, GRAPHQL_PATH);
  const bodyLimit = options.bodyLimit ?? '1mb';
  app.use(
    EVENT_STREAM_PATH,
    withRequestId,
    jsonBodyOnly,
    express.json({ limit: bodyLimit, strict: false }),
    bodyErrors(bodyLimit),
    eventStreamHandler({
      schema,
      prepare: (req, params) =>
        prepareOperation({ transport: 'sse', headers: req.headers, remoteAddress: req.socket.remoteAddress }, params),
      subscribe,
      execute: executeCosted,
      logger,
    }),
  );
  app.use(
    GRAPHQL_PATH,
    withRequestId,
    jsonBodyOnly,
    express.json({ limit: bodyLimit, strict: false }),
    bodyErrors(bodyLimit),
    graphqlRequestOnly,
    answerJsonWhenAccepted,
    expressMiddleware(apollo, {
      context: async ({ req }) => {
        try {
          return await options.context({ transport: 'http', headers: req.headers, remoteAddress: req.socket.remoteAddress });
        } catch (error) {
          throw toGraphQLError(error, acceptsJson(req.headers.accept));
        }
      },
    }),
  );

  const host = options.host ?? '0.0.0.0';
  await new Promise<void>((resolve, reject) => {
    httpServer.once('error', reject);
    httpServer.listen(options.port ?? 4000, host, () => {
      httpServer.off('error', reject);
      resolve();
    });
  });
  const { port } = httpServer.address() as AddressInfo;
  const shownHost = host === '0.0.0.0' || host === '::' ? 'localhost' : host;

  return {
    url: `http://${shownHost}:${port}${GRAPHQL_PATH}`,
    port,
    webSockets() {
      let unauthenticatedCount = 0;
      for (const socket of wsServer.clients) if (unauthenticated.has(socket)) unauthenticatedCount += 1;
      return { authenticated: wsServer.clients.size - unauthenticatedCount, unauthenticated: unauthenticatedCount };
    },
    closeConnectionsOf(keyId: string) {
      const revoked = new FacadeError('UNAUTHENTICATED', 'This API key was revoked; the subscription ended');
      executor.endSubscriptionsOf(keyId, revoked);
      for (const socket of connectionsByKey.get(keyId)?.keys() ?? []) retire(socket, revoked, 0);
      connectionsByKey.delete(keyId);
    },
    async reauthenticateConnectionsOf(keyId: string) {
      const connections = [...(connectionsByKey.get(keyId) ?? [])];
      const streams = executor.running(keyId).filter((subscription) => subscription.meta.source.transport === 'sse');
      await Promise.all([
        ...streams.map(async (subscription) => {
          try {
            await options.context(subscription.meta.source);
          } catch (error) {
            if (error instanceof FacadeError && error.code === 'UNAUTHENTICATED') {
              subscription.end(new FacadeError('UNAUTHENTICATED', 'The API key secret this stream was opened with no longer works; the subscription ended'));
            } else logger.error({ err: error }, 'could not authenticate an event stream again');
          }
        }),
        ...connections.map(async ([socket, source]) => {
          try {
            await options.context(source);
          } catch (error) {
            if (error instanceof FacadeError && error.code === 'UNAUTHENTICATED') {
              const ended = new FacadeError('UNAUTHENTICATED', 'The API key secret this connection was opened with no longer works; the subscription ended');
              for (const subscription of executor.running(keyId)) if (subscription.meta.source.headers === source.headers) subscription.end(ended);
              retire(socket, ended, 0);
            }
            else logger.error({ err: error }, 'could not authenticate a WebSocket connection again');
          }
        }),
      ]);
    },
    async stop() {
      draining = true;
      await apollo.stop();
      await new Promise<void>((resolve) => wsServer.close(() => resolve()));
    },
  };
}
