/**
 * The composition root: the one place that wires concrete parts together.
 *
 * `startFacade(config)` starts the facade (and, with no upstream configured, the
 * embedded USM simulator it then talks to) and returns a handle whose `stop()` closes
 * everything it opened. It says it serves only once every listener is up; a port it
 * cannot take fails the start with a `ListenError` naming the variable. Run as a program
 * (`npm start`), it reads the environment, starts, and exits 0 on SIGTERM/SIGINT after
 * draining (`server/shutdown.signals.ts`); a failed start exits non-zero (2 for a bad
 * setting, 1 otherwise) with the reason on stderr.
 */
import 'reflect-metadata';
import { randomUUID } from 'node:crypto';
import { pathToFileURL } from 'node:url';
import { ConfigError, loadConfig, type Config } from './config/config.js';
import { createLogger, type Logger } from './log/logger.js';
import { openBackplane } from './backplane/backplane.js';
import { CredentialVault } from './credentials/credential.vault.js';
import { servedSdl } from './graph/cost.directives.js';
import { fieldCostRules, observedTopology } from './graph/cost.rules.js';
import { resultSizeRules } from './graph/result-size.rules.js';
import { contextFactory } from './graph/context.factory.js';
import { operationAuthorizer, readsOnlySharedData } from './graph/permissions.js';
import { buildFacadeSchema, withServedSdl } from './graph/schema.builder.js';
import { startKeys } from './keys/keys.bootstrap.js';
import { LiveHub } from './live/live.hub.js';
import { Topic } from './live/pubsub.js';
import { followAlarmChanges } from './loaders/alarm-changes.follower.js';
import { DocumentCache } from './loaders/document.cache.js';
import { createRequestLoaders } from './loaders/request.loaders.js';
import type { Clock } from './time/clock.js';
import { FacadeMetrics } from './observability/metrics.js';
import { startMetricsServer } from './observability/metrics.server.js';
import { observeAll, recordOnly } from './observability/operation.record.js';
import { readinessCheck } from './observability/readiness.check.js';
import { requestLog } from './observability/request.log.js';
import { FacadeTracing, type TracingOptions } from './observability/tracing.js';
import { costEstimator } from './protection/cost.estimator.js';
import { KeyBudget } from './protection/key.budget.js';
import { resultSizeCounter } from './protection/result.size.js';
import { queryLimits } from './protection/query.limits.js';
import { protectSchema } from './protection/rate-limit.directive.js';
import { TrustedDocuments } from './protection/trusted.documents.js';
import { startFacadeServer, type DrainPlan } from './server/facade.server.js';
import { presentedKey } from './server/presented.key.js';
import { ResponseCache } from './server/response.cache.js';
import { followRevocations } from './server/revocation.follower.js';
import { stopOnSignals } from './server/shutdown.signals.js';
import type { RunningSimulator } from './simulator/simulator.js';
import { createStore } from './store/store.factory.js';
import { composeObservers } from './upstream/http/upstream.observer.js';
import type { UpstreamCall } from './upstream/upstream.call.js';
import { createUpstreamRegistry, type DeploymentInfo } from './upstream/upstream.registry.js';
import { resolveUpstreams } from './upstream/upstream.targets.js';

export interface StartFacadeOptions {
  /** Default: a pino logger at `config.logLevel`. */
  logger?: Logger;
  /** Seams of the facade's own API keys (see `KeysOptions`). */
  keys?: KeysOptions;
  /** Seams of live subscriptions (see `LiveOptions`). */
  live?: LiveOptions;
  /**
   * Traces to this exporter, each span as it ends, whatever the `OTEL_*` variables say
   * (tests pass an `InMemorySpanExporter`). Default: as `config.tracing` says.
   */
  tracing?: Pick<TracingOptions, 'exporter'>;
  /** The clock each API key's budget restores on. Default `systemClock`; tests drive one by hand. */
  budget?: { clock?: Clock };
  /** The clock a drain waits on (`stop(plan)`). Default `systemClock`; tests drive one by hand. */
  drain?: { clock?: Clock };
}

export interface LiveOptions {
  /** The clock live groups poll on. Default `systemClock`; tests drive one by hand. */
  clock?: Clock;
  /** The poll jitter's source, 0 ≤ x < 1. Default `Math.random`. */
  random?: () => number;
}

export interface KeysOptions {
  /**
   * The clock the key service and the rotation scheduler read and wait on: when secrets
   * were made, when grace periods end, when rotations fall due. Default `systemClock`. Tests
   * pass a hand-driven clock to end a grace period without waiting for it.
   */
  clock?: Clock;
}

