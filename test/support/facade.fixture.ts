/**
 * Starts a whole facade for a test: the embedded simulator on an ephemeral port, the
 * server on another, silent logs (unless `options.facade.logger` is given). `gql` posts
 * an operation with whatever credentials the facade requires, so tests of the data
 * surface need not know about API keys. Stop it in `after()`; a restart over the same
 * store passes `keepDataDir` to the first facade and its `dataDir` as `DATA_DIR` to the
 * next.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { loadConfig } from '../../src/config/config.js';
import { formatApiKey, newKeyId, newSecret } from '../../src/keys/api-key.format.js';
import { startFacade, type RunningFacade, type StartFacadeOptions } from '../../src/main.js';
import type { DrainPlan } from '../../src/server/facade.server.js';
import type { RunningSimulator } from '../../src/simulator/simulator.js';
import { postGraphQL, type GraphQLResponse } from './graphql.client.js';

export interface TestFacade extends RunningFacade {
  /** The default admin key (every permission; `FACADE_ADMIN_KEY`), sent by `gql` unless headers say otherwise. */
  adminKey: string;
  /** Where this facade keeps its SQLite store; removed by `stop()` unless `keepDataDir`. */
  dataDir: string;
  /** Base URL of the simulator (embedded or given as `upstream`), for `/__sim/` control and stats; '' when the facade talks to another upstream. */
  simulatorUrl: string;
  gql<T = Record<string, unknown>>(
    query: string,
    variables?: Record<string, unknown>,
    headers?: Record<string, string>,
  ): Promise<GraphQLResponse<T>>;
}

export interface TestFacadeOptions {
  /** Passed to `startFacade`: a logger to read, the key clock, the Redis prefix of the keys. */
  facade?: StartFacadeOptions;
  /**
   * Talk to this simulator's deployment instead of starting an embedded one (replicas
   * share one upstream this way). Default: the embedded simulator.
   */
  upstream?: { simulator: RunningSimulator; deployment: string };
  /** Keep `dataDir` when stopping, for a restart over the same store. Default false. */
  keepDataDir?: boolean;
}

/**
 * `env` overrides the test defaults (`DATA_DIR`: a new temporary directory, `FACADE_ADMIN_KEY`:
 * a new key); the admin key given there is the one `gql` sends.
 */
export async function startTestFacade(env: Record<string, string> = {}, options: TestFacadeOptions = {}): Promise<TestFacade> {
  const dataDir = env['DATA_DIR'] ?? mkdtempSync(path.join(tmpdir(), 'usm-facade-test-'));
  const adminKey = env['FACADE_ADMIN_KEY'] ?? formatApiKey(newKeyId(), newSecret());
  const upstream = options.upstream;
  const target = upstream?.simulator.deployments.find((d) => d.name === upstream.deployment);
  if (upstream !== undefined && target === undefined) throw new Error(`the simulator has no deployment ${upstream.deployment}`);
  const config = loadConfig({
    NODE_ENV: 'test',
    PORT: '0',
    HOST: '127.0.0.1',
    // Facades of one test process would all want 9464: a test that scrapes sets a free port.
    METRICS_PORT: '0',
    ...(target === undefined
      ? {}
      : {
          USM_ANYWHERE_URL: target.url,
          USM_ANYWHERE_NAME: target.name,
          USM_ANYWHERE_CLIENT_ID: target.clientId,
          USM_ANYWHERE_CLIENT_SECRET: target.clientSecret,
        }),
    ...env,
    DATA_DIR: dataDir,
    FACADE_ADMIN_KEY: adminKey,
  });
  const facade = await startFacade(config, options.facade);
  const stop = facade.stop;
  return Object.assign(facade, {
    adminKey,
    dataDir,
    simulatorUrl: (upstream?.simulator ?? facade.simulator)?.url ?? '',
    gql: <T>(query: string, variables: Record<string, unknown> = {}, headers: Record<string, string> = {}) =>
      postGraphQL<T>(facade.url, query, variables, { authorization: `Bearer ${adminKey}`, ...headers }),
    async stop(plan?: DrainPlan) {
      await stop(plan);
      if (options.keepDataDir !== true) rmSync(dataDir, { recursive: true, force: true });
    },
  });
}
