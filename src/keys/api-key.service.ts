/**
 * The lifecycle of the facade's own API keys: create, authenticate, authorize, rotate,
 * reset, revoke, delete, and the rotation policy each key may carry.
 *
 * Contract:
 * - A secret exists in clear only in the answer of the call that made it (`secret` of
 *   `CreatedApiKey`, `CREATED` of `ensureDefaultKey`) and in the `ApiKeyRotated`
 *   message to that key's own subscribers; the store, the audit trail, logs and errors
 *   see hashes or nothing.
 * - `authenticate` answers the key or UNAUTHENTICATED saying only "required",
 *   "malformed" or "invalid or expired", never which part was wrong. A key works while
 *   ACTIVE with its current secret, or its previous one until `previousSecretValidUntil`.
 * - Every change is checked before anything is written, so bad input changes nothing;
 *   it runs under the key's lock (one writer across replicas, given a shared
 *   `LockPort`), is audited, and is announced on the pubsub: `ApiKeyRotated` (keyed by
 *   key id, with the new secret) on rotation and reset, `ApiKeyRevoked` (broadcast)
 *   whenever a secret or key stops working at once.
 * - Authentication results are cached per key for `authCacheTtlMs`; an
 *   `ApiKeyRevoked` message drops the entry on every replica, and a secret that does
 *   not match a cached entry is checked again against the store, so a rotation on
 *   another replica never refuses the new secret.
 * - The default key cannot be revoked or deleted (reset replaces its secret instead).
 *   A caller cannot grant a permission it does not hold, nor obtain one by rotating or
 *   resetting a key that holds more than it does (those answers carry the new secret).
 */
import type Keyv from 'keyv';
import { FacadeError } from '../errors/facade.error.js';
import type { Logger } from '../log/logger.js';
import { Topic, type ApiKeyRevokedPayload, type PubSub, type TopicPayloads } from '../live/pubsub.js';
import type { TopicSubscription } from '../live/subscription.queue.js';
import { systemClock, type Clock } from '../time/clock.js';
import { formatApiKey, hashSecret, newKeyId, newSecret, parseApiKey, secretMatches, type RandomBytes } from './api-key.format.js';
import { DEFAULT_PERMISSIONS, isPermission, PERMISSIONS, type Permission } from './api-key.permissions.js';
import { ApiKeyRepository, type ApiKeyBudget, type ApiKeyRecord, type ApiKeyStatus } from './api-key.repository.js';
import { AuditLog, type AuditAction, type AuditActor, type AuditDetails } from './audit.log.js';
import type { AuthThrottle } from './auth.throttle.js';
import { createMemoryLock, LockRunner, type LockPort, type LockRunnerOptions } from './lock.port.js';
import {
  DAY_MS,
  formatIsoDuration,
  validateGracePeriod,
  validateRotationPolicy,
  type RotationPolicy,
  type RotationPolicyInput,
} from './rotation.policy.js';

/** A key as callers see it: no hash, no secret. */
export interface ApiKey {
  id: string;
  name: string;
  permissions: Permission[];
  createdAt: Date;
  lastUsedAt: Date | null;
  lastRotatedAt: Date | null;
  nextRotationAt: Date | null;
  rotation: RotationPolicy | null;
  /** Until when the secret before the last rotation still works; null when it no longer does. */
  previousSecretValidUntil: Date | null;
  isDefault: boolean;
  status: ApiKeyStatus;
  revokedAt: Date | null;
  /** The key runs only the trusted documents (first-party frontends), nothing written ad hoc. */
  trustedDocumentsOnly: boolean;
  /** The key's own budget in points; null: the defaults (`KEY_BUDGET_*`). */
  budget: ApiKeyBudget | null;
}

export interface CreatedApiKey {
  key: ApiKey;
  /** The complete key text (`usmf_…`) to present as `Bearer`; shown in this answer only. */
  secret: string;
  /** Accepted but inadvisable choices (a one-day interval). */
  warnings: string[];
}

