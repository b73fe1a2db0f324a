import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { formatApiKey, newKeyId, newSecret } from '../../src/keys/api-key.format.js';
import type { RunningSimulator } from '../../src/simulator/simulator.js';
import { connectWs, wsSubscribe, type WsConnection, type WsSubscription } from '../apikey/apikey.fixture.js';
import { startTestFacade, type TestFacade } from '../support/facade.fixture.js';
import { deleteRedisKeys, REDIS_URL, startTestSimulator, uniquePrefix } from '../upstream/upstream.fixture.js';
import { alarmListCalls, injectAlarms, INTERVAL_MS, inReceiptOrder, logEnd, record, TURN_MS, untilListCallsAnswered, type Recorded } from './live.fixture.js';
import { ManualClock } from '../support/manual.clock.js';

const DEPLOYMENT = 'acme-east';

/** One facade process of the pair: its own clock, hub, lease holder and replica id. */
interface Replica {
  name: string;
  facade: TestFacade;
  clock: ManualClock;
  ws: WsConnection;
}

/** Two replicas on one Redis prefix and one simulator deployment, sharing one admin key. */
async function startReplicas(simulator: RunningSimulator, prefix: string, more: Record<string, string> = {}): Promise<[Replica, Replica]> {
  const env = {
    REDIS_URL,
    REDIS_PREFIX: prefix,
    FACADE_ADMIN_KEY: formatApiKey(newKeyId(), newSecret()),
    LIVE_POLL_INTERVAL_MS: String(INTERVAL_MS),
    ...more,
  };
  const start = async (name: string): Promise<Replica> => {
    const clock = new ManualClock();
    const facade = await startTestFacade(env, { facade: { live: { clock, random: () => 0 } }, upstream: { simulator, deployment: DEPLOYMENT } });
    const ws = connectWs(facade, { Authorization: `Bearer ${env.FACADE_ADMIN_KEY}` });
    await ws.acknowledged;
    return { name, facade, clock, ws };
  };
  return [await start('A'), await start('B')];
}

async function stopReplicas(replicas: Replica[]): Promise<void> {
  for (const { ws, facade } of replicas) {
    await ws.dispose();
    await facade.stop();
  }
}

/**
 * Two distinct pages, newest first: told apart at the simulator by the field each sorts
 * on (`sort=timestamp_received,desc` or `timestamp_occured,desc`). A new alarm heads both.
 */
const PAGES = {
  received: { first: 5, field: 'RECEIVED_AT', sort: 'timestamp_received,desc' },
  occurred: { first: 3, field: 'OCCURRED_AT', sort: 'timestamp_occured,desc' },
} as const;
type PageName = keyof typeof PAGES;
const PAGE_NAMES = Object.keys(PAGES) as PageName[];

const pageQuery = (page: PageName) =>
  `subscription { alarmPage(deployment: "${DEPLOYMENT}", first: ${PAGES[page].first}, orderBy: { field: ${PAGES[page].field}, direction: DESC }) {
  totalCount edges { node { uuid } } } }`;

const uuidsOf = (data: Record<string, unknown>) =>
  (data['alarmPage'] as { edges: Array<{ node: { uuid: string } }> }).edges.map((edge) => edge.node.uuid);

