/**
 * What every resolver receives. Built once per request (HTTP) or per operation
 * (WebSocket) by the server from the parts that `main.ts` wires together; resolvers
 * reach upstream data only through `loaders`, never by importing concrete parts.
 */
import type { Logger } from '../log/logger.js';
import type { ApiKey } from '../keys/api-key.service.js';
import type { ApiKeyService } from '../keys/api-key.service.js';
import type { PubSub } from '../live/pubsub.js';
import type { RequestLoaders } from '../loaders/request.loaders.js';
import type { UpstreamRegistry } from '../upstream/upstream.registry.js';

/** What credential management needs of the upstream registry. */
export type CredentialAdmin = Pick<UpstreamRegistry, 'credentials' | 'rotateCredentials'>;

/** What operators read of the upstream quota: each key's draw on it. */
export type UsageReader = Pick<UpstreamRegistry, 'usageOf'>;

export interface GraphContext {
  /** The API key the request authenticated with. */
  apiKey: ApiKey;
  keys: ApiKeyService;
  pubsub: PubSub;
  loaders: RequestLoaders;
  credentials: CredentialAdmin;
  usage: UsageReader;
  logger: Logger;
}
