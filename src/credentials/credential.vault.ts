/**
 * Where rotated upstream client credentials are kept, so that a restart and every
 * replica use the credential an operator rotated to rather than the configured one.
 *
 * Contract:
 * - One record per deployment (or `central`) in a keyv store (SQLite under `DATA_DIR`,
 *   Redis with `REDIS_URL`; the composition root chooses): `{deployment, clientId,
 *   encryptedSecret, rotatedAt, supersedes}`. The secret is sealed with `SecretBox`
 *   (AES-256-GCM, bound to deployment and client ID); no secret is ever in the store, a
 *   log or an error in clear.
 * - `write` refuses, with `BAD_USER_INPUT` and `MISSING_SECRET_KEY_MESSAGE`, when the
 *   vault has no key: rotated secrets are never stored unencrypted. A store that does
 *   not take the write is `INTERNAL_SERVER_ERROR`.
 * - `read` returns the record with a `secret()` that decrypts on demand (so callers
 *   that only compare `rotatedAt` never decrypt); `secret()` throws when there is no
 *   key or the key does not open it. A record that is not one of ours reads as absent.
 * - The last write for a deployment wins; callers order writes by `rotatedAt`.
 * - `supersedes` lists the client IDs the credential replaced, oldest first (at most
 *   `SUPERSEDED_KEPT`): a replica or a restart adopts a record only if its configured
 *   client ID is among them or is the record's own (see `credential.rotator.ts`).
 * - The vault does not own its store: whoever made the store closes it.
 */
import type { Keyv } from 'keyv';
import type { SecretKey } from '../config/secret.key.js';
import { FacadeError } from '../errors/facade.error.js';
import { SecretBox } from './secret.box.js';

export const MISSING_SECRET_KEY_MESSAGE =
  'set FACADE_SECRET_KEY (32 bytes as hex or base64, e.g. from `openssl rand -hex 32`) to rotate upstream credentials; rotated secrets are stored encrypted';

/** How many replaced client IDs a record remembers. */
export const SUPERSEDED_KEPT = 20;

/** A rotated credential as the rotator hands it over. */
export interface RotatedCredential {
  /** Deployment name, or `central`. */
  deployment: string;
  clientId: string;
  clientSecret: string;
  /** Epoch ms. */
  rotatedAt: number;
  /** Client IDs this credential replaced, oldest first. */
  supersedes: readonly string[];
}

/** What the store holds per deployment. */
export interface StoredCredential {
  deployment: string;
  clientId: string;
  encryptedSecret: string;
  rotatedAt: number;
  supersedes: string[];
}

/** A record read back: everything but the secret, which `secret()` decrypts. */
export interface VaultEntry {
  deployment: string;
  clientId: string;
  rotatedAt: number;
  supersedes: readonly string[];
  secret(): string;
}

export interface CredentialVaultOptions {
  /** Any keyv store; shared (Redis) when replicas must see each other's rotations. Required. */
  store: Keyv;
  /** The key that seals secrets. Default none: `write` refuses, `secret()` throws. */
  secretKey?: SecretKey;
  /** Prefix of every keyv key the vault writes. Default `upstream-credentials:`. */
  prefix?: string;
}

export class CredentialVault {
  readonly #store: Keyv;
  readonly #box: SecretBox | undefined;
  readonly #prefix: string;

  constructor(options: CredentialVaultOptions) {
    this.#store = options.store;
    this.#box = options.secretKey === undefined ? undefined : new SecretBox(options.secretKey);
    this.#prefix = options.prefix ?? 'upstream-credentials:';
  }

  /** Whether `write` can work: a key is set. */
  get canStore(): boolean {
    return this.#box !== undefined;
  }

  async write(credential: RotatedCredential): Promise<void> {
    const box = this.#box;
    if (box === undefined) throw new FacadeError('BAD_USER_INPUT', MISSING_SECRET_KEY_MESSAGE);
    const record: StoredCredential = {
      deployment: credential.deployment,
      clientId: credential.clientId,
      encryptedSecret: box.seal(credential.clientSecret, sealContext(credential.deployment, credential.clientId)),
      rotatedAt: credential.rotatedAt,
      supersedes: credential.supersedes.slice(-SUPERSEDED_KEPT),
    };
    let stored = false;
    try {
      stored = await this.#store.set(this.#keyOf(credential.deployment), record);
    } catch {
      stored = false;
    }
    if (!stored) {
      throw new FacadeError(
        'INTERNAL_SERVER_ERROR',
        `the credential vault did not store the rotated credential of ${credential.deployment}; check that its store (DATA_DIR or REDIS_URL) is writable`,
        { deployment: credential.deployment },
      );
    }
  }

  async read(deployment: string): Promise<VaultEntry | undefined> {
    let record: unknown;
    try {
      record = await this.#store.get(this.#keyOf(deployment));
    } catch {
      return undefined;
    }
    if (!isStoredCredential(record) || record.deployment !== deployment) return undefined;
    const box = this.#box;
    const { clientId, encryptedSecret } = record;
    return {
      deployment,
      clientId,
      rotatedAt: record.rotatedAt,
      supersedes: [...record.supersedes],
      secret(): string {
        if (box === undefined) {
          throw new FacadeError(
            'INTERNAL_SERVER_ERROR',
            `a rotated credential of ${deployment} is stored, but FACADE_SECRET_KEY is not set, so it cannot be decrypted`,
            { deployment },
          );
        }
        try {
          return box.open(encryptedSecret, sealContext(deployment, clientId));
        } catch (error) {
          throw new FacadeError('INTERNAL_SERVER_ERROR', `the rotated credential of ${deployment}: ${(error as Error).message}`, {
            deployment,
          });
        }
      },
    };
  }

  #keyOf(deployment: string): string {
    return `${this.#prefix}${deployment}`;
  }
}

function sealContext(deployment: string, clientId: string): string {
  return `upstream-credential\n${deployment}\n${clientId}`;
}

function isStoredCredential(value: unknown): value is StoredCredential {
  if (typeof value !== 'object' || value === null) return false;
  const record = value as Record<string, unknown>;
  return (
    typeof record.deployment === 'string' &&
    typeof record.clientId === 'string' &&
    typeof record.encryptedSecret === 'string' &&
    typeof record.rotatedAt === 'number' &&
    Array.isArray(record.supersedes) &&
    record.supersedes.every((id) => typeof id === 'string')
  );
}
