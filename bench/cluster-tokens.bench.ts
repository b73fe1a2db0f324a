/**
 * The `cluster-tokens` bench case: 1,000 requests at once, spread over three cold
 * replicas (none holds a token yet), each needing acme-east. Figure: token requests at
 * the simulator (goal 1: the replicas share one token through Redis, and one fetch of
 * it under a lock), and how the 1,000 were answered.
 */
import { startCluster } from '../src/cluster/cluster.js';
import { failures, post } from './cluster.load.js';
import { logMark, requestsAfter } from './simulator.log.js';

const REQUESTS = 1000;

export async function run(): Promise<Record<string, number | string>> {
  const cluster = await startCluster({ replicas: 3, port: 0, env: { KEY_BUDGET_MAXIMUM: '0' } });
  try {
    const mark = await logMark(cluster.simulator.url);
    const answers = await Promise.all(
      Array.from({ length: REQUESTS }, (_, n) =>
        post(cluster.replicas[n % 3]!.url, cluster.adminKey, `{ alarms(deployment: "acme-east", first: ${1 + (n % 50)}) { totalCount } }`),
      ),
    );
    const logged = await requestsAfter(cluster.simulator.url, mark);
    const tokens = logged.filter((r) => r.path.endsWith('/oauth/token'));
    return {
      'requests, at once': REQUESTS,
      replicas: 3,
      'token requests at USM (goal 1)': tokens.length,
      'token requests for acme-east': tokens.filter((r) => r.target === 'acme-east').length,
      answered: answers.filter((a) => a.ok).length,
      'not answered, by code': failures(answers),
      'USM requests in all': logged.length,
    };
  } finally {
    await cluster.stop();
  }
}
