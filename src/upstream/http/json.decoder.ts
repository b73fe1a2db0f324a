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
 * (a page's `_embedded.alarms`): runs of elements that fit in `largeBytes` are parsed
 * together, an element larger than that is decoded on its own (recursively), the rest
 * is parsed with a placeholder where the array was, and the elements are put back. A
 * body whose bulk is not in one array is parsed whole.
 *
 * With a `memo` (an `ElementMemo`), bodies from `MEMO_SPLIT_BYTES` are split too, and
 * an element whose exact bytes were parsed before is neither scanned nor parsed again:
 * the memo's value (the same object) stands in for it. The answer is still what
 * `JSON.parse` gives, but it may share those values with earlier answers, so nobody
 * may mutate it.
 */
import type { ElementMemo } from './element.memo.js';

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

/** With a memo, bodies from this size are split: a known element then costs a byte comparison, not a parse. */
export const MEMO_SPLIT_BYTES = 8 * 1024;

export interface DecodeJsonOptions {
  /** Bodies up to this many bytes are parsed in one piece. Default `LARGE_JSON_BYTES`. */
  largeBytes?: number;
  /** Elements parsed before, by their bytes; elements parsed now are added. Default none. */
  memo?: ElementMemo;
}

interface Settings {
  largeBytes: number;
  /** Bodies up to this many bytes are parsed whole: `largeBytes`, or less with a memo. */
  wholeBytes: number;
  memo: ElementMemo | undefined;
}

export function decodeJson(bytes: Uint8Array, options: DecodeJsonOptions = {}): unknown {
  const buffer = Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const bom = buffer.length > 2 && buffer[0] === 0xef && buffer[1] === 0xbb && buffer[2] === 0xbf;
  const start = bom ? 3 : 0;
  if (isBlank(buffer, start, buffer.length)) return undefined;
  const largeBytes = options.largeBytes ?? LARGE_JSON_BYTES;
  const { memo } = options;
  return decodeRange(buffer, start, buffer.length, {
    largeBytes,
    wholeBytes: memo === undefined ? largeBytes : Math.min(largeBytes, MEMO_SPLIT_BYTES),
    memo,
  });
}

function decodeRange(buffer: Buffer, start: number, end: number, settings: Settings): unknown {
  if (end - start <= settings.wholeBytes) return JSON.parse(buffer.toString('utf8', start, end));
  const array = largestArray(buffer, start, end, settings.memo);
  // The rest must be small once the array is taken out, or splitting gains nothing.
  if (array === undefined || end - start - (array.close - array.open) > settings.largeBytes) {
    return JSON.parse(buffer.toString('utf8', start, end));
  }

  const elements = array.commas.length === 0 && isBlank(buffer, array.open + 1, array.close) ? [] : arrayElements(buffer, array, settings);
  const placeholder = `\u0000split:${array.open}`;
  const rest = JSON.parse(
    `${buffer.toString('utf8', start, array.open)}${JSON.stringify(placeholder)}${buffer.toString('utf8', array.close + 1, end)}`,
  ) as unknown;
  const path = keysOf(buffer, array);
  if (path.length === 0) return rest === placeholder ? elements : rest;
  let parent: unknown = rest;
  for (const key of path.slice(0, -1)) parent = (parent as Record<string, unknown>)[key];
  const last = path[path.length - 1]!;
  const holder = parent as Record<string, unknown>;
  // A later duplicate key replaced the array in JSON.parse's reading too: keep what it says.
  if (holder[last] === placeholder) holder[last] = elements;
  return rest;
}

/**
 * The elements of `array`: those the memo knows from it, the others parsed in runs of
 * consecutive elements (`[e1,e2,...]`) as long as a run stays within `largeBytes`: a
 * few `JSON.parse` calls for a page, not one per item. A larger element is decoded on
 * its own. An empty element (`[1,,2]`) makes its run's JSON.parse refuse, as it would
 * refuse the whole.
 */
function arrayElements(buffer: Buffer, array: ArraySplit, settings: Settings): unknown[] {
  const { largeBytes, memo } = settings;
  // Element i lies between bounds[i] and bounds[i + 1], exclusive.
  const bounds = [array.open, ...array.commas, array.close];
  const count = bounds.length - 1;
  const from = (i: number) => bounds[i]! + 1;
  const to = (i: number) => bounds[i + 1]!;
  // A JSON value is never undefined: undefined marks an element still to parse.
  const elements: unknown[] = new Array<unknown>(count);
  if (array.known !== undefined) {
    // The scanner already asked the memo at each element of this array.
    for (let i = 0; i < count; i += 1) elements[i] = array.known[i];
  } else if (memo !== undefined) {
    for (let i = 0; i < count; i += 1) elements[i] = memo.get(buffer, from(i), to(i));
  }

  let i = 0;
  while (i < count) {
    if (elements[i] !== undefined) {
      i += 1;
      continue;
    }
    if (to(i) - from(i) > largeBytes - 2) {
      elements[i] = decodeRange(buffer, from(i), to(i), settings);
      memo?.set(buffer, from(i), to(i), elements[i]);
      i += 1;
      continue;
    }
    let end = i + 1;
    // The run is parsed inside `[` and `]`: two bytes more than its elements.
    while (end < count && elements[end] === undefined && to(end) - from(i) <= largeBytes - 2) end += 1;
    const run = JSON.parse(`[${buffer.toString('utf8', from(i), to(end - 1))}]`) as unknown[];
    for (let k = 0; k < run.length; k += 1) {
      elements[i + k] = run[k];
      memo?.set(buffer, from(i + k), to(i + k), run[k]);
    }
    i = end;
  }
  return elements;
}

interface ArraySplit {
  /** Offsets of `[` and `]`. */
  open: number;
  close: number;
  /** Offsets of the commas between its elements. */
  commas: number[];
  /** Start and end offsets of the quoted keys from the top-level value to the array. */
  keyRanges: Int32Array;
  /** For an array near the top scanned with a memo: the memo's value of each element it knew, by index. */
  known?: unknown[];
}

/** Arrays opened at these nesting levels (0 = the body) are where a memo's elements are looked for while scanning. */
const MEMO_LEVELS = 3;

/** Deeper bodies are parsed whole: no upstream document nests anywhere near this. */
const MAX_DEPTH = 256;

/**
 * The array spanning the most bytes in `[start, end)`, or undefined when the bytes are
 * not balanced JSON (JSON.parse of the whole then says why) or nest deeper than
 * `MAX_DEPTH`. A page has thousands of objects and arrays, so the open ones are kept
 * in flat typed stacks rather than an object each. With a memo, each element of an
 * array near the top (a page's items) is first looked up there: a known one is stepped
 * over with one byte comparison instead of being scanned, and its value goes with the
 * array (`known`).
 */
function largestArray(buffer: Buffer, start: number, end: number, memo?: ElementMemo): ArraySplit | undefined {
  // Per open level: where it opened, whether it is an array, whether an object expects
  // a key next, the range of its last key, and where its commas start in `commas`.
  const opens = new Int32Array(MAX_DEPTH);
  const isArray = new Uint8Array(MAX_DEPTH);
  const expectKey = new Uint8Array(MAX_DEPTH);
  const keyStarts = new Int32Array(MAX_DEPTH);
  const keyEnds = new Int32Array(MAX_DEPTH);
  const commaBase = new Int32Array(MAX_DEPTH);
  // The commas of every open array, innermost last; an array's are dropped when it closes.
  let commas = new Int32Array(1024);
  let commaCount = 0;
  let depth = 0;
  let best: ArraySplit | undefined;
  // Per array open at a level below MEMO_LEVELS: the values of its elements the memo knew.
  const known: unknown[][] = [];
  /** Steps over the element starting at `at` if the memo knows it; where the scan goes on. */
  const stepOver = (at: number): number => {
    const entry = memo?.at(buffer, at, end);
    const after = entry === undefined ? -1 : at + entry.bytes.length;
    if (after === -1 || after >= end || (buffer[after] !== COMMA && buffer[after] !== CLOSE_ARRAY)) return at;
    known[depth - 1]![commaCount - commaBase[depth - 1]!] = entry!.value;
    return after;
  };
  let i = start;
  while (i < end) {
    const byte = buffer[i]!;
    if (byte === QUOTE) {
      const j = closingQuote(buffer, i, end);
      if (j === -1) return undefined;
      const top = depth - 1;
      if (top >= 0 && expectKey[top] === 1) {
        keyStarts[top] = i;
        keyEnds[top] = j + 1;
        expectKey[top] = 0;
      }
      i = j + 1;
      continue;
    }
    if (byte === OPEN_OBJECT || byte === OPEN_ARRAY) {
      if (depth === MAX_DEPTH) return undefined;
      opens[depth] = i;
      isArray[depth] = byte === OPEN_ARRAY ? 1 : 0;
      expectKey[depth] = byte === OPEN_OBJECT ? 1 : 0;
      commaBase[depth] = commaCount;
      depth += 1;
      if (memo !== undefined && byte === OPEN_ARRAY && depth <= MEMO_LEVELS) {
        known[depth - 1] = [];
        i = stepOver(i + 1);
        continue;
      }
    } else if (byte === CLOSE_OBJECT || byte === CLOSE_ARRAY) {
      if (depth === 0 || (isArray[depth - 1] === 1) !== (byte === CLOSE_ARRAY)) return undefined;
      depth -= 1;
      const open = opens[depth]!;
      if (byte === CLOSE_ARRAY && (best === undefined || i - open > best.close - best.open)) {
        best = { open, close: i, commas: Array.from(commas.subarray(commaBase[depth], commaCount)), keyRanges: pathTo(depth) };
        if (memo !== undefined && depth < MEMO_LEVELS) best.known = known[depth];
      }
      commaCount = commaBase[depth]!;
    } else if (byte === COMMA && depth > 0) {
      if (isArray[depth - 1] === 1) {
        if (commaCount === commas.length) {
          const grown = new Int32Array(commas.length * 2);
          grown.set(commas);
          commas = grown;
        }
        commas[commaCount] = i;
        commaCount += 1;
        if (memo !== undefined && depth <= MEMO_LEVELS) {
          i = stepOver(i + 1);
          continue;
        }
      } else {
        expectKey[depth - 1] = 1;
      }
    } else if (byte === COLON && depth > 0 && isArray[depth - 1] === 0) {
      expectKey[depth - 1] = 0;
    }
    i += 1;
  }
  return depth === 0 ? best : undefined;

  /**
   * Where the keys that lead through the `levels` open levels to the array being closed
   * are written. A candidate with an array on its way is always superseded by that
   * larger array, so only the final one's keys are ever read (`keysOf`).
   */
  function pathTo(levels: number): Int32Array {
    const ranges = new Int32Array(levels * 2);
    for (let level = 0; level < levels; level += 1) {
      ranges[level * 2] = keyStarts[level]!;
      ranges[level * 2 + 1] = keyEnds[level]!;
    }
    return ranges;
  }
}

/**
 * The offset of the quote that closes the string opened at `open`, or -1 if none does
 * before `end`. Most of a page's bytes are inside strings: `indexOf` (native) finds the
 * next quote a third faster than a loop over the bytes; a quote after an odd run of
 * backslashes is escaped and skipped.
 */
function closingQuote(buffer: Buffer, open: number, end: number): number {
  let quote = open;
  for (;;) {
    quote = buffer.indexOf(QUOTE, quote + 1);
    if (quote === -1 || quote >= end) return -1;
    let backslash = quote - 1;
    while (buffer[backslash] === BACKSLASH) backslash -= 1;
    if ((quote - 1 - backslash) % 2 === 0) return quote;
  }
}

/** The keys whose quoted ranges `split.keyRanges` holds. */
function keysOf(buffer: Buffer, split: ArraySplit): string[] {
  const keys: string[] = [];
  for (let i = 0; i < split.keyRanges.length; i += 2) {
    keys.push(JSON.parse(buffer.toString('utf8', split.keyRanges[i], split.keyRanges[i + 1])) as string);
  }
  return keys;
}

function isBlank(buffer: Buffer, from: number, to: number): boolean {
  for (let i = from; i < to; i += 1) {
    const byte = buffer[i];
    if (byte !== 0x20 && byte !== 0x0a && byte !== 0x0d && byte !== 0x09) return false;
  }
  return true;
}
