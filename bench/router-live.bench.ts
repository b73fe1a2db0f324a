/**
 * The `router-live` bench case: one key's 1,000 live dashboards (20 graphql-ws client
 * connections × 50 subscriptions, on 20 distinct alarm pages) through Hive Gateway 2.15
 * (`deploy/hive-gateway/gateway.config.ts`, started by `test/federation/hive.gateway.ts`)
 * and the same 1,000 straight to the facade, one alarm injected per poll interval.
 *
 * Set-up, for each route in turn: a fresh simulator and facade in processes of their own
 * (`processes.ts`), the same facade settings on every route; through the gateway, a
 * supergraph composed from the facade's `_service { sdl }` and the gateway as a process
 * of its own (one worker, `NODE_ENV=production`, warnings and errors only); the clients
 * here. The clients differ only in the URL: each sends `authorization` in its
 * `connection_init`, which the gateway forwards in the `connection_init` of its own
 * WebSocket to the facade. Page i is `alarmPage(deployment: "acme-east", first: 10,
 * filter: { occurredAfter: <i + 1 hours ago> })`, so every injected alarm (occurred now)
 * enters all 20 pages: 1,000 messages per change. Routes: `direct` and `gateway` run one
 * subscription of another page to its first page before the dashboards subscribe (a
 * gateway that has served a subscription before); `gateway, cold` has the dashboards'
 * burst be the gateway's first subscriptions, as after a restart or a deploy.
 *
 * Figures, per route: first-page latency (each subscription's subscribe → its first
 * payload with data, all 1,000 subscribed at once) and when the facade held all 1,000;
 * the delay to each dashboard's message, and to the last dashboard of each change, from
 * the list call of the poll that saw the alarm (the simulator's request log, on the same
 * clock: the gateway does not pass on `extensions.live.polledAt`), from `polledAt` where
 * a payload carries it, and from the injection (which adds the wait for the page's next
 * poll, up to an interval); alarm list calls of the 20 pages at the simulator per
 * interval (the mean over the span measured, and the most in one interval window), and
 * the facade's live polls by outcome; the WebSockets open at the facade
 * (`usm_facade_websocket_connections` on its `/metrics`) with every subscription
 * running, and the most seen while alarms were injected; error payloads and
 * subscriptions ended before their first page, by code; CPU seconds of the facade and
 * the gateway during the first pages and over the span measured. No goals: the figures
 * compare the routes.
 */
import { createClient, type Client } from 'graphql-ws';
import WebSocket from 'ws';
import { fetch } from 'undici';
import { composeSupergraph } from '../src/graph/supergraph.file.js';
import { startHiveGateway, type RunningGateway } from '../test/federation/hive.gateway.js';
import { cpuSeconds, freePort, sleep, startFacadeOnSimulator, type FacadeOnSimulator } from './processes.js';
import { percentile } from './figures.js';
import { logMark, requestsAfter, type LoggedRequest } from './simulator.log.js';

const CONNECTIONS = 20;
const PER_CONNECTION = 50;
const SUBSCRIPTIONS = CONNECTIONS * PER_CONNECTION;
const PAGES = 20;
const INTERVAL_MS = 5000;
const CHANGES = 6;
const FIRST_PAGES_TIMEOUT_MS = 60_000;
const QUERY = `subscription Page($after: DateTime!) {
  alarmPage(deployment: "acme-east", first: 10, filter: { occurredAfter: $after }) { edges { node { id uuid priority status labelIds } } }
}`;

/** How the dashboards reach the facade. */
interface Route {
  name: string;
  viaGateway: boolean;
  /**
   * One subscription of another page, run to its first page and ended, before the
   * dashboards subscribe: it loads the gateway's ws transport, so the dashboards find it
   * ready (a cold gateway opens a WebSocket of its own for each subscription that starts
   * while that transport loads).
   */
  warmedUp: boolean;
}

const ROUTES: readonly Route[] = [
  { name: 'direct', viaGateway: false, warmedUp: true },
  { name: 'gateway', viaGateway: true, warmedUp: true },
  { name: 'gateway, cold', viaGateway: true, warmedUp: false },
];
/** The warm-up's page: older than the dashboards' 20, so it is a live group of its own. */
const WARM_UP_HOURS = 48;

interface Payload {
  data?: { alarmPage: { edges: Array<{ node: { uuid: string } }> } } | null;
  errors?: ReadonlyArray<{ extensions?: { code?: unknown } }>;
  extensions?: { live?: { polledAt?: string } };
}

