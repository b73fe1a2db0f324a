/**
 * Replacing the upstreams' OAuth client credentials while the facade runs. USM API
 * clients cannot be edited: an operator creates a new client, hands its ID and secret
 * to the facade, and deletes the old client once the facade uses the new one.
 *
 * Contract:
 * - `rotate(entries, actor)` checks the whole batch first: no entries, an empty or malformed
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
 *   message saying why, later ones are `NOT_ATTEMPTED`, earlier ones stay `ROTATED` (there
 *   is no rollback). A failed entry leaves the old credential in place and in use, and
 *   nothing stored. The facade never deletes an upstream client: the operator does, in USM.
 * - One rotation per upstream client at a time, on every replica: after the checks above
 *   and before anything is verified, a batch takes the lock `credential-rotation:<name>`
 *   of each of its upstreams from `locks` (the backplane's shared `LockPort`), one after
 *   the other in the order it would apply them, and notes in `running` when it started
 *   and who started it. When one is held, it releases those it took and throws
 *   `ROTATION_IN_PROGRESS` (whole: nothing verified, stored or swapped) naming that
 *   deployment, since when and by whom (from the note; "not known" without one) and
 *   saying to wait and check `upstreamCredentials`. Holding them, it first adopts any
 *   newer vault record of its upstreams (a rotation another replica just finished), so
 *   it starts from the credential in use. Notes are deleted and locks released in
 *   `finally`. A lock lives `rotationLockTtlMs(tuning, entries)`: per entry, the
 *   longest a verification can take under the upstream tuning plus `STEP_MARGIN_MS`, so
 *   a replica that dies mid-rotation blocks the next one for that long at most.
 * - Every step is audited through `audit` (the one audit trail; never a secret), with the
 *   actor, the deployment, `rotationId` (shared by one batch's steps), the new
 *   `clientId` and the `previousClientId` in use when the batch began: per entry
 *   `CREDENTIAL_VERIFY` (OK, or FAILED with the code), `CREDENTIAL_SWAP` (stored, in use,
 *   the old token dropped from memory and the token store; FAILED when the vault refused,
 *   nothing swapped), `CREDENTIAL_ROTATION_FAILED` for a failed entry (an unknown
 *   deployment included), `CREDENTIAL_ROTATION_NOT_ATTEMPTED` for each entry after it, and
 *   for a refused batch `CREDENTIAL_ROTATION_REFUSED` per entry. Each is recorded before
 *   the next step begins. An audit record that cannot be written is logged as an error
 *   with the event and does not change the rotation's outcome. A malformed batch
 *   (`BAD_USER_INPUT`) is not audited: nothing of it began.
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
import { randomUUID } from 'node:crypto';
import type { Keyv } from 'keyv';
import type { UpstreamTarget } from '../../config/upstream.target.js';
import { DEFAULT_CREDENTIAL_POLL_INTERVAL_MS } from '../../credentials/credentials.settings.js';
import { MISSING_SECRET_KEY_MESSAGE, SUPERSEDED_KEPT, type CredentialVault, type VaultEntry } from '../../credentials/credential.vault.js';
import { FacadeError, type ErrorCode } from '../../errors/facade.error.js';
import type { Logger } from '../../log/logger.js';
import { systemClock, type Cancel, type Clock } from '../../time/clock.js';
import type { HttpClient } from '../http/http.client.js';
import { UPSTREAM_TUNING_DEFAULTS, type UpstreamTuning } from '../upstream.settings.js';
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

/** Who asked for a rotation: a caller's API key (the shape of the audit trail's actor). */
export interface RotationActor {
  kind: 'KEY';
  keyId: string;
  keyName: string;
}

/** The named locks every replica shares: the backplane's `LockPort` (`src/keys/lock.port.ts`) has this shape. */
export interface RotationLocks {
  /** True when this caller now holds `name` for `ttlMs` (or until released); false at once when another does. */
  acquire(name: string, ttlMs: number): Promise<boolean>;
  release(name: string): Promise<void>;
}

