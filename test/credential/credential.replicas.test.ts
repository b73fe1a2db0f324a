import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { formatApiKey, newKeyId, newSecret } from '../../src/keys/api-key.format.js';
import type { RunningSimulator } from '../../src/simulator/simulator.js';
import { assertNoSecretIn, bearer, createKey, dataOf, VIEWER } from '../apikey/apikey.fixture.js';
import { redisScope, TEST_REDIS_URL, type RedisScope } from '../live/redis.fixture.js';
import { startTestFacade, type TestFacade } from '../support/facade.fixture.js';
import { postGraphQL } from '../support/graphql.client.js';
import { captureLogs, createClient, type LogCapture } from '../upstream/credential.fixture.js';
import { clientStats, requestCount, startTestSimulator } from '../upstream/upstream.fixture.js';

const ROTATE = `mutation($input: [UpstreamCredentialInput!]!) {
  rotateUpstreamCredentials(input: $input) { entries { deployment clientId status errorCode previousClientId } }
}`;
const AUDIT = `{
  auditEvents(first: 50) {
    edges { node { id at actor actorKeyId action subject keyId keyName deployment outcome errorCode details } }
  }
}`;

interface AuditNode {
  id: string;
  at: string;
  actor: string;
  actorKeyId: string | null;
  action: string;
  subject: string;
  keyId: string | null;
  keyName: string | null;
  deployment: string | null;
  outcome: string;
  errorCode: string | null;
  details: Record<string, unknown>;
}

const ISO = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/;

