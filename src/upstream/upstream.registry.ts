/**
 * Every upstream the facade talks to, built once at start-up from the configured
 * targets: one `AnywhereClient` per deployment and at most one `CentralClient`, each
 * with its own credential, token manager, rate budget, HTTP client and breaker.
 *
 * Contract:
 * - Per credential (base URL + client ID): one `TokenManager`, one `RateBudget`, one
 *   `HttpClient`; per origin: one keep-alive dispatcher shared by the credentials on it.
 * - Without `redisUrl` all state is in this process. With it, tokens (keyv), the token
 *   fetch lock and the rate windows live in Redis under `redisKeyPrefix`, so replicas
 *   share one token and one quota per credential; Redis must answer at start-up.
 * - `anywhere(name)` throws `NOT_FOUND` naming the configured deployments.
 * - `listDeployments()` lists each deployment once, sorted by name: Central's
 *   `/deployments` (when Central is configured) merged with the configured ones, each
 *   telling whether the facade holds credentials for it. If Central fails, the
 *   configured deployments are still listed and the failure is logged.
 * - `close()` stops every budget timer and closes the dispatchers it made, the token
 *   store and the Redis connection; calling it twice is harmless.
 */
import type { Dispatcher } from 'undici';
import type { Keyv } from 'keyv';
import { UPSTREAM_TUNING_DEFAULTS, type UpstreamTarget, type UpstreamTuning } from '../config/config.js';
import { FacadeError } from '../errors/facade.error.js';
import type { Logger } from '../log/logger.js';
import { connectRedis, type RedisConnection } from '../store/redis.connection.js';
import { createStore } from '../store/store.factory.js';
import { AnywhereClient } from './anywhere/anywhere.client.js';
import { RedisTokenLock, type TokenFetchLock } from './auth/token.lock.js';
import { credentialKey, TokenManager, type StoredToken } from './auth/token.manager.js';
import { RateBudget } from './budget/rate.budget.js';
import { MemoryRateWindow, type RateWindow } from './budget/rate.window.js';
import { RedisRateWindow } from './budget/redis.window.js';
import { CentralClient } from './central/central.client.js';
import { systemClock, type Clock } from './clock.js';
import { createOriginAgent, HttpClient } from './http/http.client.js';

/** One deployment as the facade knows it; fields only Central knows are absent without Central. */
export interface DeploymentInfo {
  name: string;
  displayName?: string;
  fqdn?: string;
  /** As Central says, e.g. `USM Anywhere`. */
  type?: string;
  /** Epoch ms. */
  joinedSince?: number;
  connectionStatus?: string;
  authorized?: boolean;
  /** Whether the facade holds client credentials for the deployment's own API. */
  hasCredentials: boolean;
}

export interface UpstreamRegistryOptions {
  /** Anywhere deployments and at most one `api: 'central'` target. Required. */
  targets: readonly UpstreamTarget[];
  /** `redis://…`: share tokens, token locks and rate windows with other replicas. Default unset. */
  redisUrl?: string;
  /** Prefix of every Redis key the registry writes. Default `usm-facade:`. */
  redisKeyPrefix?: string;
  logger: Logger;
  /** Token expiry and in-memory rate windows. Default `Date.now`. */
  clock?: Clock;
  /** Makes the dispatcher for an origin. Default: `createOriginAgent(tuning)`. */
  dispatcherFactory?: (origin: string) => Dispatcher;
  /** Timeouts, retries, breaker, budget; each default in `UPSTREAM_TUNING_DEFAULTS`. */
  tuning?: Partial<UpstreamTuning>;
}

export interface UpstreamRegistry {
  /** The client of a configured Anywhere deployment; `NOT_FOUND` for any other name. */
  anywhere(name: string): AnywhereClient;
  /** USM Central, when configured. */
  readonly central: CentralClient | undefined;
  /** Names of the configured Anywhere deployments, sorted. */
  readonly deploymentNames: readonly string[];
  listDeployments(): Promise<DeploymentInfo[]>;
  close(): Promise<void>;
}

