/**
 * How a refusal travels over HTTP, so that its `extensions.code` reaches the client
 * whether it calls the facade directly or through a federation router.
 *
 * Contract (the GraphQL-over-HTTP spec's two media types, chosen by the caller's Accept):
 * - A caller that names `application/json` in `Accept` (with q > 0) is answered as
 *   `application/json`, and every refusal of a well-formed GraphQL request
 *   (UNAUTHENTICATED, FORBIDDEN, COST_LIMIT_EXCEEDED, a validation error, …) is HTTP 200
 *   with `errors` — that media type's rule. Routers name it (Hive Gateway, Grafbase,
 *   Apollo Router), and several read any other status as a transport failure and drop
 *   the body with its code; graphql-request and graphql-http's client name it too.
 * - A caller that names only `application/graphql-response+json` gets that type's rule:
 *   the 4xx of the refusal (401, 403, 400, 429), with the same body.
 * - A caller that names neither (curl, fetch's `*` / `*`, no Accept) gets the status that
 *   says what happened, with the same body: a person or a generic HTTP tool reads both.
 * - Requests that are not GraphQL requests at all (no JSON body, too large, another
 *   content type) keep their 4xx whatever the Accept: there is no GraphQL response.
 * Headers a refusal carries (`Retry-After`) are sent with either status.
 */
import type express from 'express';
import { httpStatusOf, type ErrorCode } from '../errors/facade.error.js';

const JSON_TYPE = 'application/json';

/** Whether `accept` names `application/json` with a q above 0. */
export function namesJson(accept: string | undefined): boolean {
  if (accept === undefined) return false;
  for (const range of accept.split(',')) {
    const [type, ...params] = range.split(';').map((part) => part.trim().toLowerCase());
    if (type !== JSON_TYPE) continue;
    const q = params.find((param) => param.startsWith('q='));
    return q === undefined || Number(q.slice(2)) > 0;
  }
  return false;
}

/** The HTTP status of a refusal with `code`, under the JSON rules or not. */
export function refusalStatus(code: ErrorCode, jsonRules: boolean): number {
  const status = httpStatusOf(code);
  return jsonRules && status >= 400 && status < 500 ? 200 : status;
}

/**
 * A caller that names `application/json` is answered in it (Apollo would otherwise pick
 * `application/graphql-response+json` when the caller lists it first, whose refusals
 * must be 4xx): the Accept Apollo negotiates with becomes `application/json`.
 */
export function answerJsonWhenNamed(req: express.Request, _res: express.Response, next: express.NextFunction): void {
  if (namesJson(req.headers.accept)) req.headers.accept = JSON_TYPE;
  next();
}
