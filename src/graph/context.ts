/**
 * What every resolver receives. Built once per request (HTTP) or per operation
 * (WebSocket) by the server from the parts that `main.ts` wires together; resolvers
 * reach upstream data only through `loaders`, never by importing concrete parts.
 */
import type { Logger } from '../log/logger.js';
import type { ApiKey } from '../keys/api-key.service.js';
import type { ApiKeyService } from '../keys/api-key.service.js';
import type { PubSub } from '../live/pubsub.js';
import type { LiveHub } from '../live/live.hub.js';
import type { SentCount, UpstreamCall } from '../upstream/upstream.call.js';
import type { RequestLoaders } from '../loaders/request.loaders.js';
import type { UpstreamRegistry } from '../upstream/upstream.registry.js';

/** What credential management needs of the upstream registry. */
export type CredentialAdmin = Pick<UpstreamRegistry, 'credentials' | 'rotateCredentials'>;

/** What operators read of the upstream quota: each key's draw on it, and what its operations' calls came to. */
export type UsageReader = Pick<UpstreamRegistry, 'usageOf' | 'answersOf'>;

/** What live subscriptions need: the hub of this process's live groups, and loaders for their polls. */
export interface LiveContext {
  hub: LiveHub;
  /** Loaders that read pages fresh from the upstream (refreshing the cache), on behalf of `call`. */
  loadersFor(call: UpstreamCall): RequestLoaders;
  /** `REQUEST_DEADLINE_MS`: how long a subscriber's own upstream work (a replay) may take. */
  requestDeadlineMs: number;
}

export interface GraphContext {
  /** The API key the request authenticated with. */
  apiKey: ApiKey;
  keys: ApiKeyService;
  pubsub: PubSub;
  loaders: RequestLoaders;
  credentials: CredentialAdmin;
  usage: UsageReader;
  live: LiveContext;
  logger: Logger;
  /** Upstream requests sent for this operation so far (`extensions.cost.actualUpstreamCalls`). */
  upstreamCallsSent: SentCount;
  /**
   * Tells the upstream budget, before the operation runs, how many upstream calls it is
   * expected to make (the cost estimate): the budget then admits it only when all of
   * them can be served before its deadline, and otherwise refuses its first call at once
   * with `UPSTREAM_RATE_LIMITED` and `retryAfterSeconds`, so none is sent. Whoever has
   * the estimate calls it once per operation; without it each operation counts as one call.
   */
  expectUpstreamCalls(estimated: number): void;
}
