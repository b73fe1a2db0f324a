/**
 * The facade's HTTP and WebSocket front: express 5 + Apollo Server 5 on one
 * `http.Server`, with graphql-ws on the same `/graphql` path and GraphQL over
 * Server-Sent Events (graphql-sse) on `/graphql/stream`.
 *
 * Contract:
 * - `startFacadeServer` resolves once the port is listening; `stop()` stops accepting
 *   connections, lets in-flight operations finish (Apollo's drain plugin), closes
 *   WebSocket clients and resolves when all is closed. `/healthz` answers 200 while
 *   serving and 503 while draining, and needs no key.
 * - Every GraphQL operation, on any transport, first gets its context from the
 *   injected `context` factory (which authenticates: a `FacadeError` UNAUTHENTICATED
 *   becomes HTTP 401, or a refused WebSocket connection), then passes
 *   `authorizeOperation` (FORBIDDEN becomes HTTP 403) before anything executes.
 * - Subscriptions on WebSocket and SSE run through one `SubscriptionExecutor`: at most
 *   `maxSubscriptionsPerKey` per key (counted by `subscriptionSlots`), and at most `maxSubscriptionsPerConnection`
 *   operations at once on one WebSocket; past either, that operation is refused with
 *   LIMIT_EXCEEDED and nothing else is disturbed.
 * - `closeConnectionsOf(keyId)` ends that key's subscriptions (each with a last error
 *   payload saying why) and its WebSocket connections; `reauthenticateConnectionsOf(keyId)`
 *   does the same for those whose `connection_init` or headers no longer authenticate
 *   (their secret was reset or its grace period was cut short), so no subscription keeps
 *   streaming to a secret that stopped working.
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
  getOperationAST,
  GraphQLError,
  parse,
  validate,
  type DocumentNode,
  type ExecutionArgs,
  type FormattedExecutionResult,
  type GraphQLSchema,
  type OperationDefinitionNode,
} from 'graphql';
import { FacadeError, httpStatusOf } from '../errors/facade.error.js';
import { jitGateway } from './jit.executor.js';
import type { GraphContext } from '../graph/context.js';
import type { Logger } from '../log/logger.js';
import { createErrorFormatter } from './error.formatter.js';
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
  /** `LIVE_MAX_SUBSCRIPTIONS_PER_CONNECTION`; default 25. */
  maxSubscriptionsPerConnection?: number;
}

