/**
 * JSON from upstream bytes, without ever building one string of V8's large-object size.
 *
 * Contract: `decodeJson(bytes)` returns what `JSON.parse` returns for the bytes read as
 * UTF-8 (a leading byte-order mark skipped, as undici's `text()` does), and throws a
 * `SyntaxError` for exactly the bodies `JSON.parse` refuses, except that an empty or
 * blank body is `undefined` (an answer without content).
 *
 * Why: a string over 128 KiB is a V8 large object with pages of its own, mapped when it
 * is made and unmapped when it dies. On our 2-core VM that costs 0.75–0.9 ms per string,
 * more than parsing it, and `JSON.parse` of a source over 100 KiB also allocates
 * everything it builds straight into the old generation. A 59-alarm Anywhere page is
 * ~160 KiB. So a body over `largeBytes` is split at the elements of its largest array
 * (a page's `_embedded.alarms`): each element is decoded on its own (recursively, if it
 * is large itself), the rest is parsed with a placeholder where the array was, and the
 * elements are put back. A body whose bulk is not in one array is parsed whole.
 */

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const COMMA = 0x2c;
const COLON = 0x3a;
const OPEN_OBJECT = 0x7b;
const CLOSE_OBJECT = 0x7d;
const OPEN_ARRAY = 0x5b;
const CLOSE_ARRAY = 0x5d;

/** Below V8's 128 KiB large-object size and its 100 KiB `JSON.parse` pretenuring threshold. */
export const LARGE_JSON_BYTES = 96 * 1024;

export interface DecodeJsonOptions {
  /** Bodies up to this many bytes are parsed in one piece. Default `LARGE_JSON_BYTES`. */
  largeBytes?: number;
}

export function decodeJson(bytes: Uint8Array, options: DecodeJsonOptions = {}): unknown {
  const buffer = Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const bom = buffer.length > 2 && buffer[0] === 0xef && buffer[1] === 0xbb && buffer[2] === 0xbf;
  const start = bom ? 3 : 0;
  if (isBlank(buffer, start, buffer.length)) return undefined;
  return decodeRange(buffer, start, buffer.length, options.largeBytes ?? LARGE_JSON_BYTES);
}

function decodeRange(buffer: Buffer, start: number, end: number, largeBytes: number): unknown {
  if (end - start <= largeBytes) return JSON.parse(buffer.toString('utf8', start, end));
  const split = largestArray(buffer, start, end);
  // The rest must be small once the array is taken out, or splitting gains nothing.
  if (split === undefined || end - start - (split.close - split.open) > largeBytes) return JSON.parse(buffer.toString('utf8', start, end));

  const elements: unknown[] = [];
  let from = split.open + 1;
  for (const comma of [...split.commas, split.close]) {
    // `[]` has no element; `[ , ]` has empty ones, which JSON.parse refuses below, as it would whole.
    if (!(split.commas.length === 0 && isBlank(buffer, from, comma))) elements.push(decodeRange(buffer, from, comma, largeBytes));
    from = comma + 1;
  }
  const placeholder = `\u0000split:${split.open}`;
  const rest = JSON.parse(
    `${buffer.toString('utf8', start, split.open)}${JSON.stringify(placeholder)}${buffer.toString('utf8', split.close + 1, end)}`,
  ) as unknown;
  if (split.path.length === 0) return rest === placeholder ? elements : rest;
  let parent: unknown = rest;
  for (const step of split.path.slice(0, -1)) parent = (parent as Record<string | number, unknown>)[step];
  const last = split.path[split.path.length - 1]!;
  const holder = parent as Record<string | number, unknown>;
  // A later duplicate key replaced the array in JSON.parse's reading too: keep what it says.
  if (holder[last] === placeholder) holder[last] = elements;
  return rest;
}

interface ArraySplit {
  /** Offsets of `[` and `]`. */
  open: number;
  close: number;
  /** Offsets of the commas between its elements. */
  commas: number[];
  /** Keys and indexes from the top-level value to the array. */
  path: Array<string | number>;
}

/** One open object or array while scanning. */
interface Level {
  open: number;
  isArray: boolean;
  /** Arrays: the commas seen so far at this level. */
  commas: number[];
  /** Objects: the range of the last key read at this level. */
  keyStart: number;
  keyEnd: number;
  /** Objects: whether the next string is a key. */
  expectKey: boolean;
}

/**
 * The array spanning the most bytes in `[start, end)`, or undefined when the bytes are
 * not balanced JSON (JSON.parse of the whole then says why).
 */
function largestArray(buffer: Buffer, start: number, end: number): ArraySplit | undefined {
  const levels: Level[] = [];
  let best: ArraySplit | undefined;
  let i = start;
  while (i < end) {
    const byte = buffer[i]!;
    if (byte === QUOTE) {
      let j = i + 1;
      for (;;) {
        if (j >= end) return undefined;
        const inner = buffer[j]!;
        if (inner === QUOTE) break;
        j += inner === BACKSLASH ? 2 : 1;
      }
      const level = levels[levels.length - 1];
      if (level !== undefined && !level.isArray && level.expectKey) {
        level.keyStart = i;
        level.keyEnd = j + 1;
        level.expectKey = false;
      }
      i = j + 1;
      continue;
    }
    if (byte === OPEN_OBJECT || byte === OPEN_ARRAY) {
      levels.push({ open: i, isArray: byte === OPEN_ARRAY, commas: [], keyStart: 0, keyEnd: 0, expectKey: byte === OPEN_OBJECT });
    } else if (byte === CLOSE_OBJECT || byte === CLOSE_ARRAY) {
      const level = levels.pop();
      if (level === undefined || level.isArray !== (byte === CLOSE_ARRAY)) return undefined;
      if (level.isArray && (best === undefined || i - level.open > best.close - best.open)) {
        best = { open: level.open, close: i, commas: level.commas, path: pathTo(buffer, levels) };
      }
    } else if (byte === COMMA) {
      const level = levels[levels.length - 1];
      if (level?.isArray === true) level.commas.push(i);
      else if (level !== undefined) level.expectKey = true;
    } else if (byte === COLON) {
      const level = levels[levels.length - 1];
      if (level !== undefined && !level.isArray) level.expectKey = false;
    }
    i += 1;
  }
  return levels.length === 0 ? best : undefined;
}

/** The keys and indexes that lead through the open `levels` to the value being closed. */
function pathTo(buffer: Buffer, levels: readonly Level[]): Array<string | number> {
  return levels.map((level) =>
    level.isArray ? level.commas.length : (JSON.parse(buffer.toString('utf8', level.keyStart, level.keyEnd)) as string),
  );
}

function isBlank(buffer: Buffer, from: number, to: number): boolean {
  for (let i = from; i < to; i += 1) {
    const byte = buffer[i];
    if (byte !== 0x20 && byte !== 0x0a && byte !== 0x0d && byte !== 0x09) return false;
  }
  return true;
}
