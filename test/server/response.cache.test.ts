import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { ApolloServer } from '@apollo/server';
import { ResponseCache } from '../../src/server/response.cache.js';

/** A server whose `count` field counts its own executions, so cache hits are visible. */
function countingServer(cache: ResponseCache) {
  let executions = 0;
  const server = new ApolloServer({
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
    let now = 1_000;
    const cache = new ResponseCache({ ttlMs: 2_000, cacheable: cacheableCount, now: () => now });
    const { server, executions } = countingServer(cache);
    await server.start();
    try {
      assert.deepEqual(countOf(await server.executeOperation({ query: '{ count }' })), 1);
      assert.deepEqual(countOf(await server.executeOperation({ query: '{ count }' })), 1);
      assert.equal(executions(), 1);
      now += 2_000;
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
});