interface Message {
  arrived: number;
  /** NaN when the payload does not carry `extensions.live.polledAt`. */
  polledAt: number;
  uuids: string[];
}

interface Dashboard {
  page: number;
  subscribedAt: number;
  firstPageMs: number | undefined;
  messages: Message[];
}

/** `n × code` for each code counted, or `0`. */
const countsSummary = (counts: ReadonlyMap<string, number>) =>
  counts.size === 0 ? '0' : [...counts].map(([code, n]) => `${n} × ${code}`).join(', ');

const codeOf = (errors: ReadonlyArray<{ extensions?: { code?: unknown } }> | undefined) =>
  String(errors?.[0]?.extensions?.code ?? 'GRAPHQL_ERROR');

const round = (ms: number) => Math.round(ms);
const cpuSpent = (before: number, after: number) => (Number.isNaN(before) ? '–' : (after - before).toFixed(2));

interface FacadeGauges {
  /** Open graphql-ws connections whose key was accepted. */
  authenticated: number;
  /** Open graphql-ws connections whose key was refused (answered, then closed). */
  unauthenticated: number;
  /** Subscriptions of live queries. */
  subscribers: number;
  /** Polls of live queries so far, by outcome (skipped: the upstream budget was short). */
  polls: { ok: number; failed: number; skipped: number };
}

/** The facade's open WebSockets and live subscribers, from its `/metrics`. */
async function facadeGauges(metricsUrl: string): Promise<FacadeGauges> {
  const text = await (await fetch(metricsUrl)).text();
  const read = (series: string) => {
    const at = text.indexOf(`\n${series} `);
    return at < 0 ? Number.NaN : Number.parseFloat(text.slice(at + series.length + 2));
  };
  return {
    authenticated: read('usm_facade_websocket_connections{state="authenticated"}'),
    unauthenticated: read('usm_facade_websocket_connections{state="unauthenticated"}'),
    subscribers: read('usm_facade_live_subscribers'),
    polls: {
      ok: read('usm_facade_live_polls_total{outcome="ok"}'),
      failed: read('usm_facade_live_polls_total{outcome="failed"}'),
      skipped: read('usm_facade_live_polls_total{outcome="skipped"}'),
    },
  };
}

