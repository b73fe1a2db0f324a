/**
 * Starts a whole facade for a test: the embedded simulator on an ephemeral port, the
 * server on another, silent logs. `gql` posts an operation with whatever credentials
 * the facade requires, so tests of the data surface need not know about API keys.
 * Stop it in `after()`.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { loadConfig } from '../../src/config/config.js';
import { formatApiKey, newKeyId, newSecret } from '../../src/keys/api-key.format.js';
import { startFacade, type RunningFacade } from '../../src/main.js';
import { postGraphQL, type GraphQLResponse } from './graphql.client.js';

export interface TestFacade extends RunningFacade {
  /** The default admin key (every permission), sent by `gql` unless headers say otherwise. */
  adminKey: string;
  /** Where this facade keeps its SQLite store; removed by `stop()`. */
  dataDir: string;
  /** Base URL of the embedded simulator, for `/__sim/` control and stats. */
  simulatorUrl: string;
  gql<T = Record<string, unknown>>(
    query: string,
    variables?: Record<string, unknown>,
    headers?: Record<string, string>,
  ): Promise<GraphQLResponse<T>>;
}

export async function startTestFacade(env: Record<string, string> = {}): Promise<TestFacade> {
  const dataDir = mkdtempSync(path.join(tmpdir(), 'usm-facade-test-'));
  const adminKey = formatApiKey(newKeyId(), newSecret());
  const config = loadConfig({
    NODE_ENV: 'test',
    PORT: '0',
    HOST: '127.0.0.1',
    DATA_DIR: dataDir,
    FACADE_ADMIN_KEY: adminKey,
    ...env,
  });
  const facade = await startFacade(config);
  const stop = facade.stop;
  return Object.assign(facade, {
    adminKey,
    dataDir,
    simulatorUrl: facade.simulator!.url,
    gql: <T>(query: string, variables: Record<string, unknown> = {}, headers: Record<string, string> = {}) =>
      postGraphQL<T>(facade.url, query, variables, { authorization: `Bearer ${adminKey}`, ...headers }),
    async stop() {
      await stop();
      rmSync(dataDir, { recursive: true, force: true });
    },
  });
}
