/**
 * The composition root: the one place that wires concrete parts together.
 *
 * `startFacade(config)` starts the facade (and, with no upstream configured, the
 * embedded USM simulator it then talks to) and returns a handle whose `stop()` closes
 * everything it opened. Run as a program (`npm start`), it reads the environment,
 * starts, and exits 0 on SIGTERM/SIGINT after draining.
 */
import 'reflect-metadata';
import { pathToFileURL } from 'node:url';
import { ConfigError, loadConfig, type Config, type UpstreamTarget } from './config/config.js';
import { createLogger, type Logger } from './log/logger.js';
import { buildFacadeSchema } from './graph/schema.builder.js';
import type { DeploymentDirectory } from './graph/deployment/deployment.directory.js';
import { startFacadeServer } from './server/facade.server.js';
import { startSimulator, type RunningSimulator } from './simulator/simulator.js';

export interface StartFacadeOptions {
  /** Default: a pino logger at `config.logLevel`. */
  logger?: Logger;
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

/** The deployments the facade holds credentials for, as configured. */
function configuredDeployments(targets: UpstreamTarget[]): DeploymentDirectory {
  const records = targets
    .filter((t) => t.api === 'anywhere')
    .map((t) => ({ name: t.name, hasCredentials: true }))
    .sort((a, b) => a.name.localeCompare(b.name));
  return { listDeployments: async () => records };
}

export async function startFacade(config: Config, options: StartFacadeOptions = {}): Promise<RunningFacade> {
  const logger = options.logger ?? createLogger({ level: config.logLevel });
  const { targets, simulator } = await resolveUpstreams(config, logger);
  const deployments = configuredDeployments(targets);
  const { schema } = buildFacadeSchema();
  try {
    const server = await startFacadeServer({
      schema,
      logger,
      port: config.port,
      host: config.host,
      context: async () => ({ deployments, logger }),
    });
    logger.info({ url: server.url }, 'facade serving GraphQL');
    return {
      url: server.url,
      port: server.port,
      simulator,
      async stop() {
        await server.stop();
        await simulator?.stop();
      },
    };
  } catch (error) {
    await simulator?.stop();
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