/** The SDL the facade serves to composition. */
async function facadeSdl(env: FacadeOnSimulator): Promise<string> {
  const response = await fetch(env.graphqlUrl, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${env.adminKey}` },
    body: JSON.stringify({ query: '{ _service { sdl } }' }),
  });
  const body = (await response.json()) as { data?: { _service: { sdl: string } }; errors?: unknown };
  if (body.data === undefined) throw new Error(`_service { sdl }: ${JSON.stringify(body.errors)}`);
  return body.data._service.sdl;
}

/** The pages' `occurredAfter`, and the simulator's `timestamp_occured_gte` for each. */
function pagesFrom(now: number): { after: string[]; byGte: Map<string, number> } {
  const after = Array.from({ length: PAGES }, (_, i) => new Date(now - (i + 1) * 3_600_000).toISOString());
  return { after, byGte: new Map(after.map((iso, i) => [String(Date.parse(iso)), i])) };
}

/** The page a logged alarm list call polled, by its `timestamp_occured_gte`. */
function pageOf(request: LoggedRequest, byGte: ReadonlyMap<string, number>): number | undefined {
  const gte = new URLSearchParams(request.query).get('timestamp_occured_gte');
  return gte === null ? undefined : byGte.get(gte);
}

/** A graphql-ws client of `url` with the key in its `connection_init`, acknowledged. */
function connect(url: string, key: string, onLost: () => void): Promise<Client> {
  return new Promise((resolve, reject) => {
    let connected = false;
    const client = createClient({
      url: url.replace(/^http/, 'ws'),
      webSocketImpl: WebSocket,
      lazy: false,
      retryAttempts: 0,
      connectionParams: { authorization: `Bearer ${key}` },
      onNonLazyError: () => undefined,
      on: {
        connected: () => {
          connected = true;
          resolve(client);
        },
        closed: () => {
          if (connected) onLost();
          else reject(new Error(`a connection to ${url} closed before it was acknowledged`));
        },
      },
    });
  });
}

/** Subscribes to the warm-up page until its first payload, then ends the subscription and the connection. */
async function warmUp(url: string, key: string): Promise<void> {
  const client = await connect(url, key, () => undefined);
  try {
    const after = new Date(Date.now() - WARM_UP_HOURS * 3_600_000).toISOString();
    const payload = await new Promise<Payload>((resolve, reject) => {
      const end = client.subscribe({ query: QUERY, variables: { after } }, {
        next: (value) => {
          end();
          resolve(value as Payload);
        },
        error: reject,
        complete: () => undefined,
      });
    });
    if (payload.data == null) throw new Error(`the warm-up subscription was answered ${JSON.stringify(payload.errors)}`);
  } finally {
    await client.dispose();
  }
}

async function measure(route: Route): Promise<Record<string, number | string>> {
  const metricsPort = await freePort();
  const env = await startFacadeOnSimulator('router-live', {
    LOG_LEVEL: 'warn',
    METRICS_PORT: String(metricsPort),
    LIVE_POLL_INTERVAL_MS: String(INTERVAL_MS),
    // The warm-up's slot may not be freed yet when the dashboards subscribe.
    LIVE_MAX_SUBSCRIPTIONS_PER_KEY: String(SUBSCRIPTIONS + 1),
    // Every dashboard subscribes within the minute, and each subscribe counts as a read.
    KEY_BUDGET_MAXIMUM: '0',
  });
  const metricsUrl = `http://127.0.0.1:${metricsPort}/metrics`;
  let gateway: RunningGateway | undefined;
  const clients: Client[] = [];
  try {
    let target = env.graphqlUrl;
    let gatewayPid: number | undefined;
    if (route.viaGateway) {
      const supergraph = composeSupergraph([{ name: 'usm', url: env.graphqlUrl, sdl: await facadeSdl(env) }]);
      gateway = await startHiveGateway({
        supergraph,
        // One worker (the CLI's default, stated), production mode, no debug or info lines.
        env: { NODE_ENV: 'production', FORK: '1', LOG_LEVEL: 'warn', DEBUG: '0' },
      });
      target = gateway.url;
      gatewayPid = gateway.pid;
    }

    if (route.warmedUp) await warmUp(target, env.adminKey);
    let connectionsLost = 0;
    clients.push(...(await Promise.all(Array.from({ length: CONNECTIONS }, () => connect(target, env.adminKey, () => (connectionsLost += 1))))));

    const cpu = async () => ({
      facade: await cpuSeconds(env.facade.pid!),
      gateway: gatewayPid === undefined ? Number.NaN : await cpuSeconds(gatewayPid),
    });
    const pages = pagesFrom(Date.now());
    const dashboards: Dashboard[] = [];
    const errorPayloads = new Map<string, number>();
    /** By the code of the error that ended them (a refusal is an error payload, then complete). */
    const endedWithoutPage = new Map<string, number>();
    const count = (counts: Map<string, number>, code: string) => counts.set(code, (counts.get(code) ?? 0) + 1);
    let settled = 0;
    const cpuBeforeSubscribing = await cpu();
    const subscribing = performance.now();
    /** When the facade first held every subscription, ms after subscribing began. */
    let facadeHeldAllMs = Number.NaN;
    const watchingSubscribers = setInterval(() => {
      facadeGauges(metricsUrl).then(
        (gauges) => {
          if (gauges.subscribers >= SUBSCRIPTIONS && Number.isNaN(facadeHeldAllMs)) facadeHeldAllMs = performance.now() - subscribing;
        },
        () => undefined,
      );
    }, 100);
    const allSettled = new Promise<void>((resolve) => {
      const settle = () => {
        if (++settled === SUBSCRIPTIONS) resolve();
      };
      clients.forEach((client, c) => {
        for (let s = 0; s < PER_CONNECTION; s += 1) {
          const dashboard: Dashboard = { page: (c * PER_CONNECTION + s) % PAGES, subscribedAt: performance.now(), firstPageMs: undefined, messages: [] };
          dashboards.push(dashboard);
          let lastErrorCode: string | undefined;
          client.subscribe(
            { query: QUERY, variables: { after: pages.after[dashboard.page] } },
            {
              next: (value) => {
                const payload = value as Payload;
                if (payload.errors !== undefined || payload.data == null) {
                  lastErrorCode = codeOf(payload.errors);
                  count(errorPayloads, lastErrorCode);
                  return;
                }
                dashboard.messages.push({
                  arrived: Date.now(),
                  polledAt: Date.parse(payload.extensions?.live?.polledAt ?? ''),
                  uuids: payload.data.alarmPage.edges.map((edge) => edge.node.uuid),
                });
                if (dashboard.firstPageMs === undefined) {
                  dashboard.firstPageMs = performance.now() - dashboard.subscribedAt;
                  settle();
                }
              },
              error: (error) => {
                if (dashboard.firstPageMs !== undefined) return;
                count(endedWithoutPage, Array.isArray(error) ? codeOf(error) : 'CONNECTION_CLOSED');
                settle();
              },
              complete: () => {
                if (dashboard.firstPageMs !== undefined) return;
                count(endedWithoutPage, lastErrorCode ?? 'COMPLETED');
                settle();
              },
            },
          );
        }
      });
    });
    await Promise.race([allSettled, new Promise((resolve) => setTimeout(resolve, FIRST_PAGES_TIMEOUT_MS).unref())]);
    clearInterval(watchingSubscribers);
    const cpuFirstPages = await cpu();
    const firstPages = dashboards.flatMap((d) => (d.firstPageMs === undefined ? [] : [d.firstPageMs])).sort((a, b) => a - b);
    if (firstPages.length === 0) throw new Error(`${route.name}: no dashboard got its first page; ended without one: ${countsSummary(endedWithoutPage)}`);
    await sleep(2000);
    const subscribed = await facadeGauges(metricsUrl);

    const mark = await logMark(env.simulatorUrl);
    const cpuBefore = await cpu();
    const measureStart = Date.now();
    let mostSockets = subscribed.authenticated;
    const watching = setInterval(() => {
      facadeGauges(metricsUrl).then(
        (gauges) => (mostSockets = Math.max(mostSockets, gauges.authenticated)),
        () => undefined,
      );
    }, 1000);
    const injected: Array<{ uuid: string; at: number }> = [];
    try {
      for (let change = 0; change < CHANGES; change += 1) {
        const at = Date.now();
        const response = await fetch(`${env.simulatorUrl}/__sim/alarms`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ deployment: 'acme-east', alarms: [{}] }),
        });
        injected.push({ uuid: ((await response.json()) as { created: Array<{ uuid: string }> }).created[0]!.uuid, at });
        await sleep(measureStart + (change + 1) * INTERVAL_MS - Date.now());
      }
      await sleep(INTERVAL_MS * 1.2);
    } finally {
      clearInterval(watching);
    }
    const measureEnd = Date.now();
    const intervalsMeasured = (measureEnd - measureStart) / INTERVAL_MS;
    const cpuAfter = await cpu();
    const { polls } = await facadeGauges(metricsUrl);
    const requests = await requestsAfter(env.simulatorUrl, mark);
    // The dashboards' pages only: the warm-up's group may poll once more after it ended.
    const listCalls = requests.filter(
      (r) => r.method === 'GET' && r.path.endsWith('/alarms') && r.at < measureEnd && pageOf(r, pages.byGte) !== undefined,
    );
    const callsPerWindow = Array.from(
      { length: CHANGES },
      (_, w) => listCalls.filter((c) => c.at >= measureStart + w * INTERVAL_MS && c.at < measureStart + (w + 1) * INTERVAL_MS).length,
    );
    /** Each page's list calls in the order the simulator logged them. */
    const callsOfPage = Array.from({ length: PAGES }, () => [] as number[]);
    for (const call of listCalls) {
      const page = pageOf(call, pages.byGte);
      if (page !== undefined) callsOfPage[page]!.push(call.at);
    }

    /** Delays to each message: from its page's list call at the simulator, from `polledAt`, from the injection. */
    const fromListCall: number[] = [];
    const fromPolledAt: number[] = [];
    const fromInjection: number[] = [];
    /** The same, to the last dashboard of each change. */
    const lastFromListCall: number[] = [];
    const lastFromInjection: number[] = [];
    let missing = 0;
    for (const { uuid, at } of injected) {
      let lastListCall = 0;
      let lastInjection = 0;
      for (const dashboard of dashboards) {
        if (dashboard.firstPageMs === undefined) continue;
        // The first message showing the alarm: two alarms injected within one poll arrive in one message.
        const message = dashboard.messages.find((m) => m.uuids.includes(uuid));
        if (message === undefined) {
          missing += 1;
          continue;
        }
        // The page's last list call before the message is the poll that saw the alarm (the next is an interval later).
        const listCallAt = callsOfPage[dashboard.page]!.filter((callAt) => callAt <= message.arrived).at(-1) ?? Number.NaN;
        fromListCall.push(message.arrived - listCallAt);
        if (!Number.isNaN(message.polledAt)) fromPolledAt.push(message.arrived - message.polledAt);
        fromInjection.push(message.arrived - at);
        lastListCall = Math.max(lastListCall, message.arrived - listCallAt);
        lastInjection = Math.max(lastInjection, message.arrived - at);
      }
      lastFromListCall.push(lastListCall);
      lastFromInjection.push(lastInjection);
    }
    for (const samples of [fromListCall, fromPolledAt, fromInjection, lastFromListCall, lastFromInjection]) samples.sort((a, b) => a - b);
    const p50p99 = (sorted: number[]) => `${round(percentile(sorted, 50))} / ${round(percentile(sorted, 99))}`;
    const gatewayLines = gateway === undefined ? 0 : gateway.log().split('\n').filter((line) => line.trim() !== '').length;

    return {
      'first page p50 / p99 / max ms': `${p50p99(firstPages)} / ${round(firstPages.at(-1)!)}`,
      'the facade held every subscription after ms': round(facadeHeldAllMs),
      'dashboards with a first page': firstPages.length,
      'dashboards refused or ended before a page': countsSummary(endedWithoutPage),
      'error payloads': countsSummary(errorPayloads),
      'client connections lost': connectionsLost,
      'facade CPU s / gateway CPU s during first pages': `${cpuSpent(cpuBeforeSubscribing.facade, cpuFirstPages.facade)} / ${cpuSpent(cpuBeforeSubscribing.gateway, cpuFirstPages.gateway)}`,
      'messages per change': fromListCall.length / injected.length,
      'messages missing': missing,
      'delay list call → message p50 / p99 ms': p50p99(fromListCall),
      [`delay list call → last dashboard of a change p50 / p99 (= max of ${CHANGES}) ms`]: p50p99(lastFromListCall),
      'delay polledAt → message p50 / p99 ms (payloads carrying extensions.live.polledAt)':
        fromPolledAt.length === 0 ? 'no payload carried it' : `${p50p99(fromPolledAt)} (${fromPolledAt.length} messages)`,
      'delay injection → message p50 / p99 ms': p50p99(fromInjection),
      [`delay injection → last dashboard of a change p50 / p99 (= max of ${CHANGES}) ms`]: p50p99(lastFromInjection),
      [`alarm list calls of the ${PAGES} pages per interval, mean`]: `${(listCalls.length / intervalsMeasured).toFixed(1)} (${listCalls.length} in ${intervalsMeasured.toFixed(1)} intervals)`,
      'most alarm list calls in one interval window': Math.max(...callsPerWindow),
      'longest gap between two list calls of one page ms': round(
        Math.max(...callsOfPage.flatMap((calls) => calls.slice(1).map((at, i) => at - calls[i]!))),
      ),
      'USM 429s': requests.filter((r) => r.status === 429).length,
      'live polls in the intervals measured, ok / failed / skipped (every group)': [
        polls.ok - subscribed.polls.ok,
        polls.failed - subscribed.polls.failed,
        polls.skipped - subscribed.polls.skipped,
      ].join(' / '),
      'WebSockets at the facade, every dashboard subscribed (authenticated / unauthenticated)': `${subscribed.authenticated} / ${subscribed.unauthenticated}`,
      'most WebSockets at the facade while alarms were injected': mostSockets,
      'live subscribers at the facade': subscribed.subscribers,
      'facade CPU s / gateway CPU s over the intervals measured': `${cpuSpent(cpuBefore.facade, cpuAfter.facade)} / ${cpuSpent(cpuBefore.gateway, cpuAfter.gateway)}`,
      'gateway log lines (warn and above)': gateway === undefined ? 'no gateway' : gatewayLines,
    };
  } finally {
    await Promise.all(clients.map((client) => client.dispose()));
    await gateway?.stop();
    await env.stop();
  }
}

export async function run(): Promise<Record<string, number | string>> {
  const figures: Record<string, number | string> = {
    dashboards: SUBSCRIPTIONS,
    'client connections × subscriptions': `${CONNECTIONS} × ${PER_CONNECTION}`,
    'distinct pages': PAGES,
    'poll interval ms': INTERVAL_MS,
    'alarms injected (one per interval)': CHANGES,
  };
  for (const route of ROUTES) {
    for (const [name, value] of Object.entries(await measure(route))) figures[`${route.name}: ${name}`] = value;
  }
  return figures;
}
