/**
 * The request log: one line per GraphQL operation, on every transport.
 *
 * Contract:
 * - Each operation writes one `info` line, `graphql request`, when it ends (see
 *   `operation.record.ts`; a subscription when it is set up or refused):
 *   `{ transport, requestId, clientAddress, keyId, operationType, operationName,
 *   durationMs, upstreamCalls, estimatedUpstreamCalls, outcome, errorCodes? }`, the
 *   client address as the failed-login throttle counts it (`TRUSTED_PROXIES`).
 * - A request refused while its key was checked (UNAUTHENTICATED, AUTH_THROTTLED) writes
 *   the line too, with what is known: no key, and on HTTP no duration.
 * - Never the document, the variables or an error's message; the logger redacts
 *   secrets by path besides (`src/log/logger.ts`).
 */
import type { Logger } from '../log/logger.js';
import { recordOnly, type OperationObserver } from './operation.record.js';

export const REQUEST_LOG_MESSAGE = 'graphql request';

export function requestLog(logger: Logger): OperationObserver {
  return recordOnly(({ errorCodes, queryLimited: _queryLimited, ...line }) => {
    logger.info({ ...line, ...(errorCodes.length === 0 ? {} : { errorCodes }) }, REQUEST_LOG_MESSAGE);
  });
}
