import { describe, it, mock } from 'node:test';
import assert from 'node:assert/strict';
import { ApolloServer, HeaderMap } from '@apollo/server';
import { ResponseCache } from '../../src/server/response.cache.js';
import { ManualClock } from '../support/manual.clock.js';

/** A server whose `count` field counts its own executions, so cache hits are visible. */
function countingServer(cache: ResponseCache, stringifyResult?: ResponseCache['stringifyResult']) {
  let executions = 0;
  const server = new ApolloServer({
    ...(stringifyResult === undefined ? {} : { stringifyResult }),
    typeDefs: 'type Query { count(id: Int): Int! secret: String! } type Mutation { touch: Int! }',
    resolvers: {
      Query: { count: () => ++executions, secret: () => 'per-key' },
      Mutation: { touch: () => 1 },
    },
    plugins: [cache.plugin()],
  });
  return { server, executions: () => executions };
}

/** The `count` an operation answered. */
const countOf = (response: Awaited<ReturnType<ApolloServer['executeOperation']>>): unknown => {
  assert.equal(response.body.kind, 'single');
  return response.body.kind === 'single' ? (response.body.singleResult.data as { count?: number } | undefined)?.count : undefined;
};

describe('ResponseCache', () => {
  const cacheableCount = (_document: unknown, operation: { selectionSet: { selections: readonly unknown[] } }) =>
    operation.selectionSet.selections.every((s) => (s as { name: { value: string } }).name.value === 'count');

  it('answers a repeated query from the cache until its TTL ends', async () => {
    const clock = new ManualClock(1_000);
    const cache = new ResponseCache({ ttlMs: 2_000, cacheable: cacheableCount, clock });
    const { server, executions } = countingServer(cache);
    await server.start();
    try {
      assert.deepEqual(countOf(await server.executeOperation({ query: '{ count }' })), 1);
      assert.deepEqual(countOf(await server.executeOperation({ query: '{ count }' })), 1);
      assert.equal(executions(), 1);
      await clock.advance(2_000);
      assert.deepEqual(countOf(await server.executeOperation({ query: '{ count }' })), 2);
    } finally {
      await server.stop();
    }
  });

  it('keys entries by variables and forgets everything on clear()', async () => {
    const cache = new ResponseCache({ ttlMs: 60_000, cacheable: cacheableCount });
    const { server, executions } = countingServer(cache);
    await server.start();
    try {
      const query = 'query($id: Int) { count(id: $id) }';
      await server.executeOperation({ query, variables: { id: 1 } });
      await server.executeOperation({ query, variables: { id: 2 } });
      await server.executeOperation({ query, variables: { id: 1 } });
      assert.equal(executions(), 2);
      cache.clear();
      await server.executeOperation({ query, variables: { id: 1 } });
      assert.equal(executions(), 3);
    } finally {
      await server.stop();
    }
  });

  it('never keeps what the caller says is not shared, mutations, or answers with errors', async () => {
    const cache = new ResponseCache({ ttlMs: 60_000, cacheable: cacheableCount });
    const { server } = countingServer(cache);
    await server.start();
    try {
      await server.executeOperation({ query: '{ secret }' });
      await server.executeOperation({ query: 'mutation { touch }' });
      await server.executeOperation({ query: '{ count(id: "not an int") }' });
      assert.equal(cache.size, 0);
    } finally {
      await server.stop();
    }
  });

  it('writes a cached answer’s JSON once, byte for byte as Apollo writes it, and every other answer as Apollo does', async () => {
    const cache = new ResponseCache({ ttlMs: 60_000, cacheable: cacheableCount });
    const { server, executions } = countingServer(cache, cache.stringifyResult);
    const plain = countingServer(new ResponseCache({ ttlMs: 0, cacheable: cacheableCount })).server;
    await Promise.all([server.start(), plain.start()]);
    const http = (target: ApolloServer, query: string) =>
      target.executeHTTPGraphQLRequest({
        httpGraphQLRequest: {
          method: 'POST',
          headers: new HeaderMap([['content-type', 'application/json']]),
          search: '',
          body: { query },
        },
        context: async () => ({}),
      });
    const bodyOf = async (response: Awaited<ReturnType<typeof http>>) => {
      assert.equal(response.body.kind, 'complete');
      return response.body.kind === 'complete' ? response.body.string : '';
    };
    try {
      const first = await bodyOf(await http(server, '{ count }'));
      const stringify = mock.method(JSON, 'stringify');
      const again = await bodyOf(await http(server, '{ count }'));
      const resultsWritten = stringify.mock.calls.filter((call) => typeof call.arguments[0] === 'object' && 'data' in (call.arguments[0] as object));
      stringify.mock.restore();
      assert.equal(resultsWritten.length, 0, 'a hit writes no JSON');
      assert.equal(executions(), 1);
      assert.equal(again, first);
      assert.equal(first, await bodyOf(await http(plain, '{ count }')), 'the same bytes as Apollo’s own serialisation');
      assert.equal(first, '{"data":{"count":1}}\n');
      // Not cacheable, and an answer with errors: written fresh each time, as Apollo would.
      assert.equal(await bodyOf(await http(server, '{ secret }')), '{"data":{"secret":"per-key"}}\n');
      assert.match(await bodyOf(await http(server, '{ count(id: "x") }')), /^\{"errors":\[/);
    } finally {
      await Promise.all([server.stop(), plain.stop()]);
    }
  });
});
