/**
 * Replacing the upstreams' OAuth client credentials while the facade runs. USM API
 * clients cannot be edited: an operator creates a new client, hands its ID and secret
 * to the facade, and deletes the old client once the facade uses the new one.
 *
 * Contract:
 * - `rotate(entries)` checks the whole batch first: no entries, an empty or malformed
 *   client ID or secret, or a deployment named twice → `BAD_USER_INPUT` for the call,
 *   listing every problem; no `FACADE_SECRET_KEY` → `BAD_USER_INPUT` with
 *   `MISSING_SECRET_KEY_MESSAGE`. Nothing is verified or swapped in either case.
 * - A deployment the facade holds no credential for makes that entry `FAILED`
 *   (`NOT_FOUND`) and every other `NOT_ATTEMPTED`: a batch is applied whole or not begun.
 * - The batch runs bottom-up, as USM's own key reset advises for distributed
 *   deployments (leaves before the server they report to): every Anywhere deployment
 *   (by name) before Central. For each: VERIFY (a real token request with the new
 *   credential, through the upstream's own HTTP client and rate budget), STORE it in the
 *   vault (encrypted), then SWAP (new calls use it; calls in flight finish with the
 *   token they hold; the old token is dropped from memory and from the shared token
 *   store). The first entry that fails stops the run: it is `FAILED` with the code and a
 *   message saying why, later ones are `NOT_ATTEMPTED`, earlier ones stay `ROTATED`. A
 *   failed entry leaves the old credential in place and in use, and nothing stored.
 *   Rotations in one process run one batch at a time.
 * - Which credential an upstream uses at start (`attach`) and on every replica later:
 *   the vault's record wins over the configuration when it descends from the
 *   configured client ID (that ID is the record's own or among those it superseded).
 *   An operator who puts a different client ID in the configuration after a rotation
 *   has the configuration win; the stale record is ignored with a warning. A record
 *   that cannot be decrypted (no or another `FACADE_SECRET_KEY`) is ignored with an
 *   error in the log; the configured credential is used.
 * - Replicas follow a rotation made on another replica by reading the vault: every
 *   `pollIntervalMs` (default 10 s), and at once when the token endpoint refuses their
 *   current credential (the old client was deleted), so that even the call that finds
 *   the old client gone succeeds. A replica adopts a record only if it is newer than
 *   the credential it uses.
 * - `credentials()` reports each upstream's client ID, state, latest error, token
 *   expiry and last rotation; never a secret. No message or log line carries one.
 */
import type { UpstreamTarget } from '../../config/upstream.target.js';
import { DEFAULT_CREDENTIAL_POLL_INTERVAL_MS } from '../../credentials/credentials.settings.js';
import { MISSING_SECRET_KEY_MESSAGE, SUPERSEDED_KEPT, type CredentialVault, type VaultEntry } from '../../credentials/credential.vault.js';
import { FacadeError, type ErrorCode } from '../../errors/facade.error.js';
import type { Logger } from '../../log/logger.js';
import { systemClock, type Cancel, type Clock } from '../../time/clock.js';
import type { HttpClient } from '../http/http.client.js';
import { CredentialSlot } from './credential.slot.js';
import type { CredentialState, TokenManager } from './token.manager.js';

/** One upstream's credential as `credentials()` reports it. */
export interface CredentialStatus {
  api: 'anywhere' | 'central';
  /** Deployment name, or `central`. */
  deployment: string;
  clientId: string;
  state: CredentialState;
  lastErrorCode?: ErrorCode;
  lastErrorAt?: Date;
  tokenExpiresAt?: Date;
  /** Unset while the configured credential is in use. */
  lastRotatedAt?: Date;
}

/** One new credential to rotate to. */
export interface CredentialRotationInput {
  /** Deployment name, or `central`. */
  deployment: string;
  clientId: string;
  clientSecret: string;
}

export type RotationStatus = 'ROTATED' | 'FAILED' | 'NOT_ATTEMPTED';

