/**
 * The `cluster-live` bench case: 300 live subscriptions on 10 distinct alarm pages,
 * spread over three replicas (each page followed on every replica), polled every 2 s.
 * Figures: list calls at USM over five intervals after every subscription has its first
 * page, all replicas together, per page and interval (goal one per distinct page, not one
 * per page and replica).
 */
import { createClient, type Client } from 'graphql-ws';
import WebSocket from 'ws';
import { startCluster } from '../src/cluster/cluster.js';
import { sleep } from './processes.js';
import { logMark, requestsAfter } from './simulator.log.js';

const SUBSCRIPTIONS = 300;
const PAGES = 10;
const INTERVAL_MS = 2000;
const INTERVALS = 5;
const PER_CONNECTION = 10;
const QUERY = 'subscription($first: Int!) { alarmPage(deployment: "acme-east", first: $first) { totalCount edges { node { id } } } }';

export async function run(): Promise<Record<string, number | string>> {
  const cluster = await startCluster({ replicas: 3, port: 0, env: { LIVE_POLL_INTERVAL_MS: String(INTERVAL_MS), KEY_BUDGET_MAXIMUM: '0' } });
  const clients: Client[] = [];
  try {
    const firstPages: Promise<void>[] = [];
    for (let connection = 0; connection < SUBSCRIPTIONS / PER_CONNECTION; connection++) {
      const replica = cluster.replicas[connection % 3]!;
      const client = createClient({
        url: replica.url.replace(/^http/, 'ws'),
        webSocketImpl: WebSocket,
        retryAttempts: 0,
        connectionParams: { Authorization: `Bearer ${cluster.adminKey}` },
      });
      clients.push(client);
      for (let i = 0; i < PER_CONNECTION; i++) {
        const page = (connection * PER_CONNECTION + i) % PAGES;
        firstPages.push(
          new Promise((resolve, reject) => {
            let first = true;
            client.subscribe({ query: QUERY, variables: { first: 5 + page } }, {
              next: () => {
                if (first) (first = false), resolve();
              },
              error: reject,
              complete: () => undefined,
            });
          }),
        );
      }
    }
    await Promise.all(firstPages);
    const mark = await logMark(cluster.simulator.url);
    const from = Date.now();
    await sleep(INTERVAL_MS * INTERVALS);
    const lists = (await requestsAfter(cluster.simulator.url, mark)).filter(
      (r) => r.method === 'GET' && /\/alarms$/.test(r.path) && r.at < from + INTERVAL_MS * INTERVALS,
    );
    const perPage = new Map<string, number>();
    for (const r of lists) perPage.set(r.query, (perPage.get(r.query) ?? 0) + 1);
    return {
      subscriptions: SUBSCRIPTIONS,
      'distinct pages': PAGES,
      replicas: 3,
      'poll interval (ms)': INTERVAL_MS,
      [`list calls at USM in ${(INTERVAL_MS * INTERVALS) / 1000} s, all replicas`]: lists.length,
      'distinct pages polled': perPage.size,
      'list calls per page per interval (goal 1; up to 10% jitter makes it a little less)': lists.length / (PAGES * INTERVALS),
      'most calls of one page in the window': Math.max(...perPage.values()),
      'per page per interval if each replica polled its own': 3,
    };
  } finally {
    await Promise.all(clients.map((c) => c.dispose()));
    await cluster.stop();
  }
}
