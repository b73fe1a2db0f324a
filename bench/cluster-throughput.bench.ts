/**
 * The `cluster-throughput` bench case: one cached query (a page of acme-east, answered
 * from each replica's page cache between refreshes) through the round-robin front,
 * 64 callers back to back for 5 s, with one replica and with three on one Redis.
 * Figures: answers per second and latency for each, and the ratio. The machine's
 * cores are shared by the replicas, the front, the load and the simulator (the last
 * three in the bench process), so the ratio says what a second replica buys on this
 * machine, not on a machine per replica.
 */
import os from 'node:os';
import { startCluster } from '../src/cluster/cluster.js';
import { post } from './cluster.load.js';
import { percentile } from './figures.js';

const CALLERS = 64;
const DURATION_MS = 5000;
const QUERY = '{ alarms(deployment: "acme-east", first: 10) { edges { node { id priorityLabel status occurredAt } } } }';

async function measure(replicas: number): Promise<{ perSecond: number; p50: number; p99: number; failed: number }> {
  const cluster = await startCluster({ replicas, port: 0, env: { KEY_BUDGET_MAXIMUM: '0' } });
  try {
    for (const replica of cluster.replicas) await post(replica.url, cluster.adminKey, QUERY);
    const latencies: number[] = [];
    let failed = 0;
    const until = performance.now() + DURATION_MS;
    await Promise.all(
      Array.from({ length: CALLERS }, async () => {
        while (performance.now() < until) {
          const started = performance.now();
          const answer = await post(cluster.url, cluster.adminKey, QUERY);
          if (answer.ok) latencies.push(performance.now() - started);
          else failed++;
        }
      }),
    );
    latencies.sort((a, b) => a - b);
    return { perSecond: latencies.length / (DURATION_MS / 1000), p50: percentile(latencies, 50), p99: percentile(latencies, 99), failed };
  } finally {
    await cluster.stop();
  }
}

export async function run(): Promise<Record<string, number | string>> {
  const one = await measure(1);
  const three = await measure(3);
  return {
    cores: os.cpus().length,
    callers: CALLERS,
    '1 replica: answers/s': one.perSecond,
    '1 replica: latency p50 / p99 (ms)': `${one.p50.toFixed(1)} / ${one.p99.toFixed(1)}`,
    '3 replicas: answers/s': three.perSecond,
    '3 replicas: latency p50 / p99 (ms)': `${three.p50.toFixed(1)} / ${three.p99.toFixed(1)}`,
    '3 replicas / 1 replica': three.perSecond / one.perSecond,
    'failed answers (1 / 3)': `${one.failed} / ${three.failed}`,
  };
}