export interface RotationEntryResult {
  deployment: string;
  /** Unset for a deployment the facade does not know. */
  api?: 'anywhere' | 'central';
  /** The new client ID asked for. */
  clientId: string;
  status: RotationStatus;
  /** For `FAILED`. */
  errorCode?: ErrorCode;
  /** Why it failed or was not attempted. */
  message?: string;
  /** For `ROTATED`: the client ID it replaced, now safe to delete upstream. */
  previousClientId?: string;
  /** For `ROTATED`. */
  rotatedAt?: Date;
}

export interface RotationReport {
  /** In the order they were (or would have been) applied; entries refused before the run come first. */
  entries: RotationEntryResult[];
}

/** What a token manager is made from; the registry supplies store, lock, clock and logger. */
export interface TokenManagerSpec {
  deployment: string;
  url: string;
  http: HttpClient;
  clientId: string;
  clientSecret: string;
}

export interface CredentialRotatorOptions {
  /** Where rotated credentials persist. Required. */
  vault: CredentialVault;
  /** Makes the token manager of one credential. Required. */
  tokensFor: (spec: TokenManagerSpec) => TokenManager;
  /** How often to read the vault for rotations made by other replicas; 0 turns it off. Default `CREDENTIAL_POLL_INTERVAL_MS`'s. */
  pollIntervalMs?: number;
  /** `rotatedAt`, report times and the poll. Default `systemClock`. */
  clock?: Clock;
  logger: Logger;
}

const MAX_CLIENT_ID_LENGTH = 256;
const MAX_SECRET_LENGTH = 4096;
const CONTROL_CHARACTERS = /\p{Cc}/u;

export class CredentialRotator {
  readonly #vault: CredentialVault;
  readonly #tokensFor: (spec: TokenManagerSpec) => TokenManager;
  readonly #clock: Clock;
  readonly #logger: Logger;
  readonly #slots = new Map<string, CredentialSlot>();
  readonly #following = new Map<string, Promise<void>>();
  /** Vault records already complained about, by deployment: `rotatedAt`, so each is logged once. */
  readonly #ignored = new Map<string, number>();
  #batches: Promise<unknown> = Promise.resolve();
  #cancelPoll: Cancel | undefined;
  #polling = false;

  constructor(options: CredentialRotatorOptions) {
    this.#vault = options.vault;
    this.#tokensFor = options.tokensFor;
    this.#clock = options.clock ?? systemClock;
    this.#logger = options.logger;
    const every = options.pollIntervalMs ?? DEFAULT_CREDENTIAL_POLL_INTERVAL_MS;
    if (every > 0) {
      const tick = () => {
        this.#cancelPoll = this.#clock.schedule(every, tick);
        this.#poll();
      };
      this.#cancelPoll = this.#clock.schedule(every, tick);
    }
  }

