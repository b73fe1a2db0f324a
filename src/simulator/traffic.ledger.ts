/**
 * Who asked what, what they got, and the per-client quota, for `/__sim/stats`.
 *
 * Contract: one entry per (deployment or `central`, client id); requests without an
 * identifiable client are filed under `(anonymous)`. The quota windows live here
 * too, because `maxGetsInWindow`/`maxPostsInWindow` are read off the very windows that
 * decide 429s, and `reset()` must zero both together. The docs name only GET (100/s)
 * and POST (50/s); PUT and DELETE are writes, so they spend the POST budget. The
 * largest window seen is taken right after each accepted request: a sliding window's
 * maximum is always reached at an accepted request, so this is exact.
 */
import { SlidingWindow } from './quota.window.js';

export const ANONYMOUS = '(anonymous)';
const READS_PER_SECOND = 100;
const WRITES_PER_SECOND = 50;

export type RequestClass = 'read' | 'write';

export function requestClassOf(method: string): RequestClass {
  return method === 'GET' || method === 'HEAD' ? 'read' : 'write';
}

export interface ClientTraffic {
  requests: Map<string, number>;
  responses: Map<string, number>;
  rateLimited: number;
  tokensGranted: number;
  reads: SlidingWindow;
  writes: SlidingWindow;
  maxReads: number;
  maxWrites: number;
}

export interface TokenGrant {
  seq: number;
  deployment: string;
  clientId: string;
  /** Epoch ms on the simulator's clock. */
  at: number;
}

export interface StatsSnapshot {
  /** Epoch ms of the start or the last reset. */
  since: number;
  deployments: Record<
    string,
    {
      clients: Record<
        string,
        {
          requests: Record<string, number>;
          responses: Record<string, number>;
          rateLimited: number;
          tokensGranted: number;
          maxGetsInWindow: number;
          maxPostsInWindow: number;
        }
      >;
    }
  >;
  tokenGrants: TokenGrant[];
}

function bump(counts: Map<string, number>, key: string): void {
  counts.set(key, (counts.get(key) ?? 0) + 1);
}

export class TrafficLedger {
  private readonly targets = new Map<string, Map<string, ClientTraffic>>();
  private grants: TokenGrant[] = [];
  private since: number;

  constructor(
    targetNames: readonly string[],
    private readonly now: () => number,
  ) {
    for (const name of targetNames) this.targets.set(name, new Map());
    this.since = now();
  }

  client(target: string, clientId: string): ClientTraffic {
    let clients = this.targets.get(target);
    if (clients === undefined) {
      clients = new Map();
      this.targets.set(target, clients);
    }
    let traffic = clients.get(clientId);
    if (traffic === undefined) {
      traffic = {
        requests: new Map(),
        responses: new Map(),
        rateLimited: 0,
        tokensGranted: 0,
        reads: new SlidingWindow(READS_PER_SECOND),
        writes: new SlidingWindow(WRITES_PER_SECOND),
        maxReads: 0,
        maxWrites: 0,
      };
      clients.set(clientId, traffic);
    }
    return traffic;
  }

  countRequest(traffic: ClientTraffic, template: string): void {
    bump(traffic.requests, template);
  }

  /** `status` is the HTTP status, or `reset` for a socket destroyed without an answer. */
  countResponse(traffic: ClientTraffic, status: number | 'reset'): void {
    bump(traffic.responses, String(status));
  }

  /** Spends one request of the client's budget; false means answer 429. */
  admit(traffic: ClientTraffic, kind: RequestClass): boolean {
    const now = this.now();
    const window = kind === 'read' ? traffic.reads : traffic.writes;
    if (!window.tryAdmit(now)) {
      traffic.rateLimited++;
      return false;
    }
    const size = window.sizeAt(now);
    if (kind === 'read') traffic.maxReads = Math.max(traffic.maxReads, size);
    else traffic.maxWrites = Math.max(traffic.maxWrites, size);
    return true;
  }

  recordGrant(target: string, clientId: string): void {
    this.client(target, clientId).tokensGranted++;
    this.grants.push({ seq: this.grants.length + 1, deployment: target, clientId, at: this.now() });
  }

  reset(): void {
    for (const clients of this.targets.values()) clients.clear();
    this.grants = [];
    this.since = this.now();
  }

  snapshot(): StatsSnapshot {
    const deployments: StatsSnapshot['deployments'] = {};
    for (const [target, clients] of this.targets) {
      const entry: StatsSnapshot['deployments'][string] = { clients: {} };
      for (const [clientId, t] of clients) {
        entry.clients[clientId] = {
          requests: Object.fromEntries(t.requests),
          responses: Object.fromEntries(t.responses),
          rateLimited: t.rateLimited,
          tokensGranted: t.tokensGranted,
          maxGetsInWindow: t.maxReads,
          maxPostsInWindow: t.maxWrites,
        };
      }
      deployments[target] = entry;
    }
    return { since: this.since, deployments, tokenGrants: [...this.grants] };
  }
}
