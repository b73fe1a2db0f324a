/**
 * The facade's HTTP and WebSocket front: express 5 + Apollo Server 5 on one
 * `http.Server`, with graphql-ws on the same `/graphql` path and GraphQL over
 * Server-Sent Events (graphql-sse) on `/graphql/stream`. It assembles; the rooms decide:
 *
 * - `operation.gate.ts`: every rule about an operation, for every transport (authenticate,
 *   authorize, limits, cost, execute or subscribe, `extensions.cost`, the request log
 *   line, metrics and span). HTTP reaches it as Apollo's context function and a plugin,
 *   WebSocket through `websocket.transport.ts`, SSE through `event-stream.handler.ts`.
 * - `refusal.status.ts`: how a refusal travels so a router in front passes its code on.
 * - `request.body.ts`: what is not a GraphQL request gets a 4xx with a GraphQL-shaped error.
 * - `health.routes.ts`: `/healthz`, `/readyz`.
 * - `client.address.ts`: who asks, behind the trusted proxies (`TRUSTED_PROXIES`), on
 *   every transport, and for express's `req.ip`.
 *
 * Contract:
 * - `startFacadeServer` resolves once the port is listening (a port it cannot take
 *   rejects with a `ListenError` naming `PORT`, and nothing is left running).
 * - `stop({ acceptMs, timeoutMs })` drains: at once `/healthz` and `/readyz` answer 503
 *   `draining`, every subscription gets a last payload SHUTTING_DOWN (`retryAfterSeconds`
 *   0) and completes, new subscriptions are refused the same way, and WebSocket
 *   connections close with 1001 once their running operations are done (clients
 *   reconnect, through the balancer, elsewhere). For `acceptMs` new requests are still
 *   accepted and answered, with `Connection: close`; then the listener closes and the
 *   requests still open get what is left of `timeoutMs` (counted from the call) before
 *   their connections are cut. Resolves when all is closed. Default: accept nothing new,
 *   `DRAIN_TIMEOUT_MS`'s default.
 * - Every HTTP answer has an `x-request-id` (the caller's, or a new one), which an
 *   unexpected error's `extensions.requestId` and its log line repeat.
 * - `closeConnectionsOf(keyId)` ends that key's subscriptions (each with a last error
 *   payload saying why) and then closes its WebSocket connections (4401);
 *   `reauthenticateConnectionsOf(keyId)` does the same for those whose `connection_init`
 *   or headers no longer authenticate (their secret was reset or its grace period was
 *   cut short), so no subscription keeps streaming to a secret that stopped working.
 * - The server knows nothing of USM or of how keys work.
 */
import http from 'node:http';
import express from 'express';
import { ApolloServer, type ApolloServerPlugin } from '@apollo/server';
import { ApolloServerPluginCacheControlDisabled, ApolloServerPluginLandingPageDisabled } from '@apollo/server/plugin/disabled';
import { ApolloServerPluginDrainHttpServer } from '@apollo/server/plugin/drainHttpServer';
import { expressMiddleware } from '@as-integrations/express5';
import type { DocumentNode, FormattedExecutionResult, GraphQLSchema, OperationDefinitionNode } from 'graphql';
import { FacadeError } from '../errors/facade.error.js';
import type { GraphContext } from '../graph/context.js';
import type { Logger } from '../log/logger.js';
import type { OperationObserver } from '../observability/operation.record.js';
import { defaultOf } from '../config/setting.js';
import { listenOn } from '../net/port.listener.js';
import { systemClock, type Clock } from '../time/clock.js';
import type { KeyBudget } from '../protection/key.budget.js';
import type { QueryLimits } from '../protection/query.limits.js';
import type { PersistedQueryCache } from '../protection/trusted.documents.js';
import { createMemorySlots, type SubscriptionSlots } from '../live/subscription.slots.js';
import { clientAddresses } from './client.address.js';
import { DRAIN_SETTINGS } from './drain.settings.js';
import { createErrorFormatter } from './error.formatter.js';
import { eventStreamHandler } from './event-stream.handler.js';
import { mountHealthRoutes, type Readiness } from './health.routes.js';
import { jitGateway } from './jit.executor.js';
import { EVENT_STREAM_PATH, GRAPHQL_PATH, OperationGate, type ContextSource, type CostOf, type ResultNodesOf } from './operation.gate.js';
import { mountPlayground } from './playground.js';
import { answerJsonWhenAccepted, acceptsJson, toGraphQLError } from './refusal.status.js';
import { graphqlRequestOnly, jsonBody } from './request.body.js';
import { withRequestId } from './request.id.js';
import type { TrustedProxies } from './server.settings.js';
import { SubscriptionExecutor } from './subscription.executor.js';
import { startWebSocketTransport } from './websocket.transport.js';

export { EVENT_STREAM_PATH, GRAPHQL_PATH, type ContextSource, type Readiness };

