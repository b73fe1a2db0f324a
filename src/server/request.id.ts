/**
 * One id per HTTP request, shared by the answer (`x-request-id`, and an unexpected
 * error's `extensions.requestId`) and the log lines written while it is served.
 *
 * Contract: an incoming `x-request-id` of 1–128 printable, non-space ASCII characters is
 * kept (a proxy in front already named the request); anything else is replaced by a new
 * UUID. `currentRequestId()` answers the id of the request whose work is running (an
 * `AsyncLocalStorage`, so it follows every await), or undefined outside one.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import { randomUUID } from 'node:crypto';
import type { NextFunction, Request, Response } from 'express';

const ids = new AsyncLocalStorage<string>();
const ACCEPTED = /^[\x21-\x7e]{1,128}$/;

export function requestIdOf(header: string | string[] | undefined): string {
  return typeof header === 'string' && ACCEPTED.test(header) ? header : randomUUID();
}

/** Express middleware: names the request, answers the name, and runs the rest of its handling under it. */
export function withRequestId(req: Request, res: Response, next: NextFunction): void {
  const id = requestIdOf(req.headers['x-request-id']);
  res.setHeader('x-request-id', id);
  ids.run(id, next);
}

export function currentRequestId(): string | undefined {
  return ids.getStore();
}
