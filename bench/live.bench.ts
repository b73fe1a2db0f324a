/**
 * The `live` bench case: 10,000 live subscriptions (1,000 WebSocket connections × 10)
 * on 100 distinct alarm pages, one alarm injected per poll interval.
 *
 * Set-up: the facade and the simulator in processes of their own (`processes.ts`), the
 * clients here. Page i is `alarmPage(deployment: "acme-east", first: 10, filter:
 * { occurredAfter: <i hours ago> })`: 100 distinct groups, and every injected alarm
 * (occurred now) enters all of them, the worst case: 10,000 messages per change.
 *
 * Figures: upstream alarm list calls in each 5 s window of the six measured intervals,
 * mean and max (from the simulator's request log; goal one poll per page, ≤ 100), and
 * USM's 429s; the delay from a poll's answer (`extensions.live.polledAt`, stamped in
 * the facade process on the same clock) to each subscriber's message, p50/p99/max over
 * every message, and to the last subscriber of each change (goal p99 ≤ 1 s); the
 * facade's RSS idle, with the connections open, and with every subscription running,
 * and per subscription (goal ≤ 20 KB). Goals are printed beside the figures, not
 * asserted.
 *
 * A subscription's first page is its first payload with data: an error payload before
 * it (its group's first poll failed, e.g. UPSTREAM_TIMEOUT when the machine is busy) is
 * counted by code, and the subscription still waits for its page. Subscriptions
 * refused or ended before a page, and connections lost, are counted; after
 * FIRST_PAGES_TIMEOUT_MS the bench goes on with the subscriptions that have a page.
 */
import { createClient, type Client } from 'graphql-ws';
import WebSocket from 'ws';
import { fetch } from 'undici';
import { rssKb, sleep, startFacadeOnSimulator } from './processes.js';
import { percentile } from './figures.js';
import { logMark, requestsAfter } from './simulator.log.js';

const CONNECTIONS = 1000;
const PER_CONNECTION = 10;
const PAGES = 100;
const INTERVAL_MS = 5000;
const CHANGES = 6;
const OPEN_AT_ONCE = 50;
const FIRST_PAGES_TIMEOUT_MS = 60_000;
const QUERY = `subscription Page($after: DateTime!) {
  alarmPage(deployment: "acme-east", first: 10, filter: { occurredAfter: $after }) { edges { node { id uuid priority status labelIds } } }
}`;

interface Payload {
  data?: { alarmPage: { edges: Array<{ node: { uuid: string } }> } };
  errors?: Array<{ extensions?: { code?: unknown } }>;
  extensions?: { live?: { polledAt: string } };
}

/** `n × code` for each code counted, or `0`. */
function countsSummary(counts: ReadonlyMap<string, number>): string {
  return counts.size === 0 ? '0' : [...counts].map(([code, n]) => `${n} × ${code}`).join(', ');
}

const codeOf = (errors: ReadonlyArray<{ extensions?: { code?: unknown } }> | undefined) =>
  String(errors?.[0]?.extensions?.code ?? 'GRAPHQL_ERROR');