export async function createUpstreamRegistry(options: UpstreamRegistryOptions): Promise<UpstreamRegistry> {
  const { logger } = options;
  const tuning: UpstreamTuning = { ...UPSTREAM_TUNING_DEFAULTS, ...options.tuning };
  const clock = options.clock ?? systemClock;
  const keyPrefix = options.redisKeyPrefix ?? 'usm-facade:';
  checkTargets(options.targets);

  let redis: RedisConnection | undefined;
  let window: RateWindow = new MemoryRateWindow({ clock });
  let lock: TokenFetchLock | undefined;
  if (options.redisUrl !== undefined) {
    redis = await connectRedis(options.redisUrl, { logger });
    window = new RedisRateWindow({ redis, keyPrefix, fallback: window, logger });
    lock = new RedisTokenLock(redis, keyPrefix);
  }
  const tokenStore: Keyv<StoredToken> = createStore<StoredToken>({
    namespace: `${keyPrefix}tokens`,
    redisUrl: options.redisUrl,
    logger,
  });

  const dispatchers = new Map<string, Dispatcher>();
  const dispatcherFor = (origin: string): Dispatcher => {
    let dispatcher = dispatchers.get(origin);
    if (dispatcher === undefined) {
      dispatcher = options.dispatcherFactory?.(origin) ?? createOriginAgent(tuning);
      dispatchers.set(origin, dispatcher);
    }
    return dispatcher;
  };

  const httpClients: HttpClient[] = [];
  const credentialOf = (target: UpstreamTarget): { http: HttpClient; tokens: TokenManager } => {
    const key = credentialKey(target.url, target.clientId);
    const budget = new RateBudget({
      deployment: target.name,
      key,
      window,
      share: tuning.budgetShare,
      windowMarginMs: tuning.budgetWindowMarginMs,
      leaseMs: tuning.requestTimeoutMs + 1_000,
      maxQueueWaitMs: tuning.queueMaxWaitMs,
      clock,
      logger,
    });
    const http = new HttpClient({
      deployment: target.name,
      baseUrl: target.url,
      dispatcher: dispatcherFor(new URL(target.url).origin),
      budget,
      tuning,
      clock,
      logger,
    });
    const tokens = new TokenManager({
      deployment: target.name,
      clientId: target.clientId,
      clientSecret: target.clientSecret,
      http,
      key,
      store: tokenStore,
      lock,
      clock,
      logger,
    });
    httpClients.push(http);
    return { http, tokens };
  };

  const anywhere = new Map<string, AnywhereClient>();
  let central: CentralClient | undefined;
  for (const target of options.targets) {
    const { http, tokens } = credentialOf(target);
    if (target.api === 'central') central = new CentralClient({ http, auth: tokens });
    else anywhere.set(target.name, new AnywhereClient({ deployment: target.name, http, auth: tokens }));
  }
  const deploymentNames = Object.freeze([...anywhere.keys()].sort());

  let closed = false;
  return {
    central,
    deploymentNames,

    anywhere(name: string): AnywhereClient {
      const client = anywhere.get(name);
      if (client !== undefined) return client;
      const known = deploymentNames.length === 0 ? 'none is configured' : `configured: ${deploymentNames.join(', ')}`;
      throw new FacadeError('NOT_FOUND', `the facade holds no credentials for deployment "${name}" (${known})`, {
        deployment: name,
      });
    },

    async listDeployments(): Promise<DeploymentInfo[]> {
      const byName = new Map<string, DeploymentInfo>(deploymentNames.map((name) => [name, { name, hasCredentials: true }]));
      if (central !== undefined) {
        try {
          for (const deployment of await central.deployments()) {
            const info: DeploymentInfo = { name: deployment.name, hasCredentials: anywhere.has(deployment.name) };
            if (deployment.displayName !== undefined) info.displayName = deployment.displayName;
            if (deployment.fqdn !== undefined) info.fqdn = deployment.fqdn;
            if (deployment.type !== undefined) info.type = deployment.type;
            if (deployment.joinedSince !== undefined) info.joinedSince = deployment.joinedSince;
            if (deployment.connectionStatus !== undefined) info.connectionStatus = deployment.connectionStatus;
            if (deployment.authorized !== undefined) info.authorized = deployment.authorized;
            byName.set(deployment.name, info);
          }
        } catch (error) {
          logger.warn(
            { code: error instanceof FacadeError ? error.code : undefined, message: error instanceof Error ? error.message : String(error) },
            'USM Central did not list its deployments; listing the configured ones only',
          );
        }
      }
      return [...byName.values()].sort((a, b) => a.name.localeCompare(b.name));
    },

    async close(): Promise<void> {
      if (closed) return;
      closed = true;
      await Promise.allSettled(httpClients.map((http) => http.close()));
      await Promise.allSettled([...dispatchers.values()].map((d) => d.close()));
      await Promise.allSettled([tokenStore.disconnect(), redis?.close()]);
    },
  };
}

function checkTargets(targets: readonly UpstreamTarget[]): void {
  const names = new Set<string>();
  let centrals = 0;
  for (const target of targets) {
    if (target.api === 'central') centrals += 1;
    else if (names.has(target.name)) {
      throw new Error(`createUpstreamRegistry: deployment "${target.name}" is configured twice; names must be unique`);
    } else names.add(target.name);
  }
  if (centrals > 1) throw new Error('createUpstreamRegistry: more than one USM Central target; configure at most one');
}
