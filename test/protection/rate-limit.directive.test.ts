/**
 * `protectSchema` on a small subgraph with the facade's directive and classes, run with
 * graphql-js: what counts, for whom, and what a caller past the limit is told. Memory
 * store, except where Redis is the point (keys under the prefix, and counting on when
 * Redis does not answer).
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execute, parse, subscribe, type ExecutionResult, type GraphQLSchema } from 'graphql';
import { buildSubgraphSchema } from '@apollo/subgraph';
import { RATE_LIMIT_DEFAULTS, type RateLimitsConfig } from '../../src/protection/protection.settings.js';
import { protectSchema, RATE_LIMIT_TYPE_DEFS, rateLimitSdl } from '../../src/protection/rate-limit.directive.js';
import { createMemoryLimiterStore, createRedisLimiterStore } from '../../src/protection/rate-limit.store.js';
import { connectRedis } from '../../src/store/redis.connection.js';
import { redisScope, TEST_REDIS_URL } from '../live/redis.fixture.js';

const SDL = `
  ${RATE_LIMIT_TYPE_DEFS}
  type Query {
    pages: [Page!] ${rateLimitSdl('keyManagement')}
    free: Int!
  }
  type Page { n: Int! }
  type Mutation {
    addLabel: Int! ${rateLimitSdl('labelWrites')}
    removeLabel: Int! ${rateLimitSdl('labelWrites')}
    rotateCredentials: Int! ${rateLimitSdl('credentials')}
  }
  type Subscription {
    ticks: Int! ${rateLimitSdl('keyManagement')}
  }
`;

/** The subgraph with resolvers that count how often they ran. */
function countingSchema(typeDefs = SDL) {
  const ran = new Map<string, number>();
  const count = (field: string) => () => {
    const n = (ran.get(field) ?? 0) + 1;
    ran.set(field, n);
    return n;
  };
  const schema = buildSubgraphSchema({
    typeDefs: parse(typeDefs),
    resolvers: {
      Query: { pages: () => [{ n: 1 }, { n: 2 }, { n: 3 }], free: count('free') },
      Mutation: { addLabel: count('addLabel'), removeLabel: count('removeLabel'), rotateCredentials: count('rotateCredentials') },
      Subscription: {
        ticks: {
          subscribe: async function* () {
            count('subscribe')();
            for (let tick = 1; tick <= 3; tick += 1) yield { tick };
          },
          resolve: (event: { tick: number }) => event.tick,
        },
      },
    } as never,
  });
  return { schema, ran };
}

const LIMITS: RateLimitsConfig = {
  labelWrites: { limit: 2, duration: 60 },
  keyManagement: { limit: 2, duration: 60 },
  credentials: { limit: 1, duration: 300 },
};

const as = (keyId: string) => ({ apiKey: { id: keyId } });

/** A result as a client receives it (plain objects, errors as JSON). */
const wire = (result: ExecutionResult): ExecutionResult => JSON.parse(JSON.stringify(result)) as ExecutionResult;

async function run(schema: GraphQLSchema, query: string, keyId: string): Promise<ExecutionResult> {
  return wire(await execute({ schema, document: parse(query), contextValue: as(keyId) }));
}

function assertRateLimited(result: ExecutionResult, field: string, limit: number, duration: number): number {
  assert.equal(result.errors?.length, 1, JSON.stringify(result));
  const [error] = result.errors!;
  assert.equal(error!.extensions?.['code'], 'RATE_LIMITED');
  assert.match(error!.message, new RegExp(`^${field.replace('.', '\\.')} allows ${limit} calls per ${duration} s for each API key, .*retry in \\d+ s$`));
  const retryAfterSeconds = error!.extensions?.['retryAfterSeconds'];
  assert.ok(Number.isInteger(retryAfterSeconds), `retryAfterSeconds ${String(retryAfterSeconds)} is whole seconds`);
  assert.ok((retryAfterSeconds as number) >= 1 && (retryAfterSeconds as number) <= duration, `retryAfterSeconds ${String(retryAfterSeconds)}`);
  assert.ok(error!.message.endsWith(`retry in ${String(retryAfterSeconds)} s`), 'the message says the same as retryAfterSeconds');
  return retryAfterSeconds as number;
}

