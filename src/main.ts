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
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { createClient } from '@redis/client';
import { ConfigError, loadConfig, type Config, type UpstreamTarget } from './config/config.js';
import { createLogger, type Logger } from './log/logger.js';
import { buildFacadeSchema } from './graph/schema.builder.js';
import { DocumentCache } from './loaders/document.cache.js';
import { createRequestLoaders } from './loaders/request.loaders.js';
import { createStore } from './store/store.factory.js';
import { createUpstreamRegistry } from './upstream/upstream.registry.js';
import { CredentialVault } from './credentials/credential.vault.js';
import { startFacadeServer } from './server/facade.server.js';
import { ResponseCache } from './server/response.cache.js';
import { presentedKey } from './server/presented.key.js';
import { readsOnlySharedData, requiredPermissions } from './graph/permissions.js';
import { documentKey } from './loaders/feed.sources.js';
import { ApiKeyService } from './keys/api-key.service.js';
import { createMemoryAuthThrottle, createRedisAuthThrottle } from './keys/auth.throttle.js';
import { createMemoryLock, createRedisLock } from './keys/lock.port.js';
import { RotationScheduler } from './keys/rotation.scheduler.js';
import { createMemoryPubSub, Topic, type PubSub } from './live/pubsub.js';
import { createRedisPubSub } from './live/redis.pubsub.js';
import { startSimulator, type RunningSimulator } from './simulator/simulator.js';

export interface StartFacadeOptions {
  /** Default: a pino logger at `config.logLevel`. */
  logger?: Logger;
  /** Seams of the facade's own API keys (see `KeysOptions`). */
  keys?: KeysOptions;
}

export interface KeysOptions {
  /**
   * Epoch ms that the key service and the rotation scheduler read: when secrets were
   * made, when grace periods end, when rotations fall due. Default `Date.now`. Tests
   * pass a hand-driven clock to end a grace period without waiting for it.
   */
  clock?: () => number;
}

export interface RunningFacade {
  /** The GraphQL endpoint, e.g. `http://localhost:4000/graphql`. */
  url: string;
  port: number;
  /** The embedded simulator, when no upstream was configured. */
  simulator: RunningSimulator | undefined;
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
  const logger = options.logger ?? createLogger({ level: config.logLevel });
  const { schema, sdl } = buildFacadeSchema();
  const { targets, simulator } = await resolveUpstreams(config, logger);
  // Everything opened so far is closed in reverse order, on stop or on a failed start.
  const closers: Array<() => Promise<unknown>> = [];
  if (simulator !== undefined) closers.push(() => simulator.stop());
  const closeAll = async () => {
    for (const close of closers.splice(0).reverse()) await close();
  };
  try {
    // The simulator makes fresh clients on every start, so rotated credentials of an
    // earlier run would name clients that no longer exist: keep them in memory there.
    const credentialStore =
      simulator !== undefined
        ? createStore<unknown>({ namespace: 'credentials' })
        : config.redisUrl !== undefined
          ? createStore<unknown>({ namespace: `${config.redisPrefix}credentials`, redisUrl: config.redisUrl, logger })
          : createStore<unknown>({ namespace: 'credentials', sqlitePath: dataFile(config), logger });
    closers.push(() => credentialStore.disconnect());
    const registry = await createUpstreamRegistry({
      targets,
      redisUrl: config.redisUrl,
      redisKeyPrefix: config.redisPrefix,
      logger,
      tuning: config.upstreamTuning,
      vault: new CredentialVault({ store: credentialStore, secretKey: config.credentials.secretKey }),
      credentialPollIntervalMs: config.credentials.pollIntervalMs,
    });
    closers.push(() => registry.close());
    const shared =
      config.redisUrl === undefined ? undefined : createStore<unknown>({ namespace: `${config.redisPrefix}cache`, redisUrl: config.redisUrl, logger });
    if (shared !== undefined) closers.push(() => shared.disconnect());
    const cache = new DocumentCache({ ttls: config.cacheTtls, shared, logger });
    const replicaId = randomUUID();
    const responses = new ResponseCache({ ttlMs: config.cacheTtls.page, cacheable: readsOnlySharedData });

    const { keys, pubsub } = await startKeys(config, logger, closers, options.keys);
    const server = await startFacadeServer({
      schema,
      sdl,
      logger,
      port: config.port,
      host: config.host,
      context: async (source) => ({
        apiKey: await keys.authenticate(presentedKey(source), { clientAddress: source.remoteAddress }),
        keys,
        pubsub,
        loaders: createRequestLoaders({
          registry,
          cache,
          // Every replica forgets what it cached of the alarm, so a read after a write is fresh anywhere.
          onAlarmChanged: (deployment, uuid) => {
            // This replica's answers go now, before the reply to the write; others' when the message lands.
            responses.clear();
            void pubsub.publish(Topic.AlarmsChanged, deployment, { deployment, alarmIds: [uuid], origin: replicaId });
          },
        }),
        credentials: registry,
        logger,
      }),
      authorizeOperation: (context, document, operation) => {
        for (const permission of requiredPermissions(document, operation)) keys.authorize(context.apiKey, permission);
      },
      plugins: [responses.plugin()],
      stringifyResult: responses.stringifyResult,
    });
    closers.push(() => server.stop());
    for (const deployment of registry.deploymentNames) {
      const changes = pubsub.subscribe(Topic.AlarmsChanged, deployment);
      closers.push(() => changes.return());
      void (async () => {
        for await (const { alarmIds, origin } of changes) {
          if (origin === replicaId) continue; // this replica refreshed its own caches when it wrote
          responses.clear();
          cache.dropPages(deployment);
          for (const uuid of alarmIds) cache.forgetLocal('alarm', documentKey(deployment, uuid));
        }
      })();
    }
    const revocations = pubsub.subscribe(Topic.ApiKeyRevoked);
    closers.push(() => revocations.return());
    void (async () => {
      for await (const { keyId, reason } of revocations) {
        // A replaced secret ends only the connections that presented it; the key's others carry on.
        // Checked on the next turn, once the key service has dropped the key from its auth cache.
        if (reason === 'SECRET_REPLACED') setImmediate(() => void server.reauthenticateConnectionsOf(keyId));
        else server.closeConnectionsOf(keyId);
      }
    })();
    // A key revoked on another replica from now on closes its connections here too.
    await revocations.ready;
    logger.info({ url: server.url }, 'facade serving GraphQL');
    return { url: server.url, port: server.port, simulator, stop: closeAll };
  } catch (error) {
    await closeAll();
    throw error;
  }
}