export interface FacadeServerOptions {
  schema: GraphQLSchema;
  /** The schema's SDL as the supergraph sees it (`buildFacadeSchema().sdl`). */
  sdl: string;
  /** Authenticates the caller and builds the operation's context; throws `FacadeError` to refuse. */
  context: (source: ContextSource) => Promise<GraphContext>;
  /** Throws `FacadeError` FORBIDDEN (or PERSISTED_QUERY_NOT_ALLOWED) when the caller may not run `operation`. */
  authorizeOperation: (context: GraphContext, document: DocumentNode, operation: OperationDefinitionNode) => void;
  logger: Logger;
  /** `PORT`; 0 picks a free port. */
  port: number;
  /** `HOST`. */
  host: string;
  /** `TRUSTED_PROXIES`: whose `X-Forwarded-For` names the client. Default none: the socket's peer is the client. */
  trustedProxies?: TrustedProxies;
  /** Largest accepted JSON body; default `1mb`. */
  bodyLimit?: string;
  /** Writes each answer's JSON (e.g. the response cache's, which reuses it). Default: Apollo's. */
  stringifyResult?: (result: FormattedExecutionResult) => string;
  /** More Apollo plugins, run after the gate's (e.g. the response cache). Default none. */
  plugins?: ApolloServerPlugin<GraphContext>[];
  /** Told of every operation on every transport (request log, metrics, traces, usage). */
  observer: OperationObserver;
  /** `LIVE_MAX_SUBSCRIPTIONS_PER_KEY`. */
  maxSubscriptionsPerKey: number;
  /** Where subscriptions per key are counted; default this process only. */
  subscriptionSlots?: SubscriptionSlots;
  /** Parse options and validation rules that bound a document's shape (`protection/query.limits.ts`). Default none. */
  queryLimits?: QueryLimits;
  /** `NODE_ENV=production`: messages hide schema hints (suggestions) and exact query limits. */
  production: boolean;
  /** The upstream calls an operation is predicted to make (a subscription: per poll). */
  costOf: CostOf;
  /** `MAX_OPERATION_COST`. */
  maxOperationCost: number;
  /** Each API key's budget in points, charged per operation by the gate. Default none. */
  budget?: KeyBudget;
  /** The most objects an operation's answer can hold (a subscription: per payload). */
  resultNodesOf: ResultNodesOf;
  /** `MAX_RESULT_NODES`. */
  maxResultNodes: number;
  /** Whether this replica can serve, and the checks that say so (JSON, never a secret). Default: always ready. */
  readiness?: () => Promise<Readiness>;
  /** Apollo's automatic persisted queries cache (the trusted documents by hash, then what clients register). Default Apollo's own. */
  persistedQueries?: PersistedQueryCache;
  /** What a drain waits on. Default `systemClock`. */
  clock?: Clock;
}

/** How `stop` drains (see `DRAIN_TIMEOUT_MS` and `DRAIN_ACCEPT_MS`). */
export interface DrainPlan {
  /** How long new requests are still accepted. Default 0. */
  acceptMs?: number;
  /** How long the whole drain may take before open connections are cut. Default `DRAIN_TIMEOUT_MS`'s default (20 s). */
  timeoutMs?: number;
}

/** A stop without a plan drains as `DRAIN_TIMEOUT_MS` does by default, without the accept time. */
const DEFAULT_DRAIN_TIMEOUT_MS = defaultOf(DRAIN_SETTINGS.timeoutMs);

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
  /** Drains (see the contract) and closes. */
  stop(plan?: DrainPlan): Promise<void>;
}

