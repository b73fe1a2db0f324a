/**
 * The cross-request cache of upstream answers: alarm and event documents, list pages
 * and the deployment list.
 *
 * Contract:
 * - `get(kind, key, load)` answers from this process's memory (`peek` answers from it
 *   alone, synchronously), else from the shared
 *   store (Redis, when given; documents and the deployment list only, never pages),
 *   else calls `load` once however many callers ask for the same key at the same time
 *   (single flight across requests), and keeps what it returns for the kind's TTL.
 * - Failures are never cached: a rejected `load` leaves nothing behind, and the next
 *   caller loads again.
 * - `refreshPage(key, load, deployments)` loads a page anew whatever is cached (a live
 *   poll must see the upstream as it is now), keeps the answer for later `get`s, and
 *   shares a load already in flight for that page rather than starting another.
 * - `set` replaces an entry everywhere (used after a write that returned the new
 *   state); `delete` drops it everywhere; `dropPages(deployment)` forgets every cached
 *   page that includes that deployment, so a list read after a label write is fresh.
 *   A load already in flight when one of these runs may have read the old state: its
 *   callers get its answer, but it is not kept and no later caller joins it.
 * - Memory holds at most `maxEntries` entries, least recently used evicted first.
 * - Values are shared, not copied: callers must not mutate what they get.
 * - `stats()` counts, per kind since start, the `get`s answered from memory, from the
 *   shared store or by joining a load in flight (hits) and those that loaded (misses).
 */
import type { Keyv } from 'keyv';
import { CACHE_TTL_DEFAULTS, type CacheTtls } from './cache.settings.js';
import type { Logger } from '../log/logger.js';
import { systemClock, type Clock } from '../time/clock.js';

export type CacheKind = 'alarm' | 'event' | 'page' | 'deployments';

export interface CacheStats {
  hits: number;
  misses: number;
}

export interface DocumentCacheOptions {
  /** TTLs in ms per kind; 0 disables caching of that kind. Defaults in `CACHE_TTL_DEFAULTS`. */
  ttls?: Partial<CacheTtls>;
  /** The shared tier (Redis-backed keyv) for documents and the deployment list. Default none. */
  shared?: Keyv<unknown>;
  /** Most entries kept in memory; default 20,000. */
  maxEntries?: number;
  /** Default `systemClock`. */
  clock?: Clock;
  logger?: Logger;
}

interface Entry {
  value: unknown;
  expiresAt: number;
  /** Deployments a page covers, for `dropPages`. */
  deployments?: readonly string[];
}

