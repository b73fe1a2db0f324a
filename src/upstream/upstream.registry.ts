/**
 * Every upstream the facade talks to, built once at start-up from the configured
 * targets: one `AnywhereClient` per deployment and at most one `CentralClient`, each
 * with its own credential, token manager, rate budget, HTTP client and breaker.
 *
 * Contract:
 * - Per upstream: one `HttpClient` with its `RateBudget` and breaker, and one
 *   `CredentialSlot` holding the `TokenManager` of the credential in use; per origin: one
 *   keep-alive dispatcher shared by the upstreams on it. Tokens are keyed by base URL +
 *   the client ID in use; the budget by base URL + the configured client ID, so that it
 *   stays one shared budget across rotations and restarts (USM counts per client, and
 *   the facade uses one client per upstream at a time).
 * - `credentials()` and `rotateCredentials()` report and replace the upstreams' client
 *   credentials (see `auth/credential.rotator.ts`): rotated credentials persist,
 *   encrypted, in `vault`, which wins over the configuration at start-up and which
 *   replicas poll every `credentialPollIntervalMs`. A rotation holds `rotationLocks` per
 *   upstream (refusing one that finds a lock held with `ROTATION_IN_PROGRESS`), notes in
 *   `runningRotations` who runs it since when, and audits each step through `audit`.
 * - State is shared only through what it is given: a shared `rateWindow`, `tokenStore`
 *   and `tokenLock` (the backplane's, see `backplane/`) make replicas share one token
 *   and one quota per credential; without them all state is in this process.
 * - `anywhere(name)` throws `NOT_FOUND` naming the configured deployments.
 * - `listDeployments()` lists each deployment once, sorted by name: Central's
 *   `/deployments` (when Central is configured) merged with the configured ones, each
 *   telling whether the facade holds credentials for it. If Central fails, the
 *   configured deployments are still listed and the failure is logged.
 * - `close()` stops the vault poll and every budget timer and closes the dispatchers it
 *   made; what it was given (rate window, token store and lock, vault) stays open for
 *   whoever made it; calling it twice is harmless.
 */
import type { Dispatcher } from 'undici';
import { Keyv } from 'keyv';
import type { UpstreamTarget } from '../config/upstream.target.js';
import { UPSTREAM_TUNING_DEFAULTS, type UpstreamTuning } from './upstream.settings.js';
import { FacadeError } from '../errors/facade.error.js';
import type { Logger } from '../log/logger.js';
import { CredentialVault } from '../credentials/credential.vault.js';
import { AnywhereClient } from './anywhere/anywhere.client.js';
import {
  CredentialRotator,
  type CredentialAuditPort,
  type CredentialRotationInput,
  type CredentialStatus,
  type RotationActor,
  type RotationLocks,
  type RotationReport,
  type TokenManagerSpec,
} from './auth/credential.rotator.js';
import type { TokenFetchLock } from './auth/token.lock.js';
import type { CredentialSlot } from './auth/credential.slot.js';
import { credentialKey, TokenManager, type StoredToken } from './auth/token.manager.js';
import { RateBudget } from './budget/rate.budget.js';
import type { RequestClass } from './budget/request.class.js';
import { UsageLedger, type CallerUsage } from './budget/usage.ledger.js';
import { MemoryRateWindow, type RateWindow } from './budget/rate.window.js';
import { CentralClient } from './central/central.client.js';
import { systemClock, type Clock } from '../time/clock.js';
import { createOriginAgent, HttpClient } from './http/http.client.js';
import type { UpstreamObserver } from './http/upstream.observer.js';
import type { LaneSnapshot } from './budget/rate.budget.js';
import type { UpstreamCall } from './upstream.call.js';

export type {
  CredentialAuditEntry,
  CredentialAuditPort,
  CredentialRotationInput,
  CredentialStatus,
  RotationActor,
  RotationEntryResult,
  RotationReport,
  RotationStatus,
} from './auth/credential.rotator.js';

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

/** One upstream's figures for one caller over the last minute. */
export interface UpstreamUsageReport {
  /** Deployment name, or `central`. */
  upstream: string;
  usage: CallerUsage;
  /** What the budget lets out per minute at full rate, per quota class. */
  allowancePerMinute: Record<RequestClass, number>;
}

