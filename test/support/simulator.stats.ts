/**
 * Reads the simulator's `/__sim/stats`: how many requests of a kind one deployment's
 * clients sent, so tests assert upstream call counts, never timings.
 */
export interface ClientStats {
  requests: Record<string, number>;
  responses: Record<string, number>;
  rateLimited: number;
  tokensGranted: number;
  maxGetsInWindow: number;
  maxPostsInWindow: number;
}

export interface SimulatorStats {
  deployments: Record<string, { clients: Record<string, ClientStats> }>;
  tokenGrants: Array<{ seq: number; deployment: string; clientId: string; at: number }>;
}

export async function simulatorStats(simulatorUrl: string): Promise<SimulatorStats> {
  const response = await fetch(`${simulatorUrl}/__sim/stats`);
  return (await response.json()) as SimulatorStats;
}

export async function resetSimulatorStats(simulatorUrl: string): Promise<void> {
  await fetch(`${simulatorUrl}/__sim/stats/reset`, { method: 'POST' });
}

/** Requests to `deployment` matching `"GET /alarms"`-style `route`, summed over its clients. */
export function requestCount(stats: SimulatorStats, deployment: string, route: string): number {
  const clients = stats.deployments[deployment]?.clients ?? {};
  return Object.values(clients).reduce((sum, client) => sum + (client.requests[route] ?? 0), 0);
}

/** Every request to `deployment` except token requests. */
export function dataRequestCount(stats: SimulatorStats, deployment: string): number {
  const clients = stats.deployments[deployment]?.clients ?? {};
  return Object.values(clients).reduce(
    (sum, client) =>
      sum +
      Object.entries(client.requests)
        .filter(([route]) => route !== 'POST /oauth/token')
        .reduce((s, [, n]) => s + n, 0),
    0,
  );
}

/** Every request but token requests that the simulator's deployments and Central received, in all. */
export async function dataRequestsOf(simulatorUrl: string): Promise<number> {
  const stats = await simulatorStats(simulatorUrl);
  return Object.keys(stats.deployments).reduce((sum, deployment) => sum + dataRequestCount(stats, deployment), 0);
}
