/**
 * GraphQL over WebSocket (graphql-ws) on the GraphQL path: an adapter of the operation
 * gate, which makes every decision about an operation; this file owns the connections.
 *
 * Contract:
 * - A connection authenticates at `connection_init` (the gate's `context` factory). One
 *   that does not is acknowledged anyway: each of its operations is answered with the
 *   refusal (UNAUTHENTICATED) without authenticating again (one failed login per
 *   connection, however many subscriptions a router multiplexes onto it), and it is
 *   closed with 4401 after `UNAUTHENTICATED_LINGER_MS` idle: a close code graphql-ws
 *   clients do not retry (they retried 4403 for 37 s).
 * - Every operation goes through the gate (`prepare`, then `execute` or `subscribe`),
 *   authenticated again, so a key revoked since the connection opened stops there. A
 *   refusal is one `next` payload whose errors carry `extensions.code`, then `complete`
 *   (a graphql-ws `error` message reaches a router's client without message or code).
 * - A connection carries one key and never runs more operations at once than its key may
 *   (`maxPerKey`): a router multiplexes every subscription of a key onto one connection,
 *   and this holds when the count across replicas cannot be reached.
 * - `closeConnectionsOf(keyId, why)` closes that key's connections with 4401 at once;
 *   `reauthenticate(keyId, end)` closes those whose `connection_init` no longer
 *   authenticates, after `end` has ended their subscriptions with a last payload.
 * - `goAway(why)` (the replica drains): every connection, and every one opened from now
 *   on, answers new operations with `why` and is closed with 1001 (Going Away, which
 *   graphql-ws clients retry: they reconnect, through the balancer, to another replica)
 *   once the operations running on it are done. `closed()` resolves when none is open.
 */
import type http from 'node:http';
import { WebSocket, WebSocketServer } from 'ws';
import { useServer } from 'graphql-ws/use/ws';
import { parse, type ExecutionArgs, type ExecutionResult, type GraphQLError, type GraphQLSchema } from 'graphql';
import { FacadeError } from '../errors/facade.error.js';
import type { Logger } from '../log/logger.js';
import { systemClock, type Clock } from '../time/clock.js';
import { GRAPHQL_PATH, type ContextSource, type OperationGate, type PreparedOperation } from './operation.gate.js';

/** How a retired connection is closed: its key does not authenticate (4401, which graphql-ws clients do not retry), or the replica goes away (1001, which they do). */
const UNAUTHORIZED = { code: 4401, reason: 'Unauthorized' } as const;
const GOING_AWAY = { code: 1001, reason: 'Going away' } as const;
type CloseFrame = typeof UNAUTHORIZED | typeof GOING_AWAY;
/** What a refused operation is executed as: its answer is the refusal (see `refusals`). */
const REFUSED_DOCUMENT = parse('query Refused { __typename }');
/** How long a connection that did not authenticate stays open, idle, to answer what a router multiplexes onto it. */
const UNAUTHENTICATED_LINGER_MS = 1_000;
/** How often a connection to close is checked for operations still running. */
const IDLE_CHECK_MS = 50;

export interface WebSocketTransportOptions {
  httpServer: http.Server;
  schema: GraphQLSchema;
  gate: OperationGate;
  /** The gate's authentication, for `connection_init`. */
  authenticate: (source: ContextSource) => Promise<{ apiKey: { id: string } }>;
  /** The client's address, from the upgrade request (`client.address.ts`). */
  clientAddressOf: (request: http.IncomingMessage) => string | undefined;
  /** Operations one key may run at once (`LIVE_MAX_SUBSCRIPTIONS_PER_KEY`). */
  maxPerKey: number;
  logger: Logger;
  /** What a connection to close waits on. Default `systemClock`. */
  clock?: Clock;
}

export interface WebSocketTransport {
  /** Open connections, by whether their key authenticated. */
  counts(): { authenticated: number; unauthenticated: number };
  /** Closes every connection of `keyId` with 4401 once its last payloads are sent; later operations on them get `why`. */
  closeConnectionsOf(keyId: string, why: FacadeError): void;
  /** Authenticates `keyId`'s connections again; for each refused one, `ended(source)` ends its subscriptions, then it closes. */
  reauthenticate(keyId: string, ended: (source: ContextSource) => FacadeError): Promise<void>;
  /** Refuses new operations with `why` and closes every connection (1001) once its running operations are done. */
  goAway(why: FacadeError): void;
  /** Resolves once no connection is open. */
  closed(): Promise<void>;
  /** Ends graphql-ws's operations (Apollo's drain calls it). */
  dispose(): Promise<void>;
  close(): Promise<void>;
}

