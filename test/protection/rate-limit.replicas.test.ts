/**
 * Rate limits hold across replicas: two facades on one Redis and prefix count each
 * key's calls of a field together, and each key on its own.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { formatApiKey, newKeyId, newSecret } from '../../src/keys/api-key.format.js';
import { startTestFacade, type TestFacade } from '../support/facade.fixture.js';
import { postGraphQL, type GraphQLResponse } from '../support/graphql.client.js';
import { redisScope, TEST_REDIS_URL, type RedisScope } from '../live/redis.fixture.js';
import { bearer, CREATE, createKey, dataOf, type Created } from '../apikey/apikey.fixture.js';

/**
 * A page of `first` alarms. Each call asks for another size: the replica's response
 * cache answers a repeated read without running it, and so without counting it.
 */
const alarms = (first: number) => `{ alarms(deployment: "acme-east", first: ${first}) { edges { node { id } } } }`;

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
  let spender: Created;
  let bystander: Created;

  before(async () => {
    scope = redisScope();
    const env = {
      REDIS_URL: TEST_REDIS_URL,
      REDIS_PREFIX: scope.prefix,
      FACADE_ADMIN_KEY: formatApiKey(newKeyId(), newSecret()),
      RATE_LIMIT_READS: '3/60',
      RATE_LIMIT_KEY_MANAGEMENT: '2/60',
    };
    one = await startTestFacade(env);
    two = await startTestFacade(env);
    // The admin key's two createApiKey calls of the window, both on replica 1.
    spender = await createKey(one, { name: 'spender', permissions: ['ALARMS_READ'] });
    bystander = await createKey(one, { name: 'bystander', permissions: ['ALARMS_READ'] });
  });
  after(async () => {
    await one?.stop();
    await two?.stop();
    await scope.cleanup();
  });

  it('refuse on replica 2 a key that spent its Query.alarms limit on replica 1, and not another key', async () => {
    for (let call = 1; call <= 3; call += 1) {
      dataOf(await postGraphQL(one.url, alarms(call), {}, bearer(spender.secret)));
    }
    assertRateLimited(await postGraphQL(two.url, alarms(4), {}, bearer(spender.secret)), 'Query.alarms');
    assertRateLimited(await postGraphQL(one.url, alarms(5), {}, bearer(spender.secret)), 'Query.alarms');
    dataOf(await postGraphQL(two.url, alarms(6), {}, bearer(bystander.secret)));
    dataOf(await postGraphQL(one.url, alarms(7), {}, bearer(bystander.secret)));

    const redis = await scope.client();
    const counter = `${scope.prefix}ratelimit:${spender.key.id}:Query.alarms`;
    assert.ok((await redis.pTTL(counter)) > 0, `${counter} counts the window and expires with it`);
  });

  it('refuse on replica 2 the mutation the admin key spent on replica 1, and leave its other mutations alone', async () => {
    const third = await two.gql(CREATE, { input: { name: 'one-too-many' } });
    assertRateLimited(third, 'Mutation.createApiKey');
    const { apiKeys } = dataOf(await two.gql<{ apiKeys: Array<{ name: string }> }>('{ apiKeys { name } }'));
    assert.ok(!apiKeys.some((key) => key.name === 'one-too-many'), 'a refused mutation changes nothing');
    dataOf(await two.gql('mutation($id: ID!) { revokeApiKey(id: $id) { id } }', { id: bystander.key.id }));
  });
});
