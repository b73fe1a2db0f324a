/**
 * The `upstream` bench case: one AnywhereClient, offered five times USM's GET quota
 * (500 GET/s) for 10 s against the simulator, with the default tuning.
 *
 * What it shows: how much of the quota the rate budget delivers (goal ≥ 95 GET/s),
 * that the upstream never answers 429, that one token serves everything, and what the
 * callers see: the admitted ones wait in the queue (latency), the rest are turned
 * away at once with UPSTREAM_RATE_LIMITED. "Delivered" counts calls answered within
 * the 10 s of offering; callers still queued then are drained and reported apart.
 */
import { Keyv } from 'keyv';
import { createMemoryLock } from '../src/keys/lock.port.js';
import { createLogger } from '../src/log/logger.js';
import { startSimulator } from '../src/simulator/simulator.js';
import { createUpstreamRegistry } from '../src/upstream/upstream.registry.js';

const OFFERED_PER_SECOND = 500;
const DURATION_MS = 10_000;

interface Outcome {
  ok: boolean;
  code: string;
  finishedAt: number;
  latencyMs: number;
}

function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
}

export async function run(): Promise<Record<string, number | string>> {
  const sim = await startSimulator({ port: 0, deployments: ['acme-east'], alarmsPerDeployment: 2000 });
  const [deployment] = sim.deployments;
  const registry = await createUpstreamRegistry({
    targets: [{ api: 'anywhere', ...deployment! }],
    logger: createLogger({ level: 'silent' }),
    // This case never rotates credentials.
    rotationLocks: createMemoryLock(),
    runningRotations: new Keyv(),
    audit: { record: async () => undefined },
  });
  try {
    const client = registry.anywhere('acme-east');
    const calls: Promise<Outcome>[] = [];
    const offer = (n: number) => {
      const startedAt = performance.now();
      calls.push(
        client.alarmsPage({ size: 1, page: n % 1000 }).then(
          () => ({ ok: true, code: 'ok', finishedAt: performance.now(), latencyMs: performance.now() - startedAt }),
          (error: unknown) => ({
            ok: false,
            code: String((error as { code?: unknown }).code ?? 'unknown'),
            finishedAt: performance.now(),
            latencyMs: performance.now() - startedAt,
          }),
        ),
      );
    };

    const start = performance.now();
    let offered = 0;
    while (performance.now() - start < DURATION_MS) {
      const due = Math.floor(((performance.now() - start) * OFFERED_PER_SECOND) / 1000);
      while (offered < due) offer(offered++);
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
    const end = start + DURATION_MS;
    const outcomes = await Promise.all(calls);
    const drainedMs = performance.now() - end;

    const delivered = outcomes.filter((o) => o.ok && o.finishedAt <= end);
    const drained = outcomes.filter((o) => o.ok && o.finishedAt > end);
    const refused = outcomes.filter((o) => o.code === 'UPSTREAM_RATE_LIMITED');
    const failed = outcomes.filter((o) => !o.ok && o.code !== 'UPSTREAM_RATE_LIMITED');
    const latencies = outcomes
      .filter((o) => o.ok)
      .map((o) => o.latencyMs)
      .sort((a, b) => a - b);
    const refusedLatencies = refused.map((o) => o.latencyMs).sort((a, b) => a - b);

    const stats = (await (await fetch(`${sim.url}/__sim/stats`)).json()) as {
      deployments: Record<string, { clients: Record<string, { responses: Record<string, number>; tokensGranted: number; maxGetsInWindow: number }> }>;
    };
    const traffic = stats.deployments['acme-east']!.clients[deployment!.clientId]!;

    return {
      'offered GET/s': OFFERED_PER_SECOND,
      'offered for (s)': DURATION_MS / 1000,
      'calls offered': offered,
      'delivered GET/s (within the 10 s)': delivered.length / (DURATION_MS / 1000),
      'delivered after the 10 s (queued, drained)': drained.length,
      'drain time after the 10 s (ms)': Math.round(drainedMs),
      'turned away at once (UPSTREAM_RATE_LIMITED)': refused.length,
      'other failures': failed.length,
      '429s seen at the simulator': traffic.responses['429'] ?? 0,
      'largest 1000 ms window at the simulator (GETs)': traffic.maxGetsInWindow,
      'tokens granted': traffic.tokensGranted,
      'latency p50, delivered (ms)': percentile(latencies, 50),
      'latency p99, delivered (ms)': percentile(latencies, 99),
      'latency p99, turned away (ms)': percentile(refusedLatencies, 99),
    };
  } finally {
    await registry.close();
    await sim.stop();
  }
}