export interface CreateApiKeyInput {
  name: string;
  /** Default `['alarms:read']`. */
  permissions?: readonly string[];
  /** Default none: the key never rotates on its own. */
  rotation?: RotationPolicyInput | null;
  /** Default false: the key may run any document its permissions allow. */
  trustedDocumentsOnly?: boolean;
  /** Default none: the key draws on the default budget (`KEY_BUDGET_*`). */
  budget?: ApiKeyBudget | null;
}

export interface RotateApiKeyOptions {
  /** How long the current secret keeps working; default the key's policy's grace period, else `defaultGracePeriodMs`. */
  gracePeriodMs?: number;
}

export type EnsureDefaultKeyResult =
  /** Print `secret` once; it is nowhere else. */
  | { outcome: 'CREATED'; key: ApiKey; secret: string }
  | { outcome: 'ADOPTED'; key: ApiKey }
  /** `warning` says why a given `adoptSecret` was not used. */
  | { outcome: 'EXISTING'; key: ApiKey; warning?: string };

export interface ScheduledRotation {
  keyId: string;
  /** Epoch ms. */
  nextRotationAt: number;
}

export interface ApiKeyServiceOptions {
  /** Where keys and audit events live. */
  store: Keyv;
  pubsub: PubSub;
  logger: Logger;
  /** Coordinates replicas; pass a Redis lock when several replicas share one store. Default: a lock for this process. */
  lock?: LockPort;
  /** When secrets are made, grace periods end and rotations fall due. Default `systemClock`. */
  clock?: Clock;
  /** Default `crypto.randomBytes`. */
  random?: RandomBytes;
  /** Counts failed authentications per client address. Default: none. */
  throttle?: AuthThrottle;
  /** Grace period of a manual rotation of a key without a policy. Default 24 h. */
  defaultGracePeriodMs?: number;
  /** A key's last use is written at most this often per replica. Default 60 000 ms. */
  lastUsedWriteEveryMs?: number;
  /** How long an authenticated key's record is reused without reading the store. Default 5 000 ms. */
  authCacheTtlMs?: number;
  /** Audit events kept. Default 10 000. */
  maxAuditEvents?: number;
  /** Waiting for locks. Defaults in `LockRunnerOptions`. */
  locking?: LockRunnerOptions;
}

export const DEFAULT_GRACE_PERIOD_MS = DAY_MS;
const NAME_PATTERN = /^[A-Za-z0-9][A-Za-z0-9 ._@:+-]{0,99}$/;
const INDEX_LOCK = 'apikeys:index';

type Trigger = 'MANUAL' | 'SCHEDULED' | 'RESET';

export class ApiKeyService {
  readonly audit: AuditLog;
  private readonly repository: ApiKeyRepository;
  private readonly pubsub: PubSub;
  private readonly logger: Logger;
  private readonly locks: LockRunner;
  private readonly clock: Clock;
  private readonly random: RandomBytes | undefined;
  private readonly throttle: AuthThrottle | undefined;
  private readonly defaultGracePeriodMs: number;
  private readonly lastUsedWriteEveryMs: number;
  private readonly authCacheTtlMs: number;
  private readonly cache = new Map<string, { record: ApiKeyRecord; until: number }>();
  private readonly lastUsedWritten = new Map<string, number>();
  private readonly scheduleListeners = new Set<() => void>();
  private readonly revocations: TopicSubscription<ApiKeyRevokedPayload>;

  constructor(options: ApiKeyServiceOptions) {
    this.repository = new ApiKeyRepository(options.store);
    this.pubsub = options.pubsub;
    this.logger = options.logger;
    this.clock = options.clock ?? systemClock;
    this.random = options.random;
    this.throttle = options.throttle;
    this.locks = new LockRunner(options.lock ?? createMemoryLock({ clock: this.clock }), options.locking);
    this.defaultGracePeriodMs = options.defaultGracePeriodMs ?? DEFAULT_GRACE_PERIOD_MS;
    this.lastUsedWriteEveryMs = options.lastUsedWriteEveryMs ?? 60_000;
    this.authCacheTtlMs = options.authCacheTtlMs ?? 5_000;
    this.audit = new AuditLog({
      store: options.store,
      logger: options.logger,
      locks: this.locks,
      clock: this.clock,
      random: options.random,
      maxEvents: options.maxAuditEvents,
    });
    this.revocations = this.pubsub.subscribe(Topic.ApiKeyRevoked);
    void this.dropRevokedFromCache();
  }

