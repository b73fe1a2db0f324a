/**
 * The one error family of the facade.
 *
 * Contract: every failure that a caller may see is a `FacadeError` with a stable
 * `code` (surfaced as GraphQL `extensions.code`), a message a person can act on and,
 * where it applies, the deployment it concerns. Messages never carry a secret, a
 * bearer token, an upstream URL with credentials or a stack trace: the constructor
 * refuses nothing, so callers must build messages from safe parts only; the server
 * maps anything that is not a `FacadeError` to a generic INTERNAL_SERVER_ERROR.
 */

/** Every code a caller can receive. Add one here and the compiler shows each switch to extend. */
export const ERROR_CODES = [
  'BAD_USER_INPUT',
  'NOT_FOUND',
  'UNAUTHENTICATED',
  'FORBIDDEN',
  'UPSTREAM_UNAVAILABLE',
  'UPSTREAM_TIMEOUT',
  'UPSTREAM_RATE_LIMITED',
  'UPSTREAM_AUTH_FAILED',
  'UPSTREAM_INVALID_RESPONSE',
  'INTERNAL_SERVER_ERROR',
  /** A limit of this facade (live subscriptions per key, per connection, per replica; a slow consumer's buffer). */
  'LIMIT_EXCEEDED',
  /** One API key used a field more often than its `@rateLimit` allows; `retryAfterSeconds` says when it may again. */
  'RATE_LIMITED',
  /** The operation could make more upstream calls than `MAX_OPERATION_COST` allows; nothing was sent upstream. */
  'COST_LIMIT_EXCEEDED',
  /** The operation's answer could hold more objects than `MAX_RESULT_NODES` allows; nothing was sent upstream. */
  'RESULT_TOO_LARGE',
  /** The HTTP request itself is not a GraphQL request the facade can run (body, content type, method, operationName). */
  'BAD_REQUEST',
  /** The key runs only trusted documents, and this is not one of them; nothing was executed. */
  'PERSISTED_QUERY_NOT_ALLOWED',
  /** This replica is draining (SIGTERM): subscribe again, and another replica answers; `retryAfterSeconds` is 0. */
  'SHUTTING_DOWN',
  /** A rotation of the same upstream client is already running (on this or another replica); nothing of this one was done. */
  'ROTATION_IN_PROGRESS',
] as const;

export type ErrorCode = (typeof ERROR_CODES)[number];

export interface FacadeErrorOptions {
  /** The deployment (or `central`) the failure concerns, if any. */
  deployment?: string;
  /** Extra, non-secret facts for `extensions` (for example `retryAfterMs`, `path`). */
  details?: Record<string, unknown>;
  /** The underlying error, kept for logs; never serialised to clients. */
  cause?: unknown;
}

export class FacadeError extends Error {
  override readonly name = 'FacadeError';
  readonly code: ErrorCode;
  readonly deployment: string | undefined;
  readonly details: Record<string, unknown>;

  constructor(code: ErrorCode, message: string, options: FacadeErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.deployment = options.deployment;
    this.details = options.details ?? {};
  }

  /**
   * What graphql-js copies into a `GraphQLError` made from this error (a resolver's
   * throw, a subscription's source): so transports without Apollo's error formatter
   * (graphql-ws, graphql-sse) still answer the code.
   */
  get extensions(): Record<string, unknown> {
    return this.toExtensions();
  }

  /** The fields that go into GraphQL `extensions`: code, deployment, details. */
  toExtensions(): Record<string, unknown> {
    return {
      code: this.code,
      ...(this.deployment === undefined ? {} : { deployment: this.deployment }),
      ...this.details,
    };
  }
}

/** HTTP status for a code, where a transport (not GraphQL) must answer on its own. */
export function httpStatusOf(code: ErrorCode): number {
  switch (code) {
    case 'BAD_USER_INPUT':
    case 'BAD_REQUEST':
    case 'COST_LIMIT_EXCEEDED':
    case 'RESULT_TOO_LARGE':
      return 400;
    case 'UNAUTHENTICATED':
      return 401;
    case 'FORBIDDEN':
    case 'PERSISTED_QUERY_NOT_ALLOWED':
      return 403;
    case 'NOT_FOUND':
      return 404;
    case 'ROTATION_IN_PROGRESS':
      return 409;
    case 'UPSTREAM_RATE_LIMITED':
    case 'LIMIT_EXCEEDED':
    case 'RATE_LIMITED':
      return 429;
    case 'UPSTREAM_UNAVAILABLE':
    case 'UPSTREAM_AUTH_FAILED':
    case 'UPSTREAM_INVALID_RESPONSE':
      return 502;
    case 'UPSTREAM_TIMEOUT':
      return 504;
    case 'INTERNAL_SERVER_ERROR':
      return 500;
    case 'SHUTTING_DOWN':
      return 503;
    default:
      return assertNever(code);
  }
}

/** Makes a missed case of an exhaustive switch a type error. */
export function assertNever(value: never): never {
  throw new Error(`Unhandled case: ${String(value)}`);
}
