/**
 * The query limits on the facade's schema: the deepest legitimate shapes pass, one level
 * more does not, and production messages keep the limits to themselves.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parse, specifiedRules, validate } from 'graphql';
import { buildFacadeSchema } from '../../src/graph/schema.builder.js';
import { QUERY_LIMITS_DEFAULTS } from '../../src/protection/protection.settings.js';
import { hideSuggestions, limitMessage, queryLimits } from '../../src/protection/query.limits.js';

const { schema } = buildFacadeSchema();

function errorsOf(query: string, exposeLimits = true): string[] {
  const { parseOptions, validationRules } = queryLimits({ limits: QUERY_LIMITS_DEFAULTS, exposeLimits });
  try {
    const document = parse(query, parseOptions);
    return validate(schema, document, [...specifiedRules, ...validationRules]).map((e) => limitMessage(e.message, 'validate', exposeLimits));
  } catch (error) {
    return [limitMessage((error as Error).message, 'parse', exposeLimits)];
  }
}

describe('query limits', () => {
  it('lets the deepest shape a screen needs through: a deployment’s alarms with their events (8 levels)', () => {
    assert.deepEqual(errorsOf('{ deployments { alarms { edges { node { events { edges { node { name } } } } } } } }'), []);
  });

  it('counts _entities and node() through their inline fragments like the same selection at the root', () => {
    const entities = `query($r: [_Any!]!) { _entities(representations: $r) { ... on Deployment { alarms { edges { node { events { edges { node { name } } } } } } } } }`;
    assert.deepEqual(errorsOf(entities), []);
    assert.deepEqual(errorsOf('{ node(id: "x") { ... on Deployment { alarms { edges { node { events { edges { node { name } } } } } } } } }'), []);
  });

  it('refuses one level more, naming the limit in development only', () => {
    const nine = '{ deployments { alarms { edges { node { deployment { alarms { edges { node { id } } } } } } } } }';
    assert.deepEqual(errorsOf(nine), ['Query depth limit of 8 exceeded, found 9.']);
    assert.deepEqual(errorsOf(nine, false), ['The query is nested too deeply: select fewer levels, or split it into several queries.']);
  });

  it('refuses the 16th alias and the 51st directive', () => {
    const aliases = (n: number) => `{ ${Array.from({ length: n }, (_, i) => `a${i}: viewer { id }`).join(' ')} }`;
    assert.deepEqual(errorsOf(aliases(15)), []);
    assert.deepEqual(errorsOf(aliases(16), false), ['The query uses too many aliases: select fewer aliased fields, or split it into several queries.']);
    const directives = (n: number) => `{ viewer { ${Array.from({ length: n }, () => 'id @include(if: true)').join(' ')} } }`;
    assert.deepEqual(errorsOf(directives(50)), []);
    assert.deepEqual(errorsOf(directives(51), false), ['The query uses too many directives: remove some, or split it into several queries.']);
  });

  it('stops parsing past 1,000 tokens', () => {
    const long = `{ viewer { ${Array.from({ length: 1001 }, () => 'id').join(' ')} } }`;
    assert.deepEqual(errorsOf(long, false), ['Syntax Error: The document is too long: send a shorter query, or split it into several.']);
    assert.match(errorsOf(long)[0]!, /1000 tokens/);
  });

  it('removes graphql-js’s suggestions of field and value names', () => {
    assert.equal(hideSuggestions('Cannot query field "alarmz" on type "Query". Did you mean "alarm" or "alarms"?'), 'Cannot query field "alarmz" on type "Query".');
    assert.equal(
      hideSuggestions('Value "HIGHH" does not exist in "AlarmPriority" enum. Did you mean the enum value "HIGH"?'),
      'Value "HIGHH" does not exist in "AlarmPriority" enum.',
    );
  });
});
