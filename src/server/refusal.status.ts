/**
 * How a refusal travels over HTTP, so that its `extensions.code` reaches the client
 * whether it calls the facade directly or through a federation router.
 *
 * Contract (the GraphQL-over-HTTP spec's two media types, chosen by the caller's Accept):
 * - A caller that accepts `application/json`, named (with q > 0), through a wildcard
 *   (`*` / `*`, `application/*`) or by sending no Accept (the spec reads that as
 *   `application/json`), gets that media type's rule: every refusal of a well-formed
 *   GraphQL request (UNAUTHENTICATED, FORBIDDEN, COST_LIMIT_EXCEEDED, a validation
 *   error, …) is HTTP 200 with `errors`, as `application/json`. Routers are such callers
 *   (Hive Gateway and Grafbase name it, Apollo Gateway sends `*` / `*`), and they read
 *   any other status as a transport failure: Grafbase drops the body, Apollo Gateway
 *   keeps only a code it can guess from the status. graphql-request and curl are too.
 * - A caller that accepts only `application/graphql-response+json` gets that type's
 *   rule: the 4xx of the refusal (401, 403, 400, 429), with the same body.
 * - Requests that are not GraphQL requests at all (no JSON body, too large, another
 *   content type) keep their 4xx whatever the Accept: there is no GraphQL response.
 * Headers a refusal carries (`Retry-After`) are sent with either status.
 * On WebSocket and SSE a refusal is an operation's only payload (`asPayloadError`: the
 * same error without its HTTP part).
 */
import type express from 'express';
import { GraphQLError } from 'graphql';
import { FacadeError, httpStatusOf, type ErrorCode } from '../errors/facade.error.js';

const JSON_TYPE = 'application/json';

/** Whether a caller with this Accept takes `application/json`: named or through a wildcard with q > 0, or no Accept at all. */
export function acceptsJson(accept: string | undefined): boolean {
  if (accept === undefined || accept.trim() === '') return true;
  for (const range of accept.split(',')) {
    const [type, ...params] = range.split(';').map((part) => part.trim().toLowerCase());
    if (type !== JSON_TYPE && type !== '*/*' && type !== 'application/*') continue;
    const q = params.find((param) => param.startsWith('q='));
    if (q === undefined || Number(q.slice(2)) > 0) return true;
  }
  return false;
}

/** The HTTP status of a refusal with `code`, under the JSON rules or not. */
export function refusalStatus(code: ErrorCode, jsonRules: boolean): number {
  const status = httpStatusOf(code);
  return jsonRules && status >= 400 && status < 500 ? 200 : status;
}

/**
 * A caller that accepts `application/json` is answered in it (Apollo would otherwise pick
 * `application/graphql-response+json` when the caller lists it first, whose refusals
 * must be 4xx): the Accept Apollo negotiates with becomes `application/json`.
 */
export function answerJsonWhenAccepted(req: express.Request, _res: express.Response, next: express.NextFunction): void {
  if (acceptsJson(req.headers.accept)) req.headers.accept = JSON_TYPE;
  next();
}

/**
 * A refusal as GraphQL sends it: the facade's code, and the HTTP status for its
 * transport (`jsonRules`: the caller accepts application/json). Anything that is not a
 * `FacadeError` or a `GraphQLError` is a bug: the caller sees a generic error, and the
 * original goes along for the error formatter to log.
 */
export function toGraphQLError(error: unknown, jsonRules = false): GraphQLError {
  if (error instanceof FacadeError) {
    const retryAfter = error.details['retryAfterSeconds'];
    return new GraphQLError(error.message, {
      // Kept so the error formatter answers the FacadeError's details (the permission, the retry hint).
      originalError: error,
      extensions: {
        ...error.toExtensions(),
        http: {
          status: refusalStatus(error.code, jsonRules),
          ...(typeof retryAfter === 'number' ? { headers: new Map([['retry-after', String(retryAfter)]]) } : {}),
        },
      },
    });
  }
  if (error instanceof GraphQLError) return error;
  return new GraphQLError('Internal server error', {
    originalError: error instanceof Error ? error : undefined,
    extensions: { code: 'INTERNAL_SERVER_ERROR' },
  });
}

/** A refusal sent as an operation's payload (WebSocket, SSE): without the HTTP-only part. */
export function asPayloadError(error: GraphQLError): GraphQLError {
  const { http: _http, ...extensions } = error.extensions;
  return new GraphQLError(error.message, { extensions });
}
