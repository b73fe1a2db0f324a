import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execute, parse, type ExecutionResult } from 'graphql';
import type { GatewayGraphQLRequestContext } from '@apollo/server-gateway-interface';
import { buildFacadeSchema } from '../../src/graph/schema.builder.js';
import { jitExecutor } from '../../src/server/jit.executor.js';

const { schema } = buildFacadeSchema();

/** Runs `query` through the JIT executor as Apollo would hand it over. */
async function viaJit(query: string, variables: Record<string, unknown> = {}): Promise<ExecutionResult> {
  const document = parse(query);
  const operation = document.definitions[0];
  const context = { request: { query, variables }, document, operation, operationName: null, context: {} };
  return jitExecutor(schema)(context as unknown as GatewayGraphQLRequestContext);
}

/** The same through graphql-js, the reference. */
async function viaGraphqlJs(query: string, variables: Record<string, unknown> = {}): Promise<ExecutionResult> {
  return execute({ schema, document: parse(query), variableValues: variables, contextValue: {} });
}

const asJson = (result: ExecutionResult) => JSON.parse(JSON.stringify(result)) as unknown;

describe('the JIT executor', () => {
  const cases: Array<[string, string, Record<string, unknown>?]> = [
    ['introspection', '{ __schema { queryType { name } mutationType { name } } __type(name: "Alarm") { fields { name } } }'],
    ['the federation SDL', '{ _service { sdl } }'],
    ['a resolver that refuses its argument', '{ alarm(id: "nope") { id } }'],
    ['a refused argument given as a variable', 'query ($id: ID!) { alarm(id: $id) { id } }', { id: 'nope' }],
  ];
  for (const [what, query, variables] of cases) {
    it(`answers ${what} exactly as graphql-js does`, async () => {
      assert.deepEqual(asJson(await viaJit(query, variables)), asJson(await viaGraphqlJs(query, variables)));
    });
  }

  it('keeps a resolver’s FacadeError behind the GraphQL error, with path and locations, for the error formatter', async () => {
    const result = await viaJit('{ alarm(id: "nope") { id } }');
    const error = result.errors![0]!;
    assert.deepEqual(error.path, ['alarm']);
    assert.deepEqual(error.locations, [{ line: 1, column: 3 }]);
    assert.equal((error.originalError as { code?: string }).code, 'BAD_USER_INPUT');
    assert.deepEqual(typeof error.extensions, 'object');
  });

  it('refuses a variable of the wrong type with graphql-js’s own error, which Apollo answers as BAD_USER_INPUT', async () => {
    const query = 'query ($first: Int) { alarms(first: $first) { totalCount } }';
    const jit = await viaJit(query, { first: 'ten' });
    assert.equal(jit.data, undefined);
    assert.equal(jit.errors?.length, 1);
    assert.match(jit.errors![0]!.message, /^Variable "\$first" got invalid value "ten"/);
    assert.equal(jit.errors![0]!.nodes?.[0]?.kind, 'VariableDefinition');
  });
});