  /** The slot of one configured upstream, holding the vault's credential where that wins (see the contract). */
  async attach(target: UpstreamTarget, http: HttpClient): Promise<CredentialSlot> {
    const spec = { deployment: target.name, url: target.url, http };
    const entry = await this.#vault.read(target.name);
    let adopted: { tokens: TokenManager; entry: VaultEntry } | undefined;
    if (entry !== undefined && this.#descends(entry, target.clientId)) {
      const tokens = this.#open(entry, spec);
      if (tokens !== undefined) {
        adopted = { tokens, entry };
        this.#logger.info(
          {
            deployment: target.name,
            clientId: entry.clientId,
            configuredClientId: target.clientId,
            rotatedAt: new Date(entry.rotatedAt).toISOString(),
          },
          'using the rotated upstream credential from the vault instead of the configured one',
        );
      }
    }
    const slot = new CredentialSlot({
      api: target.api,
      deployment: target.name,
      url: target.url,
      http,
      configuredClientId: target.clientId,
      tokens: adopted?.tokens ?? this.#tokensFor({ ...spec, clientId: target.clientId, clientSecret: target.clientSecret }),
      rotatedAt: adopted?.entry.rotatedAt,
      supersedes: adopted?.entry.supersedes,
      onRefused: (refused) => this.#follow(refused),
    });
    this.#slots.set(target.name, slot);
    return slot;
  }

  credentials(): CredentialStatus[] {
    return this.#ordered().map((slot) => {
      const health = slot.tokens.health();
      const status: CredentialStatus = { api: slot.api, deployment: slot.deployment, clientId: slot.clientId, state: health.state };
      if (health.lastErrorCode !== undefined) status.lastErrorCode = health.lastErrorCode;
      if (health.lastErrorAt !== undefined) status.lastErrorAt = new Date(health.lastErrorAt);
      if (health.tokenExpiresAt !== undefined) status.tokenExpiresAt = new Date(health.tokenExpiresAt);
      if (slot.rotatedAt !== undefined) status.lastRotatedAt = new Date(slot.rotatedAt);
      return status;
    });
  }

  rotate(entries: readonly CredentialRotationInput[], actor?: string): Promise<RotationReport> {
    const run = this.#batches.then(() => this.#rotateBatch(entries, actor));
    this.#batches = run.catch(() => undefined);
    return run;
  }

  close(): void {
    this.#cancelPoll?.();
    this.#cancelPoll = undefined;
  }

  async #rotateBatch(entries: readonly CredentialRotationInput[], actor: string | undefined): Promise<RotationReport> {
    checkBatch(entries);
    if (!this.#vault.canStore) throw new FacadeError('BAD_USER_INPUT', MISSING_SECRET_KEY_MESSAGE);

    const unknown = entries.filter((entry) => !this.#slots.has(entry.deployment));
    const known = entries
      .filter((entry) => this.#slots.has(entry.deployment))
      .sort((a, b) => bottomUp(this.#slots.get(a.deployment)!, this.#slots.get(b.deployment)!));
    if (unknown.length > 0) {
      const names = this.#ordered().map((slot) => slot.deployment).join(', ');
      return {
        entries: [
          ...unknown.map((entry) => ({
            deployment: entry.deployment,
            clientId: entry.clientId,
            status: 'FAILED' as const,
            errorCode: 'NOT_FOUND' as const,
            message: `the facade holds no credentials for deployment "${entry.deployment}" (configured: ${names}); nothing was rotated`,
          })),
          ...known.map((entry) => ({
            deployment: entry.deployment,
            api: this.#slots.get(entry.deployment)!.api,
            clientId: entry.clientId,
            status: 'NOT_ATTEMPTED' as const,
            message: 'not attempted: the batch names a deployment the facade does not know, so none of it was applied',
          })),
        ],
      };
    }

    const results: RotationEntryResult[] = [];
    let failed: string | undefined;
    for (const entry of known) {
      const slot = this.#slots.get(entry.deployment)!;
      if (failed !== undefined) {
        results.push({
          deployment: entry.deployment,
          api: slot.api,
          clientId: entry.clientId,
          status: 'NOT_ATTEMPTED',
          message: `not attempted: the rotation stopped when ${failed} failed`,
        });
        continue;
      }
      const result = await this.#rotateOne(slot, entry, actor);
      if (result.status === 'FAILED') failed = entry.deployment;
      results.push(result);
    }
    return { entries: results };
  }

  async #rotateOne(slot: CredentialSlot, entry: CredentialRotationInput, actor: string | undefined): Promise<RotationEntryResult> {
    const base = { deployment: slot.deployment, api: slot.api, clientId: entry.clientId };
    const previousClientId = slot.clientId;
    const stays = `client ID "${previousClientId}" stays in use`;
    const failed = (errorCode: ErrorCode, message: string): RotationEntryResult => {
      this.#logger.warn({ deployment: slot.deployment, clientId: entry.clientId, code: errorCode, actor }, `upstream credential rotation failed: ${message}`);
      return { ...base, status: 'FAILED', errorCode, message };
    };

    const candidate = this.#tokensFor({
      deployment: slot.deployment,
      url: slot.url,
      http: slot.http,
      clientId: entry.clientId,
      clientSecret: entry.clientSecret,
    });
    try {
      await candidate.verify();
    } catch (error) {
      if (!(error instanceof FacadeError)) {
        this.#logger.error({ deployment: slot.deployment, err: error }, 'unexpected error while verifying a new upstream credential');
        return failed('INTERNAL_SERVER_ERROR', `could not verify the new credential with ${slot.deployment} (unexpected error); ${stays}`);
      }
      if (error.code === 'UPSTREAM_AUTH_FAILED') {
        const status = error.details.upstreamStatus;
        return failed(
          error.code,
          `the new client secret was refused by ${slot.deployment}: its token endpoint answered ${typeof status === 'number' ? status : 'with a refusal'} for client ID "${entry.clientId}"; check the client ID and secret and that the API client is enabled; ${stays}`,
        );
      }
      return failed(error.code, `could not verify the new credential with ${slot.deployment}: ${error.message}; ${stays}`);
    }

    const rotatedAt = this.#clock.now();
    const supersedes = [...slot.supersedes, previousClientId].filter((id, at, all) => id !== entry.clientId && all.indexOf(id) === at).slice(-SUPERSEDED_KEPT);
    try {
      await this.#vault.write({ deployment: slot.deployment, clientId: entry.clientId, clientSecret: entry.clientSecret, rotatedAt, supersedes });
    } catch (error) {
      if (candidate.clientId !== previousClientId) await candidate.retire();
      const code = error instanceof FacadeError ? error.code : 'INTERNAL_SERVER_ERROR';
      return failed(code, `${error instanceof FacadeError ? error.message : 'the credential vault failed'}; ${stays}`);
    }

    const previous = slot.swap(candidate, rotatedAt, supersedes);
    if (previous.clientId !== candidate.clientId) await previous.retire();
    this.#logger.info(
      { deployment: slot.deployment, clientId: entry.clientId, previousClientId, actor },
      'rotated upstream credential; the previous API client can now be deleted upstream',
    );
    return { ...base, status: 'ROTATED', previousClientId, rotatedAt: new Date(rotatedAt) };
  }

  /** Adopts a newer vault record for `slot`, if there is one it may use. One read at a time per upstream. */
  #follow(slot: CredentialSlot): Promise<void> {
    let following = this.#following.get(slot.deployment);
    if (following === undefined) {
      following = this.#adoptNewer(slot).finally(() => this.#following.delete(slot.deployment));
      this.#following.set(slot.deployment, following);
    }
    return following;
  }

  async #adoptNewer(slot: CredentialSlot): Promise<void> {
    const entry = await this.#vault.read(slot.deployment);
    if (entry === undefined || entry.rotatedAt <= (slot.rotatedAt ?? Number.NEGATIVE_INFINITY)) return;
    if (!this.#descends(entry, slot.configuredClientId)) return;
    const next = this.#open(entry, { deployment: slot.deployment, url: slot.url, http: slot.http });
    // A rotation in this process may have swapped in something newer while the vault answered.
    if (next === undefined || entry.rotatedAt <= (slot.rotatedAt ?? Number.NEGATIVE_INFINITY)) return;
    const previous = slot.swap(next, entry.rotatedAt, entry.supersedes);
    if (previous.clientId !== next.clientId) await previous.retire();
    this.#logger.info(
      { deployment: slot.deployment, clientId: entry.clientId, previousClientId: previous.clientId, rotatedAt: new Date(entry.rotatedAt).toISOString() },
      'now using an upstream credential rotated by another replica',
    );
  }

  #poll(): void {
    if (this.#polling) return;
    this.#polling = true;
    void Promise.allSettled([...this.#slots.values()].map((slot) => this.#follow(slot))).finally(() => {
      this.#polling = false;
    });
  }

  /** Whether a vault record may replace the configured client ID; logs once when it may not. */
  #descends(entry: VaultEntry, configuredClientId: string): boolean {
    if (entry.clientId === configuredClientId || entry.supersedes.includes(configuredClientId)) return true;
    this.#onceFor(entry, () =>
      this.#logger.warn(
        { deployment: entry.deployment, storedClientId: entry.clientId, configuredClientId },
        'ignoring the rotated upstream credential in the vault: the configured client ID is neither it nor one it replaced, so the configuration changed after the rotation and wins',
      ),
    );
    return false;
  }

  /** A token manager for a vault record, or undefined (logged once) when its secret cannot be decrypted. */
  #open(entry: VaultEntry, spec: Omit<TokenManagerSpec, 'clientId' | 'clientSecret'>): TokenManager | undefined {
    let clientSecret: string;
    try {
      clientSecret = entry.secret();
    } catch (error) {
      this.#onceFor(entry, () =>
        this.#logger.error(
          { deployment: entry.deployment, storedClientId: entry.clientId, reason: (error as Error).message },
          'cannot use the rotated upstream credential in the vault; keeping the credential in use',
        ),
      );
      return undefined;
    }
    return this.#tokensFor({ ...spec, clientId: entry.clientId, clientSecret });
  }

  #onceFor(entry: VaultEntry, log: () => void): void {
    if (this.#ignored.get(entry.deployment) === entry.rotatedAt) return;
    this.#ignored.set(entry.deployment, entry.rotatedAt);
    log();
  }

  #ordered(): CredentialSlot[] {
    return [...this.#slots.values()].sort(bottomUp);
  }
}

