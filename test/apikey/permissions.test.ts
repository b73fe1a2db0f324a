import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { getOperationAST, parse } from 'graphql';
import { FacadeError } from '../../src/errors/facade.error.js';
import { buildFacadeSchema } from '../../src/graph/schema.builder.js';
import { requiredPermissions, ROOT_FIELD_PERMISSIONS } from '../../src/graph/permissions.js';
import { startTestFacade, type TestFacade } from '../support/facade.fixture.js';
import { postGraphQL } from '../support/graphql.client.js';
import {
  assertRefused,
  assertRefusedWithoutChange,
  bearer,
  connectWs,
  CREATE,
  createKey,
  dataOf,
  RESET,
  ROTATE,
  VIEWER,
  within,
  wsExecute,
} from './apikey.fixture.js';

describe('the root-field permission table', () => {
  const { schema } = buildFacadeSchema();
  const rootFields = (
    [
      ['query', schema.getQueryType()],
      ['mutation', schema.getMutationType()],
      ['subscription', schema.getSubscriptionType()],
    ] as const
  ).flatMap(([operation, type]) => Object.keys(type?.getFields() ?? {}).map((field) => `${operation}.${field}`));

  it('names a permission (or none) for every root field of the built schema, so a new field fails closed', () => {
    assert.ok(rootFields.includes('mutation.createApiKey') && rootFields.includes('subscription.apiKeyRotated'));
    const missing = rootFields.filter((field) => !Object.hasOwn(ROOT_FIELD_PERMISSIONS, field));
    assert.deepEqual(missing, [], 'decide who may use each new root field in src/graph/permissions.ts');
  });

  it('lists no field the schema no longer has', () => {
    const stale = Object.keys(ROOT_FIELD_PERMISSIONS).filter((field) => !rootFields.includes(field));
    assert.deepEqual(stale, [], 'remove entries of fields that are gone');
  });

  it('refuses a root field missing from the table as FORBIDDEN', () => {
    const document = parse('mutation { somethingNew }');
    assert.throws(
      () => requiredPermissions(document, getOperationAST(document)!),
      (error: unknown) => error instanceof FacadeError && error.code === 'FORBIDDEN' && /somethingNew/.test(error.message),
    );
  });

  it('follows fragments, so a permission cannot be dodged by spreading the field', () => {
    const document = parse('query { ...Keys } fragment Keys on Query { ... on Query { apiKeys { id } } viewer { id } }');
    assert.deepEqual(requiredPermissions(document, getOperationAST(document)!), ['keys:manage']);
  });
});

