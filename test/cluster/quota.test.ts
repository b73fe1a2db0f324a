/**
 * Three facade processes on one Redis, offered five times USM's GET quota between them:
 * the simulator, which keeps its own count, sees no 1000 ms window above 100 GETs, no
 * 429, and one token for the deployment's client however many replicas ask.
 *
 * Offering load takes real time (1,500 requests paced at 500 a second); nothing here
 * waits on a clock to decide an outcome: every assertion is a count the simulator kept.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startCluster, type RunningCluster } from '../../src/cluster/cluster.js';
import { postGraphQL } from '../support/graphql.client.js';
import { simulatorStats, type ClientStats } from '../support/simulator.stats.js';

const OFFERED_PER_SECOND = 500;
const OFFERED_FOR_MS = 3000;
const TICK_MS = 20;
const DEPLOYMENT = 'acme-east';

/** A distinct page each (its own `occurredAfter`), so each request is a GET of its own, never one shared by single flight. */
const BASE = Date.now();
const pageQuery = (n: number) =>
  `{ alarms(deployment: "${DEPLOYMENT}", first: 5, filter: { occurredAfter: "${new Date(BASE - (n + 1) * 1000).toISOString()}" }) { edges { node { id } } } }`;

describe('three replicas on one Redis, offered five times the quota', () => {
  let cluster: RunningCluster;
  before(async () => {
    // Every read goes upstream (no page cache) and no per-key limit stands between the load and the quota.
    cluster = await startCluster({ replicas: 3, port: 0, env: { CACHE_PAGE_TTL_MS: '0', KEY_BUDGET_MAXIMUM: '0' } });
  });
  after(() => cluster?.stop());

  it('keeps every 1000 ms window at USM within 100 GETs, with no 429 and one token for all three', async () => {
    const answered = new Map<number, { ok: number; refused: number }>(cluster.replicas.map((r) => [r.index, { ok: 0, refused: 0 }]));
    const calls: Promise<void>[] = [];
    const started = Date.now();
    const total = (OFFERED_PER_SECOND * OFFERED_FOR_MS) / 1000;
    let offered = 0;
    while (offered < total) {
      const due = Math.min(total, Math.floor(((Date.now() - started) * OFFERED_PER_SECOND) / 1000));
      for (; offered < due; offered++) {
        const replica = cluster.replicas[offered % cluster.replicas.length]!;
        const n = offered;
        calls.push(
          postGraphQL(replica.url, pageQuery(n), {}, { authorization: `Bearer ${cluster.adminKey}` }).then(({ body }) => {
            const tally = answered.get(replica.index)!;
            if (body.errors === undefined) tally.ok++;
            else {
              assert.equal(body.errors[0]?.extensions?.['code'], 'UPSTREAM_RATE_LIMITED', JSON.stringify(body.errors));
              tally.refused++;
            }
          }),
        );
      }
      // Real time on purpose: replicas are real processes sharing a real 1 s quota window.
      await new Promise((resolve) => setTimeout(resolve, TICK_MS));
    }
    await Promise.all(calls);

    const stats = await simulatorStats(cluster.simulator.url);
    const client: ClientStats = stats.deployments[DEPLOYMENT]!.clients[cluster.simulator.deployments.find((d) => d.name === DEPLOYMENT)!.clientId]!;
    assert.ok(client.maxGetsInWindow <= 100, `largest window: ${client.maxGetsInWindow} GETs`);
    assert.equal(client.rateLimited, 0, 'no 429');
    assert.equal(client.responses['429'] ?? 0, 0);
    assert.equal(client.tokensGranted, 1, 'one token for the three replicas');
    // The load was real: the quota's windows were full, and every replica served its share.
    assert.ok(client.maxGetsInWindow >= 80, `the upstream was saturated (largest window ${client.maxGetsInWindow})`);
    for (const [index, tally] of answered) assert.ok(tally.ok > 0, `replica ${index} answered ${JSON.stringify(tally)}`);
  });
});