/** Anywhere deployments (leaves) by name, then Central (the root). */
function bottomUp(a: CredentialSlot, b: CredentialSlot): number {
  if (a.api !== b.api) return a.api === 'anywhere' ? -1 : 1;
  return a.deployment < b.deployment ? -1 : a.deployment > b.deployment ? 1 : 0;
}

/** Throws one `BAD_USER_INPUT` listing every problem of the batch; never echoes a secret. */
function checkBatch(entries: readonly CredentialRotationInput[]): void {
  const problems: string[] = [];
  if (!Array.isArray(entries) || entries.length === 0) {
    problems.push('give at least one { deployment, clientId, clientSecret }');
  } else {
    const counts = new Map<string, number>();
    entries.forEach((entry, index) => {
      const deployment = typeof entry?.deployment === 'string' ? entry.deployment : '';
      const where = deployment.trim() === '' ? `entry ${index + 1}` : `entry ${index + 1} (${deployment})`;
      if (deployment.trim() === '') problems.push(`${where}: deployment must name a deployment or "central"`);
      else counts.set(deployment, (counts.get(deployment) ?? 0) + 1);
      const clientId = entry?.clientId;
      if (typeof clientId !== 'string' || clientId.trim() === '') problems.push(`${where}: clientId must not be empty`);
      else if (clientId.length > MAX_CLIENT_ID_LENGTH) problems.push(`${where}: clientId must be at most ${MAX_CLIENT_ID_LENGTH} characters`);
      else if (clientId.includes(':') || CONTROL_CHARACTERS.test(clientId)) {
        problems.push(`${where}: clientId must not contain ":" or control characters (HTTP Basic authentication cannot carry them)`);
      }
      const secret = entry?.clientSecret;
      if (typeof secret !== 'string' || secret === '') problems.push(`${where}: clientSecret must not be empty`);
      else if (secret.length > MAX_SECRET_LENGTH) problems.push(`${where}: clientSecret must be at most ${MAX_SECRET_LENGTH} characters`);
    });
    for (const [deployment, count] of counts) {
      if (count > 1) problems.push(`deployment "${deployment}" is given ${count} times; give each deployment once per rotation`);
    }
  }
  if (problems.length > 0) {
    throw new FacadeError('BAD_USER_INPUT', `cannot rotate upstream credentials: ${problems.join('; ')}`, { details: { problems } });
  }
}
