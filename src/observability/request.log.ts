/**
 * The request log: one line per GraphQL request over HTTP, an Apollo plugin.
 *
 * Contract:
 * - Each request that reaches Apollo's pipeline writes one `info` line, `graphql
 *   request`, when its answer is about to be sent:
 *   `{ requestId, keyId, operationType, operationName, durationMs, upstreamCalls,
 *   estimatedUpstreamCalls, outcome, errorCodes? }` (see `OperationSummary`; `durationMs`
 *   from the start of Apollo's pipeline, authentication done, to the answer).
 * - A request refused while its context was made (authentication: UNAUTHENTICATED,
 *   AUTH_THROTTLED) writes the line too, with the outcome alone: Apollo tells a plugin
 *   only the error there, not the request, so it has no id, key or duration.
 * - Never the document, the variables or an error's message; the logger redacts
 *   secrets by path besides (`src/log/logger.ts`).
 * - Put it after the server's own plugin, for `extensions.cost` (see `summarizeOperation`).
 *   WebSocket and SSE operations do not pass through Apollo and are not logged here.
 */
import type { ApolloServerPlugin } from '@apollo/server';
import type { Logger } from '../log/logger.js';
import { codeOf, summarizeOperation, type SummarizedContext } from './operation.summary.js';

export const REQUEST_LOG_MESSAGE = 'graphql request';

export function requestLogPlugin(logger: Logger): ApolloServerPlugin<SummarizedContext> {
  return {
    async contextCreationDidFail({ error }) {
      const code = (error as { extensions?: Record<string, unknown> }).extensions?.['code'];
      logger.info({ operationType: 'unknown', outcome: codeOf(code) }, REQUEST_LOG_MESSAGE);
    },
    async requestDidStart() {
      const started = process.hrtime.bigint();
      return {
        async willSendResponse(request) {
          const { errorCodes, ...summary } = summarizeOperation(request);
          const durationMs = Math.round(Number(process.hrtime.bigint() - started) / 1e4) / 100;
          logger.info({ ...summary, durationMs, ...(errorCodes.length === 0 ? {} : { errorCodes }) }, REQUEST_LOG_MESSAGE);
        },
      };
    },
  };
}
