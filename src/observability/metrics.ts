/**
 * The facade's Prometheus metrics (prom-client), one registry per facade.
 *
 * Contract:
 * - Names follow Prometheus conventions: `usm_facade_` prefix, snake_case, base units
 *   (`_seconds`), counters end in `_total`; Node's default process metrics come along
 *   unprefixed (`process_cpu_seconds_total`, `nodejs_heap_size_used_bytes`, …).
 * - Labels are few and bounded: an operation name only when the client named it (else
 *   `anonymous`), an endpoint as its template (`/alarms/{id}`), never an id, a key, a
 *   token or a URL.
 * - What the facade does is counted as it happens (`upstream`, the UpstreamObserver of
 *   every client; `operations`, the OperationObserver of every GraphQL operation); what it holds
 *   (queues, quota windows, breakers, credentials, caches, live groups) is read from
 *   `sources` when scraped, so the hot paths carry no metrics code of their own.
 * - Nothing here reaches into the rest of the facade: its inputs are the structural
 *   types below, which `main.ts` fills from the upstream registry, the caches and the hub.
 */
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { ObservedAttempt } from './observed.attempt.js';
import { recordOnly, type OperationObserver } from './operation.record.js';

export type { ObservedAttempt };

/** One quota class of one upstream's budget. */
export interface ObservedLane {
  waiting: Record<string, number>;
  grantedInWindow: number;
  limit: number;
}

/** One upstream's state when scraped. */
export interface ObservedUpstream {
  upstream: string;
  breaker: 'closed' | 'open' | 'half-open';
  credential: string;
  budget: Record<string, ObservedLane>;
}

export interface CacheCounts {
  hits: number;
  misses: number;
}

/** What the metrics read when scraped. Each is optional: a facade part not there is not reported. */
export interface MetricsSources {
  upstreams?: () => ObservedUpstream[];
  /** Cumulative hits and misses by cache name (`alarm`, `event`, `page`, `deployments`, `response`). */
  caches?: () => Record<string, CacheCounts>;
  live?: () => { groups: number; subscribers: number; polls: { ok: number; failed: number; skipped: number } };
  /** Open graphql-ws connections: authenticated, and those whose key did not authenticate (answered, then closed). */
  webSockets?: () => { authenticated: number; unauthenticated: number };
}

export interface FacadeMetricsOptions {
  /** Node's default process metrics too; default true. */
  defaultMetrics?: boolean;
}

const BREAKER_STATES = ['closed', 'half-open', 'open'] as const;
const CREDENTIAL_STATES = ['WORKING', 'FAILING', 'UNKNOWN'] as const;
/** From 5 ms (a cached answer) to 30 s (a request at its deadline). */
const REQUEST_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30];
const UPSTREAM_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 15];
const WAIT_BUCKETS = [0.001, 0.01, 0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10];
/** Error codes that are the facade's protection refusing, by the `reason` label they count under. */
const REFUSALS: Readonly<Record<string, string>> = {
  RATE_LIMITED: 'rate_limit',
  COST_LIMIT_EXCEEDED: 'cost_limit',
  RESULT_TOO_LARGE: 'result_size',
  LIMIT_EXCEEDED: 'subscription_limit',
};
/** A name as clients may send it, kept short and plain; anything else is counted as `other`. */
const OPERATION_NAME = /^[A-Za-z_][A-Za-z0-9_]{0,63}$/;

export class FacadeMetrics {
  readonly registry = new Registry();
  #sources: MetricsSources = {};
  readonly #lastCounts = new Map<string, number>();

