import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import {
  basicAuth,
  call,
  controlUrl,
  grantToken,
  startTestSimulator,
  type TestSimulator,
} from './simulator.fixture.js';

describe('simulator OAuth client credentials', () => {
  let t: TestSimulator;
  let east: TestSimulator['sim']['deployments'][number];
  before(async () => {
    t = await startTestSimulator({ alarmsPerDeployment: 20 });
    east = t.sim.deployments[0]!;
  });
  after(async () => {
    await t.sim.stop();
  });

  it('reports the default deployments and credentials', () => {
    assert.deepEqual(
      t.sim.deployments.map((d) => [d.name, d.url, d.clientId, d.clientSecret]),
      ['acme-east', 'acme-west', 'acme-lab'].map((n) => [n, `${t.sim.url}/${n}/api/2.0`, `${n}-client`, `${n}-secret`]),
    );
    assert.deepEqual(t.sim.central, {
      url: `${t.sim.url}/central/api/1.1`,
      clientId: 'central-client',
      clientSecret: 'central-secret',
    });
    assert.match(t.sim.url, /^http:\/\/127\.0\.0\.1:\d+$/);
  });

  it('grants a token for grant_type in the query string, shaped like the vendor sample', async () => {
    const response = await call(`${east.url}/oauth/token?grant_type=client_credentials`, {
      method: 'POST',
      authorization: basicAuth(east.clientId, east.clientSecret),
    });
    assert.equal(response.status, 200);
    assert.deepEqual(Object.keys(response.body), ['access_token', 'token_type', 'expires_in', 'scope', 'jti']);
    assert.equal(response.body.token_type, 'bearer');
    assert.equal(response.body.expires_in, 899);
    assert.equal(response.body.scope, 'trust read write');
    assert.match(response.body.access_token, /^eyJ[\w-]+\.[\w-]+\.[\w-]+$/);
    assert.match(response.body.jti, /^[0-9a-f-]{36}$/);
  });

  it('grants a token for grant_type sent form-encoded in the body', async () => {
    const response = await call(`${east.url}/oauth/token`, {
      method: 'POST',
      authorization: basicAuth(east.clientId, east.clientSecret),
      form: 'grant_type=client_credentials',
    });
    assert.equal(response.status, 200);
    const alarms = await call(`${east.url}/alarms?size=1`, { token: response.body.access_token });
    assert.equal(alarms.status, 200);
  });

  it('answers 400 for a missing or unsupported grant_type', async () => {
    const authorization = basicAuth(east.clientId, east.clientSecret);
    const missing = await call(`${east.url}/oauth/token`, { method: 'POST', authorization });
    assert.equal(missing.status, 400);
    assert.match(missing.body.error, /grant_type/);
    const other = await call(`${east.url}/oauth/token?grant_type=password`, { method: 'POST', authorization });
    assert.equal(other.status, 400);
    assert.match(other.body.error, /unsupported_grant_type/);
  });

  it('answers 405 for a GET on the token endpoint', async () => {
    const response = await call(`${east.url}/oauth/token?grant_type=client_credentials`, {
      authorization: basicAuth(east.clientId, east.clientSecret),
    });
    assert.equal(response.status, 405);
  });

  describe('refuses with 401', () => {
    const tokenUrl = () => `${east.url}/oauth/token?grant_type=client_credentials`;

    it('a token request without Basic credentials', async () => {
      const response = await call(tokenUrl(), { method: 'POST' });
      assert.equal(response.status, 401);
      assert.deepEqual(response.body, { result: 'error', location: '/oauth/token', error: 'unauthorized' });
    });

    it('a token request with a wrong secret', async () => {
      const response = await call(tokenUrl(), { method: 'POST', authorization: basicAuth(east.clientId, 'nope') });
      assert.equal(response.status, 401);
      assert.equal(response.body.error, 'invalid_client');
    });

    it('a token request from an unknown client', async () => {
      const response = await call(tokenUrl(), { method: 'POST', authorization: basicAuth('stranger', 'x') });
      assert.equal(response.status, 401);
    });

    it('a token request with another deployment\'s credentials', async () => {
      const west = t.sim.deployments[1]!;
      const response = await call(tokenUrl(), { method: 'POST', authorization: basicAuth(west.clientId, west.clientSecret) });
      assert.equal(response.status, 401);
    });

    it('a token request from a disabled client, and the tokens it already had', async () => {
      const created = await call(controlUrl(t.sim, '/clients'), {
        method: 'POST',
        body: { deployment: 'acme-east', clientId: 'soon-disabled', clientSecret: 's3cret' },
      });
      assert.equal(created.status, 201);
      const token = await grantToken(east.url, 'soon-disabled', 's3cret');
      assert.equal((await call(`${east.url}/alarms`, { token })).status, 200);
      const disabled = await call(controlUrl(t.sim, '/clients/disable'), {
        method: 'POST',
        body: { deployment: 'acme-east', clientId: 'soon-disabled' },
      });
      assert.equal(disabled.status, 200);
      assert.equal((await call(`${east.url}/alarms`, { token })).status, 401);
      const again = await call(tokenUrl(), { method: 'POST', authorization: basicAuth('soon-disabled', 's3cret') });
      assert.equal(again.status, 401);
    });

    it('a call without any Authorization header', async () => {
      const response = await call(`${east.url}/alarms`);
      assert.equal(response.status, 401);
      assert.deepEqual(response.body, { result: 'error', location: '/alarms', error: 'unauthorized' });
    });

    it('a call with Basic instead of Bearer', async () => {
      const response = await call(`${east.url}/alarms`, { authorization: basicAuth(east.clientId, east.clientSecret) });
      assert.equal(response.status, 401);
    });

    it('a call with an unknown token', async () => {
      const response = await call(`${east.url}/alarms`, { token: 'eyJhbGciOi.example.token' });
      assert.equal(response.status, 401);
      assert.deepEqual(response.body, { result: 'error', location: '/alarms', error: 'invalid_token' });
    });

    it('a call with a token at the very second it expires, not a millisecond before', async () => {
      const token = await grantToken(east.url, east.clientId, east.clientSecret);
      t.clock.advance(899_000 - 1);
      assert.equal((await call(`${east.url}/alarms?size=1`, { token })).status, 200);
      t.clock.advance(1);
      const expired = await call(`${east.url}/alarms?size=1`, { token });
      assert.equal(expired.status, 401);
      assert.equal(expired.body.error, 'invalid_token');
    });

    it('a call with a revoked token', async () => {
      const token = await grantToken(east.url, east.clientId, east.clientSecret);
      const revoked = await call(controlUrl(t.sim, '/tokens/revoke'), {
        method: 'POST',
        body: { deployment: 'acme-east', clientId: east.clientId },
      });
      assert.equal(revoked.status, 200);
      assert.ok(revoked.body.revoked >= 1);
      assert.equal((await call(`${east.url}/alarms`, { token })).status, 401);
    });

    it('a call with a token issued for another deployment or for Central', async () => {
      const west = t.sim.deployments[1]!;
      const westToken = await grantToken(west.url, west.clientId, west.clientSecret);
      assert.equal((await call(`${west.url}/alarms?size=1`, { token: westToken })).status, 200);
      assert.equal((await call(`${east.url}/alarms?size=1`, { token: westToken })).status, 401);
      assert.equal((await call(`${t.sim.central.url}/alarms?size=1`, { token: westToken })).status, 401);
      const centralToken = await grantToken(t.sim.central.url, t.sim.central.clientId, t.sim.central.clientSecret);
      assert.equal((await call(`${east.url}/alarms?size=1`, { token: centralToken })).status, 401);
      assert.equal((await call(`${t.sim.central.url}/deployments`, { token: centralToken })).status, 200);
    });

    it('a call with the token of a deleted client', async () => {
      await call(controlUrl(t.sim, '/clients'), {
        method: 'POST',
        body: { deployment: 'acme-east', clientId: 'soon-deleted', clientSecret: 'x' },
      });
      const token = await grantToken(east.url, 'soon-deleted', 'x');
      const deleted = await call(controlUrl(t.sim, '/clients?deployment=acme-east&clientId=soon-deleted'), {
        method: 'DELETE',
      });
      assert.equal(deleted.status, 204);
      assert.equal((await call(`${east.url}/alarms`, { token })).status, 401);
    });
  });

  it('honours tokenLifetimeSeconds and custom initial clients', async () => {
    const custom = await startTestSimulator({
      alarmsPerDeployment: 1,
      deployments: ['solo'],
      tokenLifetimeSeconds: 60,
      clients: { solo: [{ clientId: 'a', clientSecret: 'b' }, { clientId: 'c', clientSecret: 'd' }] },
    });
    try {
      assert.deepEqual(custom.sim.deployments, [{ name: 'solo', url: `${custom.sim.url}/solo/api/2.0`, clientId: 'a', clientSecret: 'b' }]);
      const response = await call(`${custom.sim.deployments[0]!.url}/oauth/token?grant_type=client_credentials`, {
        method: 'POST',
        authorization: basicAuth('c', 'd'),
      });
      assert.equal(response.body.expires_in, 60);
      custom.clock.advance(60_000);
      assert.equal((await call(`${custom.sim.deployments[0]!.url}/alarms`, { token: response.body.access_token })).status, 401);
    } finally {
      await custom.sim.stop();
    }
  });

  it('holds one client\'s token requests until released, and no other client\'s', async () => {
    const hold = t.sim.holdTokens('acme-east', east.clientId);
    const held = grantToken(east.url, east.clientId, east.clientSecret);
    let answered = false;
    void held.then(() => (answered = true));
    await hold.arrived;
    const west = t.sim.deployments[1]!;
    assert.match(await grantToken(west.url, west.clientId, west.clientSecret), /^eyJ/, 'another client is answered meanwhile');
    assert.equal(answered, false, 'the held request is not answered before release');
    assert.throws(() => t.sim.holdTokens('acme-east', east.clientId), /already held; release that hold first/);
    assert.throws(() => t.sim.holdTokens('nowhere', east.clientId), /unknown target 'nowhere'/);
    hold.release();
    assert.match(await held, /^eyJ/, 'then it goes on as if nothing happened');
    assert.match(await grantToken(east.url, east.clientId, east.clientSecret), /^eyJ/, 'later requests are not held');
  });

  it('refuses options that name unknown deployments or reserve central', async () => {
    await assert.rejects(startTestSimulator({ deployments: ['central'] }), /reserved for USM Central/);
    await assert.rejects(startTestSimulator({ clients: { nowhere: [{ clientId: 'a', clientSecret: 'b' }] } }), /nowhere/);
    await assert.rejects(startTestSimulator({ deployments: ['Bad Name'] }), /DNS label/);
  });
});
