/**
 * The composition root: the one place that wires concrete parts together.
 *
 * `startFacade(config)` starts the facade (and, with no upstream configured, the
 * embedded USM simulator it then talks to) and returns a handle whose `stop()` closes
 * everything it opened. Run as a program (`npm start`), it reads the environment,
 * starts, and exits 0 on SIGTERM/SIGINT after draining.
 */
import 'reflect-metadata';
import { randomUUID } from 'node:crypto';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { ConfigError, loadConfig, type Config, type UpstreamTarget } from './config/config.js';
import { createLogger, type Logger } from './log/logger.js';
import { buildFacadeSchema, withServedSdl } from './graph/schema.builder.js';
import { DocumentCache } from './loaders/document.cache.js';
import { createRequestLoaders, type RequestLoaders } from './loaders/request.loaders.js';
import { followAlarmChanges } from './loaders/alarm-changes.follower.js';
import { createStore } from './store/store.factory.js';
import { createUpstreamRegistry } from './upstream/upstream.registry.js';
import { CredentialVault } from './credentials/credential.vault.js';
import { startFacadeServer } from './server/facade.server.js';
import { ResponseCache } from './server/response.cache.js';
import { followRevocations } from './server/revocation.follower.js';
import { presentedKey } from './server/presented.key.js';
import { protectSchema } from './protection/rate-limit.directive.js';
import { readsOnlySharedData, requiredPermissions } from './graph/permissions.js';
import { ApiKeyService } from './keys/api-key.service.js';
import { RotationScheduler } from './keys/rotation.scheduler.js';
import { Topic } from './live/pubsub.js';
import { openBackplane, type Backplane } from './backplane/backplane.js';
import { LiveHub } from './live/live.hub.js';
import type { Clock } from './time/clock.js';
import { expectCalls, type SentCount, type UpstreamCall } from './upstream/upstream.call.js';
import { queryLimits } from './protection/query.limits.js';
import { costEstimator } from './protection/cost.estimator.js';
import { fieldCostRules, type UpstreamTopology } from './graph/cost.rules.js';
import { servedSdl } from './graph/cost.directives.js';
import type { DeploymentInfo } from './upstream/upstream.registry.js';
import { startSimulator, type RunningSimulator } from './simulator/simulator.js';
import { FacadeMetrics } from './observability/metrics.js';
import { startMetricsServer } from './observability/metrics.server.js';
import { TrustedDocuments } from './protection/trusted.documents.js';
import { FacadeError } from './errors/facade.error.js';
import { FacadeTracing, type TracingOptions } from './observability/tracing.js';
import { requestLogPlugin } from './observability/request.log.js';
import { composeObservers } from './upstream/http/upstream.observer.js';

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
  stop(): Promise<void>;
}

interface ResolvedUpstreams {
  targets: UpstreamTarget[];
  simulator: RunningSimulator | undefined;
}

async function resolveUpstreams(config: Config, logger: Logger): Promise<ResolvedUpstreams> {
  if (config.upstream.mode === 'configured') {
    const { central, deployments } = config.upstream;
    return { targets: central === undefined ? deployments : [...deployments, central], simulator: undefined };
  }
  const simulator = await startSimulator({ port: config.upstream.simulatorPort });
  logger.info(
    { simulator: simulator.url, central: simulator.central.url, deployments: simulator.deployments.map((d) => d.url) },
    'no upstream configured (USM_ANYWHERE_* / USM_CENTRAL_*): using the embedded USM simulator',
  );
  const targets: UpstreamTarget[] = [
    ...simulator.deployments.map((d) => ({
      api: 'anywhere' as const,
      name: d.name,
      url: d.url,
      clientId: d.clientId,
      clientSecret: d.clientSecret,
    })),
    {
      api: 'central',
      name: 'central',
      url: simulator.central.url,
      clientId: simulator.central.clientId,
      clientSecret: simulator.central.clientSecret,
    },
  ];
  return { targets, simulator };
}

