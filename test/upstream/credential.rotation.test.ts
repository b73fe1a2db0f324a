import { afterEach, beforeEach, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { FacadeError } from '../../src/errors/facade.error.js';
import { MISSING_SECRET_KEY_MESSAGE, type CredentialVault } from '../../src/credentials/credential.vault.js';
import type { RunningSimulator } from '../../src/simulator/simulator.js';
import type { UpstreamRegistry } from '../../src/upstream/upstream.registry.js';
import { captureLogs, createClient, deleteClient, memoryVault, OPERATOR, steadyTraffic, tokenGrants } from './credential.fixture.js';
import { clientStats, control, registryFor, requestCount, startTestSimulator } from './upstream.fixture.js';

describe('rotating upstream credentials', () => {
  let sim: RunningSimulator;
  let vault: CredentialVault;
  let registry: UpstreamRegistry;
  beforeEach(async () => {
    sim = await startTestSimulator({ alarmsPerDeployment: 20 });
    vault = memoryVault();
    registry = await registryFor(sim, { vault });
  });
  afterEach(async () => {
    await registry.close();
    await sim.stop();
  });

  it('swaps to a new client while traffic runs and the old client is deleted, with 0 failed calls', async () => {
    const east = registry.anywhere('acme-east');
    const traffic = steadyTraffic(() => east.alarmsPage({ size: 1 }));
    try {
      await traffic.settled(20);
      const fresh = await createClient(sim, 'acme-east');
      const report = await registry.rotateCredentials([fresh], OPERATOR);
      assert.equal(report.entries.length, 1);
      assert.deepEqual({ ...report.entries[0], rotatedAt: undefined }, {
        deployment: 'acme-east',
        api: 'anywhere',
        clientId: fresh.clientId,
        status: 'ROTATED',
        previousClientId: 'acme-east-client',
        rotatedAt: undefined,
      });
      await traffic.settled(20);
      await deleteClient(sim, 'acme-east', 'acme-east-client');
      await control(sim, 'POST', '/stats/reset');
      await traffic.settled(40);
    } finally {
      const { ok, failures } = await traffic.stop();
      assert.deepEqual(failures, [], 'no call failed');
      assert.ok(ok >= 80, `traffic ran: ${ok} calls`);
    }
    const after = await clientStats(sim, 'acme-east', registry.credentials()[0]!.clientId);
    assert.ok((after.requests['GET /alarms'] ?? 0) >= 40, 'the new client serves every call after the old one is gone');
    assert.equal(after.responses['401'], undefined, 'no call reached the upstream with a dead token');
    assert.equal((await clientStats(sim, 'acme-east', 'acme-east-client')).requests['GET /alarms'], undefined, 'the old client is not used');
  });

  it('keeps the old credential in use and stores nothing when the new secret is wrong, saying why', async () => {
    const logs = captureLogs();
    await registry.close();
    registry = await registryFor(sim, { vault, logger: logs.logger });
    const fresh = await createClient(sim, 'acme-west');
    const wrongSecret = 'not-the-secret-4c1d9e';
    const report = await registry.rotateCredentials([{ ...fresh, clientSecret: wrongSecret }], OPERATOR);
    assert.equal(report.entries.length, 1);
    const [entry] = report.entries;
    assert.equal(entry!.status, 'FAILED');
    assert.equal(entry!.errorCode, 'UPSTREAM_AUTH_FAILED');
    assert.equal(
      entry!.message,
      `the new client secret was refused by acme-west: its token endpoint answered 401 for client ID "${fresh.clientId}"; check the client ID and secret and that the API client is enabled; client ID "acme-west-client" stays in use`,
    );
    assert.equal((await registry.anywhere('acme-west').alarmsPage({ size: 2 })).items.length, 2, 'calls keep working');
    const west = registry.credentials().find((c) => c.deployment === 'acme-west')!;
    assert.equal(west.clientId, 'acme-west-client');
    assert.equal(west.lastRotatedAt, undefined);
    assert.equal(await vault.read('acme-west'), undefined, 'nothing persisted');
    assert.equal((await clientStats(sim, 'acme-west', fresh.clientId)).tokensGranted, 0);
    assert.equal((await clientStats(sim, 'acme-west')).requests['GET /alarms'], 1, 'the old client served the call');
    assert.doesNotMatch(JSON.stringify(report) + logs.text(), new RegExp(wrongSecret));
  });

  it('applies a scrambled batch bottom-up: every Anywhere deployment before Central', async () => {
    const fresh = {
      central: await createClient(sim, 'central'),
      west: await createClient(sim, 'acme-west'),
      east: await createClient(sim, 'acme-east'),
      lab: await createClient(sim, 'acme-lab'),
    };
    await control(sim, 'POST', '/stats/reset');
    const report = await registry.rotateCredentials([fresh.central, fresh.west, fresh.east, fresh.lab], OPERATOR);
    assert.deepEqual(
      report.entries.map((e) => [e.deployment, e.status]),
      [
        ['acme-east', 'ROTATED'],
        ['acme-lab', 'ROTATED'],
        ['acme-west', 'ROTATED'],
        ['central', 'ROTATED'],
      ],
    );
    assert.deepEqual(await tokenGrants(sim), [
      ['acme-east', fresh.east.clientId],
      ['acme-lab', fresh.lab.clientId],
      ['acme-west', fresh.west.clientId],
      ['central', fresh.central.clientId],
    ]);
    assert.deepEqual(
      registry.credentials().map((c) => [c.deployment, c.clientId, c.state]),
      [
        ['acme-east', fresh.east.clientId, 'WORKING'],
        ['acme-lab', fresh.lab.clientId, 'WORKING'],
        ['acme-west', fresh.west.clientId, 'WORKING'],
        ['central', fresh.central.clientId, 'WORKING'],
      ],
    );
    assert.ok((await registry.central!.deployments()).length > 0, 'Central answers with its new credential');
  });

  it('stops at the first failure: earlier entries rotated, the failed one says why, later ones not attempted', async () => {
    const east = await createClient(sim, 'acme-east');
    const lab = await createClient(sim, 'acme-lab');
    const west = await createClient(sim, 'acme-west');
    const central = await createClient(sim, 'central');
    await control(sim, 'POST', '/stats/reset');
    const report = await registry.rotateCredentials([central, west, { ...lab, clientSecret: 'wrong' }, east], OPERATOR);
    assert.deepEqual(
      report.entries.map(({ deployment, status, errorCode, message }) => ({ deployment, status, errorCode, message })),
      [
        { deployment: 'acme-east', status: 'ROTATED', errorCode: undefined, message: undefined },
        {
          deployment: 'acme-lab',
          status: 'FAILED',
          errorCode: 'UPSTREAM_AUTH_FAILED',
          message: `the new client secret was refused by acme-lab: its token endpoint answered 401 for client ID "${lab.clientId}"; check the client ID and secret and that the API client is enabled; client ID "acme-lab-client" stays in use`,
        },
        { deployment: 'acme-west', status: 'NOT_ATTEMPTED', errorCode: undefined, message: 'not attempted: the rotation stopped when acme-lab failed' },
        { deployment: 'central', status: 'NOT_ATTEMPTED', errorCode: undefined, message: 'not attempted: the rotation stopped when acme-lab failed' },
      ],
    );
    assert.deepEqual(await tokenGrants(sim), [['acme-east', east.clientId]], 'nothing after the failure was tried');
    assert.deepEqual(
      registry.credentials().map((c) => [c.deployment, c.clientId]),
      [
        ['acme-east', east.clientId],
        ['acme-lab', 'acme-lab-client'],
        ['acme-west', 'acme-west-client'],
        ['central', 'central-client'],
      ],
    );
    assert.equal((await vault.read('acme-east'))?.clientId, east.clientId);
    assert.equal(await vault.read('acme-lab'), undefined);
    assert.equal(await vault.read('central'), undefined);
  });

  it('refuses to rotate without FACADE_SECRET_KEY, saying how to set it, and swaps nothing', async () => {
    await registry.close();
    registry = await registryFor(sim, { vault: memoryVault(null) });
    const fresh = await createClient(sim, 'acme-east');
    await assert.rejects(registry.rotateCredentials([fresh], OPERATOR), (error: unknown) => {
      assert.ok(error instanceof FacadeError);
      assert.equal(error.code, 'BAD_USER_INPUT');
      assert.equal(error.message, MISSING_SECRET_KEY_MESSAGE);
      assert.match(error.message, /^set FACADE_SECRET_KEY \(32 bytes as hex or base64.*\) to rotate upstream credentials; rotated secrets are stored encrypted$/);
      return true;
    });
    assert.equal(registry.credentials()[0]!.clientId, 'acme-east-client');
    assert.equal(requestCount(await clientStats(sim, 'acme-east', fresh.clientId)), 0, 'the new credential was not even tried');
  });

  it('refuses a registry without a vault the same way', async () => {
    await registry.close();
    registry = await registryFor(sim);
    await assert.rejects(registry.rotateCredentials([{ deployment: 'acme-east', clientId: 'x', clientSecret: 'y' }], OPERATOR), {
      code: 'BAD_USER_INPUT',
      message: MISSING_SECRET_KEY_MESSAGE,
    });
  });

  it('refuses a malformed batch as a whole with BAD_USER_INPUT listing every problem, never echoing a secret', async () => {
    await assert.rejects(registry.rotateCredentials([], OPERATOR), {
      code: 'BAD_USER_INPUT',
      message: 'cannot rotate upstream credentials: give at least one { deployment, clientId, clientSecret }',
    });
    await assert.rejects(
      registry.rotateCredentials([
        { deployment: 'acme-east', clientId: 'a', clientSecret: 'secret-one' },
        { deployment: 'acme-west', clientId: '', clientSecret: 'secret-two' },
        { deployment: 'acme-east', clientId: 'b', clientSecret: 'secret-three' },
        { deployment: 'acme-lab', clientId: 'c:d', clientSecret: '' },
      ], OPERATOR),
      (error: unknown) => {
        assert.ok(error instanceof FacadeError);
        assert.equal(error.code, 'BAD_USER_INPUT');
        assert.deepEqual(error.details.problems, [
          'entry 2 (acme-west): clientId must not be empty',
          'entry 4 (acme-lab): clientId must not contain ":" or control characters (HTTP Basic authentication cannot carry them)',
          'entry 4 (acme-lab): clientSecret must not be empty',
          'deployment "acme-east" is given 2 times; give each deployment once per rotation',
        ]);
        assert.doesNotMatch(error.message, /secret-(one|two|three)/);
        return true;
      },
    );
    assert.deepEqual(await tokenGrants(sim), [], 'nothing was verified');
  });

  it('fails an unknown deployment with NOT_FOUND and applies nothing of its batch', async () => {
    const east = await createClient(sim, 'acme-east');
    const report = await registry.rotateCredentials([east, { deployment: 'acme-north', clientId: 'n', clientSecret: 's' }], OPERATOR);
    assert.deepEqual(report.entries, [
      {
        deployment: 'acme-north',
        clientId: 'n',
        status: 'FAILED',
        errorCode: 'NOT_FOUND',
        message: 'the facade holds no credentials for deployment "acme-north" (configured: acme-east, acme-lab, acme-west, central); nothing was rotated',
      },
      {
        deployment: 'acme-east',
        api: 'anywhere',
        clientId: east.clientId,
        status: 'NOT_ATTEMPTED',
        message: 'not attempted: the batch names a deployment the facade does not know, so none of it was applied',
      },
    ]);
    assert.equal(registry.credentials()[0]!.clientId, 'acme-east-client');
    assert.deepEqual(await tokenGrants(sim), []);
  });
});