export function startWebSocketTransport(options: WebSocketTransportOptions): WebSocketTransport {
  const { gate, logger, maxPerKey, schema, clock = systemClock } = options;
  /** A graphql-ws connection as a `ContextSource`. */
  const sourceOf = (ctx: { connectionParams?: Readonly<Record<string, unknown>> | undefined; extra: { request: http.IncomingMessage } }): ContextSource => ({
    transport: 'ws',
    headers: ctx.extra.request.headers,
    connectionParams: ctx.connectionParams ?? {},
    clientAddress: options.clientAddressOf(ctx.extra.request),
  });
  // Each open connection by the key it authenticated with, and what it authenticated with.
  const connectionsByKey = new Map<string, Map<WebSocket, ContextSource>>();
  /**
   * graphql-ws's onSubscribe cannot answer a result, so a refusal answers arguments whose
   * context is one of these, and `execute`/`subscribe` answer the refusal.
   */
  const refusals = new WeakMap<object, ExecutionResult>();
  const argsOf = (prepared: PreparedOperation): ExecutionArgs => {
    if ('args' in prepared) return prepared.args;
    const contextValue = {};
    refusals.set(contextValue, { errors: prepared.errors as GraphQLError[] });
    return { schema, document: REFUSED_DOCUMENT, contextValue };
  };
  /**
   * Connections that answer every new operation with a refusal, with why: their key does
   * not authenticate (bad at `connection_init`, or revoked, reset or cut short since), or
   * the replica goes away.
   */
  const retired = new WeakMap<WebSocket, FacadeError>();
  const running = new WeakMap<WebSocket, () => number>();
  /** Set once the replica drains: why every connection goes. */
  let goingAway: FacadeError | undefined;
  /** Closes `socket` with `frame` once no operation runs on it, after `lingerMs` idle. */
  const retire = (socket: WebSocket, error: FacadeError, lingerMs: number, frame: CloseFrame = UNAUTHORIZED) => {
    retired.set(socket, error);
    const closeWhenIdle = () => {
      if (socket.readyState !== WebSocket.OPEN) return;
      // An operation still running (a query at its deadline) is waited for, checking now and then.
      if ((running.get(socket)?.() ?? 0) > 0) return void clock.schedule(Math.max(lingerMs, IDLE_CHECK_MS), closeWhenIdle);
      // The reason is short and fixed (a close reason is at most 123 bytes); the refusal said why.
      socket.close(frame.code, frame.reason);
    };
    // After the pending sends (the operations' last payloads) are queued ahead of the close.
    clock.schedule(lingerMs, closeWhenIdle);
  };

  const wsServer = new WebSocketServer({ server: options.httpServer, path: GRAPHQL_PATH });
  const cleanup = useServer(
    {
      schema,
      subscribe: (args) => refusals.get(args.contextValue as object) ?? gate.subscribe(args),
      execute: (args) => refusals.get(args.contextValue as object) ?? gate.execute(args),
      onConnect: async (ctx) => {
        const socket = ctx.extra.socket;
        running.set(socket, () => Object.keys(ctx.subscriptions).length);
        // Acknowledged, so an operation sent at once still learns why, then closed to reconnect elsewhere.
        if (goingAway !== undefined) {
          retire(socket, goingAway, UNAUTHENTICATED_LINGER_MS, GOING_AWAY);
          return true;
        }
        try {
          const source = sourceOf(ctx);
          const keyId = (await options.authenticate(source)).apiKey.id;
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
          const refusal = error instanceof FacadeError ? error : new FacadeError('UNAUTHENTICATED', 'The API key could not be checked; try again');
          retire(socket, refusal, UNAUTHENTICATED_LINGER_MS);
        }
        return true;
      },
      onSubscribe: async (ctx, _id, payload) => {
        const source = sourceOf(ctx);
        const refusal = retired.get(ctx.extra.socket);
        if (refusal !== undefined) return argsOf(gate.refuse(source, payload, refusal));
        // The new operation is already registered (as null) when this runs.
        if (Object.keys(ctx.subscriptions).length > maxPerKey) {
          const error = new FacadeError(
            'LIMIT_EXCEEDED',
            `this connection already runs ${maxPerKey} operations, as many as its key may (LIVE_MAX_SUBSCRIPTIONS_PER_KEY); end one first`,
            { details: { limit: 'LIVE_MAX_SUBSCRIPTIONS_PER_KEY', max: maxPerKey } },
          );
          return argsOf(gate.refuse(source, payload, error));
        }
        return argsOf(await gate.prepare(source, payload));
      },
    },
    wsServer,
  );

  return {
    counts() {
      let refused = 0;
      for (const socket of wsServer.clients) if (retired.get(socket)?.code === 'UNAUTHENTICATED') refused += 1;
      return { authenticated: wsServer.clients.size - refused, unauthenticated: refused };
    },
    closeConnectionsOf(keyId, why) {
      for (const socket of connectionsByKey.get(keyId)?.keys() ?? []) retire(socket, why, 0);
      connectionsByKey.delete(keyId);
    },
    async reauthenticate(keyId, ended) {
      await Promise.all(
        [...(connectionsByKey.get(keyId) ?? [])].map(async ([socket, source]) => {
          try {
            await options.authenticate(source);
          } catch (error) {
            if (error instanceof FacadeError && error.code === 'UNAUTHENTICATED') retire(socket, ended(source), 0);
            else logger.error({ err: error }, 'could not authenticate a WebSocket connection again');
          }
        }),
      );
    },
    goAway(why) {
      goingAway = why;
      for (const socket of wsServer.clients) retire(socket, why, 0, GOING_AWAY);
    },
    closed: async () => {
      const open = [...wsServer.clients].filter((socket) => socket.readyState !== WebSocket.CLOSED);
      await Promise.all(open.map((socket) => new Promise((resolve) => socket.once('close', resolve))));
    },
    dispose: async () => {
      await cleanup.dispose();
    },
    close: () => new Promise<void>((resolve) => wsServer.close(() => resolve())),
  };
}