export async function startFacade(config: Config, options: StartFacadeOptions = {}): Promise<RunningFacade> {
  const logger = options.logger ?? createLogger({ level: config.logLevel, pretty: config.logPretty });
  const { schema, sdl } = buildFacadeSchema();
  const { targets, simulator } = await resolveUpstreams(config, logger);
  // Everything opened so far is closed in reverse order, on stop or on a failed start.
  const closers: Array<() => Promise<unknown>> = [];
  if (simulator !== undefined) closers.push(() => simulator.stop());
  const closeAll = async () => {
    for (const close of closers.splice(0).reverse()) await close();
  };
  try {
    const backplane = await openBackplane({
      redisUrl: config.redisUrl,
      redisPrefix: config.redisPrefix,
      dataDir: config.keys.dataDir,
      logger,
    });
    closers.push(() => backplane.close());
    const metrics = new FacadeMetrics();
    const tracing =
      options.tracing?.exporter !== undefined || config.tracing.enabled ? new FacadeTracing({ ...config.tracing, ...options.tracing }) : undefined;
    // Closed after everything that makes spans, so the last ones are sent.
    if (tracing !== undefined) closers.push(() => tracing.shutdown());
    // The process builds one schema; each facade counts its rate limits in a store of its own.
    const limitedSchema = protectSchema(schema, { limits: config.rateLimits, store: backplane.rateLimiterStore });
    // The simulator makes fresh clients on every start, so rotated credentials of an
    // earlier run would name clients that no longer exist: keep them in memory there.
    const credentialStore =
      simulator !== undefined ? createStore<unknown>({ namespace: 'credentials' }) : backplane.store<unknown>('credentials', { persistent: true });
    const registry = await createUpstreamRegistry({
      targets,
      rateWindow: backplane.rateWindow,
      tokenStore: backplane.store('tokens'),
      tokenLock: backplane.tokenLock,
      logger,
      tuning: config.upstreamTuning,
      vault: new CredentialVault({ store: credentialStore, secretKey: config.credentials.secretKey }),
      credentialPollIntervalMs: config.credentials.pollIntervalMs,
      observer: composeObservers(tracing === undefined ? [metrics.upstream] : [metrics.upstream, tracing.upstream]),
    });
    closers.push(() => registry.close());
    // Without Redis a second tier would only copy this process's memory.
    const shared = backplane.kind === 'redis' ? backplane.store<unknown>('cache') : undefined;
    const cache = new DocumentCache({ ttls: config.cacheTtls, shared, logger });
    const replicaId = randomUUID();
    const responses = new ResponseCache({ ttlMs: config.cacheTtls.page, cacheable: readsOnlySharedData });

    const { pubsub } = backplane;
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
    const live = {
      hub,
      loadersFor: (call: UpstreamCall) => createRequestLoaders({ registry, cache, call, freshPages: true }),
      requestDeadlineMs: config.requestDeadlineMs,
    };
    closers.push(
      await followAlarmChanges({
        pubsub,
        cache,
        deployments: registry.deploymentNames,
        replicaId,
        onChange: (deployment) => {
          responses.clear();
          hub.nudge(deployment);
        },
        logger,
      }),
    );
    const keys = await startKeys(config, backplane, logger, closers, options.keys);
    const trusted = new TrustedDocuments({ file: config.trustedDocumentsFile, logger });
    // Analysts explore the schema in development; in production only keys granted `schema:read`.
    const introspection = config.nodeEnv === 'production' ? ('schema:read' as const) : ('open' as const);
    let deploymentsSeen = registry.deploymentNames.length;
    // Central's list as last seen: the estimate makes no call of its own.
    const knownDeployments = () => (deploymentsSeen = Math.max(deploymentsSeen, cache.peek<DeploymentInfo[]>('deployments', 'all')?.length ?? 0));
    const topology: UpstreamTopology = {
      readable: registry.deploymentNames,
      central: registry.central !== undefined,
      knownDeployments,
      sharesPages: config.cacheTtls.page > 0,
    };
    const rules = fieldCostRules(topology);
    const costOf = costEstimator({ schema, rules, epoch: knownDeployments });
    // Routers refuse by the same rules before a request arrives: `_service` carries them as @cost/@listSize.
    const sdlWithCost = servedSdl({ schema, sdl, topology, rules });
    const server = await startFacadeServer({
      schema: withServedSdl(limitedSchema, sdlWithCost),
      sdl: sdlWithCost(),
      logger,
      port: config.port,
      host: config.host,
      context: async (source) => {
        const apiKey = await keys.authenticate(presentedKey(source), { clientAddress: source.remoteAddress }).catch((error: unknown) => {
          if (error instanceof FacadeError && error.code === 'UNAUTHENTICATED') metrics.failedLogin(source.transport);
          throw error;
        });
        const deadline = Date.now() + config.requestDeadlineMs;
        const upstreamCallsSent: SentCount = { count: 0 };
        // The request's upstream work is the key's, interactive, and over at its deadline.
        const call: UpstreamCall = { caller: apiKey.id, workClass: 'INTERACTIVE', deadline, sent: upstreamCallsSent };
        let loaders: RequestLoaders | undefined;
        // Made on first use: a subscription keeps its context for hours, and most never read through it.
        const loadersOf = () =>
          (loaders ??= createRequestLoaders({
            registry,
            cache,
            call,
            // Every replica forgets what it cached of the alarm, so a read after a write is fresh anywhere.
            onAlarmChanged: (deployment, uuid) => {
              // This replica's answers go now, before the reply to the write; others' when the message lands.
              responses.clear();
              hub.nudge(deployment);
              void pubsub.publish(Topic.AlarmsChanged, deployment, { deployment, alarmIds: [uuid], origin: replicaId });
            },
          }));
        return {
          apiKey,
          keys,
          pubsub,
          get loaders() {
            return loadersOf();
          },
          credentials: registry,
          usage: registry,
          live,
          logger,
          upstreamCallsSent,
          expectUpstreamCalls: (estimated: number) => expectCalls(call, estimated),
        };
      },
      authorizeOperation: (context, document, operation) => {
        for (const permission of requiredPermissions(document, operation, { introspection })) keys.authorize(context.apiKey, permission);
        if (context.apiKey.trustedDocumentsOnly && !trusted.includes(document)) {
          throw new FacadeError(
            'PERSISTED_QUERY_NOT_ALLOWED',
            `Key "${context.apiKey.name}" runs only trusted documents (the ${trusted.size} operations of ${path.basename(config.trustedDocumentsFile)}), ` +
              'and this is not one of them: send one of those, by its hash (extensions.persistedQuery.sha256Hash) or as text',
          );
        }
      },
      queryLimits: queryLimits({ limits: config.queryLimits, exposeLimits: config.nodeEnv !== 'production' }),
      production: config.nodeEnv === 'production',
      costOf,
      maxOperationCost: config.queryLimits.maxOperationCost,
      plugins: [
        // The budget admits an HTTP operation as a whole from its estimate (the server has checked it against the limit by now).
        {
          async requestDidStart() {
            return {
              async didResolveOperation({ contextValue, document, operation, request }) {
                if (operation !== undefined && operation !== null) contextValue.expectUpstreamCalls(costOf(document, operation, request.variables));
              },
              // What the operation's calls came to, for `ApiKey.upstreamUsage`.
              async willSendResponse({ contextValue, response }) {
                const errors = response.body.kind === 'single' ? response.body.singleResult.errors : undefined;
                registry.recordAnswer(contextValue.apiKey.id, errors === undefined || errors.length === 0, contextValue.upstreamCallsSent.count);
              },
            };
          },
        },
        metrics.plugin(),
        responses.plugin(), ...(tracing === undefined ? [] : [tracing.plugin()]), requestLogPlugin(logger)],
      persistedQueries: trusted.persistedQueries(),
      readiness: async () => {
        const store = await backplane.ping();
        return {
          // Upstream trouble is reported, not a reason to stop serving: every replica shares it, and cached reads still answer.
          ready: store,
          checks: {
            config: 'loaded',
            store: { kind: backplane.kind, reachable: store },
            upstreams: registry.health().map(({ upstream, breaker, credential }) => ({ upstream, breaker, credential })),
          },
        };
      },
      stringifyResult: responses.stringifyResult,
      maxSubscriptionsPerKey: config.live.maxSubscriptionsPerKey,
      subscriptionSlots: backplane.subscriptionSlots,
    });
    closers.push(() => server.stop());
    metrics.watch({ webSockets: () => server.webSockets() });
    // A key revoked on another replica from now on closes its connections here too.
    closers.push(await followRevocations({ pubsub, server, logger }));
    logger.info({ url: server.url }, 'facade serving GraphQL');
    const metricsServer =
      config.metricsPort === 0 ? undefined : await startMetricsServer({ metrics, port: config.metricsPort, host: config.host, logger });
    if (metricsServer !== undefined) closers.push(() => metricsServer.stop());
    return { url: server.url, port: server.port, simulator, metricsUrl: metricsServer?.url, stop: closeAll };
  } catch (error) {
    await closeAll();
    throw error;
  }
}

