import { after, afterEach, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import {
  basicAuth,
  call,
  controlUrl,
  grantToken,
  startTestSimulator,
  tokenFor,
  type TestSimulator,
} from './simulator.fixture.js';

describe('simulator control API', () => {
  let t: TestSimulator;
  let east: TestSimulator['sim']['deployments'][number];
  let token: string;
  const control = (path: string, method = 'GET', body?: unknown) => call(controlUrl(t.sim, path), { method, body });

  before(async () => {
    t = await startTestSimulator({ alarmsPerDeployment: 30 }, 50);
    east = t.sim.deployments[0]!;
    token = await tokenFor(t.sim);
  });
  after(async () => {
    await t.sim.stop();
  });

  describe('stats', () => {
    it('counts requests by path template and responses by status per client, and lists grants in order', async () => {
      await control('/stats/reset', 'POST');
      const westToken = await tokenFor(t.sim, 'acme-west');
      const alarm = (await call(`${east.url}/alarms?size=1`, { token })).body._embedded.alarms[0];
      await call(`${east.url}/alarms/${alarm.uuid}`, { token });
      await call(`${east.url}/alarms/${alarm.uuid}/labels/x`, { method: 'PUT', token });
      await call(`${east.url}/alarms/nope`, { token });
      await call(`${east.url}/alarms`);
      const centralToken = await tokenFor(t.sim, 'central');
      const stats = (await control('/stats')).body;
      assert.deepEqual(Object.keys(stats), ['since', 'deployments', 'tokenGrants']);
      assert.deepEqual(Object.keys(stats.deployments), ['acme-east', 'acme-west', 'acme-lab', 'central']);
      assert.deepEqual(stats.deployments['acme-east'].clients['acme-east-client'], {
        requests: {
          'GET /alarms': 1,
          'GET /alarms/{id}': 2,
          'PUT /alarms/{id}/labels/{labelId}': 1,
        },
        responses: { '200': 3, '404': 1 },
        rateLimited: 0,
        tokensGranted: 0,
        maxGetsInWindow: 3,
        maxPostsInWindow: 1,
      });
      assert.deepEqual(stats.deployments['acme-east'].clients['(anonymous)'].responses, { '401': 1 });
      assert.equal(stats.deployments['acme-west'].clients['acme-west-client'].tokensGranted, 1);
      assert.deepEqual(
        stats.tokenGrants.map((g: any) => [g.seq, g.deployment, g.clientId]),
        [
          [1, 'acme-west', 'acme-west-client'],
          [2, 'central', 'central-client'],
        ],
      );
      assert.ok(stats.tokenGrants[0].at < stats.tokenGrants[1].at);
      assert.ok(westToken && centralToken);
    });

    it('never counts control requests', async () => {
      await control('/stats/reset', 'POST');
      await control('/stats');
      await control('/clients');
      const stats = (await control('/stats')).body;
      for (const deployment of Object.values<any>(stats.deployments)) assert.deepEqual(deployment.clients, {});
    });
  });

  describe('alarms', () => {
    it('creates alarms received now, visible at once in lists, detail, events and Central', async () => {
      const now = t.clock.time;
      const response = await control('/alarms', 'POST', { deployment: 'acme-east', count: 2 });
      assert.equal(response.status, 201);
      const created = response.body.created;
      assert.equal(created.length, 2);
      for (const alarm of created) {
        assert.ok(Number(alarm.timestamp_received) >= now);
        assert.equal(alarm.timestamp_occured, alarm.timestamp_received);
        assert.equal(alarm._links.self.href, `${east.url}/alarms/${alarm.uuid}`);
        assert.deepEqual((await call(`${east.url}/alarms/${alarm.uuid}`, { token })).body, alarm);
        for (const event of alarm.events) {
          const uuid = event.message?.uuid ?? event.uuid;
          assert.equal((await call(`${east.url}/events/${uuid}`, { token })).status, 200);
        }
      }
      const newest = (await call(`${east.url}/alarms?size=2`, { token })).body._embedded.alarms;
      assert.deepEqual(
        newest.map((a: any) => a.uuid).sort(),
        created.map((a: any) => a.uuid).sort(),
      );
      const centralToken = await tokenFor(t.sim, 'central');
      const seen = (await call(`${t.sim.central.url}/alarms/${created[0].uuid}`, { token: centralToken })).body;
      const { events: _events, ...withoutEvents } = created[0];
      assert.deepEqual(seen.alarm, withoutEvents);
    });

    it('plays a late arrival: first under received-time sort, far down under occurred-time sort', async () => {
      const twoDaysAgo = t.clock.time - 2 * 86_400_000;
      const response = await control('/alarms', 'POST', {
        deployment: 'acme-east',
        alarms: [{ timestamp_occured: twoDaysAgo, status: 'open', priority: 90, rule_intent: 'System Compromise' }],
      });
      assert.equal(response.status, 201);
      const late = response.body.created[0];
      assert.equal(late.timestamp_occured, String(twoDaysAgo));
      assert.equal(late.priority_label, 'high');
      assert.equal(late.rule_intent, 'System Compromise');
      const byReceived = (await call(`${east.url}/alarms?size=1&sort=timestamp_received,desc`, { token })).body;
      assert.equal(byReceived._embedded.alarms[0].uuid, late.uuid);
      const byOccurred = (await call(`${east.url}/alarms?size=5&sort=timestamp_occured,desc`, { token })).body;
      assert.ok(!byOccurred._embedded.alarms.some((a: any) => a.uuid === late.uuid));
      const sinceNow = (await call(`${east.url}/alarms?timestamp_received_gte=${late.timestamp_received}`, { token })).body;
      assert.deepEqual(sinceNow._embedded.alarms.map((a: any) => a.uuid), [late.uuid]);
    });

    it('takes given fields and a given uuid, and refuses a uuid that exists with 409', async () => {
      const uuid = '11111111-2222-3333-4444-555555555555';
      const response = await control('/alarms', 'POST', {
        deployment: 'acme-west',
        alarms: [
          {
            uuid,
            status: 'closed',
            suppressed: true,
            alarm_labels: ['lbl-escalated'],
            alarm_events_count: 4,
            priority_label: 'low',
          },
        ],
      });
      assert.equal(response.status, 201);
      const alarm = response.body.created[0];
      assert.equal(alarm.uuid, uuid);
      assert.equal(alarm.status, 'closed');
      assert.equal(alarm.suppressed, true);
      assert.deepEqual(alarm.alarm_labels, ['lbl-escalated']);
      assert.equal(alarm.events.length, 4);
      assert.equal(alarm.priority_label, 'low');
      const again = await control('/alarms', 'POST', { deployment: 'acme-west', alarms: [{ uuid }] });
      assert.equal(again.status, 409);
    });

    it('refuses bad input with 400 naming the field, and an unknown deployment with 404', async () => {
      const cases: Array<[unknown, number, RegExp]> = [
        [{ count: 1 }, 400, /deployment is required/],
        [{ deployment: 'nowhere' }, 404, /unknown deployment 'nowhere'/],
        [{ deployment: 'central' }, 404, /unknown deployment/],
        [{ deployment: 'acme-east', count: 0 }, 400, /count must be an integer from 1 to 10000/],
        [{ deployment: 'acme-east', count: 'many' }, 400, /count must be an integer/],
        [{ deployment: 'acme-east', alarms: {} }, 400, /alarms must be an array/],
        [{ deployment: 'acme-east', alarms: [{ timestamp_occurred: 1 }] }, 400, /unknown field 'timestamp_occurred'/],
        [{ deployment: 'acme-east', alarms: [{ timestamp_occured: t.clock.time + 3_600_000 }] }, 400, /must not be later than now/],
        [{ deployment: 'acme-east', alarms: [{ status: 'done' }] }, 400, /alarms\[0\]\.status must be one of open, closed, in_review/],
        [{ deployment: 'acme-east', alarms: [{ priority: 10, priority_label: 'high' }] }, 400, /disagrees/],
        [{ deployment: 'acme-east', alarms: [{ uuid: 'x' }] }, 400, /uuid must be a UUID/],
        [{ deployment: 'acme-east', count: 2, alarms: [{}] }, 400, /disagrees/],
        [{ deployment: 'acme-east', extra: true }, 400, /unknown field 'extra'/],
      ];
      for (const [body, status, message] of cases) {
        const response = await control('/alarms', 'POST', body);
        assert.equal(response.status, status, JSON.stringify(body));
        assert.match(response.body.error, message, JSON.stringify(body));
      }
      const notJson = await call(controlUrl(t.sim, '/alarms'), { method: 'POST', body: '{not json' });
      assert.equal(notJson.status, 400);
      const array = await call(controlUrl(t.sim, '/alarms'), { method: 'POST', body: '[]' });
      assert.equal(array.status, 400);
    });
  });

  describe('faults', () => {
    afterEach(async () => {
      assert.deepEqual((await control('/faults', 'DELETE')).body, { faults: {} });
      t.clock.advance(2000);
    });

    it('fails every request of one deployment with errorStatus, leaving the others alone', async () => {
      const set = await control('/faults', 'POST', { deployment: 'acme-east', errorStatus: 503 });
      assert.deepEqual(set.body, { faults: { 'acme-east': { errorStatus: 503 } } });
      const failed = await call(`${east.url}/alarms`, { token });
      assert.equal(failed.status, 503);
      assert.deepEqual(failed.body, { result: 'error', location: '/alarms', error: 'simulated_fault' });
      const westToken = await tokenFor(t.sim, 'acme-west');
      assert.equal((await call(`${t.sim.deployments[1]!.url}/alarms`, { token: westToken })).status, 200);
      assert.equal((await control('/stats')).status, 200);
    });

    it('fails about errorRate of the requests, the same ones for the same seed', async () => {
      const run = async (target: TestSimulator) => {
        const bearer = await tokenFor(target.sim);
        await call(controlUrl(target.sim, '/faults'), { method: 'POST', body: { errorRate: 0.5 } });
        const statuses: number[] = [];
        for (let i = 0; i < 60; i++) {
          statuses.push((await call(`${target.sim.deployments[0]!.url}/alarms?size=1`, { token: bearer })).status);
        }
        return statuses;
      };
      const twin = await startTestSimulator({ alarmsPerDeployment: 1 }, 50);
      try {
        const statuses = await run(twin);
        const failed = statuses.filter((s) => s === 500).length;
        assert.equal(failed + statuses.filter((s) => s === 200).length, 60);
        assert.ok(failed > 10 && failed < 50, `${failed} of 60 failed`);
        const again = await startTestSimulator({ alarmsPerDeployment: 1 }, 50);
        try {
          assert.deepEqual(await run(again), statuses);
        } finally {
          await again.sim.stop();
        }
      } finally {
        await twin.sim.stop();
      }
    });

    it('drops the connection without an answer at resetRate 1', async () => {
      await control('/faults', 'POST', { deployment: 'acme-east', resetRate: 1 });
      await assert.rejects(fetch(`${east.url}/alarms`, { headers: { authorization: `Bearer ${token}` } }));
      const stats = (await control('/stats')).body;
      assert.ok(stats.deployments['acme-east'].clients['acme-east-client'].responses.reset >= 1);
    });

    it('answers 503 on the token endpoint only, when tokenEndpointDown', async () => {
      await control('/faults', 'POST', { tokenEndpointDown: true });
      const response = await call(`${east.url}/oauth/token?grant_type=client_credentials`, {
        method: 'POST',
        authorization: basicAuth(east.clientId, east.clientSecret),
      });
      assert.equal(response.status, 503);
      assert.equal((await call(`${east.url}/alarms?size=1`, { token })).status, 200);
    });

    it('sends Retry-After on 429s when retryAfterSeconds is set', async () => {
      await control('/faults', 'POST', { deployment: 'acme-west', retryAfterSeconds: 2 });
      const west = t.sim.deployments[1]!;
      const westToken = await grantToken(west.url, west.clientId, west.clientSecret);
      t.clock.advance(2000);
      // Freeze the ticking clock so 120 requests fall inside one second.
      t.clock.tickMs = 0;
      const statuses = await Promise.all(
        Array.from({ length: 120 }, () =>
          call(`${west.url}/alarms?size=1`, { token: westToken }).then((r) => ({
            status: r.status,
            retryAfter: r.headers.get('retry-after'),
          })),
        ),
      ).finally(() => {
        t.clock.tickMs = 50;
      });
      const limited = statuses.filter((s) => s.status === 429);
      assert.equal(limited.length, 20);
      for (const s of limited) assert.equal(s.retryAfter, '2');
      const errored = await control('/faults', 'POST', { deployment: 'acme-west', errorStatus: 429 });
      assert.equal(errored.status, 200);
      t.clock.advance(2000);
      const fault429 = await call(`${west.url}/alarms`, { token: westToken });
      assert.equal(fault429.status, 429);
      assert.equal(fault429.headers.get('retry-after'), '2');
    });

    it('holds answers back by latencyMs: a later request to an unaffected deployment overtakes', async () => {
      await control('/faults', 'POST', { deployment: 'acme-east', latencyMs: 400 });
      const west = t.sim.deployments[1]!;
      const westToken = await tokenFor(t.sim, west.name);
      const order: string[] = [];
      const slow = call(`${east.url}/alarms?size=1`, { token }).then((r) => order.push(`east ${r.status}`));
      const fast = call(`${west.url}/alarms?size=1`, { token: westToken }).then((r) => order.push(`west ${r.status}`));
      await Promise.all([slow, fast]);
      assert.deepEqual(order, ['west 200', 'east 200']);
    });

    it('merges settings, lets a deployment override *, and clears a field given null', async () => {
      await control('/faults', 'POST', { latencyMs: 5, errorRate: 0 });
      await control('/faults', 'POST', { deployment: 'central', tokenEndpointDown: true });
      const merged = await control('/faults', 'POST', { latencyMs: null, retryAfterSeconds: 1 });
      assert.deepEqual(merged.body, {
        faults: { '*': { errorRate: 0, retryAfterSeconds: 1 }, central: { tokenEndpointDown: true } },
      });
      assert.deepEqual((await control('/faults')).body, merged.body);
    });

    it('refuses bad fault settings with 400 and an unknown deployment with 404', async () => {
      const cases: Array<[unknown, number]> = [
        [{ errorRate: 2 }, 400],
        [{ errorStatus: 200 }, 400],
        [{ latencyMs: -1 }, 400],
        [{ resetRate: 'often' }, 400],
        [{ tokenEndpointDown: 'yes' }, 400],
        [{ retryAfterSeconds: 1.5 }, 400],
        [{ latency: 5 }, 400],
        [{ deployment: 'nowhere', latencyMs: 1 }, 404],
      ];
      for (const [body, status] of cases) {
        assert.equal((await control('/faults', 'POST', body)).status, status, JSON.stringify(body));
      }
    });
  });

  describe('clients', () => {
    it('adds a client with generated credentials, shows the secret once, and lists clients without secrets', async () => {
      const created = await control('/clients', 'POST', { deployment: 'acme-lab' });
      assert.equal(created.status, 201);
      const { deployment, clientId, clientSecret } = created.body;
      assert.equal(deployment, 'acme-lab');
      assert.equal(typeof clientId, 'string');
      assert.ok(clientSecret.length >= 20);
      await grantToken(t.sim.deployments[2]!.url, clientId, clientSecret);
      const listed = (await control('/clients')).body.clients;
      assert.deepEqual(listed.find((c: any) => c.clientId === clientId), { deployment: 'acme-lab', clientId, disabled: false });
      assert.ok(!JSON.stringify(listed).includes(clientSecret));
      assert.ok(!JSON.stringify((await control('/stats')).body).includes(clientSecret));
      assert.ok(listed.some((c: any) => c.deployment === 'central' && c.clientId === 'central-client'));
    });

    it('refuses a duplicate client id with 409', async () => {
      assert.equal((await control('/clients', 'POST', { deployment: 'acme-east', clientId: 'acme-east-client' })).status, 409);
    });

    it('disables a client and shows it disabled', async () => {
      await control('/clients', 'POST', { deployment: 'acme-east', clientId: 'to-disable', clientSecret: 'x' });
      const disabled = await control('/clients/disable', 'POST', { deployment: 'acme-east', clientId: 'to-disable' });
      assert.deepEqual(disabled.body, { deployment: 'acme-east', clientId: 'to-disable', disabled: true });
      const listed = (await control('/clients')).body.clients;
      assert.equal(listed.find((c: any) => c.clientId === 'to-disable').disabled, true);
    });

    it('deletes a client given in a JSON body, then 404s deleting it again', async () => {
      await control('/clients', 'POST', { deployment: 'acme-east', clientId: 'to-delete', clientSecret: 'x' });
      assert.equal((await control('/clients', 'DELETE', { deployment: 'acme-east', clientId: 'to-delete' })).status, 204);
      assert.equal((await control('/clients', 'DELETE', { deployment: 'acme-east', clientId: 'to-delete' })).status, 404);
      const response = await call(`${east.url}/oauth/token?grant_type=client_credentials`, {
        method: 'POST',
        authorization: basicAuth('to-delete', 'x'),
      });
      assert.equal(response.status, 401);
    });

    it('refuses bad client requests with 400 or 404', async () => {
      assert.equal((await control('/clients', 'POST', {})).status, 400);
      assert.equal((await control('/clients', 'POST', { deployment: 'nowhere' })).status, 404);
      assert.equal((await control('/clients', 'POST', { deployment: 'acme-east', clientId: 42 })).status, 400);
      assert.equal((await control('/clients/disable', 'POST', { deployment: 'acme-east', clientId: 'ghost' })).status, 404);
      assert.equal((await control('/clients', 'DELETE')).status, 400);
    });
  });

  describe('tokens', () => {
    it('revokes the live tokens of one client and reports how many', async () => {
      await control('/clients', 'POST', { deployment: 'acme-west', clientId: 'revokee', clientSecret: 'x' });
      const west = t.sim.deployments[1]!;
      const tokens = [await grantToken(west.url, 'revokee', 'x'), await grantToken(west.url, 'revokee', 'x')];
      const revoked = await control('/tokens/revoke', 'POST', { deployment: 'acme-west', clientId: 'revokee' });
      assert.deepEqual(revoked.body, { revoked: 2 });
      for (const revokedToken of tokens) assert.equal((await call(`${west.url}/alarms`, { token: revokedToken })).status, 401);
      assert.deepEqual((await control('/tokens/revoke', 'POST', { deployment: 'acme-west', clientId: 'revokee' })).body, {
        revoked: 0,
      });
      const fresh = await grantToken(west.url, 'revokee', 'x');
      assert.equal((await call(`${west.url}/alarms?size=1`, { token: fresh })).status, 200);
    });

    it('revokes every live token when no filter is given', async () => {
      const mine = await tokenFor(t.sim);
      const revoked = await control('/tokens/revoke', 'POST', {});
      assert.ok(revoked.body.revoked >= 1);
      assert.equal((await call(`${east.url}/alarms`, { token: mine })).status, 401);
      token = await tokenFor(t.sim);
    });
  });

  it('answers 404 for an unknown control path and 405 for a wrong method', async () => {
    assert.equal((await control('/nothing')).status, 404);
    const wrong = await control('/stats', 'DELETE');
    assert.equal(wrong.status, 405);
    assert.equal(wrong.headers.get('allow'), 'GET');
  });
});
