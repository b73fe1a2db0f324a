/**
 * Ends the WebSocket connections of API keys revoked anywhere, on this replica.
 *
 * Contract: `followRevocations(options)` subscribes to `Topic.ApiKeyRevoked` and
 * resolves once it listens (a key revoked on any replica from then on is heard). A key
 * that no longer authenticates (`REVOKED`, `DELETED`) has all its connections closed at
 * once; a replaced secret (`SECRET_REPLACED`) ends only the connections that presented
 * it, checked on the next turn so the key service has dropped the key from its auth
 * cache first. It resolves to a stopper that ends the subscription.
 */
import { Topic, type PubSub } from '../live/pubsub.js';
import type { Logger } from '../log/logger.js';
import type { RunningFacadeServer } from './facade.server.js';

export interface RevocationsOptions {
  pubsub: PubSub;
  server: Pick<RunningFacadeServer, 'closeConnectionsOf' | 'reauthenticateConnectionsOf'>;
  /** Where a failed re-authentication is reported. Default: nowhere. */
  logger?: Logger;
}

export async function followRevocations(options: RevocationsOptions): Promise<() => Promise<void>> {
  const { pubsub, server, logger } = options;
  const revocations = pubsub.subscribe(Topic.ApiKeyRevoked);
  const stop = async () => {
    await revocations.return();
  };
  void (async () => {
    for await (const { keyId, reason } of revocations) {
      if (reason !== 'SECRET_REPLACED') {
        server.closeConnectionsOf(keyId);
        continue;
      }
      setImmediate(() => {
        server
          .reauthenticateConnectionsOf(keyId)
          .catch((error: unknown) => logger?.error({ err: error, keyId }, 'could not re-authenticate the connections of a key'));
      });
    }
  })();
  try {
    await revocations.ready;
  } catch (error) {
    await stop();
    throw error;
  }
  return stop;
}
