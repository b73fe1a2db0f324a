import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { startTestFacade, type TestFacade } from '../support/facade.fixture.js';
import { bearer, createKey, dataOf } from './apikey.fixture.js';

const USAGE = '{ apiKeys { name upstreamUsage { calls waitedMs maxWaitMs servedCalls wastedCalls upstreams { upstream gets writes quotaShare waitedMs maxWaitMs } } } }';

interface Usage {
  calls: number;
  waitedMs: number;
  maxWaitMs: number;
  servedCalls: number;
  wastedCalls: number;
  upstreams: Array<{ upstream: string; gets: number; writes: number; quotaShare: number; waitedMs: number; maxWaitMs: number }>;
}

describe('ApiKey.upstreamUsage', () => {
  let facade: TestFacade;
  before(async () => {
    facade = await startTestFacade({ CACHE_PAGE_TTL_MS: '0' });
  });
  after(async () => {
    await facade.stop();
  });

  it('shows operators each key\'s upstream calls of the last minute, by upstream, with their share of the quota', async () => {
    const reader = await createKey(facade, { name: 'dashboard', permissions: ['ALARMS_READ'] });
    for (const deployment of ['acme-east', 'acme-east', 'acme-west']) {
      const answer = await facade.gql(`{ alarms(deployment: "${deployment}", first: 2) { edges { node { uuid } } } }`, {}, bearer(reader.secret));
      dataOf(answer);
    }
    // An operation that fails after sending its calls (USM answers 400 to every attempt): they served nothing.
    const fault = (method: string, body?: unknown) =>
      fetch(`${facade.simulatorUrl}/__sim/faults`, { method, headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
    await fault('POST', { deployment: 'acme-west', errorStatus: 400 });
    const failed = await facade.gql('{ alarms(deployment: "acme-west", first: 3) { edges { node { uuid } } } }', {}, bearer(reader.secret));
    await fault('DELETE', {});
    assert.equal(failed.body.extensions?.['cost'] !== undefined && failed.body.errors !== undefined, true, 'it failed');
    const wasted = (failed.body.extensions?.['cost'] as { actualUpstreamCalls: number }).actualUpstreamCalls;
    const keys = dataOf(await facade.gql<{ apiKeys: Array<{ name: string; upstreamUsage: Usage }> }>(USAGE)).apiKeys;
    const usage = keys.find((key) => key.name === 'dashboard')!.upstreamUsage;
    assert.equal(usage.calls, 3 + wasted, 'one GET per page, two deployments, and the failed one');
    assert.deepEqual(
      usage.upstreams.map(({ upstream, gets, writes }) => ({ upstream, gets, writes })),
      [
        { upstream: 'acme-east', gets: 2, writes: 0 },
        { upstream: 'acme-west', gets: 1 + wasted, writes: 0 },
      ],
    );
    assert.ok(wasted >= 1);
    assert.deepEqual({ served: usage.servedCalls, wasted: usage.wastedCalls }, { served: 3, wasted }, 'what the calls came to');
    // 95 GETs per 1010 ms window is 5,643 a minute.
    assert.equal(usage.upstreams[0]!.quotaShare.toFixed(6), (2 / ((95 * 60_000) / 1010)).toFixed(6));
    assert.ok(usage.waitedMs >= 0 && usage.maxWaitMs <= usage.waitedMs);
    const admin = keys.find((key) => key.name !== 'dashboard' && key.upstreamUsage.calls === 0);
    assert.ok(admin !== undefined, 'the admin key made no upstream call: listing keys is not one');
  });

  it('is refused to a key without keys:manage, even on its own viewer, while the rest of the answer is sent', async () => {
    const reader = await createKey(facade, { name: 'reader', permissions: ['ALARMS_READ'] });
    const answer = await facade.gql<{ viewer: { name: string; upstreamUsage: Usage | null } | null }>(
      '{ viewer { name upstreamUsage { calls } } }',
      {},
      bearer(reader.secret),
    );
    assert.equal(answer.body.errors?.length, 1);
    assert.equal(answer.body.errors![0]!.extensions?.['code'], 'FORBIDDEN');
    assert.match(answer.body.errors![0]!.message, /keys:manage/);
  });
});
