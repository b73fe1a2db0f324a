import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { GraphQLError, Kind, printType, type GraphQLScalarType } from 'graphql';
import { GraphQLDateTime } from 'graphql-scalars';
import { DateTime, isoString } from '../../src/graph/scalar/date-time.scalar.js';
import { buildFacadeSchema } from '../../src/graph/schema.builder.js';

/** What a response said before: graphql-scalars' answer, written by JSON.stringify. */
const asWrittenByGraphqlScalars = (value: unknown) => JSON.parse(JSON.stringify({ v: GraphQLDateTime.serialize(value) })).v;

describe('DateTime scalar', () => {
  it('writes the same ISO string JSON.stringify wrote for graphql-scalars’ Date, as a string', () => {
    const values = [
      new Date('2026-11-24T05:53:03.632Z'),
      new Date(0),
      1_795_469_229_368,
      '2026-11-24T07:53:03+02:00',
      '2026-11-24T05:53:03.6Z',
    ];
    for (const value of values) {
      const written = DateTime.serialize(value);
      assert.equal(typeof written, 'string');
      assert.equal(written, asWrittenByGraphqlScalars(value), `for ${String(value)}`);
    }
    assert.equal(DateTime.serialize(new Date('2026-11-24T05:53:03.632Z')), '2026-11-24T05:53:03.632Z');
  });

  it('formats every time as toISOString does: each day of 1969–2100, leap days, year ends, far years, any millisecond', () => {
    const times: number[] = [];
    for (let day = Date.UTC(1969, 0, 1); day <= Date.UTC(2100, 11, 31); day += 86_400_000) {
      times.push(day, day + 86_399_999, day + ((day / 86_400_000) % 86_400) * 997);
    }
    times.push(Date.UTC(2024, 1, 29, 23, 59, 59, 999), Date.UTC(2000, 1, 29), Date.UTC(1900, 2, 1), -1, 0, 1);
    times.push(-62_198_755_200_000, 253_402_300_799_999, 8.64e15, -8.64e15, -8.64e15 + 1);
    // The same days again in another order: the formatter remembers the last day it wrote.
    for (const ms of [...times, ...times.reverse()]) assert.equal(isoString(ms), new Date(ms).toISOString(), `for ${ms}`);
  });

  it('writes a Date again as it is now, after the Date was changed in place', () => {
    const date = new Date('2026-11-24T05:53:03.632Z');
    assert.equal(DateTime.serialize(date), '2026-11-24T05:53:03.632Z');
    assert.equal(DateTime.serialize(date), '2026-11-24T05:53:03.632Z');
    date.setTime(Date.UTC(2027, 0, 1));
    assert.equal(DateTime.serialize(date), '2027-01-01T00:00:00.000Z');
    date.setTime(Number.NaN);
    assert.throws(() => DateTime.serialize(date), GraphQLError);
  });

  it('refuses what graphql-scalars refuses, and an invalid time, with a GraphQL error', () => {
    for (const value of [new Date(Number.NaN), 'yesterday', true, { at: 1 }, Number.NaN]) {
      assert.throws(() => DateTime.serialize(value), GraphQLError, `for ${String(value)}`);
    }
  });

  it('reads inputs as graphql-scalars does, into Dates', () => {
    assert.deepEqual(DateTime.parseValue('2026-11-24T05:53:03.632Z'), new Date('2026-11-24T05:53:03.632Z'));
    assert.deepEqual(
      DateTime.parseLiteral({ kind: Kind.STRING, value: '2026-11-24T07:53:03+02:00' }, {}),
      new Date('2026-11-24T05:53:03.000Z'),
    );
    assert.throws(() => DateTime.parseValue('not a time'), GraphQLError);
  });

  it('is the schema’s only DateTime, described as graphql-scalars describes it', () => {
    const { schema } = buildFacadeSchema();
    const served = schema.getType('DateTime') as GraphQLScalarType;
    assert.equal(served.serialize, DateTime.serialize);
    assert.equal(printType(served), printType(GraphQLDateTime));
  });
});