  /** Stops listening for revocations from other replicas. */
  async close(): Promise<void> {
    await this.revocations.return();
  }

  /** Resolves once revocations published from now on reach this service's cache. */
  get ready(): Promise<void> {
    return this.revocations.ready;
  }

  /**
   * Makes sure the default admin key exists. On a store without one, creates
   * `<tenant>@<ISO time>` with every permission and no rotation, and answers its secret
   * (print it once), or adopts `adoptSecret` (FACADE_ADMIN_KEY) storing only its hash.
   */
  async ensureDefaultKey(options: { tenant: string; adoptSecret?: string }): Promise<EnsureDefaultKeyResult> {
    const adopted = options.adoptSecret === undefined ? undefined : parseApiKey(options.adoptSecret);
    if (adopted !== undefined && !adopted.ok) {
      throw new FacadeError(
        'BAD_USER_INPUT',
        `FACADE_ADMIN_KEY is ${adopted.reason === 'MALFORMED' ? 'not in the key format usmf_<id>_<secret><checksum>' : 'mistyped: its checksum does not match'}; ` +
          'set it to a key the facade issued earlier, or unset it to have a new admin key printed once at start-up.',
      );
    }
    return this.locks.run(INDEX_LOCK, async () => {
      let existing = (await this.repository.list()).find((record) => record.isDefault);
      if (existing !== undefined && PERMISSIONS.some((p) => !existing!.permissions.includes(p))) {
        // The default key holds every permission, also those a later version added (`schema:read`).
        existing = { ...existing, permissions: [...PERMISSIONS] };
        await this.repository.replace(existing);
      }
      if (existing !== undefined) {
        const matches = adopted?.ok === true && adopted.id === existing.id && secretMatches(adopted.secret, existing.secretHash);
        const warning =
          adopted === undefined || matches
            ? undefined
            : `FACADE_ADMIN_KEY was not adopted: the store already has the default key "${existing.name}" (${existing.id}); ` +
              'reset that key to replace its secret, or unset FACADE_ADMIN_KEY.';
        return { outcome: 'EXISTING', key: await this.view(existing), ...(warning === undefined ? {} : { warning }) };
      }
      const now = this.clock.now();
      const name = `${options.tenant}@${new Date(now).toISOString()}`;
      this.assertName(name, 'tenant');
      const id = adopted?.ok === true ? adopted.id : newKeyId(this.random);
      if ((await this.repository.listIds()).includes(id)) {
        throw new FacadeError(
          'BAD_USER_INPUT',
          `FACADE_ADMIN_KEY has the id of an existing key (${id}); unset it to have a new admin key made.`,
        );
      }
      const secret = adopted?.ok === true ? adopted.secret : newSecret(this.random);
      const record: ApiKeyRecord = {
        ...this.newRecord(id, name, [...PERMISSIONS], null, now, secret),
        isDefault: true,
      };
      await this.repository.insert(record);
      await this.recordAudit('CREATE', { kind: 'SYSTEM' }, record, {
        isDefault: true,
        adopted: adopted !== undefined,
        permissions: record.permissions,
      });
      this.scheduleChanged();
      const key = await this.view(record);
      return adopted === undefined ? { outcome: 'CREATED', key, secret: formatApiKey(id, secret) } : { outcome: 'ADOPTED', key };
    });
  }

