import { afterEach, beforeEach, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { FacadeError } from '../../src/errors/facade.error.js';
import { createMemoryLock, type LockPort } from '../../src/keys/lock.port.js';
import type { CredentialVault } from '../../src/credentials/credential.vault.js';
import type { RunningSimulator } from '../../src/simulator/simulator.js';
import { rotationLockTtlMs } from '../../src/upstream/auth/credential.rotator.js';
import { UPSTREAM_TUNING_DEFAULTS } from '../../src/upstream/upstream.settings.js';
import type { UpstreamRegistry } from '../../src/upstream/upstream.registry.js';
import { ManualClock } from '../support/manual.clock.js';
import { captureLogs, createClient, memoryVault, OPERATOR, recordingAudit, tokenGrants, type LogCapture, type RecordingAudit } from './credential.fixture.js';
import { clientStats, control, FAST_TUNING, registryFor, requestCount, startTestSimulator } from './upstream.fixture.js';

const T0 = Date.parse('2025-03-01T08:00:00.000Z');
/** What `registryFor` tunes the upstreams to: the locks live this long per entry. */
const TTL_PER_ENTRY = rotationLockTtlMs({ ...UPSTREAM_TUNING_DEFAULTS, ...FAST_TUNING }, 1);

/** Asserts a `ROTATION_IN_PROGRESS` refusal naming `deployment`, and answers its message. */
function inProgress(deployment: string) {
  return (error: unknown) => {
    assert.ok(error instanceof FacadeError, String(error));
    assert.equal(error.code, 'ROTATION_IN_PROGRESS');
    assert.equal(error.deployment, deployment);
    return true;
  };
}

describe('one credential rotation per upstream at a time', () => {
  let sim: RunningSimulator;
  let clock: ManualClock;
  let locks: LockPort;
  let audit: RecordingAudit;
  let logs: LogCapture;
  let vault: CredentialVault;
  let registry: UpstreamRegistry;
  beforeEach(async () => {
    sim = await startTestSimulator({ alarmsPerDeployment: 20 });
    // Only the locks run on the hand-driven clock: it decides when a lock expires.
    clock = new ManualClock(T0);
    locks = createMemoryLock({ clock });
    audit = recordingAudit();
    logs = captureLogs();
    vault = memoryVault();
    registry = await registryFor(sim, { vault, rotationLocks: locks, audit, logger: logs.logger });
  });
  afterEach(async () => {
    await registry.close();
    await sim.stop();
  });

  it('refuses a second rotation touching a client whose rotation is in its verification, whole and before anything of it is verified', async () => {
    const west = await createClient(sim, 'acme-west');
    const hold = sim.holdTokens('acme-west', west.clientId);
    const first = registry.rotateCredentials([west], OPERATOR);
    await hold.arrived;
    const startedAt = Date.now();

    const east = await createClient(sim, 'acme-east');
    const otherWest = await createClient(sim, 'acme-west');
    const secondCaller = { kind: 'KEY' as const, keyId: 'k-second', keyName: 'second@test' };
    let refusal: FacadeError | undefined;
    // acme-east is taken first (rotation order), then acme-west is found held: both must be let go.
    await assert.rejects(registry.rotateCredentials([otherWest, east], secondCaller), (error: unknown) => {
      refusal = error as FacadeError;
      return inProgress('acme-west')(error);
    });
    assert.match(
      refusal!.message,
      /^cannot rotate the credentials of acme-east, acme-west: a rotation of acme-west is already running \(started at (\S+) by key:operator@test\); nothing of this one was verified or changed\. Wait for it to finish, then check upstreamCredentials \(clientId, lastRotatedAt\) and rotate again only what it did not change\.$/,
    );
    const since = Date.parse(String(refusal!.details['runningSince']));
    assert.ok(since <= startedAt && since > startedAt - 60_000, `runningSince ${String(refusal!.details['runningSince'])} is when the first began`);
    assert.equal(refusal!.details['runningBy'], 'key:operator@test');
    for (const [deployment, clientId] of [
      ['acme-east', east.clientId],
      ['acme-west', otherWest.clientId],
    ] as const) {
      assert.equal(requestCount(await clientStats(sim, deployment, clientId)), 0, `${clientId} was never asked for a token`);
    }

    const refused = audit.entries.filter((entry) => entry.action === 'CREDENTIAL_ROTATION_REFUSED');
    assert.deepEqual(
      refused.map(({ deployment, outcome, errorCode, actor, details }) => ({ deployment, outcome, errorCode, actor, clientId: details['clientId'], previousClientId: details['previousClientId'], runningDeployment: details['runningDeployment'], runningBy: details['runningBy'] })),
      [
        { deployment: 'acme-east', outcome: 'REFUSED', errorCode: 'ROTATION_IN_PROGRESS', actor: secondCaller, clientId: east.clientId, previousClientId: 'acme-east-client', runningDeployment: 'acme-west', runningBy: 'key:operator@test' },
        { deployment: 'acme-west', outcome: 'REFUSED', errorCode: 'ROTATION_IN_PROGRESS', actor: secondCaller, clientId: otherWest.clientId, previousClientId: 'acme-west-client', runningDeployment: 'acme-west', runningBy: 'key:operator@test' },
      ],
    );

    const eastAlone = await registry.rotateCredentials([east], secondCaller);
    assert.equal(eastAlone.entries[0]!.status, 'ROTATED', 'the refused batch let go of the acme-east lock it had taken');

    hold.release();
    assert.equal((await first).entries[0]!.status, 'ROTATED');
    const again = await createClient(sim, 'acme-west');
    assert.equal((await registry.rotateCredentials([again], OPERATOR)).entries[0]!.status, 'ROTATED', 'the first let go of its lock when done');
  });

  it('holds its locks as long as the slowest verification can take, so only a dead holder is outlived', async () => {
    // Defaults: 5 attempts × (10 s budget wait + 15 s timeout) + 4 pauses × 10 s + 30 s for store, swap and audit.
    assert.equal(rotationLockTtlMs(UPSTREAM_TUNING_DEFAULTS, 1), 195_000);
    assert.equal(rotationLockTtlMs(UPSTREAM_TUNING_DEFAULTS, 3), 585_000);

    const lab = await createClient(sim, 'acme-lab');
    const hold = sim.holdTokens('acme-lab', lab.clientId);
    const stuck = registry.rotateCredentials([lab], OPERATOR);
    await hold.arrived;
    const next = await createClient(sim, 'acme-lab');
    await clock.advance(TTL_PER_ENTRY - 1);
    await assert.rejects(registry.rotateCredentials([next], OPERATOR), inProgress('acme-lab'));
    await clock.advance(1);
    assert.equal((await registry.rotateCredentials([next], OPERATOR)).entries[0]!.status, 'ROTATED', 'a holder that outlives every timeout is taken for dead');
    hold.release();
    await stuck;
  });

  it('says who runs it and since when are not known when the holder left no note', async () => {
    await locks.acquire('credential-rotation:acme-east', 60_000);
    const east = await createClient(sim, 'acme-east');
    await assert.rejects(registry.rotateCredentials([east], OPERATOR), (error: unknown) => {
      inProgress('acme-east')(error);
      assert.match((error as Error).message, /a rotation of acme-east is already running \(who started it and when is not known \(its note has not been written yet, or has expired\)\)/);
      assert.deepEqual((error as FacadeError).details, { runningSince: null, runningBy: null });
      return true;
    });
  });
});

describe('the audit trail of credential rotations', () => {
  let sim: RunningSimulator;
  let audit: RecordingAudit;
  let logs: LogCapture;
  let vault: CredentialVault;
  let registry: UpstreamRegistry;
  beforeEach(async () => {
    sim = await startTestSimulator({ alarmsPerDeployment: 20 });
    audit = recordingAudit();
    logs = captureLogs();
    vault = memoryVault();
    registry = await registryFor(sim, { vault, audit, logger: logs.logger });
  });
  afterEach(async () => {
    await registry.close();
    await sim.stop();
  });

  it('records a verification that fails, the failed entry and the ones not attempted, swaps nothing, and never a secret', async () => {
    const west = await createClient(sim, 'acme-west');
    const central = await createClient(sim, 'central');
    const wrongSecret = 'wrong-secret-5e1f0a';
    await control(sim, 'POST', '/stats/reset');
    const report = await registry.rotateCredentials([central, { ...west, clientSecret: wrongSecret }], OPERATOR);
    assert.deepEqual(
      report.entries.map((entry) => entry.status),
      ['FAILED', 'NOT_ATTEMPTED'],
    );
    const message = `the new client secret was refused by acme-west: its token endpoint answered 401 for client ID "${west.clientId}"; check the client ID and secret and that the API client is enabled; client ID "acme-west-client" stays in use`;
    const rotationId = audit.entries[0]?.details['rotationId'];
    assert.match(String(rotationId), /^[0-9a-f-]{36}$/);
    assert.deepEqual(audit.entries, [
      {
        action: 'CREDENTIAL_VERIFY',
        actor: OPERATOR,
        subject: 'UPSTREAM_CREDENTIAL',
        deployment: 'acme-west',
        outcome: 'FAILED',
        errorCode: 'UPSTREAM_AUTH_FAILED',
        details: { rotationId, clientId: west.clientId, previousClientId: 'acme-west-client', message },
      },
      {
        action: 'CREDENTIAL_ROTATION_FAILED',
        actor: OPERATOR,
        subject: 'UPSTREAM_CREDENTIAL',
        deployment: 'acme-west',
        outcome: 'FAILED',
        errorCode: 'UPSTREAM_AUTH_FAILED',
        details: { rotationId, clientId: west.clientId, previousClientId: 'acme-west-client', message },
      },
      {
        action: 'CREDENTIAL_ROTATION_NOT_ATTEMPTED',
        actor: OPERATOR,
        subject: 'UPSTREAM_CREDENTIAL',
        deployment: 'central',
        outcome: 'NOT_ATTEMPTED',
        details: { rotationId, clientId: central.clientId, previousClientId: 'central-client', message: 'not attempted: the rotation stopped when acme-west failed' },
      },
    ]);
    assert.deepEqual(
      registry.credentials().map((c) => [c.deployment, c.clientId]).filter(([deployment]) => deployment === 'acme-west' || deployment === 'central'),
      [
        ['acme-west', 'acme-west-client'],
        ['central', 'central-client'],
      ],
      'nothing swapped',
    );
    assert.equal(await vault.read('acme-west'), undefined, 'nothing stored');
    assert.deepEqual(await tokenGrants(sim), [], 'Central was not tried');
    const everything = JSON.stringify(audit.entries) + logs.text();
    for (const secret of [wrongSecret, west.clientSecret, central.clientSecret]) assert.ok(!everything.includes(secret), 'no secret in the audit trail or the logs');
  });

  it('records each entry verified then swapped, in rotation order, with both client IDs', async () => {
    const east = await createClient(sim, 'acme-east');
    const central = await createClient(sim, 'central');
    await registry.rotateCredentials([central, east], OPERATOR);
    assert.deepEqual(
      audit.entries.map(({ action, deployment, outcome, errorCode, details }) => [action, deployment, outcome, errorCode, details['clientId'], details['previousClientId']]),
      [
        ['CREDENTIAL_VERIFY', 'acme-east', 'OK', undefined, east.clientId, 'acme-east-client'],
        ['CREDENTIAL_SWAP', 'acme-east', 'OK', undefined, east.clientId, 'acme-east-client'],
        ['CREDENTIAL_VERIFY', 'central', 'OK', undefined, central.clientId, 'central-client'],
        ['CREDENTIAL_SWAP', 'central', 'OK', undefined, central.clientId, 'central-client'],
      ],
    );
    assert.equal(new Set(audit.entries.map((entry) => entry.details['rotationId'])).size, 1, 'one rotation id for the batch');
    const swap = audit.entries[1]!;
    assert.equal(swap.details['rotatedAt'], registry.credentials().find((c) => c.deployment === 'acme-east')!.lastRotatedAt!.toISOString());
    assert.match(String(swap.details['message']), /the token of client ID "acme-east-client" was dropped from memory and the shared token store\. Delete that client in USM\./);
    assert.ok(!(JSON.stringify(audit.entries) + logs.text()).includes(east.clientSecret));
  });

  it('records an unknown deployment as FAILED with NOT_FOUND and the rest as NOT_ATTEMPTED', async () => {
    const east = await createClient(sim, 'acme-east');
    await registry.rotateCredentials([east, { deployment: 'acme-north', clientId: 'n', clientSecret: 's' }], OPERATOR);
    assert.deepEqual(
      audit.entries.map(({ action, deployment, outcome, errorCode, details }) => [action, deployment, outcome, errorCode, details['clientId'], details['previousClientId']]),
      [
        ['CREDENTIAL_ROTATION_FAILED', 'acme-north', 'FAILED', 'NOT_FOUND', 'n', null],
        ['CREDENTIAL_ROTATION_NOT_ATTEMPTED', 'acme-east', 'NOT_ATTEMPTED', undefined, east.clientId, 'acme-east-client'],
      ],
    );
  });

  it('rotates all the same when the audit trail cannot be written, logging each step as an error instead', async () => {
    await registry.close();
    registry = await registryFor(sim, {
      vault,
      logger: logs.logger,
      audit: {
        record: async () => {
          throw new Error('audit store down');
        },
      },
    });
    const east = await createClient(sim, 'acme-east');
    assert.equal((await registry.rotateCredentials([east], OPERATOR)).entries[0]!.status, 'ROTATED');
    const lost = logs
      .text()
      .split('\n')
      .filter((line) => line.includes('could not record an upstream credential rotation step in the audit trail'));
    assert.deepEqual(
      lost.map((line) => (JSON.parse(line) as { audit: { action: string } }).audit.action),
      ['CREDENTIAL_VERIFY', 'CREDENTIAL_SWAP'],
    );
    assert.ok(!logs.text().includes(east.clientSecret));
  });
});
