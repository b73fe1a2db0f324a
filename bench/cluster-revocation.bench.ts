/**
 * The `cluster-revocation` bench case: a key revoked on one replica, refused by the
 * others. Each round creates a key on replica 1, uses it on replicas 2 and 3 (so they
 * know it), revokes it on replica 1 and, from the moment the revocation is answered,
 * asks replicas 2 and 3 with it back to back until each refuses it. Figures: the time
 * until both refused, p50 and max over the rounds (goal ≤ 1 s), and how many requests
 * with the revoked key they still answered.
 */
import { startCluster } from '../src/cluster/cluster.js';
import { post } from './cluster.load.js';
import { percentile } from './figures.js';

const ROUNDS = 10;
const VIEWER = '{ viewer { id } }';

export async function run(): Promise<Record<string, number | string>> {
  const cluster = await startCluster({ replicas: 3, port: 0 });
  try {
    const [first, ...others] = cluster.replicas;
    const delays: number[] = [];
    let servedAfterRevoke = 0;
    for (let round = 0; round < ROUNDS; round++) {
      const created = await post(first!.url, cluster.adminKey, `mutation { createApiKey(input: { name: "bench-revoked-${round}" }) { secret key { id } } }`);
      const { secret, key } = (created.data as { createApiKey: { secret: string; key: { id: string } } }).createApiKey;
      for (const replica of others) {
        const warm = await post(replica.url, secret, VIEWER);
        if (!warm.ok) throw new Error(`the new key was refused on replica ${replica.index}: ${warm.code}`);
      }
      const revoked = await post(first!.url, cluster.adminKey, `mutation { revokeApiKey(id: "${key.id}") { status } }`);
      if (!revoked.ok) throw new Error(`revokeApiKey failed: ${revoked.code}`);
      const since = performance.now();
      const refusedAfter = await Promise.all(
        others.map(async (replica) => {
          for (;;) {
            const answer = await post(replica.url, secret, VIEWER);
            if (!answer.ok) {
              if (answer.code !== 'UNAUTHENTICATED') throw new Error(`replica ${replica.index} answered ${answer.code}`);
              return performance.now() - since;
            }
            servedAfterRevoke++;
            if (performance.now() - since > 10_000) throw new Error(`replica ${replica.index} still takes the revoked key after 10 s`);
          }
        }),
      );
      delays.push(Math.max(...refusedAfter));
    }
    delays.sort((a, b) => a - b);
    return {
      rounds: ROUNDS,
      replicas: 3,
      'revoked on replica 1 → refused on 2 and 3, p50 (ms)': percentile(delays, 50),
      'max (ms, goal ≤ 1000)': delays.at(-1)!,
      'requests with the revoked key still answered, all rounds': servedAfterRevoke,
    };
  } finally {
    await cluster.stop();
  }
}