  /**
   * The key `text` belongs to, or UNAUTHENTICATED. `clientAddress` feeds the failure
   * throttle, when one is configured.
   */
  async authenticate(text: string | undefined, context: { clientAddress?: string } = {}): Promise<ApiKey> {
    if (text === undefined || text.trim() === '') {
      return this.refuse(context, 'An API key is required: send it as `Authorization: Bearer <key>` or `X-API-Key: <key>`.');
    }
    const parsed = parseApiKey(text);
    if (!parsed.ok) {
      return this.refuse(context, 'The API key is malformed; present the whole key as issued (usmf_…).');
    }
    const now = this.clock.now();
    const cached = this.cache.get(parsed.id);
    let record = cached !== undefined && cached.until > now ? cached.record : undefined;
    if (record === undefined || !acceptsSecret(record, parsed.secret, now)) {
      record = await this.repository.get(parsed.id);
      if (record === undefined) this.cache.delete(parsed.id);
      else this.cache.set(record.id, { record, until: now + this.authCacheTtlMs });
    }
    if (record === undefined || !acceptsSecret(record, parsed.secret, now)) {
      return this.refuse(context, 'The API key is invalid or expired.');
    }
    if (now - (this.lastUsedWritten.get(record.id) ?? Number.NEGATIVE_INFINITY) >= this.lastUsedWriteEveryMs) {
      this.lastUsedWritten.set(record.id, now);
      // Bookkeeping only: a store hiccup here must not refuse a valid key.
      await this.repository
        .setLastUsedAt(record.id, now)
        .catch((error: unknown) => this.logger.warn({ err: error, keyId: record.id }, 'could not record the last use of an api key'));
    }
    return toApiKey(record, now, now);
  }

  /** Throws FORBIDDEN naming `permission` when `key` lacks it. */
  authorize(key: ApiKey, permission: Permission): void {
    if (!key.permissions.includes(permission)) {
      throw new FacadeError(
        'FORBIDDEN',
        `This needs the permission "${permission}"; key "${key.name}" has ${key.permissions.map((p) => `"${p}"`).join(', ')}. ` +
          `Use a key with "${permission}", or ask a key manager to create one.`,
        { details: { permission } },
      );
    }
  }

  async list(): Promise<ApiKey[]> {
    return Promise.all((await this.repository.list()).map((record) => this.view(record)));
  }

  async get(id: string): Promise<ApiKey> {
    return this.view(await this.load(id));
  }

  async create(input: CreateApiKeyInput, actor: ApiKey): Promise<CreatedApiKey> {
    const name = typeof input.name === 'string' ? input.name.trim() : '';
    this.assertName(name, 'name');
    const permissions = this.checkPermissions(input.permissions ?? DEFAULT_PERMISSIONS, actor);
    const validated = input.rotation == null ? null : validateRotationPolicy(input.rotation);
    const budget = input.budget == null ? null : validateBudget(input.budget);
    return this.locks.run(INDEX_LOCK, async () => {
      if ((await this.repository.idForName(name)) !== undefined) {
        throw new FacadeError('BAD_USER_INPUT', `An API key named "${name}" already exists; choose another name.`, {
          details: { field: 'name' },
        });
      }
      const now = this.clock.now();
      const secret = newSecret(this.random);
      const record: ApiKeyRecord = {
        ...this.newRecord(newKeyId(this.random), name, permissions, validated?.policy ?? null, now, secret),
        ...(input.trustedDocumentsOnly === true ? { trustedDocumentsOnly: true } : {}),
        ...(budget === null ? {} : { budget }),
      };
      await this.repository.insert(record);
      await this.recordAudit('CREATE', actorOf(actor), record, {
        permissions,
        ...policyDetails(record.rotation),
        ...(record.trustedDocumentsOnly === true ? { trustedDocumentsOnly: true } : {}),
        ...(budget === null ? {} : budgetDetails(budget)),
      });
      this.scheduleChanged();
      return { key: await this.view(record), secret: formatApiKey(record.id, secret), warnings: validated?.warnings ?? [] };
    });
  }

