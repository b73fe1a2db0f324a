/**
 * What the cluster bench cases share: a cluster started for one case, GraphQL posted
 * to a replica over a keep-alive pool, and load offered at a steady rate spread over
 * the replicas in turn. The bench process also hosts the cluster's simulator and front
 * (see src/cluster/cluster.ts); the replicas are processes of their own.
 */
import { Agent, fetch } from 'undici';
import type { ClusterReplica } from '../src/cluster/cluster.js';

/** As many connections as are in flight, as separate callers would open: a cap would queue the load here, out of the facade's sight. */
const dispatcher = new Agent({ keepAliveTimeout: 30_000 });

export interface Answer {
  ok: boolean;
  /** `extensions.code` of the first error, or 'ok', or the transport failure's name. */
  code: string;
  status: number;
  /** Upstream requests the operation sent (`extensions.cost.actualUpstreamCalls`); 0 when not answered. */
  calls: number;
  /** `extensions.retryAfterSeconds` of the first error, when it says when to try again. */
  retryAfterSeconds?: number;
}

/** Posts one operation; never throws (a transport failure is an answer with code `FETCH_FAILED`). */
export async function post(url: string, key: string, query: string, variables: Record<string, unknown> = {}): Promise<Answer & { data?: unknown }> {
  try {
    const response = await fetch(url, {
      method: 'POST',
      dispatcher,
      headers: { 'content-type': 'application/json', authorization: `Bearer ${key}` },
      body: JSON.stringify({ query, variables }),
    });
    const body = (await response.json()) as {
      data?: unknown;
      errors?: Array<{ extensions?: { code?: string; retryAfterSeconds?: number } }>;
      extensions?: { cost?: { actualUpstreamCalls?: number } };
    };
    const code = body.errors?.[0]?.extensions?.code ?? (body.errors ? 'GRAPHQL_ERROR' : 'ok');
    const calls = body.extensions?.cost?.actualUpstreamCalls ?? 0;
    const retryAfterSeconds = body.errors?.[0]?.extensions?.retryAfterSeconds;
    return { ok: body.errors === undefined, code, status: response.status, calls, retryAfterSeconds, data: body.data };
  } catch (error) {
    // The transport's own reason (a reset, a refused connection, a timeout) says whose fault it was.
    const cause = (error as { cause?: { code?: string } }).cause?.code;
    return { ok: false, code: cause === undefined ? 'FETCH_FAILED' : `FETCH_FAILED (${cause})`, status: 0, calls: 0 };
  }
}

/**
 * Offers `perSecond` operations for `durationMs`, the n-th to replica `n mod N` with
 * `query(n)`, catching up after a late tick; resolves with every answer once all are in.
 */
export async function offer(
  replicas: readonly ClusterReplica[],
  key: string,
  perSecond: number,
  durationMs: number,
  query: (n: number) => string,
): Promise<Answer[]> {
  const total = Math.round((perSecond * durationMs) / 1000);
  const answers: Promise<Answer>[] = [];
  const started = performance.now();
  while (answers.length < total) {
    const due = Math.min(total, Math.floor(((performance.now() - started) * perSecond) / 1000));
    while (answers.length < due) {
      const n = answers.length;
      answers.push(post(replicas[n % replicas.length]!.url, key, query(n)));
    }
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
  return Promise.all(answers);
}

/** `n × code` for each code other than ok, or `0`. */
export function failures(answers: readonly Answer[]): string {
  const counts = new Map<string, number>();
  for (const answer of answers) if (!answer.ok) counts.set(answer.code, (counts.get(answer.code) ?? 0) + 1);
  return counts.size === 0 ? '0' : [...counts].map(([code, n]) => `${n} × ${code}`).join(', ');
}