type CredentialAuditAction =
  | 'CREDENTIAL_VERIFY'
  | 'CREDENTIAL_SWAP'
  | 'CREDENTIAL_ROTATION_FAILED'
  | 'CREDENTIAL_ROTATION_NOT_ATTEMPTED'
  | 'CREDENTIAL_ROTATION_REFUSED';

/** One step of a rotation as the audit trail keeps it (the shape of its `NewAuditEvent`); never a secret. */
export interface CredentialAuditEntry {
  action: CredentialAuditAction;
  actor: RotationActor;
  subject: 'UPSTREAM_CREDENTIAL';
  /** Deployment name, or `central`. */
  deployment: string;
  outcome: 'OK' | 'FAILED' | 'NOT_ATTEMPTED' | 'REFUSED';
  errorCode?: ErrorCode;
  details: Record<string, string | null>;
}

/** Where rotation steps are audited: `main.ts` passes the API keys' audit log. */
export interface CredentialAuditPort {
  record(entry: CredentialAuditEntry): Promise<unknown>;
}

/** What a rotation notes beside its lock, so that one refused elsewhere can say since when and by whom. */
interface RunningNote {
  /** Epoch ms. */
  startedAt: number;
  /** `key:<name>`. */
  by: string;
  rotationId: string;
}

/** The tuning a verification's longest duration follows from. */
export type VerifyTuning = Pick<UpstreamTuning, 'retryMaxAttempts' | 'queueMaxWaitMs' | 'requestTimeoutMs' | 'retryMaxDelayMs'>;

/** Per entry, beyond its verification: the vault write, the retired token and the entry's audit records (each may wait 5 s for the audit lock). */
const STEP_MARGIN_MS = 30_000;

/**
 * How long a batch of `entries` holds its locks: per entry, every verification attempt
 * waiting its longest for the rate budget (`queueMaxWaitMs`) and then timing out
 * (`requestTimeoutMs`), with the longest pause between attempts (a backoff, or a
 * `Retry-After` the client still waits for: at most `queueMaxWaitMs`), plus
 * `STEP_MARGIN_MS`. With the defaults 195 s per entry.
 */
export function rotationLockTtlMs(tuning: VerifyTuning, entries: number): number {
  const attempts = tuning.retryMaxAttempts;
  const verifyMs = attempts * (tuning.queueMaxWaitMs + tuning.requestTimeoutMs) + (attempts - 1) * Math.max(tuning.retryMaxDelayMs, tuning.queueMaxWaitMs);
  return entries * (verifyMs + STEP_MARGIN_MS);
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
  /** One rotation per upstream at a time across replicas: share one with every replica (the backplane's lock). Required. */
  locks: RotationLocks;
  /** Where a running rotation notes since when and by whom, beside its locks; share it like them. Required. */
  running: Keyv;
  /** Where every step is audited. Required. */
  audit: CredentialAuditPort;
  /** The upstreams' tuning, for how long a rotation may hold its locks. Default `UPSTREAM_TUNING_DEFAULTS`. */
  tuning?: VerifyTuning;
  /** How often to read the vault for rotations made by other replicas; 0 turns it off. Default `CREDENTIAL_POLL_INTERVAL_MS`'s. */
  pollIntervalMs?: number;
  /** `rotatedAt`, report times, notes and the poll. Default `systemClock`. */
  clock?: Clock;
  logger: Logger;
}

const LOCK_PREFIX = 'credential-rotation:';
const MAX_CLIENT_ID_LENGTH = 256;
const MAX_SECRET_LENGTH = 4096;
const CONTROL_CHARACTERS = /\p{Cc}/u;