  /** A new secret now; the current one keeps working for the grace period (0 ends it at once). */
  async rotate(id: string, options: RotateApiKeyOptions, actor: ApiKey): Promise<CreatedApiKey> {
    return this.withKey(id, async (record) => {
      this.assertActive(record, 'rotated');
      this.assertMayTakeSecretOf(record, actor, 'rotate');
      const gracePeriodMs = options.gracePeriodMs ?? record.rotation?.gracePeriodMs ?? this.defaultGracePeriodMs;
      validateGracePeriod(gracePeriodMs, record.rotation);
      return this.replaceSecret(record, gracePeriodMs, 'MANUAL', actorOf(actor));
    });
  }

  /** A new secret now; the current one stops working at once. */
  async reset(id: string, actor: ApiKey): Promise<CreatedApiKey> {
    return this.withKey(id, async (record) => {
      this.assertActive(record, 'reset');
      this.assertMayTakeSecretOf(record, actor, 'reset');
      return this.replaceSecret(record, 0, 'RESET', actorOf(actor));
    });
  }

  /** Sets (or, with null, removes) the key's rotation policy; the next rotation is one interval from now. */
  async setRotation(id: string, rotation: RotationPolicyInput | null, actor: ApiKey): Promise<{ key: ApiKey; warnings: string[] }> {
    const validated = rotation === null ? null : validateRotationPolicy(rotation);
    return this.withKey(id, async (record) => {
      this.assertActive(record, 'given a rotation policy');
      const now = this.clock.now();
      const policy = validated?.policy ?? null;
      const updated: ApiKeyRecord = { ...record, rotation: policy, nextRotationAt: policy === null ? null : now + policy.intervalMs };
      await this.repository.replace(updated);
      await this.recordAudit('SET_ROTATION', actorOf(actor), updated, {
        ...policyDetails(policy),
        nextRotationAt: updated.nextRotationAt === null ? null : new Date(updated.nextRotationAt).toISOString(),
      });
      this.scheduleChanged();
      return { key: await this.view(updated), warnings: validated?.warnings ?? [] };
    });
  }

  /**
   * Sets (or, with null, removes) the key's own budget in points. Every replica applies
   * it within `authCacheTtlMs` (this one at once); the bucket keeps the points it holds.
   */
  async setBudget(id: string, budget: ApiKeyBudget | null, actor: ApiKey): Promise<ApiKey> {
    const validated = budget === null ? null : validateBudget(budget);
    return this.withKey(id, async (record) => {
      this.assertActive(record, 'given a budget');
      const updated: ApiKeyRecord = { ...record, budget: validated };
      await this.repository.replace(updated);
      await this.recordAudit('SET_BUDGET', actorOf(actor), updated, validated === null ? { budget: null } : budgetDetails(validated));
      return this.view(updated);
    });
  }

  /** The key stops working on every replica; revoking a revoked key changes nothing. */
  async revoke(id: string, actor: ApiKey): Promise<ApiKey> {
    return this.withKey(id, async (record) => {
      this.assertNotDefault(record, 'revoked');
      if (record.status === 'REVOKED') return this.view(record);
      const now = this.clock.now();
      const updated: ApiKeyRecord = {
        ...record,
        status: 'REVOKED',
        revokedAt: now,
        nextRotationAt: null,
        previousSecretHash: null,
        previousValidUntil: null,
      };
      await this.repository.replace(updated);
      await this.recordAudit('REVOKE', actorOf(actor), updated, {});
      await this.announceRevoked(updated.id, 'REVOKED');
      this.scheduleChanged();
      return this.view(updated);
    });
  }

  /** Removes the key for good; answers it as it was. */
  async delete(id: string, actor: ApiKey): Promise<ApiKey> {
    return this.withKey(id, async (record) => {
      this.assertNotDefault(record, 'deleted');
      const key = await this.view(record);
      await this.locks.run(INDEX_LOCK, () => this.repository.remove(record));
      await this.recordAudit('DELETE', actorOf(actor), record, { status: record.status });
      await this.announceRevoked(record.id, 'DELETED');
      this.scheduleChanged();
      return key;
    });
  }

