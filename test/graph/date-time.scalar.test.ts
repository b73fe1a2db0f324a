import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { GraphQLError, Kind, printType, type GraphQLScalarType } from 'graphql';
import { GraphQLDateTime } from 'graphql-scalars';
import { DateTime } from '../../src/graph/scalar/date-time.scalar.js';
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
