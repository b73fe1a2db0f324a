/**
 * One of three replicas killed (SIGKILL: no drain, no lease released) while dashboards
 * follow live pages on every replica and label writes go to all three:
 * - the two others answer every request sent to them after the kill;
 * - each live page keeps being polled: the first poll of it after the kill is within
 *   two poll intervals (the killed replica's leases run out and a follower takes them),
 *   and every subscriber left sees an alarm injected after the kill;
 * - every label write a replica answered as done is on the alarm at USM.
 *
 * The replicas are real processes on real time. Timestamps compared are the
 * simulator's own (its request log) against the moment of the kill; every wait is a
 * deadline-bound wait for an event, never a sleep that decides an outcome.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createClient, type Client } from 'graphql-ws';
import WebSocket from 'ws';
import { startCluster, type ClusterReplica, type RunningCluster } from '../../src/cluster/cluster.js';
import { injectAlarms } from '../live/live.fixture.js';
import { grantToken } from '../simulator/simulator.fixture.js';
import { postGraphQL } from '../support/graphql.client.js';

const INTERVAL_MS = 2000;
const DEPLOYMENTS = ['acme-east', 'acme-west', 'acme-lab'] as const;
const PAGE_SIZE = 5;
const LABEL = 'needs-triage';
const PAGE = `subscription($d: String!) { alarmPage(deployment: $d, first: ${PAGE_SIZE}) { totalCount edges { node { id uuid } } } }`;
const ADD_LABEL = 'mutation($id: ID!) { addAlarmLabel(alarmId: $id, labelId: "needs-triage") { id labelIds } }';

interface LivePage {
  totalCount: number;
  edges: Array<{ node: { id: string; uuid: string } }>;
}
interface Subscriber {
  replica: ClusterReplica;
  deployment: string;
  pages: LivePage[];
  client: Client;
  /** Resolves with the first page for which `accept` holds (this one included). */
  until(accept: (page: LivePage) => boolean, what: string): Promise<LivePage>;
}
interface LoggedRequest {
  at: number;
  target: string;
  method: string;
  path: string;
  query: string;
}

function subscribe(replica: ClusterReplica, deployment: string, key: string): Subscriber {
  const client = createClient({
    url: replica.url.replace(/^http/, 'ws'),
    webSocketImpl: WebSocket,
    retryAttempts: 0,
    lazy: false,
    onNonLazyError: () => undefined, // the killed replica's connections close here
    connectionParams: { Authorization: `Bearer ${key}` },
  });
  const pages: LivePage[] = [];
  const waiters: Array<{ accept: (page: LivePage) => boolean; resolve: (page: LivePage) => void }> = [];
  client.subscribe<{ alarmPage: LivePage }>(
    { query: PAGE, variables: { d: deployment } },
    {
      next: (payload) => {
        const page = payload.data?.alarmPage;
        if (page === undefined) return;
        pages.push(page);
        for (const waiter of [...waiters]) {
          if (waiter.accept(page)) {
            waiters.splice(waiters.indexOf(waiter), 1);
            waiter.resolve(page);
          }
        }
      },
      error: () => undefined, // the killed replica's subscribers end here
      complete: () => undefined,
    },
  );
  return {
    replica,
    deployment,
    pages,
    client,
    until(accept, what) {
      const seen = pages.find(accept);
      if (seen !== undefined) return Promise.resolve(seen);
      return new Promise((resolve, reject) => {
        // Real time on purpose: replicas are real processes; this only bounds the wait for their pages.
        const timer = setTimeout(() => reject(new Error(`replica ${replica.index}, ${deployment}: never saw ${what}`)), 10 * INTERVAL_MS);
        waiters.push({ accept, resolve: (page) => (clearTimeout(timer), resolve(page)) });
      });
    },
  };
}

async function livePolls(replica: ClusterReplica): Promise<number> {
  const text = await (await fetch(replica.metricsUrl!)).text();
  const line = text.split('\n').find((l) => l.startsWith('usm_facade_live_polls_total{outcome="ok"}'));
  return line === undefined ? 0 : Number(line.split(' ').pop());
}

/** The simulator's log of list calls for one live page (`size` is the page's), oldest first. */
async function pagePolls(cluster: RunningCluster, deployment: string): Promise<number[]> {
  const response = await fetch(`${cluster.simulator.url}/__sim/requests?limit=10000`);
  const { requests } = (await response.json()) as { requests: LoggedRequest[] };
  return requests
    .filter((r) => r.target === deployment && r.method === 'GET' && /\/alarms$/.test(r.path) && new URLSearchParams(r.query).get('size') === String(PAGE_SIZE + 1))
    .map((r) => r.at);
}