  /** Every active key with a rotation policy and when it is next due. For the scheduler. */
  async scheduledRotations(): Promise<ScheduledRotation[]> {
    return (await this.repository.list())
      .filter((record) => record.status === 'ACTIVE' && record.rotation !== null && record.nextRotationAt !== null)
      .map((record) => ({ keyId: record.id, nextRotationAt: record.nextRotationAt! }));
  }

  /**
   * Rotates key `id` by its policy if it is still due at `expectedNextRotationAt`
   * (compare-and-set: false when another replica or a manual change got there first).
   */
  async rotateIfDue(id: string, expectedNextRotationAt: number): Promise<boolean> {
    return this.locks.run(`apikey:${id}`, async () => {
      const record = await this.repository.get(id);
      if (
        record === undefined ||
        record.status !== 'ACTIVE' ||
        record.rotation === null ||
        record.nextRotationAt !== expectedNextRotationAt ||
        record.nextRotationAt > this.clock.now()
      ) {
        return false;
      }
      await this.replaceSecret(record, record.rotation.gracePeriodMs, 'SCHEDULED', { kind: 'SCHEDULER' });
      return true;
    });
  }

  /** Calls `listener` after every change that may move a key's next rotation; answers the unsubscribe. */
  onScheduleChange(listener: () => void): () => void {
    this.scheduleListeners.add(listener);
    return () => this.scheduleListeners.delete(listener);
  }

  private async replaceSecret(
    record: ApiKeyRecord,
    gracePeriodMs: number,
    trigger: Trigger,
    actor: AuditActor,
  ): Promise<CreatedApiKey> {
    const now = this.clock.now();
    const secret = newSecret(this.random);
    const previousValidUntil = gracePeriodMs > 0 ? now + gracePeriodMs : null;
    const updated: ApiKeyRecord = {
      ...record,
      secretHash: hashSecret(secret),
      previousSecretHash: previousValidUntil === null ? null : record.secretHash,
      previousValidUntil,
      lastRotatedAt: now,
      nextRotationAt: record.rotation === null ? null : now + record.rotation.intervalMs,
    };
    await this.repository.replace(updated);
    this.cache.delete(record.id);
    await this.recordAudit(trigger === 'RESET' ? 'RESET' : 'ROTATE', actor, updated, {
      trigger,
      gracePeriod: formatIsoDuration(gracePeriodMs),
      previousValidUntil: previousValidUntil === null ? null : new Date(previousValidUntil).toISOString(),
    });
    const text = formatApiKey(record.id, secret);
    await this.announce(Topic.ApiKeyRotated, record.id, {
      keyId: record.id,
      secret: text,
      previousValidUntil: previousValidUntil === null ? null : new Date(previousValidUntil).toISOString(),
      rotatedAt: new Date(now).toISOString(),
      trigger,
    });
    // A secret that stops working at once (the current one without grace, or a previous one
    // still in its grace) must stop on every replica, whatever they have cached.
    const previousStillValid = record.previousValidUntil !== null && record.previousValidUntil > now;
    if (previousValidUntil === null || previousStillValid) await this.announceRevoked(record.id, 'SECRET_REPLACED');
    this.scheduleChanged();
    return { key: await this.view(updated), secret: text, warnings: [] };
  }

  private newRecord(
    id: string,
    name: string,
    permissions: Permission[],
    rotation: RotationPolicy | null,
    now: number,
    secret: string,
  ): ApiKeyRecord {
    return {
      id,
      name,
      permissions,
      createdAt: now,
      lastRotatedAt: null,
      nextRotationAt: rotation === null ? null : now + rotation.intervalMs,
      rotation,
      secretHash: hashSecret(secret),
      previousSecretHash: null,
      previousValidUntil: null,
      isDefault: false,
      status: 'ACTIVE',
      revokedAt: null,
    };
  }

  private async withKey<T>(id: string, work: (record: ApiKeyRecord) => Promise<T>): Promise<T> {
    return this.locks.run(`apikey:${id}`, async () => {
      const result = await work(await this.load(id));
      this.cache.delete(id);
      return result;
    });
  }