export interface RunningFacadeServer {
  /** e.g. `http://127.0.0.1:4000/graphql` */
  url: string;
  port: number;
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
/** graphql-ws close code for a refused or revoked key. */
const WS_FORBIDDEN = 4403;

/** A refusal as GraphQL sends it: the facade's code, and the HTTP status for its transport. */
function toGraphQLError(error: unknown): GraphQLError {
  if (error instanceof FacadeError) {
    const extensions = error.toExtensions();
    const retryAfter = error.details['retryAfterSeconds'];
    return new GraphQLError(error.message, {
      // Kept so the error formatter answers the FacadeError's details (the permission, the retry hint).
      originalError: error,
      extensions: {
        ...extensions,
        http: {
          status: httpStatusOf(error.code),
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

/** graphql-ws sends errors as they are: drop the HTTP-only part. */
function forWebSocket(error: GraphQLError): GraphQLError {
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

  const executor = new SubscriptionExecutor<ContextSource>({
    maxPerKey: options.maxSubscriptionsPerKey ?? 100,
    slots: options.subscriptionSlots ?? createMemorySlots(),
  });
  const maxPerConnection = options.maxSubscriptionsPerConnection ?? 25;
  const validDocuments = new Map<string, DocumentNode>();
  /** The request each operation's context was made from, for the executor's bookkeeping. */
  const sources = new WeakMap<GraphContext, ContextSource>();
  const subscribe = (args: ExecutionArgs) => {
    const context = args.contextValue as GraphContext;
    const source = sources.get(context);
    if (source === undefined) throw new Error('subscribe: the operation’s context was not made by prepareOperation');
    return executor.subscribe(args, { keyId: context.apiKey.id, permissions: context.apiKey.permissions, source });
  };

  /** Parse, validate, authenticate, authorize: the same for WebSocket and SSE operations. */
  const prepareOperation = async (
    source: ContextSource,
    payload: { query: string; operationName?: string | null; variables?: Record<string, unknown> | null },
  ): Promise<PreparedOperation> => {
    let document = validDocuments.get(payload.query);
    if (document === undefined) {
      try {
        document = parse(payload.query);
      } catch (error) {
        return { errors: [error instanceof GraphQLError ? error : new GraphQLError('The query does not parse')], status: 400 };
      }
      const invalid = validate(schema, document);
      if (invalid.length > 0) return { errors: invalid, status: 400 };
      // Screens subscribe with the same few documents: parse and validate each once, and share its tree.
      if (validDocuments.size >= VALID_DOCUMENTS_KEPT) validDocuments.delete(validDocuments.keys().next().value!);
      validDocuments.set(payload.query, document);
    }
    const operation = getOperationAST(document, payload.operationName);
    if (operation === null || operation === undefined) {
      return { errors: [new GraphQLError('Name the operation to run (operationName) or send exactly one')], status: 400 };
    }
    try {
      // Authenticated again per operation: a key revoked since the connection opened stops here.
      const contextValue = await options.context(source);
      options.authorizeOperation(contextValue, document, operation);
      sources.set(contextValue, source);
      return {
        args: { schema, document, operationName: payload.operationName, variableValues: payload.variables, contextValue },
      };
    } catch (error) {
      const refusal = toGraphQLError(error);
      const status = (refusal.extensions['http'] as { status?: number } | undefined)?.status ?? 500;
      return { errors: [refusal], status };
    }
  };

  const wsServer = new WebSocketServer({ server: httpServer, path: GRAPHQL_PATH });
  const wsCleanup = useServer(
    {
      schema,
      subscribe,
      onConnect: async (ctx) => {
        try {
          const source = wsSource(ctx);
          const keyId = (await options.context(source)).apiKey.id;
          const connections = connectionsByKey.get(keyId) ?? new Map<WebSocket, ContextSource>();
          connections.set(ctx.extra.socket, source);
          connectionsByKey.set(keyId, connections);
          ctx.extra.socket.once('close', () => {
            connections.delete(ctx.extra.socket);
            if (connections.size === 0 && connectionsByKey.get(keyId) === connections) connectionsByKey.delete(keyId);
          });
          return true;
        } catch (error) {
          if (!(error instanceof FacadeError)) logger.error({ err: error }, 'WebSocket authentication failed unexpectedly');
          return false;
        }
      },
      onSubscribe: async (ctx, _id, payload) => {
        // The new operation is already registered (as null) when this runs.
        if (Object.keys(ctx.subscriptions).length > maxPerConnection) {
          const error = new FacadeError(
            'LIMIT_EXCEEDED',
            `this connection already runs ${maxPerConnection} operations (LIVE_MAX_SUBSCRIPTIONS_PER_CONNECTION); ` +
              'end one, or open another connection',
            { details: { limit: 'LIVE_MAX_SUBSCRIPTIONS_PER_CONNECTION', max: maxPerConnection } },
          );
          return [new GraphQLError(error.message, { extensions: error.toExtensions() })];
        }
        const prepared = await prepareOperation(wsSource(ctx), payload);
        return 'errors' in prepared ? prepared.errors.map(forWebSocket) : prepared.args;
      },
    },
    wsServer,
  );

  const apollo = new ApolloServer<GraphContext>({
    gateway: jitGateway(schema, options.sdl),
    ...(options.stringifyResult === undefined ? {} : { stringifyResult: options.stringifyResult }),
    includeStacktraceInErrorResponses: false,
    // Apollo turns introspection off under NODE_ENV=production; analysts need it for the
    // playground, and only authenticated callers reach it.
    introspection: true,
    // main.ts owns SIGTERM/SIGINT so that everything, not only Apollo, drains in order.
    stopOnTerminationSignals: false,
    logger,
    formatError: createErrorFormatter(logger),
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
          return {
            async didResolveOperation({ contextValue, document, operation }) {
              if (operation === undefined) return; // Apollo itself refuses a request without a runnable operation.
              try {
                options.authorizeOperation(contextValue, document, operation);
              } catch (error) {
                throw toGraphQLError(error);
              }
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
  mountPlayground(app, GRAPHQL_PATH);
  app.use(
    EVENT_STREAM_PATH,
    express.json({ limit: options.bodyLimit ?? '1mb' }),
    eventStreamHandler({
      schema,
      prepare: (req, params) =>
        prepareOperation({ transport: 'sse', headers: req.headers, remoteAddress: req.socket.remoteAddress }, params),
      subscribe,
      logger,
    }),
  );
  app.use(
    GRAPHQL_PATH,
    express.json({ limit: options.bodyLimit ?? '1mb' }),
    expressMiddleware(apollo, {
      context: async ({ req }) => {
        try {
          return await options.context({ transport: 'http', headers: req.headers, remoteAddress: req.socket.remoteAddress });
        } catch (error) {
          throw toGraphQLError(error);
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
    closeConnectionsOf(keyId: string) {
      executor.endSubscriptionsOf(keyId, new FacadeError('UNAUTHENTICATED', 'This API key was revoked; the subscription ended'));
      for (const socket of connectionsByKey.get(keyId)?.keys() ?? []) socket.close(WS_FORBIDDEN, 'API key revoked');
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
            if (error instanceof FacadeError && error.code === 'UNAUTHENTICATED') socket.close(WS_FORBIDDEN, 'API key secret no longer valid');
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
