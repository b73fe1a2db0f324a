/**
 * Trusted documents: the operations of first-party frontends, as codegen lists them in
 * the persisted-documents manifest (`client/generated/persisted-documents.json`:
 * `"sha256:<hex>": "<document>"`), and the automatic persisted queries (APQ) cache that
 * serves them by hash.
 *
 * Contract:
 * - `includes(document)` says whether a parsed document is a trusted one, whatever its
 *   formatting, field order or comments: it is compared as the manifest prints it
 *   (`printExecutableGraphQLDocument`), by that text's SHA-256. The answer is kept per
 *   parsed document (Apollo and the facade keep parsed documents).
 * - `persistedQueries()` is Apollo Server's APQ cache: a trusted document is known by
 *   its hash from the start (a client sends `extensions.persistedQuery.sha256Hash`
 *   alone), any other document a client registered with its text is kept too, at most
 *   `maxEntries`, the oldest dropped first. Registering does not make a document trusted.
 * - A manifest that is missing or unreadable trusts nothing and says so once in the log;
 *   one with a malformed entry is refused at start with a message naming the entry.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { parse, type DocumentNode } from 'graphql';
import { printExecutableGraphQLDocument } from '@graphql-tools/documents';
import type { Logger } from '../log/logger.js';

/** Apollo's key prefix for persisted queries in its cache. */
const APQ_PREFIX = 'apq:';
const MANIFEST_KEY = /^sha256:([0-9a-f]{64})$/;

/** Apollo Server's cache interface (`KeyValueCache<string>`), as `persistedQueries.cache` takes it. */
export interface PersistedQueryCache {
  get(key: string): Promise<string | undefined>;
  set(key: string, value: string, options?: { ttl?: number | null }): Promise<void>;
  delete(key: string): Promise<boolean | void>;
}

const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');

export interface TrustedDocumentsOptions {
  /** The manifest's path. */
  file: string;
  logger: Logger;
  /** Other documents clients registered through APQ, kept at most; default 1,000. */
  maxEntries?: number;
}

export class TrustedDocuments {
  /** The manifest: hex digest → document text. */
  readonly #byHash = new Map<string, string>();
  readonly #verdicts = new WeakMap<DocumentNode, boolean>();
  readonly #maxEntries: number;

  constructor(options: TrustedDocumentsOptions) {
    this.#maxEntries = options.maxEntries ?? 1_000;
    let manifest: unknown;
    try {
      manifest = JSON.parse(readFileSync(options.file, 'utf8'));
    } catch (error) {
      options.logger.warn(
        { file: options.file, reason: error instanceof Error ? error.message : String(error) },
        'no trusted-documents manifest: keys that require trusted documents can run none (run `npm run codegen`)',
      );
      return;
    }
    if (manifest === null || typeof manifest !== 'object' || Array.isArray(manifest)) {
      throw new Error(`${options.file}: the trusted-documents manifest must be a JSON object of "sha256:<hex>": "<document>"`);
    }
    for (const [key, text] of Object.entries(manifest)) {
      const hex = MANIFEST_KEY.exec(key)?.[1];
      if (hex === undefined || typeof text !== 'string' || sha256(text) !== hex) {
        throw new Error(`${options.file}: entry "${key}" is not "sha256:<hex of its document>": "<document>"; regenerate it with \`npm run codegen\``);
      }
      this.#byHash.set(hex, text);
    }
  }

  get size(): number {
    return this.#byHash.size;
  }

  includes(document: DocumentNode): boolean {
    let verdict = this.#verdicts.get(document);
    if (verdict === undefined) {
      verdict = this.#byHash.has(sha256(printExecutableGraphQLDocument(document)));
      this.#verdicts.set(document, verdict);
    }
    return verdict;
  }

  /** Whether `text` parses to a trusted document (for tests and tools). */
  includesText(text: string): boolean {
    return this.includes(parse(text));
  }

  /** Apollo Server's `persistedQueries.cache`: the manifest by hash, then what clients registered. */
  persistedQueries(): PersistedQueryCache {
    const registered = new Map<string, string>();
    const byHash = this.#byHash;
    const maxEntries = this.#maxEntries;
    return {
      async get(key) {
        const hex = key.startsWith(APQ_PREFIX) ? key.slice(APQ_PREFIX.length) : key;
        return byHash.get(hex) ?? registered.get(key);
      },
      async set(key, value) {
        registered.delete(key);
        registered.set(key, value);
        if (registered.size > maxEntries) registered.delete(registered.keys().next().value!);
      },
      async delete(key) {
        return registered.delete(key);
      },
    };
  }
}