  private async load(id: string): Promise<ApiKeyRecord> {
    const record = typeof id === 'string' && id !== '' ? await this.repository.get(id) : undefined;
    if (record === undefined) {
      throw new FacadeError('NOT_FOUND', `No API key has the id ${JSON.stringify(id)}; apiKeys lists the existing ones.`, {
        details: { keyId: id },
      });
    }
    return record;
  }

  private async view(record: ApiKeyRecord): Promise<ApiKey> {
    return toApiKey(record, this.clock.now(), await this.repository.lastUsedAt(record.id));
  }

  private assertName(name: string, field: string): void {
    if (!NAME_PATTERN.test(name)) {
      throw new FacadeError(
        'BAD_USER_INPUT',
        `\`${field}\` must give a key name of 1 to 100 characters — letters, digits, space and . _ @ : + - — ` +
          'starting with a letter or digit.',
        { details: { field } },
      );
    }
  }

  private assertActive(record: ApiKeyRecord, what: string): void {
    if (record.status !== 'ACTIVE') {
      throw new FacadeError('BAD_USER_INPUT', `API key "${record.name}" is revoked and cannot be ${what}; create a new key.`, {
        details: { keyId: record.id },
      });
    }
  }

  /** The default key is only ever reset, never revoked or deleted. */
  private assertNotDefault(record: ApiKeyRecord, what: 'revoked' | 'deleted'): void {
    if (record.isDefault) {
      throw new FacadeError(
        'BAD_USER_INPUT',
        `The default key "${record.name}" cannot be ${what}; reset it to replace its secret at once.`,
        { details: { keyId: record.id } },
      );
    }
  }

  /** Rotating or resetting answers the new secret: only to a caller that holds every permission of the key. */
  private assertMayTakeSecretOf(record: ApiKeyRecord, actor: ApiKey, what: string): void {
    const missing = record.permissions.filter((p) => !actor.permissions.includes(p));
    if (missing.length > 0) {
      throw new FacadeError(
        'FORBIDDEN',
        `Key "${actor.name}" cannot ${what} key "${record.name}": the answer holds the new secret, which would give it ` +
          `${missing.map((p) => `"${p}"`).join(', ')} that it lacks. Use a key that holds every permission of "${record.name}".`,
        { details: { permission: missing[0] } },
      );
    }
  }

  private checkPermissions(requested: readonly string[], actor: ApiKey): Permission[] {
    const unknown = requested.filter((p) => !isPermission(p));
    if (unknown.length > 0 || requested.length === 0) {
      const problem =
        requested.length === 0
          ? 'A key needs at least one permission'
          : `Unknown permission ${unknown.map((p) => JSON.stringify(p)).join(', ')}`;
      throw new FacadeError(
        'BAD_USER_INPUT',
        `${problem}; choose from ${PERMISSIONS.join(', ')} (default ${DEFAULT_PERMISSIONS.join(', ')}).`,
        { details: { field: 'permissions' } },
      );
    }
    const permissions = PERMISSIONS.filter((p) => requested.includes(p));
    for (const permission of permissions) {
      if (!actor.permissions.includes(permission)) {
        throw new FacadeError(
          'FORBIDDEN',
          `A key can only grant permissions it holds; key "${actor.name}" lacks "${permission}".`,
          { details: { permission } },
        );
      }
    }
    return permissions;
  }

  private async refuse(context: { clientAddress?: string }, message: string): Promise<never> {
    let verdict = null;
    if (this.throttle !== undefined && context.clientAddress !== undefined) {
      // The answer is UNAUTHENTICATED either way; a throttle outage only loses the retry hint.
      verdict = await this.throttle.recordFailure(context.clientAddress).catch((error: unknown) => {
        this.logger.warn({ err: error }, 'could not count a failed authentication');
        return null;
      });
    }
    if (verdict === null) throw new FacadeError('UNAUTHENTICATED', message);
    const seconds = Math.max(1, Math.ceil(verdict.retryAfterMs / 1000));
    throw new FacadeError('UNAUTHENTICATED', `${message} Too many failed attempts from this address; retry in ${seconds} s.`, {
      details: { retryAfterSeconds: seconds },
    });
  }

