/**
 * The credential one upstream (an Anywhere deployment or Central) uses right now: the
 * `Authenticator` its client holds, which hands every call to the current credential's
 * `TokenManager` and lets that credential be replaced while traffic runs.
 *
 * Contract:
 * - `swap(next)` makes every later `token()` come from `next` and returns the previous
 *   manager; calls that already hold a token finish with it. A call whose token the
 *   upstream then refuses asks again and gets one of `next` (`invalidate` goes to the
 *   current manager, for which an old token is simply not current).
 * - When the current credential's token request is refused (`UPSTREAM_AUTH_FAILED`) and
 *   an `onRefused` hook is set, the slot awaits it once (the rotator reads the vault
 *   there and may `swap`); if the credential changed meanwhile, the call goes on with the
 *   new one, otherwise the refusal stands. This is how a replica follows a rotation made
 *   elsewhere without failing the call that finds the old client gone.
 * - `observe` goes to the current manager, which ignores tokens it did not issue.
 */
import { FacadeError } from '../../errors/facade.error.js';
import type { Authenticator, HttpClient } from '../http/http.client.js';
import type { TokenManager } from './token.manager.js';

export interface CredentialSlotOptions {
  api: 'anywhere' | 'central';
  /** Deployment name, or `central`. Required. */
  deployment: string;
  /** The API's base URL (token store keys are derived from it). Required. */
  url: string;
  /** The upstream's client, shared by every credential the slot ever holds. Required. */
  http: HttpClient;
  /** The client ID in the configuration: rotated credentials must descend from it. Required. */
  configuredClientId: string;
  /** The credential in use at start. Required. */
  tokens: TokenManager;
  /** When `tokens` was rotated to (epoch ms); unset for the configured credential. */
  rotatedAt?: number;
  /** Client IDs `tokens`' credential replaced, oldest first. Default none. */
  supersedes?: readonly string[];
  /** Awaited when the token endpoint refuses the current credential. Default none. */
  onRefused?: (slot: CredentialSlot) => Promise<void>;
}

export class CredentialSlot implements Authenticator {
  readonly api: 'anywhere' | 'central';
  readonly deployment: string;
  readonly url: string;
  readonly http: HttpClient;
  readonly configuredClientId: string;
  #tokens: TokenManager;
  #rotatedAt: number | undefined;
  #supersedes: readonly string[];
  readonly #onRefused: ((slot: CredentialSlot) => Promise<void>) | undefined;

  constructor(options: CredentialSlotOptions) {
    this.api = options.api;
    this.deployment = options.deployment;
    this.url = options.url;
    this.http = options.http;
    this.configuredClientId = options.configuredClientId;
    this.#tokens = options.tokens;
    this.#rotatedAt = options.rotatedAt;
    this.#supersedes = options.supersedes ?? [];
    this.#onRefused = options.onRefused;
  }

  get clientId(): string {
    return this.#tokens.clientId;
  }

  /** The current credential's token manager. */
  get tokens(): TokenManager {
    return this.#tokens;
  }

  get rotatedAt(): number | undefined {
    return this.#rotatedAt;
  }

  get supersedes(): readonly string[] {
    return this.#supersedes;
  }

  current(): string | undefined {
    return this.#tokens.current();
  }

  async token(): Promise<string> {
    const tokens = this.#tokens;
    try {
      return await tokens.token();
    } catch (error) {
      if (!(error instanceof FacadeError) || error.code !== 'UPSTREAM_AUTH_FAILED' || this.#onRefused === undefined) throw error;
      await this.#onRefused(this);
      if (this.#tokens === tokens) throw error;
      return this.#tokens.token();
    }
  }

  invalidate(token: string): void {
    this.#tokens.invalidate(token);
  }

  observe(token: string, refusal?: FacadeError): void {
    this.#tokens.observe(token, refusal);
  }

  /** Puts `next` in use for every later call; returns the manager it replaces. */
  swap(next: TokenManager, rotatedAt: number, supersedes: readonly string[]): TokenManager {
    const previous = this.#tokens;
    this.#tokens = next;
    this.#rotatedAt = rotatedAt;
    this.#supersedes = supersedes;
    return previous;
  }
}
