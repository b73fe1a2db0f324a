import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { startTestFacade, type TestFacade } from '../support/facade.fixture.js';
import { simulatorStats } from '../support/simulator.stats.js';

interface Credential {
  api: string;
  deployment: string;
  clientId: string;
  state: string;
  lastRotatedAt: string | null;
}

const CREDENTIALS = '{ upstreamCredentials { api deployment clientId state lastRotatedAt } }';
const ROTATE = `mutation($input: [UpstreamCredentialInput!]!) {
  rotateUpstreamCredentials(input: $input) { entries { deployment api clientId status errorCode message previousClientId } }
}`;

async function createSimulatorClient(facade: TestFacade, deployment: string): Promise<{ clientId: string; clientSecret: string }> {
  const response = await fetch(`${facade.simulatorUrl}/__sim/clients`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ deployment }),
  });
  assert.equal(response.status, 201);
  return (await response.json()) as { clientId: string; clientSecret: string };
}

describe('upstream credentials over GraphQL', () => {
  let facade: TestFacade;
  before(async () => {
    facade = await startTestFacade({ FACADE_SECRET_KEY: randomBytes(32).toString('hex'), CREDENTIAL_POLL_INTERVAL_MS: '0' });
  });
  after(async () => {
    await facade.stop();
  });

  it('lists the client of each deployment and of Central, without any secret', async () => {
    await facade.gql('{ alarms(deployment: "acme-east", first: 1) { edges { cursor } } }');
    const { body } = await facade.gql<{ upstreamCredentials: Credential[] }>(CREDENTIALS);
    const rows = body.data!.upstreamCredentials;
    assert.deepEqual(
      rows.map((r) => [r.api, r.deployment, r.clientId]),
      [
        ['ANYWHERE', 'acme-east', 'acme-east-client'],
        ['ANYWHERE', 'acme-lab', 'acme-lab-client'],
        ['ANYWHERE', 'acme-west', 'acme-west-client'],
        ['CENTRAL', 'central', 'central-client'],
      ],
    );
    assert.equal(rows.find((r) => r.deployment === 'acme-east')!.state, 'WORKING');
    assert.doesNotMatch(JSON.stringify(body), /secret/i);
  });

  it('rotates deployments before Central, verifying each new client with a token', async () => {
    const west = await createSimulatorClient(facade, 'acme-west');
    const central = await createSimulatorClient(facade, 'central');
    const before = (await simulatorStats(facade.simulatorUrl)).tokenGrants.length;
    const { body } = await facade.gql<{ rotateUpstreamCredentials: { entries: Array<Record<string, unknown>> } }>(ROTATE, {
      input: [
        { deployment: 'central', ...central },
        { deployment: 'acme-west', ...west },
      ],
    });
    assert.equal(body.errors, undefined);
    assert.deepEqual(
      body.data!.rotateUpstreamCredentials.entries.map((e) => [e.deployment, e.status, e.previousClientId]),
      [
        ['acme-west', 'ROTATED', 'acme-west-client'],
        ['central', 'ROTATED', 'central-client'],
      ],
    );
    const grants = (await simulatorStats(facade.simulatorUrl)).tokenGrants.slice(before);
    assert.deepEqual(
      grants.slice(0, 2).map((g) => [g.deployment, g.clientId]),
      [
        ['acme-west', west.clientId],
        ['central', central.clientId],
      ],
    );

    // The old client can go: reads keep working with the new one.
    await fetch(`${facade.simulatorUrl}/__sim/clients`, {
      method: 'DELETE',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ deployment: 'acme-west', clientId: 'acme-west-client' }),
    });
    const read = await facade.gql('{ alarms(deployment: "acme-west", first: 2, filter: { suppressed: false }) { edges { node { uuid } } } }');
    assert.equal(read.body.errors, undefined);
    const { body: listed } = await facade.gql<{ upstreamCredentials: Credential[] }>(CREDENTIALS);
    const westRow = listed.data!.upstreamCredentials.find((r) => r.deployment === 'acme-west')!;
    assert.equal(westRow.clientId, west.clientId);
    assert.notEqual(westRow.lastRotatedAt, null);
  });

  it('keeps the old client when the new secret is refused, and says why', async () => {
    const east = await createSimulatorClient(facade, 'acme-east');
    const { body } = await facade.gql<{ rotateUpstreamCredentials: { entries: Array<Record<string, unknown>> } }>(ROTATE, {
      input: [
        { deployment: 'acme-east', clientId: east.clientId, clientSecret: 'not-the-secret' },
        { deployment: 'acme-lab', clientId: 'whatever', clientSecret: 'whatever' },
      ],
    });
    const [first, second] = body.data!.rotateUpstreamCredentials.entries;
    assert.equal(first!.status, 'FAILED');
    assert.equal(first!.errorCode, 'UPSTREAM_AUTH_FAILED');
    assert.match(String(first!.message), /acme-east/);
    assert.doesNotMatch(JSON.stringify(body), /not-the-secret/);
    assert.equal(second!.status, 'NOT_ATTEMPTED');
    const { body: listed } = await facade.gql<{ upstreamCredentials: Credential[] }>(CREDENTIALS);
    assert.equal(listed.data!.upstreamCredentials.find((r) => r.deployment === 'acme-east')!.clientId, 'acme-east-client');
  });

  it('refuses a key without credentials:manage, naming the permission', async () => {
    const { body: made } = await facade.gql<{ createApiKey: { secret: string } }>(
      'mutation { createApiKey(input: { name: "reader-for-credentials" }) { secret } }',
    );
    const reader = made.data!.createApiKey.secret;
    const { status, body } = await facade.gql(CREDENTIALS, {}, { authorization: `Bearer ${reader}` });
    assert.equal(status, 403);
    assert.equal(body.errors?.[0]?.extensions?.['code'], 'FORBIDDEN');
    assert.match(body.errors![0]!.message, /credentials:manage/);
  });
});
