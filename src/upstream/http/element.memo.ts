/**
 * What the elements of upstream arrays parsed to, by their exact bytes, so a document
 * that comes back unchanged (an alarm in a polled page) is parsed once, not per call.
 *
 * Contract:
 * - `get(buffer, from, to)` returns the value kept for bytes identical to
 *   `buffer[from, to)`, or undefined. Identity is checked byte for byte; the lookup key
 *   (48 bytes from the first `"uuid"` key in the element's first 256 bytes, where USM
 *   documents name themselves, else from its start) only finds the candidate.
 * - `at(buffer, from, end)` is the same for an element whose end is not known yet (a
 *   scanner at an element's start): the entry whose bytes lie at `from`, if any.
 * - `set` keeps a value for those bytes (a copy of them), replacing any candidate with
 *   the same key. At most `maxEntries` are kept, least recently used dropped first.
 * - Values are shared by every caller that gets them: nobody may mutate them.
 */

const UUID_KEY = Buffer.from('"uuid"');
/** How far into an element its `"uuid"` is looked for. */
const UUID_WINDOW = 256;
const KEY_BYTES = 48;

export interface MemoEntry {
  /** The element's bytes, as they were parsed. */
  readonly bytes: Buffer;
  readonly value: unknown;
}

export class ElementMemo {
  readonly #entries = new Map<string, MemoEntry>();

  /** `maxEntries` 0 keeps nothing. */
  constructor(readonly maxEntries: number) {}

  get size(): number {
    return this.#entries.size;
  }

  get(buffer: Buffer, from: number, to: number): unknown {
    const entry = this.at(buffer, from, to);
    return entry !== undefined && entry.bytes.length === to - from ? entry.value : undefined;
  }

  at(buffer: Buffer, from: number, end: number): MemoEntry | undefined {
    if (this.maxEntries === 0) return undefined;
    const key = keyOf(buffer, from, end);
    const entry = this.#entries.get(key);
    const length = entry?.bytes.length ?? 0;
    if (entry === undefined || from + length > end || buffer.compare(entry.bytes, 0, length, from, from + length) !== 0) {
      return undefined;
    }
    // A Map iterates in insertion order: re-inserting makes this the most recently used.
    this.#entries.delete(key);
    this.#entries.set(key, entry);
    return entry;
  }

  set(buffer: Buffer, from: number, to: number, value: unknown): void {
    if (this.maxEntries === 0) return;
    const key = keyOf(buffer, from, to);
    this.#entries.delete(key);
    // Not from Node's shared pool: a kept slice would keep its whole 8 KiB slab alive.
    const bytes = Buffer.allocUnsafeSlow(to - from);
    buffer.copy(bytes, 0, from, to);
    this.#entries.set(key, { bytes, value });
    if (this.#entries.size > this.maxEntries) this.#entries.delete(this.#entries.keys().next().value as string);
  }
}

function keyOf(buffer: Buffer, from: number, limit: number): string {
  const named = buffer.subarray(from, Math.min(limit, from + UUID_WINDOW)).indexOf(UUID_KEY);
  const start = named === -1 ? from : from + named;
  return buffer.toString('latin1', start, Math.min(limit, start + KEY_BYTES));
}
