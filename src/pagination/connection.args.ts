/**
 * Validation of the Relay arguments `first`, `after`, `last`, `before`.
 *
 * Contract: `normaliseConnectionArgs` turns what a client passed into one direction,
 * one count and at most one cursor, or throws `BAD_USER_INPUT` saying what is
 * supported. It refuses what the keyset paginator cannot serve honestly: `first` with
 * `last`, `after` with `before`, `after` with `last`, `before` with `first`, and counts
 * outside 0..max. With no count, the direction follows the cursor: `before` alone
 * pages backward by the default count, anything else forward. Cursors are not decoded
 * here (that needs the feed's query key); `decodeCursor` does it.
 */
import { FacadeError } from '../errors/facade.error.js';

/** As GraphQL hands them over: absent, null or a value. */
export interface ConnectionArgs {
  first?: number | null;
  after?: string | null;
  last?: number | null;
  before?: string | null;
}

export interface ConnectionArgsOptions {
  /** Count used when neither `first` nor `last` is given. Default 20. */
  defaultCount?: number;
  /** Largest `first` or `last` accepted. Default 100. */
  maxCount?: number;
}

export interface NormalisedConnectionArgs {
  /** forward: `first` items after `cursor`; backward: `last` items before `cursor`. */
  direction: 'forward' | 'backward';
  count: number;
  /** The raw `after` (forward) or `before` (backward) cursor, if one was given. */
  cursor?: string;
}

const DEFAULT_COUNT = 20;
const DEFAULT_MAX_COUNT = 100;

export function normaliseConnectionArgs(
  args: ConnectionArgs,
  options: ConnectionArgsOptions = {},
): NormalisedConnectionArgs {
  const maxCount = options.maxCount ?? DEFAULT_MAX_COUNT;
  const defaultCount = options.defaultCount ?? DEFAULT_COUNT;
  const first = args.first ?? undefined;
  const last = args.last ?? undefined;
  const after = args.after ?? undefined;
  const before = args.before ?? undefined;

  if (first !== undefined && last !== undefined) {
    throw badInput(
      'first',
      'Pass either `first` (optionally with `after`) to page forward or `last` (optionally with `before`) ' +
        'to page backward, not both.',
    );
  }
  if (after !== undefined && before !== undefined) {
    throw badInput(
      'before',
      '`after` and `before` together are not supported; pass `first` with `after` to page forward ' +
        'or `last` with `before` to page backward.',
    );
  }
  if (after !== undefined && last !== undefined) {
    throw badInput(
      'after',
      '`after` pages forward and goes with `first`; to page backward pass `last` with `before`.',
    );
  }
  if (before !== undefined && first !== undefined) {
    throw badInput(
      'before',
      '`before` pages backward and goes with `last`; to page forward pass `first` with `after`.',
    );
  }
  if (first !== undefined) checkCount('first', first, maxCount);
  if (last !== undefined) checkCount('last', last, maxCount);

  const backward = last !== undefined || before !== undefined;
  const count = first ?? last ?? defaultCount;
  const cursor = backward ? before : after;
  return cursor === undefined
    ? { direction: backward ? 'backward' : 'forward', count }
    : { direction: backward ? 'backward' : 'forward', count, cursor };
}

function checkCount(argument: 'first' | 'last', value: number, maxCount: number): void {
  if (!Number.isInteger(value) || value < 0 || value > maxCount) {
    throw badInput(argument, `\`${argument}\` must be an integer from 0 to ${maxCount}; got ${value}.`);
  }
}

function badInput(argument: string, message: string): FacadeError {
  return new FacadeError('BAD_USER_INPUT', message, { details: { argument } });
}
