/**
 * Rate limits as a client of one facade meets them (memory store): over HTTP, where
 * mutations run compiled by graphql-jit. Reads are not rate-limited but budgeted
 * (`key.budget.test.ts`).
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { startTestFacade, type TestFacade } from '../support/facade.fixture.js';
import { dataOf } from '../apikey/apikey.fixture.js';

const create = (name: string) => `mutation { createApiKey(input: { name: "${name}" }) { key { id } } }`;

describe('rate limits of one facade', () => {
  let facade: TestFacade;

  before(async () => {
    facade = await startTestFacade({ RATE_LIMIT_KEY_MANAGEMENT: '2/60' });
  });
  after(async () => {
    await facade.stop();
  });

  it('answers the call past the limit with RATE_LIMITED, the field, the limit and retryAfterSeconds, and nothing else', async () => {
    dataOf(await facade.gql(create('one')));
    dataOf(await facade.gql(create('two')));
    const { body } = await facade.gql(create('three'));
    assert.equal(body.data, null);
    assert.equal(body.errors?.length, 1);
    const [error] = body.errors!;
    const retryAfterSeconds = error!.extensions?.['retryAfterSeconds'] as number;
    assert.ok(Number.isInteger(retryAfterSeconds) && retryAfterSeconds >= 1 && retryAfterSeconds <= 60, `retryAfterSeconds ${retryAfterSeconds}`);
    assert.deepEqual(error, {
      message: `Mutation.createApiKey allows 2 calls per 60 s for each API key, and this key has made them: retry in ${retryAfterSeconds} s`,
      locations: [{ line: 1, column: 12 }],
      path: ['createApiKey'],
      extensions: { code: 'RATE_LIMITED', retryAfterSeconds },
    });
  });

  it('leaves reads of the same key alone: they draw on its budget, not on a count per field', async () => {
    for (let first = 1; first <= 5; first += 1) dataOf(await facade.gql(`{ events(deployment: "acme-east", first: ${first}) { edges { node { id } } } }`));
  });
});