describe('protectSchema with the memory store', () => {
  it('refuses a key past its limit with RATE_LIMITED and retryAfterSeconds, without running the resolver', async () => {
    const { schema, ran } = countingSchema();
    const limited = protectSchema(schema, { limits: LIMITS, store: createMemoryLimiterStore() });
    assert.deepEqual((await run(limited, 'mutation { addLabel }', 'key-a')).data, { addLabel: 1 });
    assert.deepEqual((await run(limited, 'mutation { addLabel }', 'key-a')).data, { addLabel: 2 });
    const refused = await run(limited, 'mutation { addLabel }', 'key-a');
    assertRateLimited(refused, 'Mutation.addLabel', 2, 60);
    assert.deepEqual(refused.errors![0]!.path, ['addLabel']);
    assert.equal(ran.get('addLabel'), 2, 'the refused call never reached the resolver');
  });

  it('does not count another key’s calls against a key', async () => {
    const { schema } = countingSchema();
    const limited = protectSchema(schema, { limits: LIMITS, store: createMemoryLimiterStore() });
    for (let call = 0; call < 2; call += 1) await run(limited, 'mutation { addLabel }', 'key-a');
    assertRateLimited(await run(limited, 'mutation { addLabel }', 'key-a'), 'Mutation.addLabel', 2, 60);
    assert.equal((await run(limited, 'mutation { addLabel }', 'key-b')).errors, undefined);
  });

  it('counts each field on its own, also two of one class, and leaves unlimited fields alone', async () => {
    const { schema } = countingSchema();
    const limited = protectSchema(schema, { limits: LIMITS, store: createMemoryLimiterStore() });
    for (let call = 0; call < 2; call += 1) await run(limited, 'mutation { addLabel }', 'key-a');
    assertRateLimited(await run(limited, 'mutation { addLabel }', 'key-a'), 'Mutation.addLabel', 2, 60);
    assert.deepEqual((await run(limited, 'mutation { removeLabel }', 'key-a')).data, { removeLabel: 1 });
    for (let call = 0; call < 5; call += 1) assert.equal((await run(limited, '{ free }', 'key-a')).errors, undefined);
  });

  it('gives each class its configured limit: the credential rotation allows one call', async () => {
    const { schema } = countingSchema();
    const limited = protectSchema(schema, { limits: LIMITS, store: createMemoryLimiterStore() });
    assert.equal((await run(limited, 'mutation { rotateCredentials }', 'key-a')).errors, undefined);
    assertRateLimited(await run(limited, 'mutation { rotateCredentials }', 'key-a'), 'Mutation.rotateCredentials', 1, 300);
  });

  it('counts an alias as one more call, and a list field once however many items it returns', async () => {
    const { schema } = countingSchema();
    const limited = protectSchema(schema, { limits: LIMITS, store: createMemoryLimiterStore() });
    const once = await run(limited, '{ pages { n } }', 'key-a');
    assert.deepEqual(once.data, { pages: [{ n: 1 }, { n: 2 }, { n: 3 }] }, 'three items, one call');
    const twice = await run(limited, '{ a: pages { n } b: pages { n } }', 'key-a');
    assert.deepEqual(twice.data?.['a'], [{ n: 1 }, { n: 2 }, { n: 3 }]);
    assert.equal(twice.data?.['b'], null);
    assertRateLimited(twice, 'Query.pages', 2, 60);
  });

  it('counts a subscription once when it subscribes, never per event', async () => {
    const { schema, ran } = countingSchema();
    const limited = protectSchema(schema, { limits: { ...LIMITS, keyManagement: { limit: 1, duration: 60 } }, store: createMemoryLimiterStore() });
    const first = await subscribe({ schema: limited, document: parse('subscription { ticks }'), contextValue: as('key-a') });
    assert.ok(Symbol.asyncIterator in first, JSON.stringify(first));
    const ticks: unknown[] = [];
    for await (const result of first as AsyncIterable<ExecutionResult>) ticks.push(result.data?.['ticks'] ?? result.errors);
    assert.deepEqual(ticks, [1, 2, 3], 'every event resolved, none refused');
    const second = await subscribe({ schema: limited, document: parse('subscription { ticks }'), contextValue: as('key-a') });
    assertRateLimited(wire(second as ExecutionResult), 'Subscription.ticks', 1, 60);
    assert.equal(ran.get('subscribe'), 1, 'the refused subscribe never started its source');
  });

  it('counts nothing for a class configured off, and drops its directive from the protected schema only', async () => {
    const { schema } = countingSchema();
    const limited = protectSchema(schema, { limits: { ...LIMITS, labelWrites: null }, store: createMemoryLimiterStore() });
    for (let call = 0; call < 5; call += 1) assert.equal((await run(limited, 'mutation { addLabel }', 'key-a')).errors, undefined);
    const directivesOf = (s: GraphQLSchema) => s.getMutationType()!.getFields()['addLabel']!.astNode!.directives!.map((d) => d.name.value);
    assert.deepEqual(directivesOf(limited), []);
    assert.deepEqual(directivesOf(schema), ['rateLimit']);
  });

  it('leaves the schema it was given unprotected, so each facade binds a store of its own', async () => {
    const { schema } = countingSchema();
    const first = protectSchema(schema, { limits: LIMITS, store: createMemoryLimiterStore() });
    const second = protectSchema(schema, { limits: LIMITS, store: createMemoryLimiterStore() });
    for (let call = 0; call < 2; call += 1) await run(first, 'mutation { addLabel }', 'key-a');
    assertRateLimited(await run(first, 'mutation { addLabel }', 'key-a'), 'Mutation.addLabel', 2, 60);
    assert.equal((await run(second, 'mutation { addLabel }', 'key-a')).errors, undefined, 'another store counts on its own');
    for (let call = 0; call < 5; call += 1) assert.equal((await run(schema, 'mutation { addLabel }', 'key-a')).errors, undefined);
  });

  it('refuses @rateLimit off root fields, on types, and with numbers of no class, naming the fix', () => {
    const store = createMemoryLimiterStore();
    const protect = (typeDefs: string) => () => protectSchema(countingSchema(typeDefs).schema, { limits: LIMITS, store });
    assert.throws(
      protect(SDL.replace('type Page { n: Int! }', `type Page { n: Int! ${rateLimitSdl('keyManagement')} }`)),
      /@rateLimit on Page\.n, which is not a root field: .* it would count once per item; limit the root field that reaches it/,
    );
    assert.throws(protect(SDL.replace('type Page {', `type Page ${rateLimitSdl('keyManagement')} {`)), /@rateLimit on the type Page: put it on root fields/);
    assert.throws(
      protect(SDL.replace('free: Int!', 'free: Int! @rateLimit(limit: 7, duration: 60)')),
      /@rateLimit\(limit: 7, duration: 60\) on Query\.free is no class's default, .*@Directive\(rateLimitSdl\(<class>\)\), one of labelWrites, keyManagement, credentials/,
    );
  });

  it('writes each class’s default into the SDL, no two alike', () => {
    assert.equal(rateLimitSdl('labelWrites'), `@rateLimit(limit: ${RATE_LIMIT_DEFAULTS.labelWrites.limit}, duration: ${RATE_LIMIT_DEFAULTS.labelWrites.duration})`);
    const numbers = Object.values(RATE_LIMIT_DEFAULTS).map(({ limit, duration }) => `${limit}/${duration}`);
    assert.equal(new Set(numbers).size, numbers.length);
  });
});

