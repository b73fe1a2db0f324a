/**
 * What every resolver receives. Built once per request (HTTP) or per operation
 * (WebSocket) by the server from the parts that `main.ts` wires together; resolvers
 * reach upstream data only through `loaders`, never by importing concrete parts.
 */
import type { Logger } from '../log/logger.js';
import type { RequestLoaders } from '../loaders/request.loaders.js';

export interface GraphContext {
  loaders: RequestLoaders;
  logger: Logger;
}
