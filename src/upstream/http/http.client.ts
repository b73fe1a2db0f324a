/**
 * The one HTTP client of the upstream layer, one instance per upstream target (base URL
 * + credential).
 *
 * Contract:
 * - Every attempt first waits for the credential's `RateBudget`, in the order of the
 *   request's `call` (its caller's fair share, its work class), and reports back to it
 *   when its answer is in; then it goes out through an undici dispatcher (by default a
 *   keep-alive `Agent` for the origin) with a connect timeout and a timeout over the
 *   whole attempt, and sends and receives JSON (read by `decodeJson`). Elements of
 *   list pages are kept parsed (`parsedDocuments` of them, by their exact bytes), so
 *   bodies share values with earlier ones: nobody may mutate a body.
 * - The call's deadline bounds everything together: the budget wait, every attempt
 *   (each attempt's timeout is cut to the time left) and every backoff (a retry whose
 *   backoff would end past it is not made). Past it, `request` rejects at once with
 *   `UPSTREAM_RATE_LIMITED` if the request was still waiting for the budget, else
 *   `UPSTREAM_TIMEOUT`, naming the deployment.
 * - Idempotent requests (GET, PUT, DELETE, and requests marked `retrySafe`) are retried
 *   on network errors, timeouts, 429, 502, 503 and 504, with full-jitter exponential
 *   backoff or exactly `Retry-After` when the upstream gives one; a `Retry-After` longer
 *   than `queueMaxWaitMs` is not waited for. Other statuses are never retried. A 429
 *   also tells the budget to slow down.
 * - With an `auth`, the `Authorization: Bearer` header is filled once the budget has
 *   granted the attempt, from the token that is current then, so no token expires while
 *   its request waits (a token is fetched before queueing when none is held, so that no
 *   permit is held across a routine token request). A 401 invalidates that token and
 *   the request is sent again with the current one; only a token requested for this
 *   very attempt and refused is `UPSTREAM_AUTH_FAILED` (at most three sends). Once the
 *   upstream has answered, `auth.observe` hears whether it took the token (any status
 *   but 401/403) or refused it.
 * - One circuit breaker per instance (cockatiel, consecutive failures): after
 *   `breakerThreshold` requests in a row fail with an outage (see `upstream.failure.ts`),
 *   calls fail fast with `UPSTREAM_UNAVAILABLE` without touching the network until
 *   `breakerHalfOpenAfterMs` has passed; then one probe decides. The breaker counts
 *   requests after their retries, so scattered transient errors do not open it, and not
 *   an attempt cut short by its call's deadline: under overload many requests are
 *   granted late, and their time running out says nothing about the upstream (counted,
 *   they opened the breaker and refused every caller for `breakerHalfOpenAfterMs`).
 * - Every failure is a `FacadeError` naming the deployment (see `upstream.failure.ts`);
 *   no message carries the origin, a header or a token.
 */
import { BrokenCircuitError, circuitBreaker, CircuitState, ConsecutiveBreaker, handleWhen, type CircuitBreakerPolicy } from 'cockatiel';
import { Agent, type Dispatcher } from 'undici';
import { UPSTREAM_TUNING_DEFAULTS, type UpstreamTuning } from '../upstream.settings.js';
import { FacadeError } from '../../errors/facade.error.js';
import type { Logger } from '../../log/logger.js';
import { RateBudget, requestClassOf } from '../budget/rate.budget.js';
import { systemClock, type Cancel, type Clock } from '../../time/clock.js';
import { FACADE_CALL, type UpstreamCall } from '../upstream.call.js';
import { endpointOf, type UpstreamObserver } from './upstream.observer.js';
import {
  failureForNetworkError,
  failureForStatus,
  isOutage,
  isTransient,
  parseRetryAfter,
  type RequestDescription,
} from './upstream.failure.js';
import { ElementMemo } from './element.memo.js';
import { decodeJson } from './json.decoder.js';

export type HttpMethod = 'GET' | 'POST' | 'PUT' | 'DELETE';

