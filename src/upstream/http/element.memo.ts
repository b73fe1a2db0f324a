/**
 * What the elements of upstream arrays parsed to, by their exact bytes, so a document
 * that comes back unchanged (an alarm in a polled page) is parsed once, not per call.
 *
 * Contract:
 * - `get(buffer, from, to)` returns the value kept for bytes identical to
 *   `buffer[from, to)`, or undefined. Identity is checked byte for byte; the lookup key
 *   (the length, and 48 bytes from the element's first `"uuid"` key, where USM
 *   documents name themselves, else from its start) only finds the candidate.
 * - `set` keeps a value for those bytes (a copy of them), replacing any candidate with
 *   the same key. At most `maxEntries` are kept, least recently used dropped first.
 * - Values are shared by every caller that gets them: nobody may mutate them.
 */

const UUID_KEY = Buffer.from('"uuid"');
const KEY_BYTES = 48;

interface Entry {
  bytes: Buffer;
  value: unknown;
}

export class ElementMemo {
  readonly #entries = new Map<string, Entry>();

  /** `maxEntries` 0 keeps nothing. */
  constructor(readonly maxEntries: number) {}

  get size(): number {
    return this.#entries.size;
  }

  get(buffer: Buffer, from: number, to: number): unknown {
    if (this.maxEntries === 0) return undefined;
    const key = keyOf(buffer, from, to);
    const entry = this.#entries.get(key);
    if (entry === undefined || buffer.compare(entry.bytes, 0, entry.bytes.length, from, to) !== 0) return undefined;
    // A Map iterates in insertion order: re-inserting makes this the most recently used.
    this.#entries.delete(key);
    this.#entries.set(key, entry);
    return entry.value;
  }

  set(buffer: Buffer, from: number, to: number, value: unknown): void {
    if (this.maxEntries === 0) return;
    const key = keyOf(buffer, from, to);
    this.#entries.delete(key);
    this.#entries.set(key, { bytes: Buffer.from(buffer.subarray(from, to)), value });
    if (this.#entries.size > this.maxEntries) this.#entries.delete(this.#entries.keys().next().value as string);
  }
}

function keyOf(buffer: Buffer, from: number, to: number): string {
  const named = buffer.subarray(from, to).indexOf(UUID_KEY);
  const start = named === -1 ? from : from + named;
  return `${to - from}:${buffer.toString('latin1', start, Math.min(to, start + KEY_BYTES))}`;
}