/** The SQLite file under DATA_DIR (created if missing) that keeps keys, audit events and rotated credentials. */
function dataFile(config: Config): string {
  mkdirSync(config.keys.dataDir, { recursive: true });
  return path.join(config.keys.dataDir, 'facade.sqlite');
}

/**
 * The facade's own API keys: their store (SQLite under DATA_DIR, or Redis under
 * `REDIS_PREFIX`), the pubsub that carries rotations and revocations between
 * replicas, the default admin key, and the rotation scheduler, all on `options.clock`.
 * Whatever it opens is added to `closers`.
 */
async function startKeys(
  config: Config,
  logger: Logger,
  closers: Array<() => Promise<unknown>>,
  options: KeysOptions = {},
): Promise<{ keys: ApiKeyService; pubsub: PubSub }> {
  const { clock } = options;
  let pubsub: PubSub;
  let keys: ApiKeyService;
  // Locks bound how long a crashed holder blocks others: real time, whatever the key clock says.
  let lock = createMemoryLock();
  if (config.redisUrl !== undefined) {
    const prefix = config.redisPrefix;
    const redis = createClient({ url: config.redisUrl });
    redis.on('error', (error: Error) => logger.warn({ error: error.message }, 'Redis connection error (API keys)'));
    await redis.connect();
    closers.push(() => redis.close());
    pubsub = await createRedisPubSub({ url: config.redisUrl, prefix: `${prefix}live:`, logger });
    closers.push(() => pubsub.close());
    lock = createRedisLock({ client: redis, prefix: `${prefix}lock:` });
    const store = createStore({ namespace: `${prefix}keys`, redisUrl: config.redisUrl, logger });
    closers.push(() => store.disconnect());
    const throttle = createRedisAuthThrottle({ client: redis, prefix: `${prefix}auth-fail` });
    keys = new ApiKeyService({ store, pubsub, logger, lock, throttle, clock });
  } else {
    pubsub = createMemoryPubSub();
    closers.push(() => pubsub.close());
    const store = createStore({ namespace: 'keys', sqlitePath: dataFile(config), logger });
    closers.push(() => store.disconnect());
    keys = new ApiKeyService({ store, pubsub, logger, lock, throttle: createMemoryAuthThrottle(), clock });
  }
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
  return { keys, pubsub };
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
  const logger = createLogger({ level: config.logLevel });
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