/** Supplies bearer tokens; `TokenManager` is the implementation. */
export interface Authenticator {
  /** The client ID the tokens are issued to, for messages. */
  readonly clientId: string;
  /** The token to send now, when one is held and not about to expire; undefined when one must be fetched (`token()`). */
  current(): string | undefined;
  /** A token that is valid now (may wait for a fetch). */
  token(): Promise<string>;
  /** The upstream refused `token`: forget it, if it is still the current one. */
  invalidate(token: string): void;
  /**
   * Optional: the upstream answered a request made with `token`; `refusal` is set when
   * it refused the token (401 after a fresh token, or 403). Not called for requests that
   * got no answer.
   */
  observe?(token: string, refusal?: FacadeError): void;
}

export interface HttpRequest {
  method: HttpMethod;
  /** Path below the base URL, starting with `/`, e.g. `/alarms/5f0c...`. */
  path: string;
  query?: URLSearchParams;
  headers?: Record<string, string>;
  /** Sent as `application/x-www-form-urlencoded`. */
  form?: Record<string, string>;
  /** Bearer tokens for this request; none for the token exchange itself. */
  auth?: Authenticator;
  /** Retry although the method is not idempotent: only for requests that change nothing upstream. */
  retrySafe?: boolean;
  /**
   * Bypass the circuit breaker: only for the token exchange, which runs inside a data
   * request that already passed the breaker (nested, a half-open probe would wait for
   * itself). Its failures still reach the breaker through that data request.
   */
  skipBreaker?: boolean;
  /** Whose request this is, its work class and its deadline. Default `FACADE_CALL` (the facade's own, no deadline). */
  call?: UpstreamCall;
}

export interface HttpResponse {
  status: number;
  /** Parsed JSON; `undefined` for an empty body. */
  body: unknown;
}

export interface HttpClientOptions {
  /** Deployment name (or `central`) for messages and logs. Required. */
  deployment: string;
  /** Base URL including the API version, without a trailing slash. Required. */
  baseUrl: string;
  /** Default: an own keep-alive `Agent` (see `createOriginAgent`), closed by `close()`. */
  dispatcher?: Dispatcher;
  /** Default: an in-memory `RateBudget` for this client alone. */
  budget?: RateBudget;
  /** Default `UPSTREAM_TUNING_DEFAULTS` (each field documented in `upstream.settings.ts`). */
  tuning?: Partial<UpstreamTuning>;
  /** Reads `Retry-After` dates and deadlines; times attempts, deadlines and backoffs. Default `systemClock`. */
  clock?: Clock;
  /** Draws the backoff jitter, in [0, 1). Default `Math.random`. */
  random?: () => number;
  logger?: Logger;
  /** Told of every attempt sent (metrics, traces). Default none. */
  observer?: UpstreamObserver;
}

/** A keep-alive dispatcher for one origin, with the tuning's connect and response timeouts. */
export function createOriginAgent(tuning: Partial<UpstreamTuning> = {}): Agent {
  const { connectTimeoutMs, requestTimeoutMs } = { ...UPSTREAM_TUNING_DEFAULTS, ...tuning };
  return new Agent({
    connect: { timeout: connectTimeoutMs },
    headersTimeout: requestTimeoutMs,
    bodyTimeout: requestTimeoutMs,
    keepAliveTimeout: 30_000,
    keepAliveMaxTimeout: 600_000,
  });
}

export class HttpClient {
  readonly deployment: string;
  readonly #origin: string;
  readonly #basePath: string;
  readonly #dispatcher: Dispatcher;
  readonly #ownsDispatcher: boolean;
  readonly #budget: RateBudget;
  readonly #tuning: UpstreamTuning;
  readonly #parsed: ElementMemo;
  readonly #clock: Clock;
  readonly #logger: Logger | undefined;
  readonly #random: () => number;
  readonly #breaker: CircuitBreakerPolicy;
  /** Timeouts of attempts whose time was cut short by their call's deadline, not the request timeout. */
  readonly #cutByDeadline = new WeakSet<Error>();
  readonly #observer: UpstreamObserver | undefined;

