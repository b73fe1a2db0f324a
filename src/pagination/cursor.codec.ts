/**
 * Opaque keyset cursors for Relay connections over sorted feeds.
 *
 * Contract: `encodeCursor(position, queryKey)` gives a deterministic, URL-safe string
 * that says where a page ended (the sort key value in epoch ms, the deployment, the
 * item id) and which feed it belongs to; the same inputs always give the same string.
 * `decodeCursor(cursor, queryKey)` accepts only what `encodeCursor` made for the same
 * `queryKey` and throws `BAD_USER_INPUT` for anything else (a cursor of another query
 * or order, garbage) with a message saying what is allowed; it never throws anything
 * else. Clients must treat cursors as opaque. The wire form is versioned (`1` below)
 * and pinned by literal strings in the tests, so changing it is a conscious act.
 *
 * `queryKeyOf(spec)` hashes everything that defines a feed: filters, sort field and
 * direction, deployment scope. Property order in `spec` does not matter; array order
 * does, so callers sort set-valued filters (statuses, priorities) before hashing.
 * Page size and the Relay arguments must stay out of `spec`: one cursor serves
 * `after` and `before` and any `first`/`last`.
 */
import { createHash } from 'node:crypto';
import { FacadeError } from '../errors/facade.error.js';

/** Where a page ended: one item's place in a feed's total order. */
export interface CursorPosition {
  /** Epoch ms of the feed's sort field. */
  key: number;
  deployment: string;
  id: string;
}

const VERSION = 1;
/** Generous for a version, an 11-char query key, a 13-digit key, a name and a uuid. */
const MAX_CURSOR_LENGTH = 1024;

export function queryKeyOf(spec: unknown): string {
  const canonical = JSON.stringify(canonicalise(spec)) ?? 'null';
  return createHash('sha256').update(canonical).digest().subarray(0, 8).toString('base64url');
}

export function encodeCursor(position: CursorPosition, queryKey: string): string {
  const { key, deployment, id } = position;
  if (!Number.isSafeInteger(key) || deployment.length === 0 || id.length === 0) {
    throw new Error(
      `encodeCursor needs an integer key and a non-empty deployment and id; got ${JSON.stringify(position)}`,
    );
  }
  return Buffer.from(JSON.stringify([VERSION, queryKey, key, deployment, id]), 'utf8').toString('base64url');
}

/**
 * @param argument the Relay argument the cursor came in, named in error messages.
 */
export function decodeCursor(cursor: string, queryKey: string, argument: 'after' | 'before' = 'after'): CursorPosition {
  const shown = JSON.stringify(cursor.length > 60 ? `${cursor.slice(0, 60)}…` : cursor);
  const invalid = (message: string) => new FacadeError('BAD_USER_INPUT', message, { details: { argument } });
  const garbage = () =>
    invalid(
      `\`${argument}\` ${shown} is not a cursor of this API; use a cursor from this connection's ` +
        `pageInfo/edges, or omit after/before to start from the first or last page.`,
    );

  if (cursor.length === 0 || cursor.length > MAX_CURSOR_LENGTH || !/^[A-Za-z0-9_-]+$/.test(cursor)) throw garbage();
  let decoded: unknown;
  try {
    decoded = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    throw garbage();
  }
  if (!Array.isArray(decoded) || decoded.length !== 5) throw garbage();
  const [version, cursorQueryKey, key, deployment, id] = decoded as unknown[];
  if (
    version !== VERSION ||
    typeof cursorQueryKey !== 'string' ||
    !Number.isSafeInteger(key) ||
    typeof deployment !== 'string' ||
    deployment.length === 0 ||
    typeof id !== 'string' ||
    id.length === 0
  ) {
    throw garbage();
  }
  if (cursorQueryKey !== queryKey) {
    throw invalid(
      `\`${argument}\`: this cursor belongs to a different query or order; use a cursor from this ` +
        `connection's pageInfo/edges, or omit after/before (a cursor resumes only the connection with ` +
        `the same filters, sort, direction and deployment).`,
    );
  }
  return { key: key as number, deployment, id };
}

/** JSON-ready copy of `value` with object keys sorted at every depth, undefined properties dropped. */
function canonicalise(value: unknown): unknown {
  if (value !== null && typeof value === 'object' && typeof (value as { toJSON?: unknown }).toJSON === 'function') {
    return canonicalise((value as { toJSON(): unknown }).toJSON());
  }
  if (Array.isArray(value)) return value.map(canonicalise);
  if (value !== null && typeof value === 'object') {
    const sorted: Record<string, unknown> = {};
    for (const name of Object.keys(value).sort()) {
      const property = (value as Record<string, unknown>)[name];
      if (property !== undefined) sorted[name] = canonicalise(property);
    }
    return sorted;
  }
  return value;
}
