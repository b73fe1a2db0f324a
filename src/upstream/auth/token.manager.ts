/**
 * OAuth 2.0 client-credentials tokens for one credential (upstream base URL + client ID).
 *
 * Contract:
 * - `current()` returns the token held, while it is usable, without waiting (undefined
 *   otherwise); `token()` returns a token that is valid now. However many callers ask at once, at
 *   most one token request is in flight per process (single flight), and with a shared
 *   `lock` at most one across replicas; the others wait for its result (replicas by
 *   polling the shared store).
 * - A token is used until `margin` before the `expires_in` the upstream gave (counted
 *   from when the request was sent, so latency only shortens it), where
 *   margin = min(30 s, 10% of the lifetime): 30 s covers clock skew between replicas,
 *   latency and a retried request for USM's usual 899 s tokens, while 10% keeps short
 *   tokens (seconds, in tests) useful. From 2 × margin before expiry a caller still gets
 *   the current token but starts one refresh in the background, so traffic never waits
 *   for a routine refresh. No lifetime is ever assumed.
 * - `invalidate(token)` (the upstream answered 401) drops the token only if it is still
 *   the current one and never takes it from the store again, so a burst of 401s for one
 *   revoked token costs exactly one new token.
 * - Tokens live in a keyv store (memory by default, Redis to share them between
 *   replicas) under a hash of URL + client ID, never under or with the secret.
 * - Failures of the token endpoint: 400/401/403 → `UPSTREAM_AUTH_FAILED` naming the
 *   deployment and the client ID (never the secret); any other failure keeps its code
 *   (`UPSTREAM_UNAVAILABLE`, `UPSTREAM_TIMEOUT`, ...) with a message saying it was the
 *   token request. Failures are never cached: the next caller tries again.
 * - `health()` tells whether the credential works, from the latest outcome that says
 *   so: a token granted, or a request with one of this manager's tokens that the
 *   upstream answered (`observe`), is WORKING; a failed token request, or a token refused
 *   by a data call, is FAILING with its code and time; before either, UNKNOWN. Data
 *   calls that fail for other reasons (outages, 404s) say nothing about the credential.
 * - `verify()` asks the token endpoint now, whatever the store holds: it proves a new
 *   credential before it is put in use. `retire()` forgets the token here and deletes
 *   it from the shared store, so that no replica takes it from there again; a retired
 *   manager stores nothing more.
 */
import { createHash } from 'node:crypto';
import { Keyv } from 'keyv';
import { z } from 'zod';
import { FacadeError, type ErrorCode } from '../../errors/facade.error.js';
import type { Logger } from '../../log/logger.js';
import { systemClock, type Clock } from '../../time/clock.js';
import type { Authenticator, HttpClient } from '../http/http.client.js';
import { parseBody } from '../http/response.parser.js';
import type { UpstreamCall } from '../upstream.call.js';
import type { TokenFetchLock } from './token.lock.js';

/** What the store keeps per credential. */
export interface StoredToken {
  accessToken: string;
  /** Epoch ms at which the upstream stops accepting it (conservative: from the request's start). */
  expiresAt: number;
  /** `expires_in` in ms. */
  lifetimeMs: number;
}

export interface TokenManagerOptions {
  /** Deployment name (or `central`) for messages. Required. */
  deployment: string;
  clientId: string;
  clientSecret: string;
  /** The upstream's client; the token request goes through its rate budget (POST class). Required. */
  http: HttpClient;
  /** Identifies the credential in the store and lock; see `credentialKey`. Required. */
  key: string;
  /** Default: an in-memory keyv of this manager's own. */
  store?: Keyv<StoredToken>;
  /** Set when the store is shared (Redis) so that replicas do not all fetch. Default: none. */
  lock?: TokenFetchLock;
  /** Token expiry, and the pause between looks at the store. Default `systemClock`. */
  clock?: Clock;
  logger?: Logger;
  /** How long a replica waits for another's token request before asking itself. Default 15000 ms. */
  lockTtlMs?: number;
  /** How often a waiting replica looks at the store. Default 25 ms. */
  pollIntervalMs?: number;
}

/** A stable, secret-free identity for a credential: hash of base URL and client ID. */
export function credentialKey(baseUrl: string, clientId: string): string {
  return createHash('sha256').update(`${baseUrl}\n${clientId}`).digest('hex').slice(0, 32);
}

/** How long before expiry a token stops being used: min(30 s, 10% of its lifetime). */
export function expiryMarginMs(lifetimeMs: number): number {
  return Math.min(30_000, lifetimeMs * 0.1);
}

const tokenSchema = z.looseObject({
  access_token: z.string().min(1),
  expires_in: z.coerce.number().positive(),
  token_type: z.string().optional(),
});