  constructor(options: HttpClientOptions) {
    this.#observer = options.observer;
    this.deployment = options.deployment;
    const base = new URL(options.baseUrl);
    this.#origin = base.origin;
    this.#basePath = base.pathname.replace(/\/+$/, '');
    this.#tuning = { ...UPSTREAM_TUNING_DEFAULTS, ...options.tuning };
    this.#parsed = new ElementMemo(this.#tuning.parsedDocuments);
    this.#ownsDispatcher = options.dispatcher === undefined;
    this.#dispatcher = options.dispatcher ?? createOriginAgent(this.#tuning);
    this.#clock = options.clock ?? systemClock;
    this.#logger = options.logger;
    this.#budget =
      options.budget ??
      new RateBudget({
        deployment: this.deployment,
        key: this.deployment,
        share: this.#tuning.budgetShare,
        windowMarginMs: this.#tuning.budgetWindowMarginMs,
        leaseMs: this.#tuning.requestTimeoutMs + 1_000,
        maxQueueWaitMs: this.#tuning.queueMaxWaitMs,
        clock: this.#clock,
        logger: this.#logger,
      });

    this.#random = options.random ?? Math.random;

    this.#breaker = circuitBreaker(handleWhen((error) => isOutage(error) && !this.#cutByDeadline.has(error)), {
      halfOpenAfter: this.#tuning.breakerHalfOpenAfterMs,
      breaker: new ConsecutiveBreaker(this.#tuning.breakerThreshold),
    });
    this.#breaker.onBreak(() =>
      this.#logger?.warn(
        { deployment: this.deployment, halfOpenAfterMs: this.#tuning.breakerHalfOpenAfterMs },
        'upstream circuit opened: failing fast',
      ),
    );
    this.#breaker.onHalfOpen(() => this.#logger?.info({ deployment: this.deployment }, 'upstream circuit half-open: probing'));
    this.#breaker.onReset(() => this.#logger?.info({ deployment: this.deployment }, 'upstream circuit closed: upstream is back'));
  }

  async request(request: HttpRequest): Promise<HttpResponse> {
    const call = request.call ?? FACADE_CALL;
    const progress: Progress = { queued: false };
    const work = this.#guarded(request, call, progress);
    const leftMs = call.deadline - this.#clock.now();
    if (!Number.isFinite(leftMs)) return work;
    // Whatever is still under way at the deadline (a queue, a hung upstream, a token
    // request) is bounded on its own; the caller gets its answer now.
    let cancel: Cancel | undefined;
    const deadline = new Promise<never>((_, reject) => {
      cancel = this.#clock.schedule(leftMs, () => reject(this.#pastDeadline(request, call, progress)));
    });
    work.catch(() => undefined);
    try {
      return await Promise.race([work, deadline]);
    } finally {
      cancel?.();
    }
  }

  async #guarded(request: HttpRequest, call: UpstreamCall, progress: Progress): Promise<HttpResponse> {
    const run = () => this.#withRetries(request, call, progress);
    if (request.skipBreaker === true) return run();
    try {
      return await this.#breaker.execute(run);
    } catch (error) {
      if (error instanceof BrokenCircuitError) {
        throw new FacadeError(
          'UPSTREAM_UNAVAILABLE',
          `${this.deployment} is unavailable: its last ${this.#tuning.breakerThreshold} requests failed, so calls are refused until a probe succeeds`,
          { deployment: this.deployment, details: { breakerOpen: true } },
        );
      }
      throw error;
    }
  }

  /**
   * The path and query below the base URL that a HAL link points to. Only the path is
   * taken from the link: requests always go to the configured origin, never to a host
   * named in a response.
   */
  linkTarget(href: string): { path: string; query: URLSearchParams } {
    let url: URL;
    try {
      url = new URL(href, `${this.#origin}${this.#basePath}/`);
    } catch {
      throw this.#badLink();
    }
    const pathname = url.pathname;
    let rest: string | undefined;
    if (pathname.startsWith(`${this.#basePath}/`)) {
      rest = pathname.slice(this.#basePath.length);
    } else {
      // Real links name the public host (`https://acme.alienvault.cloud/api/2.0/...`)
      // while the facade may reach the API under another prefix: match on `/api/<version>`.
      const version = /\/api\/[^/]+$/.exec(this.#basePath)?.[0];
      const at = version === undefined ? -1 : pathname.indexOf(`${version}/`);
      if (at >= 0) rest = pathname.slice(at + version!.length);
    }
    if (rest === undefined || rest.split('/').includes('..')) throw this.#badLink();
    return { path: rest, query: url.searchParams };
  }

  /** The circuit breaker's state: `open` while calls are refused, `half-open` while one probe is out. */
  get breakerState(): 'closed' | 'open' | 'half-open' {
    switch (this.#breaker.state) {
      case CircuitState.Open:
      case CircuitState.Isolated:
        return 'open';
      case CircuitState.HalfOpen:
        return 'half-open';
      default:
        return 'closed';
    }
  }

  /** The rate budget this client draws on (shared with the credential's other clients). */
  get budget(): RateBudget {
    return this.#budget;
  }

  /** Stops the budget's timers and, if this client made it, closes its agent. */
  async close(): Promise<void> {
    this.#budget.close();
    if (this.#ownsDispatcher) await this.#dispatcher.close();
  }

  #badLink(): FacadeError {
    return new FacadeError('UPSTREAM_INVALID_RESPONSE', `${this.deployment} sent a page link outside its API`, {
      deployment: this.deployment,
      details: { path: '_links.next.href' },
    });
  }

  /** Attempts until one succeeds, the error is not worth another, attempts run out, or the next backoff would end past the deadline. */
  async #withRetries(request: HttpRequest, call: UpstreamCall, progress: Progress): Promise<HttpResponse> {
    const idempotent = request.method !== 'POST' || request.retrySafe === true;
    const maxAttempts = idempotent ? this.#tuning.retryMaxAttempts : 1;
    for (let attempt = 1; ; attempt += 1) {
      try {
        return await this.#attempt(request, call, progress, attempt);
      } catch (error) {
        if (attempt >= maxAttempts || !isTransient(error)) throw error;
        const asked = retryAfterOf(error);
        if (asked !== undefined && asked > this.#tuning.queueMaxWaitMs) throw error;
        // Full jitter: anywhere from 0 to the exponential ceiling; `Retry-After` exactly when given.
        const ceiling = Math.min(this.#tuning.retryMaxDelayMs, this.#tuning.retryBaseDelayMs * 2 ** (attempt - 1));
        const delay = asked ?? Math.floor(this.#random() * ceiling);
        if (this.#clock.now() + delay >= call.deadline) throw error;
        this.#logger?.debug(
          { deployment: this.deployment, attempt, delayMs: delay, code: (error as FacadeError).code },
          'retrying upstream request',
        );
        if (delay > 0) await this.#clock.sleep(delay);
      }
    }
  }

  async #attempt(request: HttpRequest, call: UpstreamCall, progress: Progress, attempt: number): Promise<HttpResponse> {
    const auth = request.auth;
    const cls = requestClassOf(request.method);
    /** The token fetched for this very attempt, if one was: only its refusal is a credential failure. */
    let requested: string | undefined;
    for (let sends = 1; ; sends += 1) {
      // Hold a token before queueing, so that no permit waits across a routine token request.
      if (auth !== undefined && auth.current() === undefined) requested = await auth.token();
      progress.queued = true;
      const queuedAt = this.#observer === undefined ? 0 : this.#clock.now();
      const permit = await this.#budget.acquire(cls, call);
      progress.queued = false;
      let token: string | undefined;
      let response: RawResponse;
      try {
        if (auth !== undefined) {
          // The token current now, not the one held when the request began to wait.
          token = auth.current();
          if (token === undefined) token = requested = await auth.token();
        }
        response =
          this.#observer === undefined
            ? await this.#send(request, token, call)
            : await this.#observer.send(
                {
                  deployment: this.deployment,
                  method: request.method,
                  endpoint: endpointOf(request.path),
                  attempt: attempt + sends - 1,
                  budgetWaitMs: this.#clock.now() - queuedAt,
                  workClass: call.workClass,
                },
                () => this.#send(request, token, call),
              );
      } finally {
        permit.done();
      }
      if (auth === undefined || token === undefined) return this.#accept(request, response);
      if (response.status === 401) {
        auth.invalidate(token);
        if (token === requested || sends >= 3) {
          const refusal = new FacadeError(
            'UPSTREAM_AUTH_FAILED',
            `${this.deployment} refused a freshly issued token of client ID "${auth.clientId}" (401 to ${request.method} ${request.path})`,
            { deployment: this.deployment, details: { upstreamStatus: 401, clientId: auth.clientId } },
          );
          auth.observe?.(token, refusal);
          throw refusal;
        }
        // A token that was replaced or ran out meanwhile: send again with the current one.
        continue;
      }
      try {
        const accepted = this.#accept(request, response);
        auth.observe?.(token);
        return accepted;
      } catch (error) {
        auth.observe?.(token, response.status === 403 && error instanceof FacadeError ? error : undefined);
        throw error;
      }
    }
  }

  async #send(request: HttpRequest, token: string | undefined, call: UpstreamCall): Promise<RawResponse> {
    if (call.sent !== undefined) call.sent.count += 1;
    const query = request.query?.toString() ?? '';
    const headers: Record<string, string> = { accept: 'application/json', ...request.headers };
    if (token !== undefined) headers.authorization = `Bearer ${token}`;
    let body: string | undefined;
    if (request.form !== undefined) {
      headers['content-type'] = 'application/x-www-form-urlencoded';
      body = new URLSearchParams(request.form).toString();
    }
    // No attempt outlives the call's deadline.
    const timeoutMs = Math.max(1, Math.min(this.#tuning.requestTimeoutMs, call.deadline - this.#clock.now()));
    const cutShort = timeoutMs < this.#tuning.requestTimeoutMs;
    // Not AbortSignal.timeout: that costs ~14 µs to make and keeps its timer for the
    // whole timeout after the answer; this one is cleared as soon as the attempt ends.
    const timeout = new AbortController();
    const cancelTimeout = this.#clock.schedule(timeoutMs, () => timeout.abort(new DOMException('The upstream attempt timed out', 'TimeoutError')));
    try {
      const response = await this.#dispatcher.request({
        origin: this.#origin,
        path: `${this.#basePath}${request.path}${query === '' ? '' : `?${query}`}`,
        method: request.method,
        headers,
        body,
        signal: timeout.signal,
        headersTimeout: this.#tuning.requestTimeoutMs,
        bodyTimeout: this.#tuning.requestTimeoutMs,
      });
      const received = await response.body.bytes();
      const bytes = Buffer.from(received.buffer, received.byteOffset, received.byteLength);
      return { status: response.statusCode, headers: response.headers, bytes };
    } catch (error) {
      const failure = failureForNetworkError(error, timeout.signal.aborted, this.#describe(request));
      if (cutShort && timeout.signal.aborted) this.#cutByDeadline.add(failure);
      throw failure;
    } finally {
      cancelTimeout();
    }
  }

  #pastDeadline(request: HttpRequest, call: UpstreamCall, progress: Progress): FacadeError {
    const what = `${request.method} ${request.path}`;
    return progress.queued
      ? new FacadeError(
          'UPSTREAM_RATE_LIMITED',
          `${this.deployment}: ${what} was still waiting for the request budget at this request's deadline; try again later`,
          { deployment: this.deployment, details: { queued: true } },
        )
      : new FacadeError('UPSTREAM_TIMEOUT', `${this.deployment} did not answer ${what} before this request's deadline`, {
          deployment: this.deployment,
          details: { deadline: new Date(call.deadline).toISOString() },
        });
  }

  #accept(request: HttpRequest, response: RawResponse): HttpResponse {
    const { status, bytes } = response;
    if (status >= 200 && status < 300) {
      try {
        return { status, body: decodeJson(bytes, { memo: this.#parsed }) };
      } catch {
        throw new FacadeError(
          'UPSTREAM_INVALID_RESPONSE',
          `${this.deployment} answered ${request.method} ${request.path} with a body that is not JSON`,
          { deployment: this.deployment },
        );
      }
    }
    const retryAfterMs = parseRetryAfter(response.headers['retry-after'], this.#clock.now());
    if (status === 429) this.#budget.throttled(requestClassOf(request.method), retryAfterMs);
    throw failureForStatus(status, bytes.toString('utf8'), retryAfterMs, this.#describe(request));
  }

  #describe(request: HttpRequest): RequestDescription {
    return { deployment: this.deployment, method: request.method, path: request.path };
  }
}

/** Where a request stands, for the error at its deadline. */
interface Progress {
  /** Waiting for the budget right now. */
  queued: boolean;
}

interface RawResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  /** The body as received: decoded by `decodeJson`, which keeps large bodies out of one string. */
  bytes: Buffer;
}

function retryAfterOf(error: unknown): number | undefined {
  const value = error instanceof FacadeError ? error.details.retryAfterMs : undefined;
  return typeof value === 'number' ? value : undefined;
}
