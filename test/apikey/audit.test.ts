import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { startTestFacade, type TestFacade } from '../support/facade.fixture.js';
import { assertNoSecretIn, assertRefused, createKey, dataOf, DELETE, RESET, REVOKE, ROTATE, VIEWER, type Created } from './apikey.fixture.js';

interface AuditNode {
  id: string;
  at: string;
  actor: string;
  actorKeyId: string | null;
  action: string;
  keyId: string;
  keyName: string;
  details: Record<string, unknown>;
}

interface AuditPage {
  auditEvents: {
    totalCount: number;
    edges: Array<{ cursor: string; node: AuditNode }>;
    pageInfo: { hasNextPage: boolean; endCursor: string | null };
  };
}

const AUDIT = `query($first: Int, $after: String) {
  auditEvents(first: $first, after: $after) {
    totalCount
    edges { cursor node { id at actor actorKeyId action keyId keyName details } }
    pageInfo { hasNextPage endCursor }
  }
}`;

describe('the audit trail of API keys', () => {
  let facade: TestFacade;
  let admin: { id: string; name: string };
  let audited: Created;
  const secrets: string[] = [];
  let started: number;
  let finished: number;

  before(async () => {
    facade = await startTestFacade();
    admin = dataOf(await facade.gql<{ viewer: { id: string; name: string } }>(VIEWER)).viewer;
    started = Date.now();
    audited = await createKey(facade, { name: 'audited', permissions: ['ALARMS_READ', 'ALARMS_WRITE'] });
    const rotated = dataOf(await facade.gql<{ rotateApiKey: Created }>(ROTATE, { id: audited.key.id, gracePeriod: 'P1D' })).rotateApiKey;
    const reset = dataOf(await facade.gql<{ resetApiKey: Created }>(RESET, { id: audited.key.id })).resetApiKey;
    dataOf(await facade.gql(REVOKE, { id: audited.key.id }));
    dataOf(await facade.gql(DELETE, { id: audited.key.id }));
    finished = Date.now();
    secrets.push(facade.adminKey, audited.secret, rotated.secret, reset.secret);
  });
  after(async () => {
    await facade.stop();
  });

  it('lists create, rotate, reset, revoke and delete newest first, saying who did what to which key and when', async () => {
    const { auditEvents } = dataOf(await facade.gql<AuditPage>(AUDIT, { first: 5 }));
    const nodes = auditEvents.edges.map((edge) => edge.node);
    assert.deepEqual(
      nodes.map((node) => node.action),
      ['DELETE', 'REVOKE', 'RESET', 'ROTATE', 'CREATE'],
    );
    for (const node of nodes) {
      assert.equal(node.actor, `key:${admin.name}`);
      assert.equal(node.actorKeyId, admin.id);
      assert.equal(node.keyId, audited.key.id);
      assert.equal(node.keyName, 'audited');
      const at = Date.parse(node.at);
      assert.ok(at >= started - 1000 && at <= finished + 1000, `${node.at} is when it happened`);
    }
    const times = nodes.map((node) => Date.parse(node.at));
    assert.deepEqual(times, [...times].sort((a, b) => b - a), 'newest first');

    const [deleted, revoked, reset, rotated, created] = nodes;
    assert.deepEqual(created!.details, { permissions: ['alarms:read', 'alarms:write'], rotation: null });
    assert.equal(rotated!.details['trigger'], 'MANUAL');
    assert.equal(rotated!.details['gracePeriod'], 'P1D');
    const graceMs = Date.parse(rotated!.details['previousValidUntil'] as string) - Date.parse(rotated!.at);
    assert.ok(Math.abs(graceMs - 24 * 60 * 60 * 1000) < 1000, 'the previous secret works one day from the rotation');
    assert.deepEqual(reset!.details, { trigger: 'RESET', gracePeriod: 'PT0S', previousValidUntil: null });
    assert.deepEqual(revoked!.details, {});
    assert.deepEqual(deleted!.details, { status: 'REVOKED' });
  });

  it("starts with the system's creation of the default key, and pages on with after", async () => {
    const first = dataOf(await facade.gql<AuditPage>(AUDIT, { first: 3 })).auditEvents;
    assert.equal(first.totalCount, 6);
    assert.equal(first.pageInfo.hasNextPage, true);
    const second = dataOf(await facade.gql<AuditPage>(AUDIT, { first: 3, after: first.pageInfo.endCursor })).auditEvents;
    assert.deepEqual(
      second.edges.map((edge) => edge.node.action),
      ['ROTATE', 'CREATE', 'CREATE'],
    );
    assert.equal(second.pageInfo.hasNextPage, false);
    const origin = second.edges.at(-1)!.node;
    assert.equal(origin.actor, 'system');
    assert.equal(origin.actorKeyId, null);
    assert.equal(origin.keyId, admin.id);
    assert.equal(origin.details['isDefault'], true);
  });

  it('refuses a cursor that is not one of its own, saying to start again', async () => {
    assertRefused(await facade.gql(AUDIT, { after: 'bm90LWEtY3Vyc29y' }), 'BAD_USER_INPUT', /omit after to start from the newest event/);
  });

  it('shows no secret in any event', async () => {
    const response = await facade.gql<AuditPage>(AUDIT, { first: 100 });
    assertNoSecretIn(JSON.stringify(response.body), secrets, 'the audit trail');
  });
});