/** Whether a credential works, as far as the latest request through it tells. */
export type CredentialState = 'WORKING' | 'FAILING' | 'UNKNOWN';

export interface CredentialHealth {
  state: CredentialState;
  /** Code of the latest failure, kept after the credential works again. */
  lastErrorCode?: ErrorCode;
  /** Epoch ms of the latest failure. */
  lastErrorAt?: number;
  /** Epoch ms at which the token in use expires (as conservatively counted), if one is held. */
  tokenExpiresAt?: number;
}

const REMEMBERED_REJECTIONS = 8;

/** Token requests are the facade's own work, shared by every caller waiting for them: they take their own turn. */
const TOKEN_CALL: UpstreamCall = Object.freeze({ caller: 'facade:tokens', workClass: 'INTERACTIVE', deadline: Number.POSITIVE_INFINITY });

export class TokenManager implements Authenticator {
  readonly deployment: string;
  readonly clientId: string;
  readonly #clientSecret: string;
  readonly #http: HttpClient;
  readonly #key: string;
  readonly #store: Keyv<StoredToken>;
  readonly #ownsStore: boolean;
  readonly #lock: TokenFetchLock | undefined;
  readonly #clock: Clock;
  readonly #logger: Logger | undefined;
  readonly #lockTtlMs: number;
  readonly #pollIntervalMs: number;
  #current: StoredToken | undefined;
  #inflight: Promise<StoredToken> | undefined;
  /** Tokens the upstream refused, newest last: never taken from the store again. */
  readonly #rejected: string[] = [];
  #state: CredentialState = 'UNKNOWN';
  #lastError: { code: ErrorCode; at: number } | undefined;
  #retired = false;

  constructor(options: TokenManagerOptions) {
    this.deployment = options.deployment;
    this.clientId = options.clientId;
    this.#clientSecret = options.clientSecret;
    this.#http = options.http;
    this.#key = options.key;
    this.#ownsStore = options.store === undefined;
    this.#store = options.store ?? new Keyv<StoredToken>({ namespace: 'tokens' });
    this.#lock = options.lock;
    this.#clock = options.clock ?? systemClock;
    this.#logger = options.logger;
    this.#lockTtlMs = options.lockTtlMs ?? 15_000;
    this.#pollIntervalMs = options.pollIntervalMs ?? 25;
  }

