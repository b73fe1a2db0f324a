/**
 * Rate limits hold across replicas: two facades on one Redis and prefix count each
 * key's calls of a field together. (The key budget's replicas: `key.budget.test.ts`.)
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { formatApiKey, newKeyId, newSecret } from '../../src/keys/api-key.format.js';
import { startTestFacade, type TestFacade } from '../support/facade.fixture.js';
import type { GraphQLResponse } from '../support/graphql.client.js';
import { redisScope, TEST_REDIS_URL, type RedisScope } from '../live/redis.fixture.js';
import { CREATE, createKey, dataOf, type Created } from '../apikey/apikey.fixture.js';

/** Asserts the answer's one error is RATE_LIMITED on `field`, with whole seconds to wait. */
function assertRateLimited(response: GraphQLResponse, field: string): void {
  assert.equal(response.body.errors?.length, 1, JSON.stringify(response.body));
  const [error] = response.body.errors!;
  assert.equal(error!.extensions?.['code'], 'RATE_LIMITED', error!.message);
  assert.match(error!.message, new RegExp(`^${field.replace('.', '\\.')} allows \\d+ calls per 60 s for each API key`));
  const retryAfterSeconds = error!.extensions?.['retryAfterSeconds'] as number;
  assert.ok(Number.isInteger(retryAfterSeconds) && retryAfterSeconds >= 1 && retryAfterSeconds <= 60, `retryAfterSeconds ${retryAfterSeconds}`);
  assert.equal(response.body.data, null);
}

describe('rate limits on two replicas on one Redis', () => {
  let scope: RedisScope;
  let one: TestFacade;
  let two: TestFacade;
  let bystander: Created;

  before(async () => {
    scope = redisScope();
    const env = {
      REDIS_URL: TEST_REDIS_URL,
      REDIS_PREFIX: scope.prefix,
      FACADE_ADMIN_KEY: formatApiKey(newKeyId(), newSecret()),
      RATE_LIMIT_KEY_MANAGEMENT: '2/60',
    };
    one = await startTestFacade(env);
    two = await startTestFacade(env);
    // The admin key's two createApiKey calls of the window, both on replica 1.
    await createKey(one, { name: 'spender', permissions: ['ALARMS_READ'] });
    bystander = await createKey(one, { name: 'bystander', permissions: ['ALARMS_READ'] });
  });
  after(async () => {
    await one?.stop();
    await two?.stop();
    await scope.cleanup();
  });

  it('refuse on replica 2 the mutation the admin key spent on replica 1, and leave its other mutations alone', async () => {
    const third = await two.gql(CREATE, { input: { name: 'one-too-many' } });
    assertRateLimited(third, 'Mutation.createApiKey');
    const { apiKeys } = dataOf(await two.gql<{ apiKeys: Array<{ name: string }> }>('{ apiKeys { name } }'));
    assert.ok(!apiKeys.some((key) => key.name === 'one-too-many'), 'a refused mutation changes nothing');
    dataOf(await two.gql('mutation($id: ID!) { revokeApiKey(id: $id) { id } }', { id: bystander.key.id }));
  });
});
