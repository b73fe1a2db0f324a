/**
 * What one GraphQL request over HTTP was and how it ended, read once from Apollo's
 * request context for the request log and the operation span.
 *
 * Contract:
 * - Read in `willSendResponse` of a plugin that comes after the server's own (the
 *   `plugins` of `startFacadeServer` do): Apollo calls the hooks in plugin order, and the
 *   server's sets `extensions.cost` before it awaits anything, so the estimate is there.
 *   Without it the estimate is undefined and the calls are read from the context.
 * - Holds no document, no variables and no error message (any of them may carry a
 *   secret a client typed): the operation's type and name, the error codes, counts.
 * - Knows the context only by the two fields it reads, so it imports nothing above it.
 */
import type { GraphQLRequestContextWillSendResponse } from '@apollo/server';
import { getOperationAST } from 'graphql';

/** The parts of the facade's GraphQL context read here (`GraphContext` has them). */
export interface SummarizedContext {
  apiKey?: { id: string };
  upstreamCallsSent?: { count: number };
}

export interface OperationSummary {
  /** The request's `x-request-id`: the caller's, or the one the server made. */
  requestId: string | undefined;
  /** The id of the API key it authenticated with (never the key). */
  keyId: string | undefined;
  /** `query` or `mutation` (of a document that failed validation too); `unknown` when the document did not parse or name an operation. */
  operationType: string;
  /** The operation's name as the client gave it (at most 128 characters), or undefined when anonymous. */
  operationName: string | undefined;
  /** `ok`, or the first error's code (INTERNAL_SERVER_ERROR when it has none). */
  outcome: string;
  /** Every distinct error code, in the order the errors came; empty when there were none. */
  errorCodes: string[];
  /** Upstream calls the cost estimator predicted (`extensions.cost.estimatedUpstreamCalls`). */
  estimatedUpstreamCalls: number | undefined;
  /** Upstream requests the operation sent (`extensions.cost.actualUpstreamCalls`). */
  upstreamCalls: number;
}

/** The header `request.id.ts` (server/) fills; named here, since this folder does not import the server. */
const REQUEST_ID_HEADER = 'x-request-id';
const NAME_LENGTH = 128;

export function summarizeOperation(request: GraphQLRequestContextWillSendResponse<SummarizedContext>): OperationSummary {
  const result = request.response.body.kind === 'single' ? request.response.body.singleResult : undefined;
  const errors = result?.errors ?? [];
  const errorCodes = [...new Set(errors.map((error) => codeOf(error.extensions?.['code'])))];
  const cost = result?.extensions?.['cost'] as { estimatedUpstreamCalls?: unknown; actualUpstreamCalls?: unknown } | undefined;
  // A document that failed validation has no resolved operation, but still says which it is.
  const operation = request.operation ?? (request.document === undefined ? undefined : getOperationAST(request.document, request.request.operationName));
  const name = request.operationName ?? operation?.name?.value ?? undefined;
  return {
    requestId: request.request.http?.headers.get(REQUEST_ID_HEADER) ?? undefined,
    keyId: request.contextValue.apiKey?.id,
    operationType: operation?.operation ?? 'unknown',
    operationName: name === undefined || name === null ? undefined : name.slice(0, NAME_LENGTH),
    outcome: errorCodes[0] ?? 'ok',
    errorCodes,
    estimatedUpstreamCalls: typeof cost?.estimatedUpstreamCalls === 'number' ? cost.estimatedUpstreamCalls : undefined,
    upstreamCalls:
      typeof cost?.actualUpstreamCalls === 'number' ? cost.actualUpstreamCalls : (request.contextValue.upstreamCallsSent?.count ?? 0),
  };
}

/** An error's code, for a request refused before any operation ran too (context creation). */
export function codeOf(code: unknown): string {
  return typeof code === 'string' ? code : 'INTERNAL_SERVER_ERROR';
}