describe('permissions of API keys over GraphQL', () => {
  let facade: TestFacade;
  let reader: string;
  before(async () => {
    facade = await startTestFacade();
    reader = (await createKey(facade, { name: 'reader' })).secret;
  });
  after(async () => {
    await facade.stop();
  });

  it('gives a new key alarms:read when no permissions are named', async () => {
    const created = await createKey(facade, { name: 'defaulted' });
    assert.deepEqual(created.key.permissions, ['ALARMS_READ']);
    const { viewer } = dataOf(await postGraphQL<{ viewer: { permissions: string[] } }>(facade.url, VIEWER, {}, bearer(created.secret)));
    assert.deepEqual(viewer.permissions, ['ALARMS_READ']);
  });

  it('lets a read-only key read deployments and its own viewer', async () => {
    const { deployments } = dataOf(await postGraphQL<{ deployments: unknown[] }>(facade.url, '{ deployments { name } }', {}, bearer(reader)));
    assert.equal(deployments.length, 3);
    assert.equal(dataOf(await postGraphQL<{ viewer: { name: string } }>(facade.url, VIEWER, {}, bearer(reader))).viewer.name, 'reader');
  });

  const refusals: Array<[string, string, Record<string, unknown>]> = [
    ['alarms:write', 'mutation { addAlarmLabel(alarmId: "a", labelId: "l") { id } }', {}],
    ['alarms:write', 'mutation { removeAlarmLabel(alarmId: "a", labelId: "l") { id } }', {}],
    ['keys:manage', '{ apiKeys { id } }', {}],
    ['keys:manage', '{ auditEvents { totalCount } }', {}],
    ['keys:manage', CREATE, { input: { name: 'sneaky' } }],
    ['keys:manage', 'mutation { revokeApiKey(id: "x") { id } }', {}],
    ['credentials:manage', '{ upstreamCredentials { deployment } }', {}],
  ];
  for (const [permission, query, variables] of refusals) {
    const field = /\{\s*(\w+)/.exec(query.replace(/^mutation\([^)]*\)/, 'mutation'))![1];
    it(`answers 403 FORBIDDEN naming "${permission}" to a read-only key calling ${field}`, async () => {
      const response = await postGraphQL(facade.url, query, variables, bearer(reader));
      assert.equal(response.status, 403);
      assertRefused(response, 'FORBIDDEN', new RegExp(`needs the permission "${permission}"; key "reader" has "alarms:read"`));
      assert.equal(response.body.errors![0]!.extensions?.['permission'], permission);
    });
  }

  it('refuses a whole operation when one of its fields needs a permission the key lacks', async () => {
    const response = await postGraphQL(facade.url, `{ viewer { id } apiKeys { id } }`, {}, bearer(reader));
    assert.equal(response.status, 403);
    assertRefused(response, 'FORBIDDEN', /"keys:manage"/);
  });

  it('refuses over WebSocket too, naming the permission', async () => {
    const connection = connectWs(facade, { Authorization: `Bearer ${reader}` });
    await within(2_000, connection.acknowledged, 'the connection is acknowledged');
    const result = await wsExecute(connection.client, '{ apiKeys { id } }');
    assert.equal(result.errors?.[0]?.extensions?.['code'], 'FORBIDDEN');
    assert.equal(result.errors?.[0]?.extensions?.['permission'], 'keys:manage');
    await connection.dispose();
  });

  it('does not let a key grant a permission it lacks, and changes nothing', async () => {
    const manager = await createKey(facade, { name: 'key-manager', permissions: ['KEYS_MANAGE'] });
    await assertRefusedWithoutChange(
      facade,
      CREATE,
      { input: { name: 'escalated', permissions: ['KEYS_MANAGE', 'ALARMS_WRITE'] } },
      'FORBIDDEN',
      /can only grant permissions it holds; key "key-manager" lacks "alarms:write"/,
      bearer(manager.secret),
    );
    const granted = dataOf(
      await facade.gql<{ createApiKey: { key: { permissions: string[] } } }>(
        CREATE,
        { input: { name: 'helper', permissions: ['KEYS_MANAGE'] } },
        bearer(manager.secret),
      ),
    );
    assert.deepEqual(granted.createApiKey.key.permissions, ['KEYS_MANAGE']);
  });

  it('does not let a key take a stronger key by rotating or resetting it, whose answer holds the new secret', async () => {
    const manager = await createKey(facade, { name: 'weak-manager', permissions: ['KEYS_MANAGE'] });
    const admin = dataOf(await facade.gql<{ viewer: { id: string } }>(VIEWER)).viewer;
    for (const [query, variables] of [
      [ROTATE, { id: admin.id, gracePeriod: 'PT0S' }],
      [RESET, { id: admin.id }],
    ] as const) {
      await assertRefusedWithoutChange(facade, query, variables, 'FORBIDDEN', /cannot (rotate|reset) key .*"alarms:read", "alarms:write", "credentials:manage"/, bearer(manager.secret));
    }
    assert.equal(dataOf(await facade.gql<{ viewer: { id: string } }>(VIEWER)).viewer.id, admin.id, 'the admin key still works');
    const own = dataOf(await facade.gql<{ resetApiKey: { secret: string } }>(RESET, { id: manager.key.id }, bearer(manager.secret)));
    assert.match(own.resetApiKey.secret, /^usmf_/, 'a key may still reset itself');
  });
});
