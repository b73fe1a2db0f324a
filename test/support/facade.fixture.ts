/**
 * Starts a whole facade for a test: the embedded simulator on an ephemeral port, the
 * server on another, silent logs. `gql` posts an operation with whatever credentials
 * the facade requires, so tests of the data surface need not know about API keys.
 * Stop it in `after()`.
 */
import { loadConfig } from '../../src/config/config.js';
import { startFacade, type RunningFacade } from '../../src/main.js';
import { postGraphQL, type GraphQLResponse } from './graphql.client.js';

export interface TestFacade extends RunningFacade {
  /** Base URL of the embedded simulator, for `/__sim/` control and stats. */
  simulatorUrl: string;
  gql<T = Record<string, unknown>>(
    query: string,
    variables?: Record<string, unknown>,
    headers?: Record<string, string>,
  ): Promise<GraphQLResponse<T>>;
}

export async function startTestFacade(env: Record<string, string> = {}): Promise<TestFacade> {
  const config = loadConfig({ NODE_ENV: 'test', PORT: '0', HOST: '127.0.0.1', ...env });
  const facade = await startFacade(config);
  return Object.assign(facade, {
    simulatorUrl: facade.simulator!.url,
    gql: <T>(query: string, variables: Record<string, unknown> = {}, headers: Record<string, string> = {}) =>
      postGraphQL<T>(facade.url, query, variables, headers),
  });
}
