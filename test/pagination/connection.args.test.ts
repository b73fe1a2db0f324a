import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { FacadeError } from '../../src/errors/facade.error.js';
import { normaliseConnectionArgs } from '../../src/pagination/connection.args.js';

function badUserInput(pattern: RegExp, argument: string) {
  return (error: unknown) => {
    assert.ok(error instanceof FacadeError, `expected a FacadeError, got ${String(error)}`);
    assert.equal(error.code, 'BAD_USER_INPUT');
    assert.match(error.message, pattern);
    assert.equal(error.details['argument'], argument);
    return true;
  };
}

describe('normaliseConnectionArgs', () => {
  it('pages forward by 20 when no argument is given', () => {
    assert.deepEqual(normaliseConnectionArgs({}), { direction: 'forward', count: 20 });
    assert.deepEqual(normaliseConnectionArgs({ first: null, after: null, last: null, before: null }), {
      direction: 'forward',
      count: 20,
    });
  });

  it('pages forward with first and after', () => {
    assert.deepEqual(normaliseConnectionArgs({ first: 5, after: 'C' }), { direction: 'forward', count: 5, cursor: 'C' });
    assert.deepEqual(normaliseConnectionArgs({ after: 'C' }), { direction: 'forward', count: 20, cursor: 'C' });
  });

  it('pages backward with last and before, or before alone by the default count', () => {
    assert.deepEqual(normaliseConnectionArgs({ last: 5, before: 'C' }), { direction: 'backward', count: 5, cursor: 'C' });
    assert.deepEqual(normaliseConnectionArgs({ last: 5 }), { direction: 'backward', count: 5 });
    assert.deepEqual(normaliseConnectionArgs({ before: 'C' }), { direction: 'backward', count: 20, cursor: 'C' });
  });

  it('accepts the ends of the range, 0 and 100', () => {
    assert.deepEqual(normaliseConnectionArgs({ first: 0 }), { direction: 'forward', count: 0 });
    assert.deepEqual(normaliseConnectionArgs({ last: 100 }), { direction: 'backward', count: 100 });
  });

  it('takes the default count and the maximum from its options', () => {
    assert.deepEqual(normaliseConnectionArgs({}, { defaultCount: 50 }), { direction: 'forward', count: 50 });
    assert.deepEqual(normaliseConnectionArgs({ first: 250 }, { maxCount: 500 }), { direction: 'forward', count: 250 });
    assert.throws(
      () => normaliseConnectionArgs({ first: 11 }, { maxCount: 10 }),
      badUserInput(/^`first` must be an integer from 0 to 10; got 11\.$/, 'first'),
    );
  });

  it('refuses first and last together', () => {
    assert.throws(
      () => normaliseConnectionArgs({ first: 1, last: 1 }),
      badUserInput(
        /^Pass either `first` \(optionally with `after`\) to page forward or `last` \(optionally with `before`\) to page backward, not both\.$/,
        'first',
      ),
    );
  });

  it('refuses a negative first or last, naming the allowed range', () => {
    assert.throws(
      () => normaliseConnectionArgs({ first: -1 }),
      badUserInput(/^`first` must be an integer from 0 to 100; got -1\.$/, 'first'),
    );
    assert.throws(
      () => normaliseConnectionArgs({ last: -5, before: 'C' }),
      badUserInput(/^`last` must be an integer from 0 to 100; got -5\.$/, 'last'),
    );
  });

  it('refuses a first or last above 100, naming the allowed range', () => {
    assert.throws(
      () => normaliseConnectionArgs({ first: 101 }),
      badUserInput(/^`first` must be an integer from 0 to 100; got 101\.$/, 'first'),
    );
    assert.throws(
      () => normaliseConnectionArgs({ last: 1000 }),
      badUserInput(/^`last` must be an integer from 0 to 100; got 1000\.$/, 'last'),
    );
  });

  it('refuses a count that is not an integer', () => {
    assert.throws(
      () => normaliseConnectionArgs({ first: 2.5 }),
      badUserInput(/^`first` must be an integer from 0 to 100; got 2\.5\.$/, 'first'),
    );
  });

  it('refuses after with last, saying backward paging takes before', () => {
    assert.throws(
      () => normaliseConnectionArgs({ last: 3, after: 'C' }),
      badUserInput(/^`after` pages forward and goes with `first`; to page backward pass `last` with `before`\.$/, 'after'),
    );
  });

  it('refuses before with first, saying forward paging takes after', () => {
    assert.throws(
      () => normaliseConnectionArgs({ first: 3, before: 'C' }),
      badUserInput(/^`before` pages backward and goes with `last`; to page forward pass `first` with `after`\.$/, 'before'),
    );
  });

  it('refuses after and before together', () => {
    assert.throws(
      () => normaliseConnectionArgs({ after: 'A', before: 'B' }),
      badUserInput(/^`after` and `before` together are not supported; pass `first` with `after`/, 'before'),
    );
  });
});