export interface UpstreamRegistryOptions {
  /** Anywhere deployments and at most one `api: 'central'` target. Required. */
  targets: readonly UpstreamTarget[];
  /** The window every rate budget draws on; a shared one keeps replicas under one quota. Default: a `MemoryRateWindow` on `clock`. */
  rateWindow?: RateWindow;
  /** Where tokens are kept; a shared one gives replicas one token per credential. Default: this process's memory. */
  tokenStore?: Keyv<StoredToken>;
  /** Lets one holder at a time fetch a credential's token (needed with a shared `tokenStore`). Default none. */
  tokenLock?: TokenFetchLock;
  logger: Logger;
  /** What every part of the registry reads and waits on: tokens, budgets, clients, the default in-memory rate window. Default `systemClock`. */
  clock?: Clock;
  /** Makes the dispatcher for an origin. Default: `createOriginAgent(tuning)`. */
  dispatcherFactory?: (origin: string) => Dispatcher;
  /** Timeouts, retries, breaker, budget; each default in `UPSTREAM_TUNING_DEFAULTS`. */
  tuning?: Partial<UpstreamTuning>;
  /**
   * Where rotated credentials persist (share one store between replicas). Default: an
   * in-memory vault without a key, so `rotateCredentials` refuses with the
   * FACADE_SECRET_KEY message.
   */
  vault?: CredentialVault;
  /** How often to read the vault for rotations made by other replicas; 0 turns it off. Default `CREDENTIAL_POLL_INTERVAL_MS`'s. */
  credentialPollIntervalMs?: number;
  /** One credential rotation per upstream at a time: the lock every replica shares (the backplane's). Required. */
  rotationLocks: RotationLocks;
  /** Where a running rotation notes since when and by whom, for the refusal of another (share it with the locks). Required. */
  runningRotations: Keyv;
  /** Where each credential rotation step is audited (the API keys' audit log). Required. */
  audit: CredentialAuditPort;
  /** Told of every attempt any client sends (metrics, traces). Default none. */
  observer?: UpstreamObserver;
}

/** One upstream's state, for readiness and metrics: never a secret. */
export interface UpstreamHealth {
  /** Deployment name, or `central`. */
  upstream: string;
  breaker: 'closed' | 'open' | 'half-open';
  credential: CredentialStatus['state'];
  /** Its rate budget per quota class, as this replica sees it. */
  budget: Record<RequestClass, LaneSnapshot>;
}

export interface UpstreamRegistry {
  /** The client of a configured Anywhere deployment; `NOT_FOUND` for any other name. */
  anywhere(name: string): AnywhereClient;
  /** USM Central, when configured. */
  readonly central: CentralClient | undefined;
  /** Names of the configured Anywhere deployments, sorted. */
  readonly deploymentNames: readonly string[];
  /** `call`: on whose behalf Central is asked (default the facade's own). */
  listDeployments(call?: UpstreamCall): Promise<DeploymentInfo[]>;
  /** Each Anywhere deployment's credential (by name), then Central's; never a secret. */
  credentials(): CredentialStatus[];
  /** What `caller` (an API key id) drew from each upstream's budget in the last minute, on this replica; upstreams in name order. */
  usageOf(caller: string): UpstreamUsageReport[];
  /** Counts the upstream calls one finished operation of `caller` sent: served an answer, or wasted (it failed after sending them). */
  recordAnswer(caller: string, served: boolean, calls: number): void;
  /** What `caller`'s operations sent in the last minute on this replica, by whether they served an answer. */
  answersOf(caller: string): { servedCalls: number; wastedCalls: number };
  /** Each upstream's breaker, credential and budget, in name order. */
  health(): UpstreamHealth[];
  /**
   * Verifies and swaps in new client credentials, bottom-up, stopping at the first
   * failure; each step is audited with `actor` (who asked). Throws `BAD_USER_INPUT` for a
   * malformed batch or without FACADE_SECRET_KEY, `ROTATION_IN_PROGRESS` while a rotation
   * of one of its upstreams runs anywhere; otherwise answers per entry.
   */
  rotateCredentials(entries: readonly CredentialRotationInput[], actor: RotationActor): Promise<RotationReport>;
  close(): Promise<void>;
}

