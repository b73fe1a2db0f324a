import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { formatApiKey, newKeyId, newSecret } from '../../src/keys/api-key.format.js';
import { startTestFacade, type TestFacade } from '../support/facade.fixture.js';
import { postGraphQL } from '../support/graphql.client.js';
import {
  assertNoSecretIn,
  assertRefusedWithoutChange,
  assertUnauthenticated,
  bearer,
  CREATE,
  createKey,
  dataOf,
  DELETE,
  KEY_FIELDS,
  RESET,
  REVOKE,
  ROTATE,
  SET_ROTATION,
  VIEWER,
  type Created,
  type KeyView,
} from './apikey.fixture.js';

const DAY = 24 * 60 * 60 * 1000;
const unknownId = newKeyId();
const RECOMMENDED = /P30D with a grace period of P15D is recommended/;

describe('API-key mutations over GraphQL, and what each refuses without losing anything', () => {
  let facade: TestFacade;
  let adminId: string;
  const works = async (key: string) => (await postGraphQL(facade.url, VIEWER, {}, bearer(key))).status === 200;
  const listed = async () => dataOf(await facade.gql<{ apiKeys: KeyView[] }>(`{ apiKeys { ${KEY_FIELDS} } }`)).apiKeys;

  before(async () => {
    facade = await startTestFacade();
    adminId = dataOf(await facade.gql<{ viewer: { id: string } }>(VIEWER)).viewer.id;
  });
  after(async () => {
    await facade.stop();
  });

  describe('createApiKey', () => {
    it('makes a working key whose secret is in the answer only, with the asked permissions and policy', async () => {
      const before = Date.now();
      const created = await createKey(facade, {
        name: 'dashboard',
        permissions: ['ALARMS_READ', 'ALARMS_WRITE'],
        rotation: { interval: 'P30D', gracePeriod: 'P15D' },
      });
      assert.match(created.secret, /^usmf_[0-9A-Za-z]{12}_[0-9A-Za-z]{38}$/);
      assert.deepEqual(created.warnings, []);
      assert.equal(created.key.name, 'dashboard');
      assert.deepEqual(created.key.permissions, ['ALARMS_READ', 'ALARMS_WRITE']);
      assert.deepEqual(created.key.rotation, { interval: 'P30D', gracePeriod: 'P15D' });
      const next = Date.parse(created.key.nextRotationAt!) - Date.parse(created.key.createdAt);
      assert.equal(next, 30 * DAY);
      assert.ok(Date.parse(created.key.createdAt) >= before - 1000);
      assert.equal(created.key.status, 'ACTIVE');
      assert.equal(created.key.isDefault, false);
      assert.ok(await works(created.secret));
      const all = await facade.gql(`{ apiKeys { ${KEY_FIELDS} } }`);
      assertNoSecretIn(JSON.stringify(all.body), [created.secret], 'apiKeys');
      assert.deepEqual((await listed()).find((key) => key.id === created.key.id), created.key);
    });

    it('accepts an interval of exactly one day, with a warning that recommends P30D/P15D', async () => {
      const created = await createKey(facade, { name: 'daily', rotation: { interval: 'P1D', gracePeriod: 'PT12H' } });
      assert.equal(created.warnings.length, 1);
      assert.match(created.warnings[0]!, /one day \(P1D\) is allowed but not recommended/);
      assert.match(created.warnings[0]!, RECOMMENDED);
      assert.deepEqual(created.key.rotation, { interval: 'P1D', gracePeriod: 'PT12H' });
    });

    it('refuses a duplicate name', async () => {
      await createKey(facade, { name: 'taken' });
      await assertRefusedWithoutChange(facade, CREATE, { input: { name: 'taken' } }, 'BAD_USER_INPUT', /An API key named "taken" already exists; choose another name\./);
    });

    it('refuses an empty or unusable name', async () => {
      for (const name of ['', '   ', '-starts-with-a-dash', 'x'.repeat(101)]) {
        await assertRefusedWithoutChange(facade, CREATE, { input: { name } }, 'BAD_USER_INPUT', /key name of 1 to 100 characters/);
      }
    });

    it('refuses an empty permission list', async () => {
      await assertRefusedWithoutChange(facade, CREATE, { input: { name: 'nothing', permissions: [] } }, 'BAD_USER_INPUT', /at least one permission; choose from alarms:read, alarms:write, keys:manage, credentials:manage/);
    });

    it('refuses a grace period as long as the interval or longer, recommending P30D/P15D', async () => {
      for (const rotation of [{ interval: 'P30D', gracePeriod: 'P30D' }, { interval: 'P10D', gracePeriod: 'P15D' }]) {
        await assertRefusedWithoutChange(facade, CREATE, { input: { name: 'greedy', rotation } }, 'BAD_USER_INPUT', /must be shorter than the rotation interval.*P30D with a grace period of P15D is recommended/);
      }
    });

    it('refuses an interval under a day, recommending P30D/P15D', async () => {
      await assertRefusedWithoutChange(facade, CREATE, { input: { name: 'hasty', rotation: { interval: 'PT23H59M', gracePeriod: 'PT1H' } } }, 'BAD_USER_INPUT', /PT23H59M is shorter than one day \(P1D\).*P30D with a grace period of P15D is recommended/);
    });

    it('refuses malformed durations, naming the field and an example', async () => {
      const cases: Array<[Record<string, string>, RegExp]> = [
        [{ interval: '30 days', gracePeriod: 'P15D' }, /`interval` "30 days" is not an ISO-8601 duration.*e\.g\. P30D/],
        [{ interval: 'P1M', gracePeriod: 'P15D' }, /`interval` "P1M" .*years and months have no fixed length; use days, e\.g\. P30D/],
        [{ interval: 'P30D', gracePeriod: 'P' }, /`gracePeriod` "P" is not an ISO-8601 duration/],
        [{ interval: 'P30D', gracePeriod: '-P1D' }, /`gracePeriod` "-P1D" is not an ISO-8601 duration/],
      ];
      for (const [rotation, message] of cases) {
        await assertRefusedWithoutChange(facade, CREATE, { input: { name: 'odd', rotation } }, 'BAD_USER_INPUT', message);
      }
    });
  });

  describe('rotateApiKey', () => {
    it('answers a new secret at once and keeps the previous one working for the grace period given', async () => {
      const created = await createKey(facade, { name: 'rotated' });
      const rotated = dataOf(await facade.gql<{ rotateApiKey: Created }>(ROTATE, { id: created.key.id, gracePeriod: 'PT2H' })).rotateApiKey;
      assert.notEqual(rotated.secret, created.secret);
      assert.equal(rotated.key.id, created.key.id);
      const until = Date.parse(rotated.key.previousSecretValidUntil!) - Date.parse(rotated.key.lastRotatedAt!);
      assert.equal(until, 2 * 60 * 60 * 1000);
      assert.ok((await works(rotated.secret)) && (await works(created.secret)));
    });

    it("takes the grace period from the key's policy when none is given, else one day", async () => {
      const withPolicy = await createKey(facade, { name: 'scheduled', rotation: { interval: 'P30D', gracePeriod: 'P15D' } });
      const a = dataOf(await facade.gql<{ rotateApiKey: Created }>(ROTATE, { id: withPolicy.key.id })).rotateApiKey;
      assert.equal(Date.parse(a.key.previousSecretValidUntil!) - Date.parse(a.key.lastRotatedAt!), 15 * DAY);
      assert.equal(Date.parse(a.key.nextRotationAt!) - Date.parse(a.key.lastRotatedAt!), 30 * DAY, 'the schedule restarts');
      const without = await createKey(facade, { name: 'unscheduled' });
      const b = dataOf(await facade.gql<{ rotateApiKey: Created }>(ROTATE, { id: without.key.id })).rotateApiKey;
      assert.equal(Date.parse(b.key.previousSecretValidUntil!) - Date.parse(b.key.lastRotatedAt!), DAY);
    });

    it('ends the previous secret at once with a grace period of PT0S', async () => {
      const created = await createKey(facade, { name: 'no-grace' });
      const rotated = dataOf(await facade.gql<{ rotateApiKey: Created }>(ROTATE, { id: created.key.id, gracePeriod: 'PT0S' })).rotateApiKey;
      assert.equal(rotated.key.previousSecretValidUntil, null);
      assertUnauthenticated(await postGraphQL(facade.url, VIEWER, {}, bearer(created.secret)));
      assert.ok(await works(rotated.secret));
    });

    it('refuses an unknown id', async () => {
      await assertRefusedWithoutChange(facade, ROTATE, { id: unknownId }, 'NOT_FOUND', /No API key has the id ".*"; apiKeys lists the existing ones\./);
    });

    it("refuses a grace period as long as the key's interval, recommending P30D/P15D", async () => {
      const created = await createKey(facade, { name: 'policed', rotation: { interval: 'P30D', gracePeriod: 'P15D' } });
      await assertRefusedWithoutChange(facade, ROTATE, { id: created.key.id, gracePeriod: 'P30D' }, 'BAD_USER_INPUT', /shorter than this key's rotation interval P30D.*P30D with a grace period of P15D is recommended/);
      assert.ok(await works(created.secret));
    });

    it('refuses a malformed or overlong grace period', async () => {
      const created = await createKey(facade, { name: 'graceless' });
      await assertRefusedWithoutChange(facade, ROTATE, { id: created.key.id, gracePeriod: 'soon' }, 'BAD_USER_INPUT', /`gracePeriod` "soon" is not an ISO-8601 duration/);
      await assertRefusedWithoutChange(facade, ROTATE, { id: created.key.id, gracePeriod: 'P400D' }, 'BAD_USER_INPUT', /between PT0S and P365D; P15D is the usual choice/);
    });

    it('refuses a revoked key', async () => {
      const created = await createKey(facade, { name: 'rotated-after-revoke' });
      dataOf(await facade.gql(REVOKE, { id: created.key.id }));
      await assertRefusedWithoutChange(facade, ROTATE, { id: created.key.id }, 'BAD_USER_INPUT', /is revoked and cannot be rotated; create a new key/);
    });
  });

  describe('resetApiKey', () => {
    it('answers a new secret and ends the old one, and one still in its grace period, at once', async () => {
      const created = await createKey(facade, { name: 'reset' });
      const rotated = dataOf(await facade.gql<{ rotateApiKey: Created }>(ROTATE, { id: created.key.id, gracePeriod: 'P1D' })).rotateApiKey;
      const reset = dataOf(await facade.gql<{ resetApiKey: Created }>(RESET, { id: created.key.id })).resetApiKey;
      assert.equal(reset.key.previousSecretValidUntil, null);
      assertUnauthenticated(await postGraphQL(facade.url, VIEWER, {}, bearer(created.secret)));
      assertUnauthenticated(await postGraphQL(facade.url, VIEWER, {}, bearer(rotated.secret)));
      assert.ok(await works(reset.secret));
    });

    it('refuses an unknown id', async () => {
      await assertRefusedWithoutChange(facade, RESET, { id: unknownId }, 'NOT_FOUND', /No API key has the id/);
    });
  });

  describe('setApiKeyRotation', () => {
    it('sets a policy with the next rotation one interval ahead, and removes it with null', async () => {
      const created = await createKey(facade, { name: 'policy' });
      const set = dataOf(
        await facade.gql<{ setApiKeyRotation: { warnings: string[]; key: KeyView } }>(SET_ROTATION, {
          id: created.key.id,
          rotation: { interval: 'P30D', gracePeriod: 'P15D' },
        }),
      ).setApiKeyRotation;
      assert.deepEqual(set.warnings, []);
      assert.deepEqual(set.key.rotation, { interval: 'P30D', gracePeriod: 'P15D' });
      assert.ok(Math.abs(Date.parse(set.key.nextRotationAt!) - (Date.now() + 30 * DAY)) < 60_000);
      const removed = dataOf(
        await facade.gql<{ setApiKeyRotation: { key: KeyView } }>(SET_ROTATION, { id: created.key.id, rotation: null }),
      ).setApiKeyRotation;
      assert.equal(removed.key.rotation, null);
      assert.equal(removed.key.nextRotationAt, null);
      dataOf(await facade.gql(SET_ROTATION, { id: created.key.id, rotation: { interval: 'P30D', gracePeriod: 'P15D' } }));
      const omitted = dataOf(
        await facade.gql<{ setApiKeyRotation: { key: KeyView } }>('mutation($id: ID!) { setApiKeyRotation(id: $id) { key { rotation { interval } } } }', {
          id: created.key.id,
        }),
      ).setApiKeyRotation;
      assert.equal(omitted.key.rotation, null, 'an omitted rotation removes the policy, as null does');
    });

    it('turns on rotation of the default key, which never rotates until told to, warning about one day', async () => {
      const before = (await listed()).find((key) => key.isDefault)!;
      assert.equal(before.rotation, null);
      assert.equal(before.nextRotationAt, null);
      const set = dataOf(
        await facade.gql<{ setApiKeyRotation: { warnings: string[]; key: KeyView } }>(SET_ROTATION, {
          id: adminId,
          rotation: { interval: 'P1D', gracePeriod: 'PT6H' },
        }),
      ).setApiKeyRotation;
      assert.match(set.warnings.join('\n'), RECOMMENDED);
      assert.deepEqual(set.key.rotation, { interval: 'P1D', gracePeriod: 'PT6H' });
      dataOf(await facade.gql(SET_ROTATION, { id: adminId, rotation: null }));
    });

    it('refuses an unknown id, an interval under a day, a grace period as long as the interval and a malformed duration', async () => {
      const created = await createKey(facade, { name: 'kept-policy', rotation: { interval: 'P30D', gracePeriod: 'P15D' } });
      const cases: Array<[Record<string, unknown>, string, RegExp]> = [
        [{ id: unknownId, rotation: null }, 'NOT_FOUND', /No API key has the id/],
        [{ id: created.key.id, rotation: { interval: 'PT12H', gracePeriod: 'PT1H' } }, 'BAD_USER_INPUT', RECOMMENDED],
        [{ id: created.key.id, rotation: { interval: 'P7D', gracePeriod: 'P7D' } }, 'BAD_USER_INPUT', /must be shorter than the rotation interval/],
        [{ id: created.key.id, rotation: { interval: 'P30D', gracePeriod: '15 days' } }, 'BAD_USER_INPUT', /`gracePeriod` "15 days" is not an ISO-8601 duration/],
      ];
      for (const [variables, code, message] of cases) await assertRefusedWithoutChange(facade, SET_ROTATION, variables, code, message);
      assert.deepEqual((await listed()).find((key) => key.id === created.key.id)!.rotation, { interval: 'P30D', gracePeriod: 'P15D' });
    });
  });

  describe('revokeApiKey', () => {
    it('stops the key at once and keeps it listed as REVOKED', async () => {
      const created = await createKey(facade, { name: 'revoked', rotation: { interval: 'P30D', gracePeriod: 'P15D' } });
      const revoked = dataOf(await facade.gql<{ revokeApiKey: KeyView }>(REVOKE, { id: created.key.id })).revokeApiKey;
      assert.equal(revoked.status, 'REVOKED');
      assert.ok(revoked.revokedAt !== null);
      assert.equal(revoked.nextRotationAt, null, 'a revoked key is no longer scheduled');
      assertUnauthenticated(await postGraphQL(facade.url, VIEWER, {}, bearer(created.secret)), /invalid or expired/);
      assert.equal((await listed()).find((key) => key.id === created.key.id)?.status, 'REVOKED');
    });

    it('refuses to revoke the default key, pointing at a reset instead', async () => {
      await assertRefusedWithoutChange(facade, REVOKE, { id: adminId }, 'BAD_USER_INPUT', /The default key ".*" cannot be revoked; reset it to replace its secret at once\./);
      assert.ok(await works(facade.adminKey));
    });

    it('refuses an unknown id', async () => {
      await assertRefusedWithoutChange(facade, REVOKE, { id: unknownId }, 'NOT_FOUND', /No API key has the id/);
    });
  });

  describe('deleteApiKey', () => {
    it('removes the key: no longer listed, and its secret refused', async () => {
      const created = await createKey(facade, { name: 'deleted' });
      const deleted = dataOf(await facade.gql<{ deleteApiKey: KeyView }>(DELETE, { id: created.key.id })).deleteApiKey;
      assert.equal(deleted.id, created.key.id);
      assert.equal((await listed()).find((key) => key.id === created.key.id), undefined);
      assertUnauthenticated(await postGraphQL(facade.url, VIEWER, {}, bearer(created.secret)));
      const again = await createKey(facade, { name: 'deleted' });
      assert.notEqual(again.key.id, created.key.id, 'the name is free again, for a new key');
    });

    it('refuses to delete the default key, pointing at a reset instead', async () => {
      await assertRefusedWithoutChange(facade, DELETE, { id: adminId }, 'BAD_USER_INPUT', /The default key ".*" cannot be deleted; reset it to replace its secret at once\./);
      assert.ok(await works(facade.adminKey));
    });

    it('refuses an unknown id', async () => {
      await assertRefusedWithoutChange(facade, DELETE, { id: unknownId }, 'NOT_FOUND', /No API key has the id/);
    });
  });

  it('refuses a key whose permission names are not in the schema before anything runs', async () => {
    const response = await facade.gql(CREATE, { input: { name: 'typo', permissions: ['alarms:read'] } });
    assert.equal(response.status, 400);
    assert.equal(response.body.errors?.[0]?.extensions?.['code'], 'BAD_USER_INPUT');
    assert.match(response.body.errors![0]!.message, /ALARMS_READ|Permission/);
  });

  it('refuses a key that was never issued even though it is well formed', async () => {
    assertUnauthenticated(await postGraphQL(facade.url, VIEWER, {}, bearer(formatApiKey(unknownId, newSecret()))));
  });
});