/**
 * The facade's own API keys on the backplane (their store, persistent without Redis;
 * the pubsub that carries rotations and revocations between replicas; the locks and
 * the auth throttle), the default admin key, and the rotation scheduler, all on
 * `options.clock` (the locks keep real time, whatever the key clock says: they bound
 * how long a crashed holder blocks others). Whatever it starts is added to `closers`.
 */
async function startKeys(
  config: Config,
  backplane: Backplane,
  logger: Logger,
  closers: Array<() => Promise<unknown>>,
  options: KeysOptions = {},
): Promise<ApiKeyService> {
  const { clock } = options;
  const { pubsub, lock } = backplane;
  const keys = new ApiKeyService({
    store: backplane.store('keys', { persistent: true }),
    pubsub,
    logger,
    lock,
    throttle: backplane.authThrottle,
    clock,
  });
  closers.push(() => keys.close());
  await keys.ready;

  const defaultKey = await keys.ensureDefaultKey({ tenant: config.keys.tenant, adoptSecret: config.keys.adminKey });
  switch (defaultKey.outcome) {
    case 'CREATED':
      // Shown once, on the terminal, never through the logger: it is nowhere else in clear.
      process.stderr.write(
        `\nCreated the default admin API key "${defaultKey.key.name}" (every permission). It is shown only now:\n\n` +
          `    ${defaultKey.secret}\n\nSend it as "Authorization: Bearer <key>". Set FACADE_ADMIN_KEY to choose your own.\n\n`,
      );
      break;
    case 'ADOPTED':
      logger.info({ key: defaultKey.key.name }, 'adopted FACADE_ADMIN_KEY as the default admin key');
      break;
    case 'EXISTING':
      if (defaultKey.warning !== undefined) logger.warn(defaultKey.warning);
      break;
  }

  const scheduler = new RotationScheduler({ service: keys, lock, logger, clock });
  await scheduler.start();
  closers.push(() => scheduler.stop());
  return keys;
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
  let stopping = false;
  const shutdown = (signal: NodeJS.Signals) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'stopping: draining in-flight operations');
    // A drain that hangs must not keep the process: give it a bounded time.
    const deadline = setTimeout(() => {
      logger.error('shutdown took longer than 10 s; exiting');
      process.exit(1);
    }, 10_000);
    deadline.unref();
    facade.stop().then(
      () => {
        logger.info('stopped');
        process.exit(0);
      },
      (error: unknown) => {
        logger.error({ err: error }, 'error while stopping');
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', shutdown);
  process.on('SIGINT', shutdown);
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  runAsProgram().catch((error: unknown) => {
    console.error('failed to start:', error instanceof Error ? error.message : error);
    process.exit(1);
  });
}