export class CredentialRotator {
  readonly #vault: CredentialVault;
  readonly #tokensFor: (spec: TokenManagerSpec) => TokenManager;
  readonly #locks: RotationLocks;
  readonly #running: Keyv;
  readonly #audit: CredentialAuditPort;
  readonly #tuning: VerifyTuning;
  readonly #clock: Clock;
  readonly #logger: Logger;
  readonly #slots = new Map<string, CredentialSlot>();
  readonly #following = new Map<string, Promise<void>>();
  /** Vault records already complained about, by deployment: `rotatedAt`, so each is logged once. */
  readonly #ignored = new Map<string, number>();
  #cancelPoll: Cancel | undefined;
  #polling = false;

  constructor(options: CredentialRotatorOptions) {
    this.#vault = options.vault;
    this.#tokensFor = options.tokensFor;
    this.#locks = options.locks;
    this.#running = options.running;
    this.#audit = options.audit;
    this.#tuning = options.tuning ?? UPSTREAM_TUNING_DEFAULTS;
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

  /** See the contract: checks, locks, then verify, store and swap entry by entry; `actor` is audited and logged. */
  async rotate(entries: readonly CredentialRotationInput[], actor: RotationActor): Promise<RotationReport> {
    checkBatch(entries);
    if (!this.#vault.canStore) throw new FacadeError('BAD_USER_INPUT', MISSING_SECRET_KEY_MESSAGE);

    const batch: Batch = { id: randomUUID(), actor, by: `key:${actor.keyName}` };
    const unknown = entries.filter((entry) => !this.#slots.has(entry.deployment));
    const known = entries
      .filter((entry) => this.#slots.has(entry.deployment))
      .sort((a, b) => bottomUp(this.#slots.get(a.deployment)!, this.#slots.get(b.deployment)!));
    if (unknown.length > 0) return this.#refuseUnknown(batch, unknown, known);

    const slots = known.map((entry) => this.#slots.get(entry.deployment)!);
    await this.#lockAll(batch, known, slots);
    try {
      // A rotation another replica finished moments ago may not have reached this one's poll yet.
      await Promise.all(
        slots.map((slot) =>
          this.#follow(slot).catch((error: unknown) =>
            this.#logger.warn({ deployment: slot.deployment, err: error }, 'could not read the vault before rotating; rotating from the credential in use'),
          ),
        ),
      );
      const results: RotationEntryResult[] = [];
      let failed: string | undefined;
      for (const [index, entry] of known.entries()) {
        const slot = slots[index]!;
        if (failed !== undefined) {
          const message = `not attempted: the rotation stopped when ${failed} failed`;
          await this.#record(batch, slot.deployment, 'CREDENTIAL_ROTATION_NOT_ATTEMPTED', 'NOT_ATTEMPTED', undefined, {
            clientId: entry.clientId,
            previousClientId: slot.clientId,
            message,
          });
          results.push({ deployment: entry.deployment, api: slot.api, clientId: entry.clientId, status: 'NOT_ATTEMPTED', message });
          continue;
        }
        const result = await this.#rotateOne(batch, slot, entry);
        if (result.status === 'FAILED') failed = entry.deployment;
        results.push(result);
      }
      return { entries: results };
    } finally {
      await this.#unlockAll(slots);
    }
  }

  close(): void {
    this.#cancelPoll?.();
    this.#cancelPoll = undefined;
  }

  async #refuseUnknown(batch: Batch, unknown: CredentialRotationInput[], known: CredentialRotationInput[]): Promise<RotationReport> {
    const names = this.#ordered().map((slot) => slot.deployment).join(', ');
    const report: RotationReport = {
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
    for (const entry of report.entries) {
      const details = { clientId: entry.clientId, previousClientId: this.#slots.get(entry.deployment)?.clientId ?? null, message: entry.message ?? null };
      if (entry.status === 'FAILED') await this.#record(batch, entry.deployment, 'CREDENTIAL_ROTATION_FAILED', 'FAILED', entry.errorCode, details);
      else await this.#record(batch, entry.deployment, 'CREDENTIAL_ROTATION_NOT_ATTEMPTED', 'NOT_ATTEMPTED', undefined, details);
    }
    return report;
  }

  /** Takes every entry's lock in rotation order and notes who runs it; or, when one is held, releases the rest, audits the refusal and throws. */
  async #lockAll(batch: Batch, entries: CredentialRotationInput[], slots: CredentialSlot[]): Promise<void> {
    const ttlMs = rotationLockTtlMs(this.#tuning, slots.length);
    const taken: CredentialSlot[] = [];
    let busy: CredentialSlot | undefined;
    try {
      for (const slot of slots) {
        if (!(await this.#locks.acquire(LOCK_PREFIX + slot.deployment, ttlMs))) {
          busy = slot;
          break;
        }
        taken.push(slot);
      }
    } catch (error) {
      await this.#unlockAll(taken);
      throw error;
    }
    if (busy === undefined) {
      const note: RunningNote = { startedAt: this.#clock.now(), by: batch.by, rotationId: batch.id };
      await Promise.all(
        slots.map((slot) =>
          this.#running.set(slot.deployment, note, ttlMs).catch((error: unknown) => {
            // The note only makes a refusal's message precise; the lock alone serialises.
            this.#logger.warn({ deployment: slot.deployment, err: error }, 'could not note the running credential rotation beside its lock');
          }),
        ),
      );
      return;
    }

    await this.#unlockAll(taken);
    const note = await this.#running.get<RunningNote>(busy.deployment).catch(() => undefined);
    const since = note === undefined ? null : new Date(note.startedAt).toISOString();
    const by = note?.by ?? null;
    const running = note === undefined ? 'who started it and when is not known (its note has not been written yet, or has expired)' : `started at ${since} by ${by}`;
    const message =
      `cannot rotate the credentials of ${entries.map((entry) => entry.deployment).join(', ')}: a rotation of ${busy.deployment} is already running (${running}); ` +
      'nothing of this one was verified or changed. Wait for it to finish, then check upstreamCredentials (clientId, lastRotatedAt) ' +
      'and rotate again only what it did not change.';
    for (const [index, slot] of slots.entries()) {
      await this.#record(batch, slot.deployment, 'CREDENTIAL_ROTATION_REFUSED', 'REFUSED', 'ROTATION_IN_PROGRESS', {
        clientId: entries[index]!.clientId,
        previousClientId: slot.clientId,
        runningDeployment: busy.deployment,
        runningSince: since,
        runningBy: by,
        runningRotationId: note?.rotationId ?? null,
      });
    }
    this.#logger.warn({ deployment: busy.deployment, runningSince: since, runningBy: by, actor: batch.by }, 'refused an upstream credential rotation: one is already running');
    throw new FacadeError('ROTATION_IN_PROGRESS', message, { deployment: busy.deployment, details: { runningSince: since, runningBy: by } });
  }

  /** Deletes the notes and releases the locks of `slots`, last taken first; a failure is logged, never thrown (both expire on their own). */
  async #unlockAll(slots: readonly CredentialSlot[]): Promise<void> {
    const logged = (deployment: string, what: string) => (error: unknown) =>
      this.#logger.error({ deployment, err: error }, `could not ${what}; it expires on its own`);
    for (const slot of [...slots].reverse()) {
      await this.#running.delete(slot.deployment).catch(logged(slot.deployment, 'delete the note of a credential rotation'));
      await this.#locks.release(LOCK_PREFIX + slot.deployment).catch(logged(slot.deployment, 'release the credential rotation lock'));
    }
  }

  /** Audits one step; an audit store outage is logged with the event and does not change the rotation. */
  async #record(
    batch: Batch,
    deployment: string,
    action: CredentialAuditAction,
    outcome: CredentialAuditEntry['outcome'],
    errorCode: ErrorCode | undefined,
    details: Record<string, string | null>,
  ): Promise<void> {
    const entry: CredentialAuditEntry = {
      action,
      actor: batch.actor,
      subject: 'UPSTREAM_CREDENTIAL',
      deployment,
      outcome,
      ...(errorCode === undefined ? {} : { errorCode }),
      details: { rotationId: batch.id, ...details },
    };
    try {
      await this.#audit.record(entry);
    } catch (error) {
      this.#logger.error({ audit: entry, err: error }, 'could not record an upstream credential rotation step in the audit trail');
    }
  }

  async #rotateOne(batch: Batch, slot: CredentialSlot, entry: CredentialRotationInput): Promise<RotationEntryResult> {
    const base = { deployment: slot.deployment, api: slot.api, clientId: entry.clientId };
    const previousClientId = slot.clientId;
    const ids = { clientId: entry.clientId, previousClientId };
    const stays = `client ID "${previousClientId}" stays in use`;
    const failed = async (step: 'CREDENTIAL_VERIFY' | 'CREDENTIAL_SWAP', errorCode: ErrorCode, message: string): Promise<RotationEntryResult> => {
      this.#logger.warn({ deployment: slot.deployment, clientId: entry.clientId, code: errorCode, actor: batch.by }, `upstream credential rotation failed: ${message}`);
      await this.#record(batch, slot.deployment, step, 'FAILED', errorCode, { ...ids, message });
      await this.#record(batch, slot.deployment, 'CREDENTIAL_ROTATION_FAILED', 'FAILED', errorCode, { ...ids, message });
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
        return failed('CREDENTIAL_VERIFY', 'INTERNAL_SERVER_ERROR', `could not verify the new credential with ${slot.deployment} (unexpected error); ${stays}`);
      }
      if (error.code === 'UPSTREAM_AUTH_FAILED') {
        const status = error.details.upstreamStatus;
        return failed(
          'CREDENTIAL_VERIFY',
          error.code,
          `the new client secret was refused by ${slot.deployment}: its token endpoint answered ${typeof status === 'number' ? status : 'with a refusal'} for client ID "${entry.clientId}"; check the client ID and secret and that the API client is enabled; ${stays}`,
        );
      }
      return failed('CREDENTIAL_VERIFY', error.code, `could not verify the new credential with ${slot.deployment}: ${error.message}; ${stays}`);
    }
    await this.#record(batch, slot.deployment, 'CREDENTIAL_VERIFY', 'OK', undefined, ids);

