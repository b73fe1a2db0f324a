import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import Keyv from 'keyv';
import { AuditLog, encodeAuditCursor } from '../../src/keys/audit.log.js';
import { createMemoryLock, LockRunner } from '../../src/keys/lock.port.js';
import { ManualClock } from '../support/manual.clock.js';
import { captureLogs, facadeError, MINUTE, T0 } from './keys.fixture.js';

function auditLog(options: { maxEvents?: number } = {}) {
  const clock = new ManualClock(T0);
  let counter = 0;
  // Ids come from the injected random source: bytes 0,1,2… give readable ids per event.
  const random = (size: number) => Buffer.alloc(size, counter++ % 62);
  const store = new Keyv();
  const logs = captureLogs();
  const log = new AuditLog({ store, logger: logs.logger, locks: new LockRunner(createMemoryLock()), clock, random, ...options });
  return { log, clock, store, logs };
}

async function recordMany(log: AuditLog, clock: ManualClock, count: number) {
  for (let i = 0; i < count; i += 1) {
    await log.record({ action: 'CREATE', actor: { kind: 'SYSTEM' }, subject: 'API_KEY', keyId: `key${i}`, keyName: `key-${i}`, details: {} });
    await clock.advance(MINUTE);
  }
}

describe('AuditLog.list', () => {
  it('pages newest first; each endCursor opens the next page', async () => {
    const { log, clock } = auditLog();
    await recordMany(log, clock, 5);
    const first = await log.list({ first: 2 });
    assert.deepEqual(first.edges.map((e) => e.node.keyName), ['key-4', 'key-3']);
    assert.deepEqual(first.pageInfo, {
      hasNextPage: true,
      hasPreviousPage: false,
      startCursor: first.edges[0]!.cursor,
      endCursor: first.edges[1]!.cursor,
    });
    const second = await log.list({ first: 2, after: first.pageInfo.endCursor! });
    assert.deepEqual(second.edges.map((e) => e.node.keyName), ['key-2', 'key-1']);
    const last = await log.list({ first: 2, after: second.pageInfo.endCursor! });
    assert.deepEqual(last.edges.map((e) => e.node.keyName), ['key-0']);
    assert.deepEqual(last.pageInfo, { hasNextPage: false, hasPreviousPage: true, startCursor: last.edges[0]!.cursor, endCursor: last.edges[0]!.cursor });
    assert.deepEqual(last.edges[0]!.node.at, new Date(T0));
  });

  it('answers an empty page with null cursors on an empty log', async () => {
    const { log } = auditLog();
    assert.deepEqual(await log.list(), { edges: [], pageInfo: { hasNextPage: false, hasPreviousPage: false, startCursor: null, endCursor: null } });
  });

  it('uses cursors of a pinned, versioned wire form', () => {
    assert.equal(encodeAuditCursor('AAAAAAAAAAAAAAAA'), 'WzEsImF1ZGl0IiwiQUFBQUFBQUFBQUFBQUFBQSJd');
  });

  it('refuses a cursor that is not one of its own, or a page size outside 1 to 100', async () => {
    const { log, clock } = auditLog();
    await recordMany(log, clock, 1);
    await assert.rejects(log.list({ after: 'garbage!' }), facadeError('BAD_USER_INPUT', /`after` is not a cursor of the audit log/));
    await assert.rejects(log.list({ after: Buffer.from('[1,"alarms","x"]').toString('base64url') }), facadeError('BAD_USER_INPUT', /not a cursor of the audit log/));
    await assert.rejects(log.list({ first: 0 }), facadeError('BAD_USER_INPUT', /`first` must be a whole number from 1 to 100; got 0/));
    await assert.rejects(log.list({ first: 101 }), facadeError('BAD_USER_INPUT', /from 1 to 100/));
  });

  it('keeps the newest maxEvents events and says so for a cursor into dropped ones', async () => {
    const { log, clock, store } = auditLog({ maxEvents: 3 });
    await recordMany(log, clock, 2);
    const oldest = (await log.list({ first: 2 })).edges[1]!;
    await recordMany(log, clock, 3);
    const page = await log.list({ first: 10 });
    assert.equal(page.edges.length, 3);
    assert.equal(await store.get(`audit:event:${oldest.node.id}`), undefined);
    await assert.rejects(log.list({ after: oldest.cursor }), facadeError('BAD_USER_INPUT', /no longer kept; omit after/));
  });
});

describe('AuditLog subjects and outcomes', () => {
  const operator = { kind: 'KEY' as const, keyId: 'k1', keyName: 'operator' };

  it('keeps an upstream credential event with its deployment, outcome and error code, and logs it by deployment', async () => {
    const { log, logs } = auditLog();
    await log.record({
      action: 'CREDENTIAL_VERIFY',
      actor: operator,
      subject: 'UPSTREAM_CREDENTIAL',
      deployment: 'acme-east',
      outcome: 'FAILED',
      errorCode: 'UPSTREAM_AUTH_FAILED',
      details: { clientId: 'new-client', previousClientId: 'acme-east-client' },
    });
    const [edge] = (await log.list()).edges;
    assert.deepEqual({ ...edge!.node, id: undefined }, {
      id: undefined,
      at: new Date(T0),
      actor: operator,
      action: 'CREDENTIAL_VERIFY',
      outcome: 'FAILED',
      errorCode: 'UPSTREAM_AUTH_FAILED',
      details: { clientId: 'new-client', previousClientId: 'acme-east-client' },
      subject: 'UPSTREAM_CREDENTIAL',
      deployment: 'acme-east',
    });
    const line = logs.lines().find((entry) => entry['msg'] === 'upstream credential credential_verify failed: acme-east');
    assert.ok(line, logs.text());
  });

  it('reads an API-key event as OK without an error code', async () => {
    const { log, clock } = auditLog();
    await recordMany(log, clock, 1);
    const [edge] = (await log.list()).edges;
    assert.equal(edge!.node.subject, 'API_KEY');
    assert.equal(edge!.node.outcome, 'OK');
    assert.equal(edge!.node.errorCode, null);
  });

  it('reads an event stored before subjects and outcomes existed as an API-key event that ended OK', async () => {
    const { log, store } = auditLog();
    await store.set('audit:event:old1', { id: 'old1', at: T0, actor: { kind: 'SYSTEM' }, action: 'CREATE', keyId: 'k0', keyName: 'first', details: {} });
    await store.set('audit:index', ['old1']);
    const [edge] = (await log.list()).edges;
    assert.deepEqual(edge!.node, {
      id: 'old1',
      at: new Date(T0),
      actor: { kind: 'SYSTEM' },
      action: 'CREATE',
      outcome: 'OK',
      errorCode: null,
      details: {},
      subject: 'API_KEY',
      keyId: 'k0',
      keyName: 'first',
    });
  });
});
