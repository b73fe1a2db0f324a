/**
 * Who may introspect: any key in development (analysts explore the schema in the
 * playground), only keys granted `schema:read` in production; `__typename` always.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startTestFacade, type TestFacade } from '../support/facade.fixture.js';
import { bearer, createKey } from '../apikey/apikey.fixture.js';

const INTROSPECT = '{ __schema { queryType { name } } __type(name: "Alarm") { name } }';

describe('introspection', () => {
  const facades: TestFacade[] = [];
  after(() => Promise.all(facades.map((f) => f.stop())));

  async function facadeWithKeys(env: Record<string, string>) {
    const facade = await startTestFacade(env);
    facades.push(facade);
    const reader = (await createKey(facade, { name: 'reader', permissions: ['ALARMS_READ'] })).secret;
    const explorer = (await createKey(facade, { name: 'explorer', permissions: ['ALARMS_READ', 'SCHEMA_READ'] })).secret;
    return { facade, reader, explorer };
  }

  describe('in production', () => {
    let keys: Awaited<ReturnType<typeof facadeWithKeys>>;
    before(async () => {
      keys = await facadeWithKeys({ NODE_ENV: 'production' });
    });

    it('refuses a key without schema:read with FORBIDDEN naming the permission', async () => {
      const { status, body } = await keys.facade.gql(INTROSPECT, {}, bearer(keys.reader));
      assert.equal(status, 403);
      assert.equal(body.errors?.[0]?.extensions?.['code'], 'FORBIDDEN');
      assert.match(body.errors![0]!.message, /schema:read/);
      assert.equal(body.data, undefined);
    });

    it('answers a key granted schema:read, and the default admin key', async () => {
      for (const key of [keys.explorer, keys.facade.adminKey]) {
        const { status, body } = await keys.facade.gql(INTROSPECT, {}, bearer(key));
        assert.equal(status, 200);
        assert.deepEqual(body.data, { __schema: { queryType: { name: 'Query' } }, __type: { name: 'Alarm' } });
      }
    });

    it('answers __typename to any key', async () => {
      const { body } = await keys.facade.gql('{ __typename viewer { __typename name } }', {}, bearer(keys.reader));
      assert.deepEqual(body.data, { __typename: 'Query', viewer: { __typename: 'ApiKey', name: 'reader' } });
    });
  });

  it('answers any key in development', async () => {
    const { facade, reader } = await facadeWithKeys({ NODE_ENV: 'development' });
    const { status, body } = await facade.gql(INTROSPECT, {}, bearer(reader));
    assert.equal(status, 200);
    assert.deepEqual(body.data, { __schema: { queryType: { name: 'Query' } }, __type: { name: 'Alarm' } });
  });
});
