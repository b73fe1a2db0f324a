/**
 * Helpers for the upstream layer's tests: the real simulator on an ephemeral port, a
 * registry wired to it, the simulator's control API and stats, unique Redis key
 * prefixes and their cleanup. Every helper that starts something returns a way to
 * stop it; suites stop what they start.
 */
import { randomUUID } from 'node:crypto';
import { openBackplane, type Backplane } from '../../src/backplane/backplane.js';
import { createLogger, type Logger } from '../../src/log/logger.js';
import type { CredentialVault } from '../../src/credentials/credential.vault.js';
import type { UpstreamTarget } from '../../src/config/upstream.target.js';
import type { UpstreamTuning } from '../../src/upstream/upstream.settings.js';
import type { LockPort } from '../../src/keys/lock.port.js';
import { startSimulator, type RunningSimulator, type SimulatorOptions } from '../../src/simulator/simulator.js';
import type { Clock } from '../../src/time/clock.js';
import { createUpstreamRegistry, type CredentialAuditPort, type UpstreamRegistry } from '../../src/upstream/upstream.registry.js';

import { REDIS_URL } from '../support/redis.keys.js';

export { REDIS_URL, deleteRedisKeys } from '../support/redis.keys.js';
export const silentLogger = createLogger({ level: 'silent' });

/** Tunables that keep tests fast: 1 ms retry base, quick breaker probes. */
export const FAST_TUNING: Partial<UpstreamTuning> = {
  retryBaseDelayMs: 1,
  retryMaxDelayMs: 20,
  breakerHalfOpenAfterMs: 200,
  requestTimeoutMs: 5_000,
};

export async function startTestSimulator(options: SimulatorOptions = {}): Promise<RunningSimulator> {
  return startSimulator({ port: 0, alarmsPerDeployment: 200, ...options });
}

/** Every target the simulator offers: its Anywhere deployments and Central. */
export function targetsOf(sim: RunningSimulator): UpstreamTarget[] {
  return [
    ...sim.deployments.map((d) => ({ api: 'anywhere' as const, name: d.name, url: d.url, clientId: d.clientId, clientSecret: d.clientSecret })),
    { api: 'central', name: 'central', url: sim.central.url, clientId: sim.central.clientId, clientSecret: sim.central.clientSecret },
  ];
}

export interface RegistryOptions {
  targets?: UpstreamTarget[];
  tuning?: Partial<UpstreamTuning>;
  /** The shared state to use; its opener closes it. Default: one opened for this registry (on `redisUrl`) and closed after it. */
  backplane?: Backplane;
  redisUrl?: string;
  redisKeyPrefix?: string;
  clock?: Clock;
  vault?: CredentialVault;
  /** Default 0: tests that want the poll say so. */
  credentialPollIntervalMs?: number;
  logger?: Logger;
  /** Credential rotation locks. Default the backplane's. */
  rotationLocks?: LockPort;
  /** Where rotation steps are audited. Default: nowhere. */
  audit?: CredentialAuditPort;
}

/** A registry on the simulator, as `main.ts` wires it to a backplane; its `close()` also closes a backplane it opened. */
export async function registryFor(sim: RunningSimulator, options: RegistryOptions = {}): Promise<UpstreamRegistry> {
  const logger = options.logger ?? silentLogger;
  const backplane =
    options.backplane ?? (await openBackplane({ redisUrl: options.redisUrl, redisPrefix: options.redisKeyPrefix, clock: options.clock, logger }));
  let registry: UpstreamRegistry;
  try {
    registry = await createUpstreamRegistry({
      targets: options.targets ?? targetsOf(sim),
      logger,
      tuning: { ...FAST_TUNING, ...options.tuning },
      rateWindow: backplane.rateWindow,
      tokenStore: backplane.store('tokens'),
      tokenLock: backplane.tokenLock,
      clock: options.clock,
      vault: options.vault,
      credentialPollIntervalMs: options.credentialPollIntervalMs ?? 0,
      rotationLocks: options.rotationLocks ?? backplane.lock,
      runningRotations: backplane.store('credential-rotations'),
      audit: options.audit ?? { record: async () => undefined },
    });
  } catch (error) {
    if (options.backplane === undefined) await backplane.close();
    throw error;
  }
  if (options.backplane !== undefined) return registry;
  const close = registry.close.bind(registry);
  registry.close = async () => {
    await close();
    await backplane.close();
  };
  return registry;
}

export interface ClientStats {
  requests: Record<string, number>;
  responses: Record<string, number>;
  rateLimited: number;
  tokensGranted: number;
  maxGetsInWindow: number;
  maxPostsInWindow: number;
}

const NO_TRAFFIC: ClientStats = {
  requests: {},
  responses: {},
  rateLimited: 0,
  tokensGranted: 0,
  maxGetsInWindow: 0,
  maxPostsInWindow: 0,
};

/** One client's traffic at the simulator, as `/__sim/stats` reports it. */
export async function clientStats(sim: RunningSimulator, deployment: string, clientId = `${deployment}-client`): Promise<ClientStats> {
  const response = await fetch(`${sim.url}/__sim/stats`);
  const stats = (await response.json()) as { deployments: Record<string, { clients: Record<string, ClientStats> }> };
  return stats.deployments[deployment]?.clients[clientId] ?? NO_TRAFFIC;
}

/** Total requests of a client, all endpoints together. */
export function requestCount(stats: ClientStats): number {
  return Object.values(stats.requests).reduce((sum, n) => sum + n, 0);
}

export async function control(sim: RunningSimulator, method: string, path: string, body?: unknown): Promise<unknown> {
  const response = await fetch(`${sim.url}/__sim${path}`, {
    method,
    headers: body === undefined ? {} : { 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await response.text();
  if (!response.ok) throw new Error(`simulator control ${method} ${path} answered ${response.status}: ${text}`);
  return text === '' ? undefined : JSON.parse(text);
}

/** A Redis key prefix no other test uses. */
export function uniquePrefix(): string {
  return `test:upstream:${randomUUID()}:`;
}

/** Settles every promise and counts the outcomes by error code (`ok` for successes). */
export async function outcomes(promises: Promise<unknown>[]): Promise<Record<string, number>> {
  const settled = await Promise.allSettled(promises);
  const counts: Record<string, number> = {};
  for (const result of settled) {
    const key = result.status === 'fulfilled' ? 'ok' : String((result.reason as { code?: unknown }).code ?? result.reason);
    counts[key] = (counts[key] ?? 0) + 1;
  }
  return counts;
}

/** Alarm ids of a deployment, read through the client (one GET). */
export async function alarmIds(registry: UpstreamRegistry, deployment: string, count: number): Promise<string[]> {
  const page = await registry.anywhere(deployment).alarmsPage({ size: count });
  return page.items.map((a) => a.uuid);
}