export async function run(): Promise<Record<string, number | string>> {
  const env = await startFacadeOnSimulator('live', {
    LOG_LEVEL: 'warn',
    LIVE_POLL_INTERVAL_MS: String(INTERVAL_MS),
    LIVE_MAX_SUBSCRIPTIONS_PER_KEY: String(CONNECTIONS * PER_CONNECTION),
    // One key opens every subscription within the minute: each subscribe counts against its reads limit.
    KEY_BUDGET_MAXIMUM: '0',
  });
  const clients: Client[] = [];
  try {
    const wsUrl = env.graphqlUrl.replace(/^http/, 'ws');
    const pid = env.facade.pid!;
    // One query first, so the process is warm before its idle RSS is read.
    await fetch(env.graphqlUrl, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${env.adminKey}` },
      body: JSON.stringify({ query: '{ alarms(deployment: "acme-east", first: 10) { edges { node { uuid } } } }' }),
    });
    await sleep(1000);
    const rssIdle = await rssKb(pid);

    let connectionsLost = 0;
    for (let opened = 0; opened < CONNECTIONS; opened += OPEN_AT_ONCE) {
      await Promise.all(
        Array.from({ length: Math.min(OPEN_AT_ONCE, CONNECTIONS - opened) }, () => {
          return new Promise<void>((resolve, reject) => {
            let connected = false;
            const client = createClient({
              url: wsUrl,
              webSocketImpl: WebSocket,
              lazy: false,
              retryAttempts: 0,
              connectionParams: { Authorization: `Bearer ${env.adminKey}` },
              onNonLazyError: () => undefined,
              on: {
                connected: () => {
                  connected = true;
                  resolve();
                },
                closed: () => {
                  if (connected) connectionsLost += 1;
                  else reject(new Error('a connection closed before it was acknowledged'));
                },
              },
            });
            clients.push(client);
          });
        }),
      );
    }
    await sleep(2000);
    const rssConnected = await rssKb(pid);

    const now = Date.now();
    const pageAfter = (i: number) => new Date(now - (i + 1) * 3_600_000).toISOString();
    /** Per subscription, its messages' arrival times and polledAt, and the alarms on each page. */
    const messages: Array<Array<{ arrived: number; polledAt: number; uuids: string[] }>> = [];
    const subscriptions = CONNECTIONS * PER_CONNECTION;
    let firstPages = 0;
    /** Subscriptions with a first page, refused, or ended without one. */
    let settled = 0;
    const errorPayloads = new Map<string, number>();
    /** By the code of the error that ended them (a refusal is an error payload, then complete). */
    const endedWithoutPage = new Map<string, number>();
    const count = (counts: Map<string, number>, code: string) => counts.set(code, (counts.get(code) ?? 0) + 1);
    const allFirst = new Promise<void>((resolve) => {
      const settle = () => {
        if (++settled === subscriptions) resolve();
      };
      let index = 0;
      for (const client of clients) {
        for (let s = 0; s < PER_CONNECTION; s += 1, index += 1) {
          const received: Array<{ arrived: number; polledAt: number; uuids: string[] }> = [];
          messages.push(received);
          let lastErrorCode: string | undefined;
          client.subscribe<Payload['data']>(
            { query: QUERY, variables: { after: pageAfter(index % PAGES) } },
            {
              next: (value) => {
                const payload = value as Payload;
                if (payload.errors !== undefined || payload.data == null) {
                  lastErrorCode = codeOf(payload.errors);
                  count(errorPayloads, lastErrorCode);
                  return;
                }
                received.push({
                  arrived: Date.now(),
                  polledAt: Date.parse(payload.extensions?.live?.polledAt ?? ''),
                  uuids: payload.data.alarmPage.edges.map((edge) => edge.node.uuid),
                });
                if (received.length === 1) {
                  firstPages += 1;
                  settle();
                }
              },
              error: (error) => {
                if (received.length > 0) return;
                count(endedWithoutPage, Array.isArray(error) ? codeOf(error) : 'CONNECTION_CLOSED');
                settle();
              },
              complete: () => {
                if (received.length > 0) return;
                count(endedWithoutPage, lastErrorCode ?? 'COMPLETED');
                settle();
              },
            },
          );
        }
      }
    });
    const subscribeStarted = Date.now();
    await Promise.race([allFirst, new Promise((resolve) => setTimeout(resolve, FIRST_PAGES_TIMEOUT_MS).unref())]);
    const firstPagesMs = Date.now() - subscribeStarted;
    if (firstPages === 0) throw new Error(`no subscription got its first page; ended without one: ${countsSummary(endedWithoutPage)}`);
    await sleep(2000);
    const rssSubscribed = await rssKb(pid);

    const mark = await logMark(env.simulatorUrl);
    const measureStart = Date.now();
    const injected: string[] = [];
    for (let change = 0; change < CHANGES; change += 1) {
      const response = await fetch(`${env.simulatorUrl}/__sim/alarms`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ deployment: 'acme-east', alarms: [{}] }),
      });
      injected.push(((await response.json()) as { created: Array<{ uuid: string }> }).created[0]!.uuid);
      await sleep(INTERVAL_MS);
    }
    await sleep(INTERVAL_MS * 1.2);
    const requests = await requestsAfter(env.simulatorUrl, mark);
    const listCalls = requests.filter((r) => r.method === 'GET' && r.path.endsWith('/alarms'));
    const callsPerWindow = Array.from(
      { length: CHANGES },
      (_, w) => listCalls.filter((c) => c.at >= measureStart + w * INTERVAL_MS && c.at < measureStart + (w + 1) * INTERVAL_MS).length,
    );

    const delays: number[] = [];
    const lastDelays: number[] = [];
    let missing = 0;
    for (const uuid of injected) {
      let last = 0;
      for (const received of messages) {
        if (received.length === 0) continue;
        // The first page showing the alarm: two alarms injected within one poll arrive in one message.
        const message = received.find((m) => m.uuids.includes(uuid));
        if (message === undefined) {
          missing += 1;
          continue;
        }
        const delay = message.arrived - message.polledAt;
        delays.push(delay);
        last = Math.max(last, delay);
      }
      lastDelays.push(last);
    }
    delays.sort((a, b) => a - b);
    lastDelays.sort((a, b) => a - b);
    return {
      subscriptions,
      'distinct pages': PAGES,
      'first pages of every subscription, s': firstPagesMs / 1000,
      'subscriptions with a first page': firstPages,
      'subscriptions refused or ended before a page': countsSummary(endedWithoutPage),
      'connections lost': connectionsLost,
      'upstream list calls per 5 s window, mean / max': `${(callsPerWindow.reduce((sum, n) => sum + n, 0) / CHANGES).toFixed(1)} / ${Math.max(...callsPerWindow)}`,
      'goal list calls per interval': `≤ ${PAGES}`,
      "USM 429s": requests.filter((r) => r.status === 429).length,
      'messages per change': delays.length / injected.length,
      'messages missing': missing,
      'error payloads': countsSummary(errorPayloads),
      'delay poll answer → message p50 ms': percentile(delays, 50),
      'delay p99 ms': percentile(delays, 99),
      'delay max ms': delays.at(-1) ?? Number.NaN,
      'delay to the last subscriber of a change, p50 ms': percentile(lastDelays, 50),
      'delay to the last subscriber, max ms': lastDelays.at(-1) ?? Number.NaN,
      'goal p99 delay ms': 1000,
      'facade RSS idle MB': rssIdle / 1024,
      'RSS with 1,000 connections MB': rssConnected / 1024,
      'RSS with 10,000 subscriptions MB': rssSubscribed / 1024,
      'RSS per connection KB': (rssConnected - rssIdle) / CONNECTIONS,
      'RSS per subscription KB': (rssSubscribed - rssConnected) / firstPages,
      'RSS per subscription, connections included KB': (rssSubscribed - rssIdle) / firstPages,
      'goal KB per subscription': 20,
    };
  } finally {
    await Promise.all(clients.map((client) => client.dispose()));
    await env.stop();
  }
}
