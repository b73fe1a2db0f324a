/**
 * The context of each GraphQL operation: who asks (the API key, authenticated here), and
 * the parts its resolvers reach, on behalf of that key.
 *
 * Contract:
 * - `(caller) => context` authenticates `caller.key` (the text the transport found, see
 *   `server/presented.key.ts`); a key that does not authenticate is refused with the key
 *   service's `FacadeError` (UNAUTHENTICATED, AUTH_THROTTLED), and `onFailedLogin` is told
 *   the transport.
 * - The operation's upstream work is the key's, `INTERACTIVE`, and over at
 *   `requestDeadlineMs` from now; its requests are counted in `upstreamCallsSent`, and the
 *   gate tells the upstream budget its estimate through `expectUpstreamCalls`.
 * - Loaders are made on first use: a subscription keeps its context for hours, and most
 *   never read through it. A write through them that changes an alarm calls
 *   `onAlarmChanged`, before the reply to the write.
 */
import type { ApiKeyService } from '../keys/api-key.service.js';
import type { Logger } from '../log/logger.js';
import type { PubSub } from '../live/pubsub.js';
import type { DocumentCache } from '../loaders/document.cache.js';
import { createRequestLoaders, type RequestLoaders } from '../loaders/request.loaders.js';
import { expectCalls, type SentCount, type UpstreamCall } from '../upstream/upstream.call.js';
import type { UpstreamRegistry } from '../upstream/upstream.registry.js';
import type { Transport } from '../observability/operation.record.js';
import { systemClock, type Clock } from '../time/clock.js';
import type { GraphContext, LiveContext } from './context.js';

export interface Caller {
  /** The API key as presented, unchecked; undefined when none was. */
  key: string | undefined;
  clientAddress: string | undefined;
  transport: Transport;
}

export interface ContextFactoryOptions {
  keys: ApiKeyService;
  registry: UpstreamRegistry;
  cache: DocumentCache;
  pubsub: PubSub;
  live: LiveContext;
  /** `REQUEST_DEADLINE_MS`. */
  requestDeadlineMs: number;
  logger: Logger;
  /** An alarm changed through this replica's loaders (a label, a status). */
  onAlarmChanged: (deployment: string, uuid: string) => void;
  /** A presented key did not authenticate. Default: nothing. */
  onFailedLogin?: (transport: Transport) => void;
  /** The upstream's clock, which deadlines are read on. Default `systemClock`. */
  clock?: Clock;
}

export function contextFactory(options: ContextFactoryOptions): (caller: Caller) => Promise<GraphContext> {
  const { keys, registry, cache, pubsub, live, logger, clock = systemClock } = options;
  return async (caller) => {
    const apiKey = await keys.authenticate(caller.key, { clientAddress: caller.clientAddress }).catch((error: unknown) => {
      if ((error as { code?: unknown }).code === 'UNAUTHENTICATED') options.onFailedLogin?.(caller.transport);
      throw error;
    });
    const upstreamCallsSent: SentCount = { count: 0 };
    const call: UpstreamCall = { caller: apiKey.id, workClass: 'INTERACTIVE', deadline: clock.now() + options.requestDeadlineMs, sent: upstreamCallsSent };
    let loaders: RequestLoaders | undefined;
    return {
      apiKey,
      keys,
      pubsub,
      get loaders() {
        return (loaders ??= createRequestLoaders({ registry, cache, call, onAlarmChanged: options.onAlarmChanged }));
      },
      credentials: registry,
      usage: registry,
      live,
      logger,
      upstreamCallsSent,
      expectUpstreamCalls: (estimated: number) => expectCalls(call, estimated),
    };
  };
}
