/**
 * One id per HTTP request, shared by the answer (`x-request-id`, and an unexpected
 * error's `extensions.requestId`) and the log lines written while it is served.
 *
 * Contract: an incoming `x-request-id` of 1–128 printable, non-space ASCII characters is
 * kept (a proxy in front already named the request); anything else is replaced by a new
 * UUID. `withRequestId` answers it in the response's `x-request-id` and writes it into
 * the request's own headers, where the GraphQL layer reads it (`requestIdOf` of them).
 * Not an AsyncLocalStorage: its promise hooks cost ~0.1 ms on a 50-alarm page.
 */
import { randomUUID } from 'node:crypto';
import type { NextFunction, Request, Response } from 'express';

export const REQUEST_ID_HEADER = 'x-request-id';
const ACCEPTED = /^[\x21-\x7e]{1,128}$/;

/** The request's id as sent, if it is one we keep; else a new one. */
export function requestIdOf(header: string | string[] | null | undefined): string {
  return typeof header === 'string' && ACCEPTED.test(header) ? header : randomUUID();
}

/** Express middleware: names the request, answers the name, and leaves it in the request's headers. */
export function withRequestId(req: Request, res: Response, next: NextFunction): void {
  const id = requestIdOf(req.headers[REQUEST_ID_HEADER]);
  req.headers[REQUEST_ID_HEADER] = id;
  res.setHeader(REQUEST_ID_HEADER, id);
  next();
}