  private async recordAudit(action: AuditAction, actor: AuditActor, record: ApiKeyRecord, details: AuditDetails): Promise<void> {
    await this.audit.record({ action, actor, subject: 'API_KEY', keyId: record.id, keyName: record.name, details });
  }

  private async announceRevoked(keyId: string, reason: ApiKeyRevokedPayload['reason']): Promise<void> {
    this.cache.delete(keyId);
    await this.announce(Topic.ApiKeyRevoked, undefined, { keyId, reason });
  }

  /** The change is stored and audited by now; a pubsub outage must not undo or fail it. */
  private async announce<T extends Topic>(topic: T, key: string | undefined, payload: TopicPayloads[T]): Promise<void> {
    try {
      await this.pubsub.publish(topic, key, payload);
    } catch (error) {
      this.logger.error({ err: error, topic }, 'api key change stored, but announcing it on the pubsub failed');
    }
  }

  private scheduleChanged(): void {
    for (const listener of this.scheduleListeners) listener();
  }

  private async dropRevokedFromCache(): Promise<void> {
    for await (const message of this.revocations) this.cache.delete(message.keyId);
  }
}

/** Whole points, as the settings take them: a maximum of 1–1,000,000 and a restore rate of 1–100,000 a second. */
function validateBudget(budget: ApiKeyBudget): ApiKeyBudget {
  const check = (field: keyof ApiKeyBudget, max: number) => {
    const value = budget[field];
    if (!Number.isInteger(value) || value < 1 || value > max) {
      throw new FacadeError('BAD_USER_INPUT', `budget.${field} must be a whole number of points from 1 to ${max}.`, { details: { field: `budget.${field}` } });
    }
  };
  check('maximum', 1_000_000);
  check('restoreRate', 100_000);
  return { maximum: budget.maximum, restoreRate: budget.restoreRate };
}

function budgetDetails(budget: ApiKeyBudget): AuditDetails {
  return { budgetMaximum: budget.maximum, budgetRestoreRate: budget.restoreRate };
}

/** The audit actor of a caller's key. */
function actorOf(key: ApiKey): AuditActor {
  return { kind: 'KEY', keyId: key.id, keyName: key.name };
}

function acceptsSecret(record: ApiKeyRecord, secret: string, now: number): boolean {
  if (record.status !== 'ACTIVE') return false;
  const current = secretMatches(secret, record.secretHash);
  const previous =
    record.previousSecretHash !== null &&
    record.previousValidUntil !== null &&
    now < record.previousValidUntil &&
    secretMatches(secret, record.previousSecretHash);
  return current || previous;
}

function policyDetails(policy: RotationPolicy | null): AuditDetails {
  return policy === null
    ? { rotation: null }
    : { interval: formatIsoDuration(policy.intervalMs), gracePeriod: formatIsoDuration(policy.gracePeriodMs) };
}

function toApiKey(record: ApiKeyRecord, now: number, lastUsedAt: number | null): ApiKey {
  const date = (ms: number | null) => (ms === null ? null : new Date(ms));
  return {
    id: record.id,
    name: record.name,
    permissions: [...record.permissions],
    createdAt: new Date(record.createdAt),
    lastUsedAt: date(lastUsedAt),
    lastRotatedAt: date(record.lastRotatedAt),
    nextRotationAt: date(record.nextRotationAt),
    rotation: record.rotation === null ? null : { ...record.rotation },
    previousSecretValidUntil:
      record.previousSecretHash !== null && record.previousValidUntil !== null && record.previousValidUntil > now
        ? new Date(record.previousValidUntil)
        : null,
    isDefault: record.isDefault,
    status: record.status,
    revokedAt: date(record.revokedAt),
    trustedDocumentsOnly: record.trustedDocumentsOnly === true,
    budget: record.budget == null ? null : { ...record.budget },
  };
}