describe('protectSchema with the Redis store', () => {
  it('counts under <prefix>ratelimit:<key id>:<Type.field>, expiring with the window', async () => {
    const scope = redisScope();
    const redis = await connectRedis(TEST_REDIS_URL);
    try {
      const { schema } = countingSchema();
      const store = createRedisLimiterStore({ client: redis, prefix: `${scope.prefix}ratelimit` });
      const limited = protectSchema(schema, { limits: LIMITS, store });
      await run(limited, 'mutation { addLabel }', 'key-a');
      await run(limited, 'mutation { addLabel }', 'key-a');
      const key = `${scope.prefix}ratelimit:key-a:Mutation.addLabel`;
      assert.deepEqual(await redis.keys(`${scope.prefix}*`), [key]);
      assert.equal(await redis.get(key), '2');
      const ttl = await redis.pTTL(key);
      assert.ok(ttl > 0 && ttl <= 60_000, `expires with its window, ${ttl} ms`);
      assertRateLimited(await run(limited, 'mutation { addLabel }', 'key-a'), 'Mutation.addLabel', 2, 60);
    } finally {
      redis.destroy();
      await scope.cleanup();
    }
  });

  it('goes on counting in memory, with the same limit, while Redis does not answer', async () => {
    const scope = redisScope();
    const redis = await connectRedis(TEST_REDIS_URL);
    redis.destroy();
    try {
      const { schema, ran } = countingSchema();
      const limited = protectSchema(schema, { limits: LIMITS, store: createRedisLimiterStore({ client: redis, prefix: `${scope.prefix}ratelimit` }) });
      assert.equal((await run(limited, 'mutation { addLabel }', 'key-a')).errors, undefined);
      assert.equal((await run(limited, 'mutation { addLabel }', 'key-a')).errors, undefined);
      assertRateLimited(await run(limited, 'mutation { addLabel }', 'key-a'), 'Mutation.addLabel', 2, 60);
      assert.equal((await run(limited, 'mutation { addLabel }', 'key-b')).errors, undefined);
      assert.equal(ran.get('addLabel'), 3);
    } finally {
      await scope.cleanup();
    }
  });
});
