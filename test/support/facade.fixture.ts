/**
 * Starts a whole facade for a test: the embedded simulator on an ephemeral port, the
 * server on another, silent logs. Stop it in `after()`.
 */
import { loadConfig } from '../../src/config/config.js';
import { startFacade, type RunningFacade } from '../../src/main.js';

export async function startTestFacade(env: Record<string, string> = {}): Promise<RunningFacade> {
  const config = loadConfig({ NODE_ENV: 'test', PORT: '0', HOST: '127.0.0.1', ...env });
  return startFacade(config);
}
