/**
 * Where API keys live: any keyv store (memory in tests, SQLite under DATA_DIR, Redis).
 *
 * Contract: a record holds hashes of secrets, never a secret. keyv cannot list its keys
 * on every backend, so an index document holds the ids, and a name document per key
 * makes names unique. Writes go in an order that never shows a half-made key: insert
 * writes the record, then its name, then the index entry; remove takes the index entry
 * out first. A crash in between leaves at most an unlisted record, which `list`,
 * `get` and `idForName` ignore. The caller serialises writers (see `LockRunner`):
 * inserts and removes under one index lock, changes of a record under its key's lock.
 * When a key was last used is kept apart from the record, so a busy key's usage
 * writes never race a rotation of the same record.
 */
import type Keyv from 'keyv';
import { readIndex, writeDocument } from '../store/keyv.documents.js';
import type { Permission } from './api-key.permissions.js';
import type { RotationPolicy } from './rotation.policy.js';

export type ApiKeyStatus = 'ACTIVE' | 'REVOKED';

/** One stored key. Times are epoch ms. */
export interface ApiKeyRecord {
  id: string;
  name: string;
  permissions: Permission[];
  createdAt: number;
  lastRotatedAt: number | null;
  nextRotationAt: number | null;
  rotation: RotationPolicy | null;
  /** `hashSecret` of the current secret. */
  secretHash: string;
  /** `hashSecret` of the secret before the last rotation, while it may still work. */
  previousSecretHash: string | null;
  previousValidUntil: number | null;
  isDefault: boolean;
  status: ApiKeyStatus;
  revokedAt: number | null;
  /** Runs only trusted documents (the persisted-documents manifest); absent in records made before it existed: false. */
  trustedDocumentsOnly?: boolean;
  /** The key's own budget in points; absent or null (records made before budgets): the defaults. */
  budget?: ApiKeyBudget | null;
}

/** A key's own budget: a bucket of `maximum` points restoring `restoreRate` a second (see `protection/key.budget.ts`). */
export interface ApiKeyBudget {
  maximum: number;
  restoreRate: number;
}

export interface ApiKeyRepositoryOptions {
  /** Prefix of every keyv key this repository writes. Default `apikeys:`. */
  prefix?: string;
}

export class ApiKeyRepository {
  private readonly prefix: string;

  constructor(
    private readonly store: Keyv,
    options: ApiKeyRepositoryOptions = {},
  ) {
    this.prefix = options.prefix ?? 'apikeys:';
  }

  async listIds(): Promise<string[]> {
    return readIndex(this.store, this.indexKey());
  }

  /** Every listed key, oldest first. */
  async list(): Promise<ApiKeyRecord[]> {
    const ids = await this.listIds();
    const records = await Promise.all(ids.map((id) => this.store.get<ApiKeyRecord>(this.recordKey(id))));
    return records.filter((record): record is ApiKeyRecord => record !== undefined).sort((a, b) => a.createdAt - b.createdAt);
  }

  async get(id: string): Promise<ApiKeyRecord | undefined> {
    const [record, ids] = await Promise.all([this.store.get<ApiKeyRecord>(this.recordKey(id)), this.listIds()]);
    return record !== undefined && ids.includes(id) ? record : undefined;
  }

  /** The id of the listed key called `name`, if any. */
  async idForName(name: string): Promise<string | undefined> {
    const id = await this.store.get<string>(this.nameKey(name));
    if (id === undefined) return undefined;
    const record = await this.get(id);
    return record?.name === name ? id : undefined;
  }

  /** Adds a new key. The caller holds the index lock and has checked the id and name are free. */
  async insert(record: ApiKeyRecord): Promise<void> {
    await writeDocument(this.store, this.recordKey(record.id), record);
    await writeDocument(this.store, this.nameKey(record.name), record.id);
    const ids = await this.listIds();
    await writeDocument(this.store, this.indexKey(), [...ids.filter((id) => id !== record.id), record.id]);
  }

  /** Replaces a listed key's record. The caller holds that key's lock. */
  async replace(record: ApiKeyRecord): Promise<void> {
    await writeDocument(this.store, this.recordKey(record.id), record);
  }

  /** Removes a key. The caller holds the key's lock and the index lock. */
  async remove(record: ApiKeyRecord): Promise<void> {
    const ids = await this.listIds();
    await writeDocument(
      this.store,
      this.indexKey(),
      ids.filter((id) => id !== record.id),
    );
    const nameKey = this.nameKey(record.name);
    if ((await this.store.get<string>(nameKey)) === record.id) await this.store.delete(nameKey);
    await this.store.delete([this.recordKey(record.id), this.usedKey(record.id)]);
  }

  async lastUsedAt(id: string): Promise<number | null> {
    return (await this.store.get<number>(this.usedKey(id))) ?? null;
  }

  async setLastUsedAt(id: string, at: number): Promise<void> {
    await writeDocument(this.store, this.usedKey(id), at);
  }

  private indexKey(): string {
    return `${this.prefix}index`;
  }

  private recordKey(id: string): string {
    return `${this.prefix}key:${id}`;
  }

  private nameKey(name: string): string {
    return `${this.prefix}name:${name}`;
  }

  private usedKey(id: string): string {
    return `${this.prefix}used:${id}`;
  }
}