export interface RunningFacade {
  /** The GraphQL endpoint, e.g. `http://localhost:4000/graphql`. */
  url: string;
  port: number;
  /** The embedded simulator, when no upstream was configured. */
  simulator: RunningSimulator | undefined;
  /** Where Prometheus scrapes, e.g. `http://localhost:9464/metrics`; undefined with `METRICS_PORT=0`. */
  metricsUrl: string | undefined;
  /** Drains the server as `plan` says (default: nothing new accepted, `DRAIN_TIMEOUT_MS`'s default for open requests), then closes everything in reverse order. */
  stop(plan?: DrainPlan): Promise<void>;
}

export async function startFacade(config: Config, options: StartFacadeOptions = {}): Promise<RunningFacade> {
  const logger = options.logger ?? createLogger({ level: config.logLevel, pretty: config.logPretty });
  const { schema, sdl } = buildFacadeSchema();
  const { targets, simulator } = await resolveUpstreams(config.upstream, logger);
  // Everything opened so far is closed in reverse order, on stop or on a failed start.
  const closers: Array<() => Promise<unknown>> = [];
  if (simulator !== undefined) closers.push(() => simulator.stop());
  let drain: DrainPlan = {};
  const closeAll = async () => {
    for (const close of closers.splice(0).reverse()) await close();
  };
  try {
    const backplane = await openBackplane({ redisUrl: config.redisUrl, redisPrefix: config.redisPrefix, dataDir: config.keys.dataDir, logger });
    closers.push(() => backplane.close());
    const { pubsub } = backplane;
    const metrics = new FacadeMetrics();
    // First, so a taken METRICS_PORT fails the start before keys are made or anything is served.
    const metricsServer = config.metricsPort === 0 ? undefined : await startMetricsServer({ metrics, port: config.metricsPort, host: config.host, logger });
    if (metricsServer !== undefined) closers.push(() => metricsServer.stop());
    const tracing =
      options.tracing?.exporter !== undefined || config.tracing.enabled ? new FacadeTracing({ ...config.tracing, ...options.tracing }) : undefined;
    // Closed after everything that makes spans, so the last ones are sent.
    if (tracing !== undefined) closers.push(() => tracing.shutdown());
    // Before the registry: credential rotations are audited in the keys' audit trail.
    const { keys, stop: stopKeys } = await startKeys({
      store: backplane.store('keys', { persistent: true }),
      pubsub,
      lock: backplane.lock,
      throttle: backplane.authThrottle,
      logger,
      tenant: config.keys.tenant,
      adoptSecret: config.keys.adminKey,
      clock: options.keys?.clock,
    });
    closers.push(stopKeys);
    const registry = await createUpstreamRegistry({
      targets,
      rateWindow: backplane.rateWindow,
      tokenStore: backplane.store('tokens'),
      tokenLock: backplane.tokenLock,
      logger,
      tuning: config.upstreamTuning,
      // The simulator makes fresh clients on every start, so rotated credentials of an
      // earlier run would name clients that no longer exist: keep them in memory there.
      vault: new CredentialVault({
        store: simulator !== undefined ? createStore<unknown>({ namespace: 'credentials' }) : backplane.store<unknown>('credentials', { persistent: true }),
        secretKey: config.credentials.secretKey,
      }),
      credentialPollIntervalMs: config.credentials.pollIntervalMs,
      // The backplane's named locks, as for API keys: one rotation per upstream across replicas.
      rotationLocks: backplane.lock,
      runningRotations: backplane.store('credential-rotations'),
      audit: keys.audit,
      observer: composeObservers(tracing === undefined ? [metrics.upstream] : [metrics.upstream, tracing.upstream]),
    });
    closers.push(() => registry.close());
    // Without Redis a second tier would only copy this process's memory.
    const cache = new DocumentCache({ ttls: config.cacheTtls, shared: backplane.kind === 'redis' ? backplane.store<unknown>('cache') : undefined, logger });
    const responses = new ResponseCache({ ttlMs: config.cacheTtls.page, cacheable: readsOnlySharedData });
    const hub = new LiveHub({
      pubsub,
      leases: backplane.leases,
      states: backplane.store('live'),
      intervalMs: config.live.pollIntervalMs,
      maxGroups: config.live.maxGroups,
      clock: options.live?.clock,
      random: options.live?.random,
      logger,
    });
    closers.push(() => hub.close());
    metrics.watch({
      upstreams: () => registry.health(),
      caches: () => ({ ...cache.stats(), response: responses.stats() }),
      live: () => ({ groups: hub.groupCount, subscribers: hub.memberCount, polls: hub.pollStats }),
    });
    const replicaId = randomUUID();
    const forgetAnswers = (deployment: string) => {
      responses.clear();
      hub.nudge(deployment);
    };
    closers.push(await followAlarmChanges({ pubsub, cache, deployments: registry.deploymentNames, replicaId, onChange: forgetAnswers, logger }));
    const trusted = new TrustedDocuments({ file: config.trustedDocumentsFile, logger });
    const topology = observedTopology({
      readable: registry.deploymentNames,
      central: registry.central !== undefined,
      sharesPages: config.cacheTtls.page > 0,
      listed: () => cache.peek<DeploymentInfo[]>('deployments', 'all')?.length,
    });
    const rules = fieldCostRules(topology);
    // Routers refuse by the same rules before a request arrives: `_service` carries them as @cost/@listSize.
    const sdlWithCost = servedSdl({ schema, sdl, topology, rules });
    const contextOf = contextFactory({
      keys,
      registry,
      cache,
      pubsub,
      live: {
        hub,
        loadersFor: (call: UpstreamCall) => createRequestLoaders({ registry, cache, call, freshPages: true }),
        requestDeadlineMs: config.requestDeadlineMs,
      },
      requestDeadlineMs: config.requestDeadlineMs,
      logger,
      // This replica's answers go now, before the reply to the write; every other replica's when the message lands.
      onAlarmChanged: (deployment, uuid) => {
        forgetAnswers(deployment);
        void pubsub.publish(Topic.AlarmsChanged, deployment, { deployment, alarmIds: [uuid], origin: replicaId });
      },
      onFailedLogin: (transport) => metrics.failedLogin(transport),
    });
    const server = await startFacadeServer({
      // The process builds one schema; each facade counts its rate limits in a store of its own.
      schema: withServedSdl(protectSchema(schema, { limits: config.rateLimits, store: backplane.rateLimiterStore }), sdlWithCost),
      sdl: sdlWithCost(),
      logger,
      port: config.port,
      host: config.host,
      trustedProxies: config.trustedProxies,
      context: (source) => contextOf({ key: presentedKey(source), clientAddress: source.clientAddress, transport: source.transport }),
      authorizeOperation: operationAuthorizer({
        keys,
        trusted,
        trustedDocumentsFile: config.trustedDocumentsFile,
        // Analysts explore the schema in development; in production only keys granted `schema:read`.
        introspection: config.nodeEnv === 'production' ? 'schema:read' : 'open',
      }),
      queryLimits: queryLimits({ limits: config.queryLimits, exposeLimits: config.nodeEnv !== 'production' }),
      production: config.nodeEnv === 'production',
      costOf: costEstimator({ schema, rules, epoch: topology.knownDeployments }),
      maxOperationCost: config.queryLimits.maxOperationCost,
      budget: new KeyBudget({
        store: backplane.keyBudgetStore,
        defaults: { maximum: config.keyBudget.maximum, restoreRate: config.keyBudget.restoreRate },
        basePoints: config.keyBudget.basePoints,
        clock: options.budget?.clock,
      }),
      resultNodesOf: resultSizeCounter({ schema, rules: resultSizeRules(topology), epoch: topology.knownDeployments }),
      maxResultNodes: config.queryLimits.maxResultNodes,
      plugins: [responses.plugin()],
      observer: observeAll([
        metrics.operations,
        ...(tracing === undefined ? [] : [tracing.operations]),
        requestLog(logger),
        // What each key's operations' calls came to, for `ApiKey.upstreamUsage`.
        recordOnly((record) => record.keyId !== undefined && registry.recordAnswer(record.keyId, record.outcome === 'ok', record.upstreamCalls)),
      ]),
      persistedQueries: trusted.persistedQueries(),
      readiness: readinessCheck({ store: backplane, upstreams: () => registry.health() }),
      stringifyResult: responses.stringifyResult,
      maxSubscriptionsPerKey: config.live.maxSubscriptionsPerKey,
      subscriptionSlots: backplane.subscriptionSlots,
      clock: options.drain?.clock,
    });
    closers.push(() => server.stop(drain));
    metrics.watch({ webSockets: () => server.webSockets() });
    // A key revoked on another replica from now on closes its connections here too.
    closers.push(await followRevocations({ pubsub, server, logger }));
    logger.info({ url: server.url, metricsUrl: metricsServer?.url }, 'facade serving GraphQL');
    const stop = (plan: DrainPlan = {}) => {
      drain = plan;
      return closeAll();
    };
    return { url: server.url, port: server.port, simulator, metricsUrl: metricsServer?.url, stop };
  } catch (error) {
    await closeAll();
    throw error;
  }
}

async function runAsProgram(): Promise<void> {
  let config: Config;
  try {
    config = loadConfig(process.env);
  } catch (error) {
    if (error instanceof ConfigError) {
      console.error(error.message);
      process.exit(2);
    }
    throw error;
  }
  const logger = createLogger({ level: config.logLevel, pretty: config.logPretty });
  const facade = await startFacade(config, { logger });
  stopOnSignals(facade.stop, config.drain, logger);
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  runAsProgram().catch((error: unknown) => {
    // A port in use names its variable (ListenError); anything else says what it can.
    console.error('failed to start:', error instanceof Error ? error.message : error);
    process.exit(1);
  });
}
