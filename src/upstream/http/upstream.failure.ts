/**
 * How an upstream's answer (or silence) becomes a `FacadeError`, and which of those
 * failures are worth another attempt or count against the upstream's health.
 *
 * Contract: every message names the deployment, the method and the path (never the
 * query, the origin, a header or a token), and only the upstream's short `error` text
 * for a request it called bad. The mapping:
 *
 * | upstream                                   | code                        | retried (idempotent) | breaker |
 * |--------------------------------------------|-----------------------------|----------------------|---------|
 * | connection refused/reset, DNS, socket      | `UPSTREAM_UNAVAILABLE`      | yes                  | counts  |
 * | connect or response timeout, 408           | `UPSTREAM_TIMEOUT`          | yes (not 408)        | counts  |
 * | 429                                        | `UPSTREAM_RATE_LIMITED`     | yes, after Retry-After | no    |
 * | 502, 503, 504                              | `UPSTREAM_UNAVAILABLE`      | yes                  | counts  |
 * | other 5xx                                  | `UPSTREAM_UNAVAILABLE`      | no                   | counts  |
 * | 400, 409, 422                              | `BAD_USER_INPUT`            | no                   | no      |
 * | 401 (after one refreshed token), 403       | `UPSTREAM_AUTH_FAILED`      | no                   | no      |
 * | 404, 410                                   | `NOT_FOUND`                 | no                   | no      |
 * | anything else (1xx, 3xx, other 4xx)        | `UPSTREAM_INVALID_RESPONSE` | no                   | no      |
 */
import { FacadeError } from '../../errors/facade.error.js';

export interface RequestDescription {
  deployment: string;
  method: string;
  /** Path below the base URL, without the query. */
  path: string;
}

/** Failures worth another attempt; kept out of `details` so they do not reach GraphQL clients. */
const transient = new WeakSet<FacadeError>();

export function isTransient(error: unknown): boolean {
  return error instanceof FacadeError && transient.has(error);
}

/** Failures that say the upstream is unwell (as opposed to a request it refused). */
export function isOutage(error: unknown): boolean {
  return error instanceof FacadeError && (error.code === 'UPSTREAM_UNAVAILABLE' || error.code === 'UPSTREAM_TIMEOUT');
}

/** `Retry-After` as milliseconds from now: delta-seconds or an HTTP date; undefined when absent or unreadable. */
export function parseRetryAfter(header: string | string[] | undefined, now: number): number | undefined {
  const value = Array.isArray(header) ? header[0] : header;
  if (value === undefined || value.trim() === '') return undefined;
  if (/^\s*\d+(\.\d+)?\s*$/.test(value)) return Math.round(Number(value) * 1000);
  const date = Date.parse(value);
  return Number.isNaN(date) ? undefined : Math.max(0, date - now);
}

function describe(request: RequestDescription): string {
  return `${request.method} ${request.path}`;
}

/** The upstream's own short reason (`{ error }` or `{ message }`), trimmed; never more than 200 characters. */
function upstreamReason(body: string): string | undefined {
  try {
    const parsed = JSON.parse(body) as { error?: unknown; message?: unknown };
    const reason = typeof parsed.error === 'string' ? parsed.error : parsed.message;
    return typeof reason === 'string' && reason !== '' ? reason.slice(0, 200) : undefined;
  } catch {
    return undefined;
  }
}

export function failureForStatus(
  status: number,
  body: string,
  retryAfterMs: number | undefined,
  request: RequestDescription,
): FacadeError {
  const { deployment } = request;
  const what = describe(request);
  const details: Record<string, unknown> = { upstreamStatus: status };
  if (retryAfterMs !== undefined) details.retryAfterMs = retryAfterMs;
  const make = (code: FacadeError['code'], message: string, retry = false) => {
    const error = new FacadeError(code, message, { deployment, details });
    if (retry) transient.add(error);
    return error;
  };

  if (status === 429) {
    return make('UPSTREAM_RATE_LIMITED', `${deployment}: the upstream's request quota is exhausted (429 to ${what}); try again later`, true);
  }
  if (status === 502 || status === 503 || status === 504) {
    return make('UPSTREAM_UNAVAILABLE', `${deployment} is unavailable: ${status} to ${what}`, true);
  }
  if (status >= 500) return make('UPSTREAM_UNAVAILABLE', `${deployment} failed: ${status} to ${what}`);
  if (status === 408) return make('UPSTREAM_TIMEOUT', `${deployment} timed out answering ${what} (408)`);
  if (status === 400 || status === 409 || status === 422) {
    const reason = upstreamReason(body);
    return make(
      'BAD_USER_INPUT',
      `${deployment} refused ${what} as invalid (${status})${reason === undefined ? '' : `: ${reason}`}`,
    );
  }
  if (status === 401 || status === 403) {
    return make('UPSTREAM_AUTH_FAILED', `${deployment} refused the facade's credentials (${status} to ${what})`);
  }
  if (status === 404 || status === 410) return make('NOT_FOUND', `${deployment} has no such resource: ${what} (${status})`);
  return make('UPSTREAM_INVALID_RESPONSE', `${deployment} answered ${what} with unexpected status ${status}`);
}

const TIMEOUT_CODES = new Set(['UND_ERR_CONNECT_TIMEOUT', 'UND_ERR_HEADERS_TIMEOUT', 'UND_ERR_BODY_TIMEOUT', 'ETIMEDOUT']);

/** A request that got no complete answer: timeouts, refused or dropped connections. */
export function failureForNetworkError(error: unknown, timedOut: boolean, request: RequestDescription): FacadeError {
  const { deployment } = request;
  const code = (error as { code?: unknown } | undefined)?.code;
  const isTimeout = timedOut || (typeof code === 'string' && TIMEOUT_CODES.has(code));
  const reason = typeof code === 'string' ? code : error instanceof Error ? error.name : 'unknown error';
  const failure = isTimeout
    ? new FacadeError('UPSTREAM_TIMEOUT', `${deployment} did not answer ${describe(request)} in time`, {
        deployment,
        cause: error,
      })
    : new FacadeError('UPSTREAM_UNAVAILABLE', `${deployment} is unreachable: ${describe(request)} failed (${reason})`, {
        deployment,
        cause: error,
      });
  transient.add(failure);
  return failure;
}