describe('alarmPage on two replicas sharing one Redis', () => {
  let simulator: RunningSimulator;
  const prefix = uniquePrefix();
  let replicas: [Replica, Replica];
  const subscriptions: Array<WsSubscription<string[]>> = [];
  /** Each page's subscriber on each replica. */
  const watchers = new Map<string, WsSubscription<string[]>>();
  /** The replica whose own clock made each page's polls (found in the first test). */
  const holders = new Map<PageName, Replica>();

  /** List calls after `mark`, by the page they read (the `sort` of the call). */
  async function callsByPage(mark: number): Promise<Record<PageName | 'other', number>> {
    const counts = { received: 0, occurred: 0, other: 0 };
    for (const call of await alarmListCalls(simulator.url, mark)) {
      const sort = new URLSearchParams(call.query).get('sort');
      counts[PAGE_NAMES.find((name) => PAGES[name].sort === sort) ?? 'other'] += 1;
    }
    return counts;
  }

  const watch = async (replica: Replica, page: PageName) => {
    const subscription = wsSubscribe(replica.ws.client, pageQuery(page), uuidsOf);
    subscriptions.push(subscription);
    watchers.set(`${replica.name}:${page}`, subscription);
    assert.equal((await subscription.next()).length, PAGES[page].first, `the first page on ${replica.name}`);
  };

  before(async () => {
    simulator = await startTestSimulator();
    replicas = await startReplicas(simulator, prefix);
    const [a, b] = replicas;
    // Each page starts on a different replica, so each replica has one page to poll and one to follow.
    await watch(a, 'received');
    await watch(b, 'received');
    await watch(b, 'occurred');
    await watch(a, 'occurred');
  });
  after(async () => {
    for (const subscription of subscriptions) subscription.stop();
    await stopReplicas(replicas ?? []);
    await simulator?.stop();
    await deleteRedisKeys(prefix);
  });

  it('polls each page once per interval across both replicas, and delivers a change on both', async () => {
    const [a, b] = replicas;
    for (let round = 0; round < 3; round += 1) {
      const total = { received: 0, occurred: 0, other: 0 };
      for (const replica of replicas) {
        const mark = await logEnd(simulator.url);
        await replica.clock.advance(TURN_MS);
        const calls = await callsByPage(mark);
        for (const page of PAGE_NAMES) {
          total[page] += calls[page];
          if (calls[page] > 0) holders.set(page, replica);
        }
        total.other += calls.other;
      }
      assert.deepEqual(total, { received: 1, occurred: 1, other: 0 }, `round ${round}: one list call per page for both replicas`);
    }
    assert.equal(holders.get('received'), a, 'the replica that started the page polls it');
    assert.equal(holders.get('occurred'), b);

    const [created] = await injectAlarms(simulator.url, DEPLOYMENT);
    const mark = await logEnd(simulator.url);
    for (const replica of replicas) await replica.clock.advance(TURN_MS);
    for (const [where, watcher] of watchers) assert.equal((await watcher.next())[0], created!.uuid, `the new alarm heads ${where}`);
    assert.deepEqual(await callsByPage(mark), { received: 1, occurred: 1, other: 0 }, 'the follower of each page did not read it');
  });

  it('hands a page to the other replica when its holder stops, within two intervals', async () => {
    const holder = holders.get('received')!;
    const survivor = replicas.find((replica) => replica !== holder)!;
    const [created] = await injectAlarms(simulator.url, DEPLOYMENT);
    const stopped = await logEnd(simulator.url);
    await holder.ws.dispose();
    await holder.facade.stop();

    let advances = 0;
    while ((await callsByPage(stopped)).received === 0 && advances < 2) {
      await survivor.clock.advance(TURN_MS);
      advances += 1;
    }
    assert.ok((await callsByPage(stopped)).received > 0, 'the survivor polled the page within two turns of the stop');
    for (const page of PAGE_NAMES) {
      assert.equal((await watchers.get(`${survivor.name}:${page}`)!.next())[0], created!.uuid, `the survivor’s ${page} page has the change`);
    }

    // Now the survivor polls both pages, each once per interval.
    for (let round = 0; round < 3; round += 1) {
      const mark = await logEnd(simulator.url);
      await survivor.clock.advance(INTERVAL_MS);
      assert.deepEqual(await callsByPage(mark), { received: 1, occurred: 1, other: 0 }, `round ${round} after the takeover`);
    }
    const [later] = await injectAlarms(simulator.url, DEPLOYMENT);
    await survivor.clock.advance(INTERVAL_MS);
    for (const page of PAGE_NAMES) {
      assert.equal((await watchers.get(`${survivor.name}:${page}`)!.next())[0], later!.uuid, `the survivor’s ${page} page goes on`);
    }
  });
});

const CREATED = `subscription { alarmCreated(deployment: "${DEPLOYMENT}") { uuid receivedAt } }`;

const createdOf = (data: Record<string, unknown>) => (data['alarmCreated'] as { uuid: string; receivedAt: string }).uuid;

