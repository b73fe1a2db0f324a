import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { FacadeError } from '../../src/errors/facade.error.js';
import { decodeCursor, encodeCursor, queryKeyOf } from '../../src/pagination/cursor.codec.js';

const newestOpenAlarms = {
  direction: 'desc',
  filter: { status: ['open'] },
  scope: ['acme', 'globex'],
  sort: 'timestamp_occured',
};
const position = { key: 1629187948000, deployment: 'acme', id: '7f1c2e4a-0b5d-4c1e-9a3f-2d6b8e0c4a11' };

/** Matches a BAD_USER_INPUT FacadeError whose message matches `pattern`. */
function badUserInput(pattern: RegExp) {
  return (error: unknown) => {
    assert.ok(error instanceof FacadeError, `expected a FacadeError, got ${String(error)}`);
    assert.equal(error.code, 'BAD_USER_INPUT');
    assert.match(error.message, pattern);
    return true;
  };
}

describe('queryKeyOf', () => {
  it('is a short literal hash of the feed definition', () => {
    assert.equal(queryKeyOf(newestOpenAlarms), 'NL6wbkG8eSM');
  });

  it('does not depend on property order or on undefined properties', () => {
    const reordered = {
      sort: 'timestamp_occured',
      scope: ['acme', 'globex'],
      filter: { status: ['open'], priority: undefined },
      direction: 'desc',
    };
    assert.equal(queryKeyOf(reordered), 'NL6wbkG8eSM');
  });

  it('differs when the sort direction, a filter or the deployment scope differs', () => {
    assert.equal(queryKeyOf({ ...newestOpenAlarms, direction: 'asc' }), 'Y-03YLjGCBo');
    assert.notEqual(queryKeyOf({ ...newestOpenAlarms, filter: { status: ['closed'] } }), 'NL6wbkG8eSM');
    assert.notEqual(queryKeyOf({ ...newestOpenAlarms, scope: ['acme'] }), 'NL6wbkG8eSM');
    assert.notEqual(queryKeyOf({ ...newestOpenAlarms, sort: 'timestamp_received' }), 'NL6wbkG8eSM');
  });
});

describe('encodeCursor', () => {
  it('gives this literal opaque string for a fixed position and query key', () => {
    assert.equal(
      encodeCursor(position, 'NL6wbkG8eSM'),
      'WzEsIk5MNndia0c4ZVNNIiwxNjI5MTg3OTQ4MDAwLCJhY21lIiwiN2YxYzJlNGEtMGI1ZC00YzFlLTlhM2YtMmQ2YjhlMGM0YTExIl0',
    );
  });

  it('is a versioned JSON array under base64url', () => {
    const text = Buffer.from(encodeCursor(position, 'NL6wbkG8eSM'), 'base64url').toString('utf8');
    assert.equal(text, '[1,"NL6wbkG8eSM",1629187948000,"acme","7f1c2e4a-0b5d-4c1e-9a3f-2d6b8e0c4a11"]');
  });

  it('refuses a position it could not decode again, as a programming error', () => {
    assert.throws(() => encodeCursor({ ...position, key: Number.NaN }, 'NL6wbkG8eSM'), /integer key/);
    assert.throws(() => encodeCursor({ ...position, id: '' }, 'NL6wbkG8eSM'), /non-empty/);
  });
});

describe('decodeCursor', () => {
  it('gives back the position encoded for the same query key', () => {
    const odd = { key: 0, deployment: 'ünïcode\nname', id: '"quoted",id' };
    assert.deepEqual(decodeCursor(encodeCursor(position, 'NL6wbkG8eSM'), 'NL6wbkG8eSM'), position);
    assert.deepEqual(decodeCursor(encodeCursor(odd, 'NL6wbkG8eSM'), 'NL6wbkG8eSM'), odd);
  });

  it('refuses a cursor of another query or order, saying which cursors to use', () => {
    const ascending = encodeCursor(position, 'Y-03YLjGCBo');
    assert.throws(
      () => decodeCursor(ascending, 'NL6wbkG8eSM', 'before'),
      badUserInput(
        /^`before`: this cursor belongs to a different query or order; use a cursor from this connection's pageInfo\/edges, or omit after\/before/,
      ),
    );
  });

  it('refuses garbage as not a cursor of this API, naming the argument', () => {
    const garbage = [
      '',
      'not a cursor',
      'abc',
      Buffer.from('{"key":1}').toString('base64url'),
      Buffer.from('[2,"NL6wbkG8eSM",1,"acme","x"]').toString('base64url'),
      Buffer.from('[1,"NL6wbkG8eSM",1.5,"acme","x"]').toString('base64url'),
      Buffer.from('[1,"NL6wbkG8eSM",1,"","x"]').toString('base64url'),
      'A'.repeat(5000),
    ];
    for (const cursor of garbage) {
      assert.throws(
        () => decodeCursor(cursor, 'NL6wbkG8eSM'),
        badUserInput(/^`after` ".*" is not a cursor of this API; use a cursor from this connection's pageInfo\/edges/),
        `cursor ${JSON.stringify(cursor.slice(0, 40))}`,
      );
    }
  });

  it('puts the offending argument in the error details', () => {
    assert.throws(
      () => decodeCursor('garbage', 'NL6wbkG8eSM', 'before'),
      (error: unknown) => error instanceof FacadeError && error.details['argument'] === 'before',
    );
  });
});