/** Waits until the simulator has logged a poll of every live page after `mark` (epoch ms). */
async function everyPagePolledAfter(cluster: RunningCluster, mark: number): Promise<void> {
  const deadline = Date.now() + 5 * INTERVAL_MS;
  for (;;) {
    const polled = await Promise.all(DEPLOYMENTS.map(async (d) => (await pagePolls(cluster, d)).some((at) => at > mark)));
    if (polled.every(Boolean)) return;
    if (Date.now() > deadline) throw new Error(`not every live page was polled within ${5 * INTERVAL_MS} ms: ${polled}`);
    // Real time on purpose: replicas are real processes polling on their own clocks.
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

describe('a replica killed mid-traffic', () => {
  let cluster: RunningCluster;
  const subscribers: Subscriber[] = [];
  const gql = (replica: ClusterReplica, query: string, variables: Record<string, unknown> = {}) =>
    postGraphQL(replica.url, query, variables, { authorization: `Bearer ${cluster.adminKey}` });

  before(async () => {
    cluster = await startCluster({
      replicas: 3,
      port: 0,
      metricsPort: 'free',
      env: {
        LIVE_POLL_INTERVAL_MS: String(INTERVAL_MS),
        CACHE_PAGE_TTL_MS: '0',
        CACHE_ALARM_TTL_MS: '0',
        KEY_BUDGET_MAXIMUM: '0',
        RATE_LIMIT_LABEL_WRITES: '0',
      },
    });
  });
  after(async () => {
    await Promise.all(subscribers.map((s) => s.client.dispose()));
    await cluster?.stop();
  });

  it('keeps serving, takes over its live pages within two intervals, and loses no label write it reported done', async () => {
    const [first] = cluster.replicas;
    const listed = await gql(first!, `{ alarms(deployment: "acme-east", first: 60) { edges { node { id uuid } } } }`);
    const alarms = (listed.body.data as { alarms: LivePage }).alarms.edges.map((e) => e.node);

    for (const replica of cluster.replicas) for (const deployment of DEPLOYMENTS) subscribers.push(subscribe(replica, deployment, cluster.adminKey));
    await Promise.all(subscribers.map((s) => s.until(() => true, 'a first page')));

    // The victim is a replica that polls live pages: its poll count moves between two readings an interval apart.
    const pollsBefore = await Promise.all(cluster.replicas.map(livePolls));
    await everyPagePolledAfter(cluster, Date.now());
    const pollsAfter = await Promise.all(cluster.replicas.map(livePolls));
    const deltas = pollsAfter.map((n, i) => n - pollsBefore[i]!);
    const victimIndex = deltas.indexOf(Math.max(...deltas));
    assert.ok(deltas[victimIndex]! > 0, `some replica polls: ${deltas}`);
    const victim = cluster.replicas[victimIndex]!;
    const survivors = cluster.replicas.filter((r) => r !== victim);

    // Label writes to every replica in turn, one at a time each, until told to stop.
    const done = new Set<string>();
    const failedOnSurvivors: string[] = [];
    let killedAt = Number.POSITIVE_INFINITY;
    let writing = true;
    let next = 0;
    const writer = async (replica: ClusterReplica) => {
      while (writing && next < alarms.length) {
        const alarm = alarms[next++]!;
        const sentAt = Date.now();
        try {
          const { status, body } = await gql(replica, ADD_LABEL, { id: alarm.id });
          if (status === 200 && body.errors === undefined) done.add(alarm.uuid);
          else if (replica !== victim || sentAt > killedAt) failedOnSurvivors.push(`${status} ${JSON.stringify(body.errors)}`);
        } catch (error) {
          // A connection the killed replica dropped or refused: not reported done, so not owed.
          if (replica !== victim) failedOnSurvivors.push(String(error));
        }
      }
    };
    const writers = cluster.replicas.map(writer);
    // Real time on purpose: the writers talk to real replica processes.
    while (done.size < 6) await new Promise((resolve) => setTimeout(resolve, 20));

    await victim.kill('SIGKILL');
    killedAt = Date.now();

    // An alarm per deployment after the kill: every subscriber left sees it.
    const injected = await Promise.all(DEPLOYMENTS.map(async (d) => [d, (await injectAlarms(cluster.simulator.url, d))[0]!.uuid] as const));
    await Promise.all(
      subscribers
        .filter((s) => s.replica !== victim)
        .map((s) => s.until((page) => page.edges.some((e) => e.node.uuid === injected.find(([d]) => d === s.deployment)![1]), 'the injected alarm')),
    );
    // The survivors still answer reads.
    for (const replica of survivors) {
      const { body } = await gql(replica, '{ deployments { name } }');
      assert.equal(body.errors, undefined, JSON.stringify(body.errors));
    }
    writing = false;
    await Promise.all(writers);

    assert.deepEqual(failedOnSurvivors, [], 'the survivors answered every request');
    for (const deployment of DEPLOYMENTS) {
      const polls = await pagePolls(cluster, deployment);
      const firstAfterKill = polls.find((at) => at > killedAt);
      assert.ok(firstAfterKill !== undefined, `${deployment} is polled after the kill`);
      assert.ok(firstAfterKill - killedAt <= 2 * INTERVAL_MS, `${deployment}: first poll ${firstAfterKill - killedAt} ms after the kill`);
    }

    // Every write reported done is at USM.
    const deployment = cluster.simulator.deployments.find((d) => d.name === 'acme-east')!;
    const token = await grantToken(deployment.url, deployment.clientId, deployment.clientSecret);
    const missing: string[] = [];
    for (const uuid of done) {
      const response = await fetch(`${deployment.url}/alarms/${uuid}`, { headers: { authorization: `Bearer ${token}` } });
      const alarm = (await response.json()) as { alarm_labels?: string[] };
      if (!(alarm.alarm_labels ?? []).includes(LABEL)) missing.push(uuid);
    }
    assert.ok(done.size >= 6);
    assert.deepEqual(missing, []);
  });
});