/** Oldest received first, ties by uuid: the order alarmCreated sends (one deployment). */
describe('alarmCreated across a takeover', () => {
  let simulator: RunningSimulator;
  const prefix = uniquePrefix();
  let replicas: [Replica, Replica];
  const subscriptions: Array<WsSubscription<string>> = [];

  before(async () => {
    simulator = await startTestSimulator();
    replicas = await startReplicas(simulator, prefix);
  });
  after(async () => {
    for (const subscription of subscriptions) subscription.stop();
    await stopReplicas(replicas ?? []);
    await simulator?.stop();
    await deleteRedisKeys(prefix);
  });

  it('sends the survivor’s subscriber every alarm once, in receipt order: those polled before, pending at and injected after the stop', async () => {
    const [a, b] = replicas;
    const start = await logEnd(simulator.url);
    const onA = wsSubscribe(a.ws.client, CREATED, createdOf);
    subscriptions.push(onA);
    // The group's first poll (A's) takes the watermark before anything is injected.
    await untilListCallsAnswered(simulator.url, start, 1);
    const onB = wsSubscribe(b.ws.client, CREATED, createdOf);
    subscriptions.push(onB);
    // B's newcomer reads the feed once: B then listens on the group's channel.
    await untilListCallsAnswered(simulator.url, start, 2);

    const delivered = await injectAlarms(simulator.url, DEPLOYMENT, [{}, {}]);
    let holder: Replica | undefined;
    let polls = 0;
    for (const replica of replicas) {
      const mark = await logEnd(simulator.url);
      await replica.clock.advance(TURN_MS);
      const calls = (await alarmListCalls(simulator.url, mark)).length;
      if (calls > 0) holder = replica;
      polls += calls;
    }
    assert.equal(polls, 1, 'one replica polled the group, once');
    assert.ok(holder !== undefined);
    const survivor = replicas.find((replica) => replica !== holder)!;
    const watcher = survivor === a ? onA : onB;
    const expected = inReceiptOrder(delivered).map((alarm) => alarm.uuid);
    assert.deepEqual([await watcher.next(), await watcher.next()], expected, 'the follower has what the holder published');

    const pending = await injectAlarms(simulator.url, DEPLOYMENT, [{}, {}]);
    await holder.ws.dispose();
    await holder.facade.stop();
    const later = await injectAlarms(simulator.url, DEPLOYMENT, [{}]);

    const stopped = await logEnd(simulator.url);
    let advances = 0;
    while ((await alarmListCalls(simulator.url, stopped)).length === 0 && advances < 2) {
      await survivor.clock.advance(TURN_MS);
      advances += 1;
    }
    assert.ok((await alarmListCalls(simulator.url, stopped)).length > 0, 'the survivor polled within two intervals');
    const rest = inReceiptOrder([...pending, ...later]).map((alarm) => alarm.uuid);
    const received: string[] = [];
    for (let i = 0; i < rest.length; i += 1) received.push(await watcher.next());
    assert.deepEqual(received, rest, 'the alarms pending at the stop and those after, once each, oldest first');

    // Quiet turns send nothing; the next payload is the next alarm, so nothing came twice in between.
    for (let i = 0; i < 2; i += 1) await survivor.clock.advance(TURN_MS);
    const [last] = await injectAlarms(simulator.url, DEPLOYMENT);
    await survivor.clock.advance(TURN_MS);
    assert.equal(await watcher.next(), last!.uuid);
    assert.equal(watcher.received.length, expected.length + rest.length + 1);
  });
});

describe('subscriptions per key across two replicas', () => {
  let simulator: RunningSimulator;
  let replicas: [Replica, Replica];
  const prefix = uniquePrefix();

  before(async () => {
    simulator = await startTestSimulator();
    replicas = await startReplicas(simulator, prefix, { LIVE_MAX_SUBSCRIPTIONS_PER_KEY: '3' });
  });
  after(async () => {
    await stopReplicas(replicas);
    await simulator.stop();
    await deleteRedisKeys(prefix);
  });

  it('counts a key’s subscriptions on every replica against LIVE_MAX_SUBSCRIPTIONS_PER_KEY, and frees a slot when one ends', async () => {
    const [a, b] = replicas;
    const onA = [wsSubscribe(a.ws.client, pageQuery('received'), (d) => d), wsSubscribe(a.ws.client, pageQuery('occurred'), (d) => d)];
    const onB = wsSubscribe(b.ws.client, pageQuery('received'), (d) => d);
    for (const subscription of [...onA, onB]) await subscription.next();
    const refused = await record(b.ws.client, pageQuery('occurred')).next();
    assert.equal(refused.errors?.[0]?.extensions?.['code'], 'LIMIT_EXCEEDED', 'two on A and one on B are the key’s three');
    assert.match(refused.errors![0]!.message, /every replica together/);
    onA[0]!.stop();
    // The slot comes back once A has handled the complete: ask again until it has (each ask is one round trip).
    let admitted: Recorded | undefined;
    for (let attempt = 0; admitted === undefined && attempt < 50; attempt += 1) {
      const probe = record(b.ws.client, pageQuery('occurred'));
      const first = await probe.next();
      if (first.errors === undefined) admitted = probe;
      else assert.equal(first.errors[0]?.extensions?.['code'], 'LIMIT_EXCEEDED');
    }
    assert.ok(admitted !== undefined, 'a slot freed on A is usable on B');
    onA[1]!.stop();
    onB.stop();
    admitted.stop();
  });
});