export class DocumentCache {
  readonly ttls: CacheTtls;
  readonly #shared: Keyv<unknown> | undefined;
  readonly #maxEntries: number;
  readonly #clock: Clock;
  readonly #logger: Logger | undefined;
  readonly #local = new Map<string, Entry>();
  readonly #inFlight = new Map<string, Promise<unknown>>();
  /** Bumped by every write (`set`, `delete`, `dropPages`): a load that saw it change keeps nothing. */
  #writes = 0;
  readonly #stats: Record<CacheKind, CacheStats> = {
    alarm: { hits: 0, misses: 0 },
    event: { hits: 0, misses: 0 },
    page: { hits: 0, misses: 0 },
    deployments: { hits: 0, misses: 0 },
  };

  constructor(options: DocumentCacheOptions = {}) {
    this.ttls = { ...CACHE_TTL_DEFAULTS, ...options.ttls };
    this.#shared = options.shared;
    this.#maxEntries = options.maxEntries ?? 20_000;
    this.#clock = options.clock ?? systemClock;
    this.#logger = options.logger;
  }

  /** The cached value, or `load()`'s, shared with every concurrent caller of the same key. */
  get<T>(kind: CacheKind, key: string, load: () => Promise<T>, pageDeployments?: readonly string[]): Promise<T> {
    const id = `${kind}:${key}`;
    const stats = this.#stats[kind];
    const hit = this.#readLocal(id);
    if (hit !== undefined) {
      stats.hits += 1;
      return Promise.resolve(hit.value as T);
    }
    const pending = this.#inFlight.get(id);
    if (pending !== undefined) {
      stats.hits += 1;
      return pending as Promise<T>;
    }
    const loading: Promise<T> = this.#load(kind, id, load, pageDeployments).finally(() => {
      if (this.#inFlight.get(id) === loading) this.#inFlight.delete(id);
    });
    this.#inFlight.set(id, loading);
    return loading;
  }

  /** The value this process holds for the key right now, without loading: for callers that can answer at once. */
  peek<T>(kind: CacheKind, key: string): T | undefined {
    return this.#readLocal(`${kind}:${key}`)?.value as T | undefined;
  }

  /** A page loaded now (see the contract), kept for the page TTL. */
  refreshPage<T>(key: string, load: () => Promise<T>, pageDeployments: readonly string[]): Promise<T> {
    const id = `page:${key}`;
    const pending = this.#inFlight.get(id);
    if (pending !== undefined) return pending as Promise<T>;
    const writes = this.#writes;
    const loading: Promise<T> = load()
      .then((value) => {
        if (writes === this.#writes) this.#writeLocal(id, value, this.ttls.page, pageDeployments);
        return value;
      })
      .finally(() => {
        if (this.#inFlight.get(id) === loading) this.#inFlight.delete(id);
      });
    this.#inFlight.set(id, loading);
    return loading;
  }

  /** Stores a value that is known to be current (e.g. read back after a write). */
  async set(kind: Exclude<CacheKind, 'page'>, key: string, value: unknown): Promise<void> {
    const id = `${kind}:${key}`;
    this.#writes += 1;
    this.#inFlight.delete(id);
    this.#writeLocal(id, value, this.ttls[kind]);
    await this.#writeShared(kind, id, value);
  }

  /** Puts documents seen in a list page, so looking them up again costs nothing. */
  prime(kind: 'alarm' | 'event', key: string, value: unknown): void {
    const id = `${kind}:${key}`;
    if (this.ttls[kind] > 0 && this.#readLocal(id) === undefined) this.#writeLocal(id, value, this.ttls[kind]);
  }

  async delete(kind: CacheKind, key: string): Promise<void> {
    const id = `${kind}:${key}`;
    this.#writes += 1;
    this.#inFlight.delete(id);
    this.#local.delete(id);
    if (this.#shared !== undefined && kind !== 'page') await this.#shared.delete(id).catch(() => false);
  }

  /** Hits and misses of `get` per kind since start (a copy). */
  stats(): Record<CacheKind, CacheStats> {
    return structuredClone(this.#stats);
  }

  /** Forgets this process's copy only (another replica changed it and already wrote the shared one). */
  forgetLocal(kind: CacheKind, key: string): void {
    this.#local.delete(`${kind}:${key}`);
  }

  /** Forgets every cached page that includes `deployment`. */
  dropPages(deployment: string): void {
    this.#writes += 1;
    // In-flight pages do not say what they cover: forget them all, writes are rare.
    for (const id of this.#inFlight.keys()) if (id.startsWith('page:')) this.#inFlight.delete(id);
    for (const [id, entry] of this.#local) {
      if (entry.deployments?.includes(deployment)) this.#local.delete(id);
    }
  }

  async #load<T>(kind: CacheKind, id: string, load: () => Promise<T>, deployments?: readonly string[]): Promise<T> {
    const ttl = this.ttls[kind];
    if (ttl <= 0) {
      this.#stats[kind].misses += 1;
      return load();
    }
    const writes = this.#writes;
    if (this.#shared !== undefined && kind !== 'page') {
      const stored = await this.#shared.get(id).catch(() => undefined);
      if (stored !== undefined) {
        this.#stats[kind].hits += 1;
        if (writes === this.#writes) this.#writeLocal(id, stored, ttl);
        return stored as T;
      }
    }
    this.#stats[kind].misses += 1;
    const value = await load();
    if (writes !== this.#writes) return value;
    this.#writeLocal(id, value, ttl, deployments);
    await this.#writeShared(kind, id, value);
    return value;
  }

  #readLocal(id: string): Entry | undefined {
    const entry = this.#local.get(id);
    if (entry === undefined) return undefined;
    if (entry.expiresAt <= this.#clock.now()) {
      this.#local.delete(id);
      return undefined;
    }
    // Refresh recency: a Map iterates in insertion order, so the first key is the least recently used.
    this.#local.delete(id);
    this.#local.set(id, entry);
    return entry;
  }

  #writeLocal(id: string, value: unknown, ttl: number, deployments?: readonly string[]): void {
    if (ttl <= 0) return;
    this.#local.delete(id);
    this.#local.set(id, { value, expiresAt: this.#clock.now() + ttl, ...(deployments ? { deployments } : {}) });
    while (this.#local.size > this.#maxEntries) {
      const oldest = this.#local.keys().next().value as string;
      this.#local.delete(oldest);
    }
  }

  async #writeShared(kind: CacheKind, id: string, value: unknown): Promise<void> {
    if (this.#shared === undefined || kind === 'page' || this.ttls[kind] <= 0) return;
    await this.#shared.set(id, value, this.ttls[kind]).catch((error: unknown) => {
      this.#logger?.warn({ kind, error: error instanceof Error ? error.message : String(error) }, 'shared cache write failed');
      return false;
    });
  }
}