describe('credential rotations on two facade replicas sharing one Redis', () => {
  let scope: RedisScope;
  let sim: RunningSimulator;
  let a: TestFacade;
  let b: TestFacade;
  let logsA: LogCapture;
  let logsB: LogCapture;

  before(async () => {
    scope = redisScope();
    sim = await startTestSimulator({ alarmsPerDeployment: 20 });
    const env = {
      REDIS_URL: TEST_REDIS_URL,
      REDIS_PREFIX: scope.prefix,
      FACADE_ADMIN_KEY: formatApiKey(newKeyId(), newSecret()),
      FACADE_SECRET_KEY: randomBytes(32).toString('hex'),
      CREDENTIAL_POLL_INTERVAL_MS: '0',
    };
    logsA = captureLogs();
    logsB = captureLogs();
    const upstream = { simulator: sim, deployment: 'acme-east' };
    a = await startTestFacade(env, { upstream, facade: { logger: logsA.logger } });
    b = await startTestFacade(env, { upstream, facade: { logger: logsB.logger } });
  });
  after(async () => {
    await a?.stop();
    await b?.stop();
    await sim?.stop();
    await scope?.cleanup();
  });

  it('run one of two concurrent rotations of a client, refuse the other naming the deployment, and both audit each step without a secret', async () => {
    const admin = dataOf(await a.gql<{ viewer: { id: string; name: string } }>(VIEWER)).viewer;
    const operatorB = await createKey(a, { name: 'operator-b', permissions: ['CREDENTIALS_MANAGE'] });
    const first = await createClient(sim, 'acme-east');
    const second = await createClient(sim, 'acme-east');

    // A's rotation is held inside its verification (the token request of the new client) until released.
    const hold = sim.holdTokens('acme-east', first.clientId);
    const onA = a.gql<{ rotateUpstreamCredentials: { entries: Array<Record<string, unknown>> } }>(ROTATE, { input: [first] });
    await hold.arrived;
    const onB = await postGraphQL(b.url, ROTATE, { input: [second] }, bearer(operatorB.secret));
    hold.release();
    const ran = dataOf(await onA).rotateUpstreamCredentials.entries;

    assert.deepEqual(ran, [{ deployment: 'acme-east', clientId: first.clientId, status: 'ROTATED', errorCode: null, previousClientId: 'acme-east-client' }]);
    assert.equal(onB.body.errors?.length, 1, JSON.stringify(onB.body));
    const refusal = onB.body.errors![0]!;
    assert.equal(refusal.extensions?.['code'], 'ROTATION_IN_PROGRESS');
    assert.equal(refusal.extensions?.['deployment'], 'acme-east');
    assert.equal(refusal.extensions?.['runningBy'], `key:${admin.name}`);
    assert.match(String(refusal.extensions?.['runningSince']), ISO);
    assert.equal(
      refusal.message,
      `cannot rotate the credentials of acme-east: a rotation of acme-east is already running (started at ${String(refusal.extensions?.['runningSince'])} by key:${admin.name}); ` +
        'nothing of this one was verified or changed. Wait for it to finish, then check upstreamCredentials (clientId, lastRotatedAt) and rotate again only what it did not change.',
    );
    assert.equal(requestCount(await clientStats(sim, 'acme-east', second.clientId)), 0, 'the refused rotation never reached the upstream');

    const trailA = dataOf(await a.gql<{ auditEvents: { edges: Array<{ node: AuditNode }> } }>(AUDIT)).auditEvents.edges.map((edge) => edge.node);
    const trailB = dataOf(await b.gql<{ auditEvents: { edges: Array<{ node: AuditNode }> } }>(AUDIT)).auditEvents.edges.map((edge) => edge.node);
    assert.deepEqual(trailB, trailA, 'both replicas read one audit trail');
    const steps = trailA.filter((node) => node.subject === 'UPSTREAM_CREDENTIAL');
    const [swap, verify, refused] = steps;
    assert.equal(steps.length, 3, JSON.stringify(steps));
    const rotationId = verify!.details['rotationId'];
    assert.deepEqual(
      steps.map(({ id: _id, at: _at, details: _details, ...rest }) => rest),
      [
        { actor: `key:${admin.name}`, actorKeyId: admin.id, action: 'CREDENTIAL_SWAP', subject: 'UPSTREAM_CREDENTIAL', keyId: null, keyName: null, deployment: 'acme-east', outcome: 'OK', errorCode: null },
        { actor: `key:${admin.name}`, actorKeyId: admin.id, action: 'CREDENTIAL_VERIFY', subject: 'UPSTREAM_CREDENTIAL', keyId: null, keyName: null, deployment: 'acme-east', outcome: 'OK', errorCode: null },
        {
          actor: 'key:operator-b',
          actorKeyId: operatorB.key.id,
          action: 'CREDENTIAL_ROTATION_REFUSED',
          subject: 'UPSTREAM_CREDENTIAL',
          keyId: null,
          keyName: null,
          deployment: 'acme-east',
          outcome: 'REFUSED',
          errorCode: 'ROTATION_IN_PROGRESS',
        },
      ],
    );
    assert.deepEqual(verify!.details, { rotationId, clientId: first.clientId, previousClientId: 'acme-east-client' });
    assert.equal(swap!.details['rotationId'], rotationId);
    assert.equal(swap!.details['clientId'], first.clientId);
    assert.equal(swap!.details['previousClientId'], 'acme-east-client');
    assert.match(String(swap!.details['rotatedAt']), ISO);
    assert.deepEqual(refused!.details, {
      rotationId: refused!.details['rotationId'],
      clientId: second.clientId,
      previousClientId: 'acme-east-client',
      runningDeployment: 'acme-east',
      runningSince: refusal.extensions?.['runningSince'],
      runningBy: `key:${admin.name}`,
      runningRotationId: rotationId,
    });
    assert.ok(Date.parse(refused!.at) <= Date.parse(verify!.at) && Date.parse(verify!.at) <= Date.parse(swap!.at), 'refused while the other was verifying');
    const keyEvents = trailA.filter((node) => node.subject === 'API_KEY');
    assert.ok(keyEvents.some((node) => node.action === 'CREATE' && node.keyName === 'operator-b' && node.deployment === null), 'key events stay in the same trail');

    const everywhere = JSON.stringify([trailA, trailB, onB.body]) + logsA.text() + logsB.text();
    for (const secret of [first.clientSecret, second.clientSecret]) assert.ok(!everywhere.includes(secret), 'no client secret in the audit trail, the answers or the logs');
    assertNoSecretIn(everywhere, [a.adminKey, operatorB.secret], 'the audit trail, the answers or the logs');
    assert.match(logsA.text(), /upstream credential credential_swap ok: acme-east/, 'the logs are captured, so the search means something');
  });
});