    const rotatedAt = this.#clock.now();
    const supersedes = [...slot.supersedes, previousClientId].filter((id, at, all) => id !== entry.clientId && all.indexOf(id) === at).slice(-SUPERSEDED_KEPT);
    try {
      await this.#vault.write({ deployment: slot.deployment, clientId: entry.clientId, clientSecret: entry.clientSecret, rotatedAt, supersedes });
    } catch (error) {
      if (candidate.clientId !== previousClientId) await candidate.retire();
      const code = error instanceof FacadeError ? error.code : 'INTERNAL_SERVER_ERROR';
      return failed('CREDENTIAL_SWAP', code, `${error instanceof FacadeError ? error.message : 'the credential vault failed'}; ${stays}`);
    }

    const previous = slot.swap(candidate, rotatedAt, supersedes);
    if (previous.clientId !== candidate.clientId) await previous.retire();
    this.#logger.info(
      { deployment: slot.deployment, clientId: entry.clientId, previousClientId, actor: batch.by },
      'rotated upstream credential; the previous API client can now be deleted upstream',
    );
    await this.#record(batch, slot.deployment, 'CREDENTIAL_SWAP', 'OK', undefined, {
      ...ids,
      rotatedAt: new Date(rotatedAt).toISOString(),
      message: `stored encrypted and in use; the token of client ID "${previousClientId}" was dropped from memory and the shared token store. Delete that client in USM.`,
    });
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

/** One call of `rotate`: its id in the audit trail and who made it. */
interface Batch {
  id: string;
  actor: RotationActor;
  /** `key:<name>`, for logs and the running note. */
  by: string;
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