  readonly #graphqlRequests = new Counter({
    name: 'usm_facade_graphql_requests_total',
    help: 'GraphQL operations, by transport (http, ws, sse), operation type and name (anonymous when unnamed) and outcome (ok, or the first error code); a subscription counts once, when set up or refused',
    labelNames: ['transport', 'operation_type', 'operation_name', 'outcome'] as const,
    registers: [this.registry],
  });
  readonly #graphqlDuration = new Histogram({
    name: 'usm_facade_graphql_request_duration_seconds',
    help: 'Time from a GraphQL operation\'s start to its answer (a subscription: to being set up)',
    labelNames: ['transport', 'operation_type', 'operation_name'] as const,
    buckets: REQUEST_BUCKETS,
    registers: [this.registry],
  });
  readonly #callsByAnswer = new Counter({
    name: 'usm_facade_upstream_calls_by_answer_total',
    help: 'Upstream requests sent for GraphQL operations on this replica, by answer: served (the operation answered without error) or wasted (it failed after sending them)',
    labelNames: ['answer'] as const,
    registers: [this.registry],
  });
  readonly #refusals = new Counter({
    name: 'usm_facade_refusals_total',
    help: 'Operations the facade refused to protect itself or the upstream, by reason (rate_limit, cost_limit, result_size, query_limit, subscription_limit)',
    labelNames: ['reason'] as const,
    registers: [this.registry],
  });
  readonly #failedLogins = new Counter({
    name: 'usm_facade_failed_logins_total',
    help: 'Requests and connections whose API key did not authenticate, by transport (http, ws: once per connection, sse)',
    labelNames: ['transport'] as const,
    registers: [this.registry],
  });
  readonly #upstreamRequests = new Counter({
    name: 'usm_facade_upstream_requests_total',
    help: 'Requests sent to USM, every attempt, by deployment, endpoint template, method and status (error when no answer came)',
    labelNames: ['deployment', 'endpoint', 'method', 'status'] as const,
    registers: [this.registry],
  });
  readonly #upstreamDuration = new Histogram({
    name: 'usm_facade_upstream_request_duration_seconds',
    help: 'Time from sending one attempt to USM to its whole answer',
    labelNames: ['deployment', 'endpoint', 'method'] as const,
    buckets: UPSTREAM_BUCKETS,
    registers: [this.registry],
  });
  readonly #upstreamThrottled = new Counter({
    name: 'usm_facade_upstream_rate_limited_total',
    help: 'Answers 429 Too Many Requests from USM',
    labelNames: ['deployment'] as const,
    registers: [this.registry],
    // Every upstream's series from the start (at 0), for alerts on `increase`.
    collect: () => this.#eachUpstream((deployment) => this.#upstreamThrottled.inc({ deployment }, 0)),
  });
  readonly #upstreamRetries = new Counter({
    name: 'usm_facade_upstream_retries_total',
    help: 'Attempts to USM after the first of their request (retries, and resends after a replaced token)',
    labelNames: ['deployment'] as const,
    registers: [this.registry],
    collect: () => this.#eachUpstream((deployment) => this.#upstreamRetries.inc({ deployment }, 0)),
  });
  readonly #tokenRequests = new Counter({
    name: 'usm_facade_upstream_token_requests_total',
    help: 'OAuth token requests to USM, by deployment and outcome (granted, refused, failed)',
    labelNames: ['deployment', 'outcome'] as const,
    registers: [this.registry],
  });
  readonly #budgetWait = new Histogram({
    name: 'usm_facade_budget_wait_seconds',
    help: 'Time a request waited for the rate budget before it was sent, by deployment and work class',
    labelNames: ['deployment', 'class'] as const,
    buckets: WAIT_BUCKETS,
    registers: [this.registry],
  });
  readonly #cacheRequests: Counter<'cache' | 'result'>;

  /** Counts every attempt any upstream client sends; give it to the upstream registry. */
  readonly upstream = {
    send: async <T extends { status: number }>(attempt: ObservedAttempt, send: () => Promise<T>): Promise<T> => {
      const { deployment, endpoint, method } = attempt;
      if (attempt.attempt > 1) this.#upstreamRetries.inc({ deployment });
      this.#budgetWait.observe({ deployment, class: attempt.workClass }, attempt.budgetWaitMs / 1000);
      const stop = this.#upstreamDuration.startTimer({ deployment, endpoint, method });
      let status: number | undefined;
      try {
        const answer = await send();
        status = answer.status;
        return answer;
      } finally {
        stop();
        this.#upstreamRequests.inc({ deployment, endpoint, method, status: status === undefined ? 'error' : String(status) });
        if (status === 429) this.#upstreamThrottled.inc({ deployment });
        if (endpoint === '/oauth/token') {
          const outcome = status === undefined || status >= 500 || status === 429 ? 'failed' : status >= 200 && status < 300 ? 'granted' : 'refused';
          this.#tokenRequests.inc({ deployment, outcome });
        }
      }
    },
  };

  constructor(options: FacadeMetricsOptions = {}) {
    if (options.defaultMetrics ?? true) collectDefaultMetrics({ register: this.registry });
    for (const reason of [...new Set(Object.values(REFUSALS)), 'query_limit']) this.#refusals.inc({ reason }, 0);
    for (const transport of ['http', 'ws', 'sse'] as const) this.#failedLogins.inc({ transport }, 0);
    const metrics = this;
    this.#cacheRequests = new Counter({
      name: 'usm_facade_cache_requests_total',
      help: 'Reads of the facade caches (alarm, event, page, deployments, response), by cache and result (hit, miss)',
      labelNames: ['cache', 'result'] as const,
      registers: [this.registry],
      collect() {
        for (const [cache, counts] of Object.entries(metrics.#sources.caches?.() ?? {})) {
          metrics.#advance(this, { cache, result: 'hit' }, counts.hits);
          metrics.#advance(this, { cache, result: 'miss' }, counts.misses);
        }
      },
    });
    new Gauge({
      name: 'usm_facade_budget_queue_length',
      help: 'Requests waiting for the rate budget, by deployment, quota (get, post) and work class',
      labelNames: ['deployment', 'quota', 'class'] as const,
      registers: [this.registry],
      collect() {
        this.reset();
        for (const upstream of metrics.#sources.upstreams?.() ?? []) {
          for (const [quota, lane] of Object.entries(upstream.budget)) {
            for (const [cls, waiting] of Object.entries(lane.waiting)) this.set({ deployment: upstream.upstream, quota, class: cls }, waiting);
          }
        }
      },
    });
    new Gauge({
      name: 'usm_facade_quota_used',
      help: 'Requests this replica was granted in the last quota window (1 s), by deployment and quota (get, post)',
      labelNames: ['deployment', 'quota'] as const,
      registers: [this.registry],
      collect() {
        this.reset();
        for (const upstream of metrics.#sources.upstreams?.() ?? []) {
          for (const [quota, lane] of Object.entries(upstream.budget)) this.set({ deployment: upstream.upstream, quota }, lane.grantedInWindow);
        }
      },
    });
    new Gauge({
      name: 'usm_facade_quota_limit',
      help: 'Requests the rate budget allows per quota window right now (share of the USM quota, lowered after 429s), by deployment and quota',
      labelNames: ['deployment', 'quota'] as const,
      registers: [this.registry],
      collect() {
        this.reset();
        for (const upstream of metrics.#sources.upstreams?.() ?? []) {
          for (const [quota, lane] of Object.entries(upstream.budget)) this.set({ deployment: upstream.upstream, quota }, lane.limit);
        }
      },
    });
    new Gauge({
      name: 'usm_facade_upstream_breaker_state',
      help: 'The circuit breaker of each upstream: 1 for its current state (closed, half-open, open), 0 for the others',
      labelNames: ['deployment', 'state'] as const,
      registers: [this.registry],
      collect() {
        this.reset();
        for (const upstream of metrics.#sources.upstreams?.() ?? []) {
          for (const state of BREAKER_STATES) this.set({ deployment: upstream.upstream, state }, upstream.breaker === state ? 1 : 0);
        }
      },
    });
    new Gauge({
      name: 'usm_facade_upstream_credential_state',
      help: 'The API client credential of each upstream: 1 for its current state (WORKING, FAILING, UNKNOWN), 0 for the others',
      labelNames: ['deployment', 'state'] as const,
      registers: [this.registry],
      collect() {
        this.reset();
        for (const upstream of metrics.#sources.upstreams?.() ?? []) {
          for (const state of CREDENTIAL_STATES) this.set({ deployment: upstream.upstream, state }, upstream.credential === state ? 1 : 0);
        }
      },
    });
    new Gauge({
      name: 'usm_facade_websocket_connections',
      help: 'Open graphql-ws connections on this replica, by state (authenticated; unauthenticated: its key was refused, it is answered and closed)',
      labelNames: ['state'],
      registers: [this.registry],
      collect() {
        const sockets = metrics.#sources.webSockets?.();
        if (sockets === undefined) return;
        this.set({ state: 'authenticated' }, sockets.authenticated);
        this.set({ state: 'unauthenticated' }, sockets.unauthenticated);
      },
    });
    new Gauge({
      name: 'usm_facade_live_groups',
      help: 'Distinct live queries this replica runs (polls or follows)',
      registers: [this.registry],
      collect() {
        const live = metrics.#sources.live?.();
        if (live !== undefined) this.set(live.groups);
      },
    });
    new Gauge({
      name: 'usm_facade_live_subscribers',
      help: 'Subscriptions of live queries on this replica',
      registers: [this.registry],
      collect() {
        const live = metrics.#sources.live?.();
        if (live !== undefined) this.set(live.subscribers);
      },
    });
    new Counter({
      name: 'usm_facade_live_polls_total',
      help: 'Polls of live queries this replica made, by outcome (ok, failed, skipped: the budget was short)',
      labelNames: ['outcome'] as const,
      registers: [this.registry],
      collect() {
        const polls = metrics.#sources.live?.().polls;
        if (polls === undefined) return;
        for (const outcome of ['ok', 'failed', 'skipped'] as const) metrics.#advance(this, { outcome }, polls[outcome]);
      },
    });
  }

  /** Where the scraped figures come from; called once the facade's parts exist. */
  /** What to read at scrape time; a later call adds to (and may replace) what an earlier one gave. */
  watch(sources: MetricsSources): void {
    this.#sources = { ...this.#sources, ...sources };
  }

  /** The exposition text for `/metrics`. */
  text(): Promise<string> {
    return this.registry.metrics();
  }

  get contentType(): string {
    return this.registry.contentType;
  }

  /** One API key that did not authenticate, presented on `transport`. */
  failedLogin(transport: 'http' | 'ws' | 'sse'): void {
    this.#failedLogins.inc({ transport });
  }

  /** Counts GraphQL operations on every transport, their duration, outcome, refusals and what their upstream calls came to. */
  readonly operations: OperationObserver = recordOnly((record) => {
    const named = record.operationName;
    const operationName = named === undefined ? 'anonymous' : OPERATION_NAME.test(named) ? named : 'other';
    const labels = { transport: record.transport, operation_type: record.operationType, operation_name: operationName };
    this.#graphqlRequests.inc({ ...labels, outcome: record.outcome });
    if (record.upstreamCalls > 0) this.#callsByAnswer.inc({ answer: record.outcome === 'ok' ? 'served' : 'wasted' }, record.upstreamCalls);
    this.#graphqlDuration.observe(labels, record.durationMs / 1000);
    for (const code of record.errorCodes) {
      const reason = REFUSALS[code];
      if (reason !== undefined) this.#refusals.inc({ reason });
    }
    if (record.queryLimited) this.#refusals.inc({ reason: 'query_limit' });
  });

  #eachUpstream(each: (deployment: string) => void): void {
    for (const upstream of this.#sources.upstreams?.() ?? []) each(upstream.upstream);
  }

  /** Moves a counter up to a cumulative figure read from its source. */
  #advance<L extends string>(counter: Counter<L>, labels: Partial<Record<L, string>>, total: number): void {
    const key = `${(counter as unknown as { name: string }).name}${JSON.stringify(labels)}`;
    // An increase of 0 still shows the series, so dashboards and alerts find it from the start.
    counter.inc(labels, Math.max(0, total - (this.#lastCounts.get(key) ?? 0)));
    this.#lastCounts.set(key, Math.max(total, this.#lastCounts.get(key) ?? 0));
  }
}
