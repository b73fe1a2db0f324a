/**
 * A short-lived cache of whole GraphQL responses for read-only data queries, so
 * dashboards that poll the same page cost one execution per TTL instead of one each.
 *
 * Contract:
 * - Only operations the caller is allowed to run reach it (Apollo runs
 *   `didResolveOperation`, where permissions are checked, before
 *   `responseForOperation`), and only queries for which `cacheable` says yes (the
 *   facade: every root field is shared alarm data, never a key's own data) are kept.
 * - The key is the query text, the operation name and the variables; the answer is the
 *   same for every key allowed to ask, so entries are shared between keys.
 * - Only answers without errors are kept, for `ttlMs`; `clear()` forgets everything
 *   (a label write calls it, on every replica), so a read after a write is fresh.
 * - At most `maxEntries` are kept, the oldest dropped first. `stats()` counts cacheable
 *   operations answered from it (hits) and executed (misses) since start.
 * - `stringifyResult`, given to Apollo as its `stringifyResult`, writes a cached answer's
 *   `data` as JSON once and reuses it for every hit (a 50-alarm page is ~64 KB of JSON),
 *   with each answer's own `extensions` (its cost) after it; every answer, cached or
 *   not, is written exactly as Apollo would (compact JSON and a newline).
 */
import type { ApolloServerPlugin, GraphQLRequestContext } from '@apollo/server';
import type { DocumentNode, FormattedExecutionResult, OperationDefinitionNode } from 'graphql';
import { systemClock, type Clock } from '../time/clock.js';

export interface ResponseCacheOptions {
  /** How long an answer is reused; 0 turns the cache off. */
  ttlMs: number;
  /** Which operations may be cached. */
  cacheable: (document: DocumentNode, operation: OperationDefinitionNode) => boolean;
  /** Default 1,000. */
  maxEntries?: number;
  /** Default `systemClock`. */
  clock?: Clock;
}

interface Entry {
  result: FormattedExecutionResult;
  expiresAt: number;
}

/** Apollo's own serialisation (`prettyJSONStringify`), so cached and fresh answers are byte-identical. */
const toJson = (result: FormattedExecutionResult): string => `${JSON.stringify(result)}\n`;

export class ResponseCache {
  readonly #entries = new Map<string, Entry>();
  readonly #options: Required<ResponseCacheOptions>;
  /**
   * The JSON of cached answers' `data`, by that object: Apollo hands `stringifyResult` a
   * new wrapper object each time, but the same `data`. Dropped with the entry.
   */
  #json = new WeakMap<object, string | null>();
  readonly #stats = { hits: 0, misses: 0 };

  constructor(options: ResponseCacheOptions) {
    this.#options = { maxEntries: 1_000, clock: systemClock, ...options };
  }

  clear(): void {
    this.#entries.clear();
    this.#json = new WeakMap();
  }

  /** For Apollo's `stringifyResult` option. */
  readonly stringifyResult = (result: FormattedExecutionResult): string => {
    const data = result.data;
    if (data === null || data === undefined || result.errors !== undefined) return toJson(result);
    let json = this.#json.get(data);
    if (json === undefined) return toJson(result);
    if (json === null) {
      json = JSON.stringify(data);
      this.#json.set(data, json);
    }
    // The same bytes as `toJson`: a result's keys are `data`, then `extensions`.
    return result.extensions === undefined
      ? `{"data":${json}}\n`
      : `{"data":${json},"extensions":${JSON.stringify(result.extensions)}}\n`;
  };

  get size(): number {
    return this.#entries.size;
  }

  stats(): { hits: number; misses: number } {
    return { ...this.#stats };
  }

  plugin<TContext extends object>(): ApolloServerPlugin<TContext> {
    const cache = this;
    return {
      async requestDidStart() {
        let key: string | undefined;
        let hit = false;
        return {
          async responseForOperation(requestContext) {
            key = cache.#keyOf(requestContext);
            if (key === undefined) return null;
            const entry = cache.#entries.get(key);
            if (entry === undefined || entry.expiresAt <= cache.#options.clock.now()) {
              if (entry !== undefined) cache.#entries.delete(key);
              cache.#stats.misses += 1;
              return null;
            }
            cache.#stats.hits += 1;
            hit = true;
            return { http: requestContext.response.http, body: { kind: 'single', singleResult: entry.result } };
          },
          async willSendResponse(requestContext) {
            const body = requestContext.response.body;
            if (key === undefined || hit || body.kind !== 'single' || body.singleResult.errors !== undefined) return;
            cache.#entries.set(key, { result: body.singleResult, expiresAt: cache.#options.clock.now() + cache.#options.ttlMs });
            // Written by the first `stringifyResult` call, which follows this hook.
            if (body.singleResult.data != null) cache.#json.set(body.singleResult.data, null);
            if (cache.#entries.size > cache.#options.maxEntries) {
              cache.#entries.delete(cache.#entries.keys().next().value as string);
            }
          },
        };
      },
    };
  }

  #keyOf(requestContext: GraphQLRequestContext<object>): string | undefined {
    const { document, operation, source } = requestContext;
    if (this.#options.ttlMs <= 0 || document === undefined || operation === undefined || source === undefined) return undefined;
    if (operation.operation !== 'query' || !this.#options.cacheable(document, operation)) return undefined;
    return `${requestContext.operationName ?? ''}\n${JSON.stringify(requestContext.request.variables ?? {})}\n${source}`;
  }
}
