/**
 * What every resolver receives. Built once per request (HTTP) or per operation
 * (WebSocket) by the server from the parts that `main.ts` wires together; resolvers
 * reach data only through it, never by importing concrete parts.
 */
import type { Logger } from '../log/logger.js';
import type { DeploymentDirectory } from './deployment/deployment.directory.js';

export interface GraphContext {
  deployments: DeploymentDirectory;
  logger: Logger;
}