  current(): string | undefined {
    const now = this.#clock.now();
    const current = this.#current;
    if (current === undefined || now >= usableUntil(current)) return undefined;
    if (now >= refreshFrom(current) && this.#inflight === undefined) {
      this.#obtain().catch((error: unknown) => {
        this.#logger?.warn(
          { deployment: this.deployment, clientId: this.clientId, code: (error as FacadeError).code },
          'background token refresh failed; the current token stays in use until it expires',
        );
      });
    }
    return current.accessToken;
  }

  async token(): Promise<string> {
    return this.current() ?? (await this.#obtain()).accessToken;
  }

  invalidate(token: string): void {
    if (this.#current?.accessToken === token) this.#current = undefined;
    if (!this.#rejected.includes(token)) {
      this.#rejected.push(token);
      if (this.#rejected.length > REMEMBERED_REJECTIONS) this.#rejected.shift();
    }
  }

  /** The upstream answered a request made with `token`, or refused it (`refusal`). Tokens not issued here are ignored. */
  observe(token: string, refusal?: FacadeError): void {
    if (this.#current?.accessToken !== token && !this.#rejected.includes(token)) return;
    if (refusal === undefined) this.#state = 'WORKING';
    else this.#failed(refusal);
  }

  health(): CredentialHealth {
    const health: CredentialHealth = { state: this.#state };
    if (this.#lastError !== undefined) {
      health.lastErrorCode = this.#lastError.code;
      health.lastErrorAt = this.#lastError.at;
    }
    if (this.#current !== undefined) health.tokenExpiresAt = this.#current.expiresAt;
    return health;
  }

  /** Gets a token from the token endpoint now, ignoring the store, and keeps it; throws as `token()` does. */
  async verify(): Promise<void> {
    this.#current = await this.#fetchAndStore();
  }

  /** Forgets the current token here and in the store; later tokens are not stored. */
  async retire(): Promise<void> {
    this.#retired = true;
    this.#current = undefined;
    try {
      await this.#store.delete(this.#key);
    } catch {
      // Keyv reports store errors through its error event; the token expires there on its own.
    }
  }

  /** Closes the store if this manager created it. */
  async close(): Promise<void> {
    if (this.#ownsStore) await this.#store.disconnect();
  }

  #obtain(): Promise<StoredToken> {
    this.#inflight ??= this.#fromStoreOrUpstream()
      .then((token) => {
        if (!this.#retired) this.#current = token;
        return token;
      })
      .finally(() => {
        this.#inflight = undefined;
      });
    return this.#inflight;
  }

  async #fromStoreOrUpstream(): Promise<StoredToken> {
    const stored = await this.#readStore();
    if (stored !== undefined) return stored;
    if (this.#lock === undefined) return this.#fetchAndStore();

    const polls = Math.ceil(this.#lockTtlMs / this.#pollIntervalMs);
    for (let poll = 0; poll <= polls; poll += 1) {
      let release: (() => Promise<void>) | undefined;
      try {
        release = await this.#lock.tryAcquire(this.#key, this.#lockTtlMs);
      } catch (error) {
        this.#logger?.warn(
          { deployment: this.deployment, error: error instanceof Error ? error.message : String(error) },
          'token lock unavailable; requesting a token without it',
        );
        return this.#fetchAndStore();
      }
      if (release !== undefined) {
        try {
          // Another replica may have stored a token between our read and the lock.
          return (await this.#readStore()) ?? (await this.#fetchAndStore());
        } finally {
          await release().catch(() => undefined);
        }
      }
      await this.#clock.sleep(this.#pollIntervalMs);
      const fetchedByOther = await this.#readStore();
      if (fetchedByOther !== undefined) return fetchedByOther;
    }
    this.#logger?.warn({ deployment: this.deployment }, 'gave up waiting for another replica to fetch a token');
    return this.#fetchAndStore();
  }

  /** A stored token that is not refused and not yet due for refresh. */
  async #readStore(): Promise<StoredToken | undefined> {
    let stored: StoredToken | undefined;
    try {
      stored = await this.#store.get(this.#key);
    } catch {
      return undefined;
    }
    if (stored === undefined || this.#rejected.includes(stored.accessToken)) return undefined;
    return this.#clock.now() < refreshFrom(stored) ? stored : undefined;
  }

  async #fetchAndStore(): Promise<StoredToken> {
    const startedAt = this.#clock.now();
    let body: unknown;
    try {
      const response = await this.#http.request({
        method: 'POST',
        path: '/oauth/token',
        query: new URLSearchParams({ grant_type: 'client_credentials' }),
        form: { grant_type: 'client_credentials' },
        headers: {
          authorization: `Basic ${Buffer.from(`${this.clientId}:${this.#clientSecret}`).toString('base64')}`,
        },
        // Asking again only mints another token, so retrying is safe.
        retrySafe: true,
        skipBreaker: true,
        call: TOKEN_CALL,
      });
      body = response.body;
    } catch (error) {
      const failure = this.#tokenFailure(error);
      if (failure instanceof FacadeError) this.#failed(failure);
      throw failure;
    }
    let parsed: z.infer<typeof tokenSchema>;
    try {
      parsed = parseBody(tokenSchema, body, { deployment: this.deployment, what: 'POST /oauth/token' });
    } catch (error) {
      if (error instanceof FacadeError) this.#failed(error);
      throw error;
    }
    this.#state = 'WORKING';
    const lifetimeMs = parsed.expires_in * 1000;
    const token: StoredToken = { accessToken: parsed.access_token, expiresAt: startedAt + lifetimeMs, lifetimeMs };
    const ttl = token.expiresAt - this.#clock.now();
    if (ttl > 0 && !this.#retired) {
      try {
        await this.#store.set(this.#key, token, ttl);
      } catch {
        // Keyv reports store errors through its error event; the token still serves this process.
      }
    }
    this.#logger?.info(
      { deployment: this.deployment, clientId: this.clientId, expiresInS: parsed.expires_in },
      'obtained an access token',
    );
    return token;
  }

  #failed(error: FacadeError): void {
    this.#state = 'FAILING';
    this.#lastError = { code: error.code, at: this.#clock.now() };
  }

  #tokenFailure(error: unknown): unknown {
    if (!(error instanceof FacadeError)) return error;
    const status = error.details.upstreamStatus;
    const details = { ...error.details, clientId: this.clientId };
    if (status === 400 || status === 401 || status === 403) {
      return new FacadeError(
        'UPSTREAM_AUTH_FAILED',
        `${this.deployment}: the token endpoint refused client ID "${this.clientId}" (${status}); check the client ID and secret, and that the API client is enabled`,
        { deployment: this.deployment, details, cause: error },
      );
    }
    return new FacadeError(
      error.code,
      `${this.deployment}: could not obtain an access token for client ID "${this.clientId}": ${error.message}`,
      { deployment: this.deployment, details, cause: error },
    );
  }
}

function usableUntil(token: StoredToken): number {
  return token.expiresAt - expiryMarginMs(token.lifetimeMs);
}

function refreshFrom(token: StoredToken): number {
  return token.expiresAt - 2 * expiryMarginMs(token.lifetimeMs);
}