export async function startFacadeServer(options: FacadeServerOptions): Promise<RunningFacadeServer> {
  const { schema, logger } = options;
  const app = express();
  app.disable('x-powered-by');
  // Express would hash every answer (64 KB for an alarm page) for an ETag that no GraphQL
  // client sends back: POST answers are never revalidated.
  app.set('etag', false);
  const addresses = clientAddresses(options.trustedProxies);
  // The same rule, so that `req.ip` (and `req.protocol`, `req.hostname`) believe the proxies the transports believe.
  app.set('trust proxy', addresses.trust);
  const httpServer = http.createServer(app);
  const clock = options.clock ?? systemClock;
  let draining = false;
  // Read by Apollo's drain when it runs: what is left of the drain's time then.
  const drainHttp = { httpServer, stopGracePeriodMillis: DEFAULT_DRAIN_TIMEOUT_MS };

  const subscriptions = new SubscriptionExecutor<ContextSource>({
    maxPerKey: options.maxSubscriptionsPerKey,
    slots: options.subscriptionSlots ?? createMemorySlots(),
  });
  const gate = new OperationGate({
    schema,
    context: options.context,
    authorizeOperation: options.authorizeOperation,
    costOf: options.costOf,
    maxOperationCost: options.maxOperationCost,
    budget: options.budget,
    resultNodesOf: options.resultNodesOf,
    maxResultNodes: options.maxResultNodes,
    queryLimits: options.queryLimits,
    production: options.production,
    subscriptions,
    observer: options.observer,
    logger,
  });
  const webSockets = startWebSocketTransport({
    httpServer,
    schema,
    gate,
    authenticate: options.context,
    clientAddressOf: addresses.of,
    maxPerKey: options.maxSubscriptionsPerKey,
    logger,
  });

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
    formatError: createErrorFormatter({ production: options.production }),
    plugins: [
      ApolloServerPluginDrainHttpServer(drainHttp),
      {
        async serverWillStart() {
          return { drainServer: () => webSockets.dispose() };
        },
      },
      gate.httpPlugin(),
      // The playground is served by mountPlayground from local files, not Apollo's CDN page.
      ApolloServerPluginLandingPageDisabled(),
      // The schema sets no cache hints; computing them costs a hook on every resolved field.
      ApolloServerPluginCacheControlDisabled(),
      ...(options.plugins ?? []),
    ],
  });
  await apollo.start();

  // A draining replica still answers, but asks each client to open its next connection afresh (elsewhere).
  app.use((_req, res, next) => {
    if (draining) res.setHeader('connection', 'close');
    next();
  });
  mountHealthRoutes(app, { draining: () => draining, readiness: options.readiness, logger });
  mountPlayground(app, GRAPHQL_PATH);
  const body = jsonBody(options.bodyLimit ?? '1mb');
  app.use(
    EVENT_STREAM_PATH,
    withRequestId,
    ...body,
    eventStreamHandler({
      schema,
      prepare: (req, params) => gate.prepare({ transport: 'sse', headers: req.headers, clientAddress: addresses.of(req) }, params),
      subscribe: gate.subscribe,
      execute: gate.execute,
      logger,
    }),
  );
  app.use(
    GRAPHQL_PATH,
    withRequestId,
    ...body,
    graphqlRequestOnly,
    answerJsonWhenAccepted,
    expressMiddleware(apollo, {
      context: async ({ req }) => {
        try {
          return await gate.httpContext({ transport: 'http', headers: req.headers, clientAddress: addresses.of(req) });
        } catch (error) {
          throw toGraphQLError(error, acceptsJson(req.headers.accept));
        }
      },
    }),
  );

  const { host } = options;
  let port: number;
  try {
    port = await listenOn(httpServer, { port: options.port, host, setting: 'PORT', zero: '0 picks a free one' });
  } catch (error) {
    // Nothing listens, so nothing drains: what started is stopped for the caller.
    await apollo.stop();
    await webSockets.close();
    throw error;
  }
  const shownHost = host === '0.0.0.0' || host === '::' ? 'localhost' : host;

  return {
    url: `http://${shownHost}:${port}${GRAPHQL_PATH}`,
    port,
    webSockets: () => webSockets.counts(),
    closeConnectionsOf(keyId: string) {
      const revoked = new FacadeError('UNAUTHENTICATED', 'This API key was revoked; the subscription ended');
      subscriptions.endSubscriptionsOf(keyId, revoked);
      webSockets.closeConnectionsOf(keyId, revoked);
    },
    async reauthenticateConnectionsOf(keyId: string) {
      const streams = subscriptions.running(keyId).filter((subscription) => subscription.meta.source.transport === 'sse');
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
        webSockets.reauthenticate(keyId, (source) => {
          const ended = new FacadeError('UNAUTHENTICATED', 'The API key secret this connection was opened with no longer works; the subscription ended');
          for (const subscription of subscriptions.running(keyId)) if (subscription.meta.source.headers === source.headers) subscription.end(ended);
          return ended;
        }),
      ]);
    },
    async stop({ acceptMs = 0, timeoutMs = DEFAULT_DRAIN_TIMEOUT_MS }: DrainPlan = {}) {
      const startedAt = clock.now();
      const left = () => Math.max(0, timeoutMs - (clock.now() - startedAt));
      draining = true;
      const goingAway = new FacadeError('SHUTTING_DOWN', 'This replica is shutting down: subscribe again, and another replica will answer', {
        details: { retryAfterSeconds: 0 },
      });
      gate.drain(goingAway);
      subscriptions.endAll(goingAway);
      webSockets.goAway(goingAway);
      if (acceptMs > 0) await clock.sleep(Math.min(acceptMs, timeoutMs));
      // Apollo's drain ends every socket without a request in flight: WebSockets first close themselves, after their operations.
      await new Promise<void>((resolve) => {
        const cancel = clock.schedule(left(), resolve);
        void webSockets.closed().then(() => {
          cancel();
          resolve();
        });
      });
      drainHttp.stopGracePeriodMillis = left();
      await apollo.stop();
      await webSockets.close();
    },
  };
}
