/**
 * The facade's HTTP and WebSocket front: express 5 + Apollo Server 5 on one
 * `http.Server`, with graphql-ws on the same `/graphql` path.
 *
 * Contract: `startFacadeServer` resolves once the port is listening; `stop()` stops
 * accepting connections, lets in-flight operations finish (Apollo's drain plugin),
 * closes WebSocket clients and resolves when all is closed. `/healthz` answers 200
 * while serving and 503 while draining. The server knows nothing of USM: every
 * operation gets its context from the injected `context` factory.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import express from 'express';
import { ApolloServer } from '@apollo/server';
import { ApolloServerPluginDrainHttpServer } from '@apollo/server/plugin/drainHttpServer';
import { ApolloServerPluginLandingPageDisabled } from '@apollo/server/plugin/disabled';
import { expressMiddleware } from '@as-integrations/express5';
import { WebSocketServer } from 'ws';
import { useServer } from 'graphql-ws/use/ws';
import type { GraphQLSchema } from 'graphql';
import type { GraphContext } from '../graph/context.js';
import type { Logger } from '../log/logger.js';
import { createErrorFormatter } from './error.formatter.js';
import { mountPlayground } from './playground.js';

/** Where an operation came from, for the context factory (authentication, client address). */
export interface ContextSource {
  transport: 'http' | 'ws';
  headers: http.IncomingHttpHeaders;
  /** The graphql-ws `connection_init` payload, on WebSocket operations. */
  connectionParams?: Readonly<Record<string, unknown>>;
  remoteAddress: string | undefined;
}

export interface FacadeServerOptions {
  schema: GraphQLSchema;
  context: (source: ContextSource) => Promise<GraphContext>;
  logger: Logger;
  /** Default 4000; 0 picks a free port. */
  port?: number;
  /** Default `0.0.0.0`. */
  host?: string;
  /** Largest accepted JSON body; default `1mb`. */
  bodyLimit?: string;
}

export interface RunningFacadeServer {
  /** e.g. `http://127.0.0.1:4000/graphql` */
  url: string;
  port: number;
  stop(): Promise<void>;
}

export const GRAPHQL_PATH = '/graphql';

export async function startFacadeServer(options: FacadeServerOptions): Promise<RunningFacadeServer> {
  const { schema, logger } = options;
  const app = express();
  app.disable('x-powered-by');
  const httpServer = http.createServer(app);
  let draining = false;

  const wsServer = new WebSocketServer({ server: httpServer, path: GRAPHQL_PATH });
  const wsCleanup = useServer(
    {
      schema,
      context: (ctx) =>
        options.context({
          transport: 'ws',
          headers: ctx.extra.request.headers,
          connectionParams: ctx.connectionParams ?? {},
          remoteAddress: ctx.extra.request.socket.remoteAddress,
        }),
    },
    wsServer,
  );

  const apollo = new ApolloServer<GraphContext>({
    schema,
    includeStacktraceInErrorResponses: false,
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
      },
      // The playground is served by mountPlayground from local files, not Apollo's CDN page.
      ApolloServerPluginLandingPageDisabled(),
    ],
  });
  await apollo.start();

  app.get('/healthz', (_req, res) => {
    res.status(draining ? 503 : 200).json({ status: draining ? 'draining' : 'ok' });
  });
  mountPlayground(app, GRAPHQL_PATH);
  app.use(
    GRAPHQL_PATH,
    express.json({ limit: options.bodyLimit ?? '1mb' }),
    expressMiddleware(apollo, {
      context: async ({ req }) =>
        options.context({ transport: 'http', headers: req.headers, remoteAddress: req.socket.remoteAddress }),
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
    async stop() {
      draining = true;
      await apollo.stop();
      await new Promise<void>((resolve) => wsServer.close(() => resolve()));
    },
  };
}
