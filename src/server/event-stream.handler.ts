/**
 * GraphQL over Server-Sent Events on `/graphql/stream`, with graphql-sse, for dashboards
 * behind proxies that strip WebSocket upgrades.
 *
 * Contract: distinct connections mode: each `POST` (or `GET` with the operation in the
 * query string) with `Accept: text/event-stream` is one operation, answered as a stream
 * of `next` events and one `complete`. The operation is authenticated, authorized and
 * limited exactly as on WebSocket (the operation gate's `prepare`, `execute`, `subscribe`):
 * a refusal, before the operation runs or once it runs, is a `next` event whose errors
 * carry `extensions.code`, then `complete` (graphql-sse's client, and a router, read the
 * stream, not an HTTP error status and its body). A comment
 * line keeps the connection alive every 12 s (graphql-sse's pinger). Anything else on
 * the path (no event-stream `Accept`, a single-connection reservation) is 406 with a
 * JSON error saying what to send: single connection mode is not offered, since its
 * stream token would outlive the API key checks of the operations sent to it.
 */
import type express from 'express';
import type { ExecutionArgs, ExecutionResult, GraphQLSchema } from 'graphql';
import { createHandler } from 'graphql-sse/lib/use/express';
import type { Logger } from '../log/logger.js';
import type { OperationPayload, PreparedOperation } from './operation.gate.js';

export interface EventStreamOptions {
  schema: GraphQLSchema;
  /** Parses, validates, authenticates and authorizes one operation from its request. */
  prepare(request: express.Request, params: OperationPayload): Promise<PreparedOperation>;
  /** Runs a subscription (the shared executor). */
  subscribe(args: ExecutionArgs): Promise<AsyncIterableIterator<ExecutionResult> | ExecutionResult>;
  /** Runs a query or mutation. */
  execute(args: ExecutionArgs): Promise<ExecutionResult>;
  logger: Logger;
}

export function eventStreamHandler(options: EventStreamOptions): express.RequestHandler {
  const handler = createHandler({
    schema: options.schema,
    // No stream tokens: every operation is its own connection (see the contract).
    authenticate: () => null,
    onSubscribe: async (req, params) => {
      const prepared = await options.prepare(req.raw, {
        query: typeof params.query === 'string' ? params.query : '',
        operationName: params.operationName,
        variables: params.variables,
      });
      // graphql-sse streams what it recognises as a result (it needs the `data` key).
      if ('errors' in prepared) return { data: null, errors: prepared.errors };
      return prepared.args as ExecutionArgs & { contextValue: undefined };
    },
    subscribe: (args) => options.subscribe(args),
    execute: (args) => options.execute(args),
  });

  return async (req, res) => {
    if (req.headers.accept !== 'text/event-stream') {
      res
        .status(406)
        .type('application/json')
        .send(
          JSON.stringify({
            errors: [
              {
                message:
                  'This path streams GraphQL over Server-Sent Events: POST the operation as JSON with ' +
                  '`Accept: text/event-stream` (graphql-sse distinct connections mode); send queries and mutations to /graphql',
                extensions: { code: 'BAD_REQUEST' },
              },
            ],
          }),
        );
      return;
    }
    try {
      await handler(req, res);
    } catch (error) {
      options.logger.error({ err: error }, 'event stream failed');
      if (!res.headersSent) res.status(500).type('application/json').send(JSON.stringify({ errors: [{ message: 'Internal server error', extensions: { code: 'INTERNAL_SERVER_ERROR' } }] }));
      else res.end();
    }
  };
}