export async function createUpstreamRegistry(options: UpstreamRegistryOptions): Promise<UpstreamRegistry> {
  const { logger } = options;
  const tuning: UpstreamTuning = { ...UPSTREAM_TUNING_DEFAULTS, ...options.tuning };
  const clock = options.clock ?? systemClock;
  checkTargets(options.targets);

  const window: RateWindow = options.rateWindow ?? new MemoryRateWindow({ clock });
  const lock = options.tokenLock;
  const tokenStore: Keyv<StoredToken> = options.tokenStore ?? new Keyv<StoredToken>({ namespace: 'tokens' });

  const dispatchers = new Map<string, Dispatcher>();
  const dispatcherFor = (origin: string): Dispatcher => {
    let dispatcher = dispatchers.get(origin);
    if (dispatcher === undefined) {
      dispatcher = options.dispatcherFactory?.(origin) ?? createOriginAgent(tuning);
      dispatchers.set(origin, dispatcher);
    }
    return dispatcher;
  };

  const vault = options.vault ?? new CredentialVault({ store: new Keyv() });
  if (!vault.canStore) {
    logger.info('FACADE_SECRET_KEY is not set: upstream credentials can be used but not rotated (rotated secrets are stored encrypted)');
  }
  const rotator = new CredentialRotator({
    vault,
    tokensFor: (spec: TokenManagerSpec) =>
      new TokenManager({
        deployment: spec.deployment,
        clientId: spec.clientId,
        clientSecret: spec.clientSecret,
        http: spec.http,
        key: credentialKey(spec.url, spec.clientId),
        store: tokenStore,
        lock,
        clock,
        logger,
      }),
    locks: options.rotationLocks,
    running: options.runningRotations,
    audit: options.audit,
    tuning,
    pollIntervalMs: options.credentialPollIntervalMs,
    clock,
    logger,
  });

  const httpClients: HttpClient[] = [];
  const clientsByName = new Map<string, HttpClient>();
  const budgets = new Map<string, RateBudget>();
  /** Operations span upstreams, so what their calls came to is counted once here, not per budget. */
  const answers = new UsageLedger({ clock });
  const credentialOf = async (target: UpstreamTarget): Promise<{ http: HttpClient; auth: CredentialSlot }> => {
    const budget = new RateBudget({
      deployment: target.name,
      key: credentialKey(target.url, target.clientId),
      window,
      share: tuning.budgetShare,
      windowMarginMs: tuning.budgetWindowMarginMs,
      leaseMs: tuning.requestTimeoutMs + 1_000,
      maxQueueWaitMs: tuning.queueMaxWaitMs,
      classMaxWaitMs: { LIVE: tuning.liveMaxWaitMs, BACKGROUND: tuning.backgroundMaxWaitMs },
      clock,
      logger,
    });
    budgets.set(target.name, budget);
    const http = new HttpClient({
      deployment: target.name,
      baseUrl: target.url,
      dispatcher: dispatcherFor(new URL(target.url).origin),
      budget,
      tuning,
      clock,
      logger,
      observer: options.observer,
    });
    httpClients.push(http);
    clientsByName.set(target.name, http);
    return { http, auth: await rotator.attach(target, http) };
  };

  const anywhere = new Map<string, AnywhereClient>();
  let central: CentralClient | undefined;
  for (const target of options.targets) {
    const { http, auth } = await credentialOf(target);
    if (target.api === 'central') central = new CentralClient({ http, auth });
    else anywhere.set(target.name, new AnywhereClient({ deployment: target.name, http, auth }));
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

    async listDeployments(call?: UpstreamCall): Promise<DeploymentInfo[]> {
      const byName = new Map<string, DeploymentInfo>(deploymentNames.map((name) => [name, { name, hasCredentials: true }]));
      if (central !== undefined) {
        try {
          for (const deployment of await central.deployments(call)) {
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

    credentials(): CredentialStatus[] {
      return rotator.credentials();
    },

    recordAnswer(caller: string, served: boolean, calls: number): void {
      answers.recordAnswer(caller, served, calls);
    },

    answersOf(caller: string): { servedCalls: number; wastedCalls: number } {
      const { servedCalls, wastedCalls } = answers.usage(caller);
      return { servedCalls, wastedCalls };
    },

    usageOf(caller: string): UpstreamUsageReport[] {
      return [...budgets]
        .sort(([a], [b]) => a.localeCompare(b))
        .map(([upstream, budget]) => ({
          upstream,
          usage: budget.usage(caller),
          allowancePerMinute: { get: budget.allowancePerMinute('get'), post: budget.allowancePerMinute('post') },
        }));
    },

    health(): UpstreamHealth[] {
      const credentials = new Map(rotator.credentials().map((status) => [status.deployment, status.state]));
      return [...clientsByName]
        .sort(([a], [b]) => a.localeCompare(b))
        .map(([upstream, http]) => ({
          upstream,
          breaker: http.breakerState,
          credential: credentials.get(upstream) ?? 'UNKNOWN',
          budget: (budgets.get(upstream) ?? http.budget).snapshot(),
        }));
    },

    rotateCredentials(entries: readonly CredentialRotationInput[], actor: RotationActor): Promise<RotationReport> {
      return rotator.rotate(entries, actor);
    },

    async close(): Promise<void> {
      if (closed) return;
      closed = true;
      rotator.close();
      await Promise.allSettled(httpClients.map((http) => http.close()));
      await Promise.allSettled([...dispatchers.values()].map((d) => d.close()));
    },
  };
}

function checkTargets(targets: readonly UpstreamTarget[]): void {
  const names = new Set<string>();
  let centrals = 0;
  for (const target of targets) {
    if (target.api === 'central') centrals += 1;
    else if (target.name === 'central') {
      throw new Error('createUpstreamRegistry: the deployment name "central" is reserved for USM Central; rename that Anywhere deployment');
    } else if (names.has(target.name)) {
      throw new Error(`createUpstreamRegistry: deployment "${target.name}" is configured twice; names must be unique`);
    } else names.add(target.name);
  }
  if (centrals > 1) throw new Error('createUpstreamRegistry: more than one USM Central target; configure at most one');
}
