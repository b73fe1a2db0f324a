/**
 * Keeps this replica's caches true to alarm writes made on other replicas.
 *
 * Contract: `followAlarmChanges(options)` subscribes to `Topic.AlarmsChanged` for each
 * of `deployments` and resolves once every subscription listens (a write published on
 * another replica from then on reaches this one). For each message from another
 * replica it calls `onChange(deployment)` (where the facade drops its cached answers
 * and live groups that read the deployment poll soon), drops
 * every cached page that includes the deployment, and forgets this process's copy of
 * each named alarm (the writer already replaced the shared one). Messages of this
 * replica (`origin` = `replicaId`) are skipped: it refreshed its caches when it wrote.
 * It resolves to a stopper that ends the subscriptions; if one fails to subscribe, it
 * ends the others and rejects.
 */
import { Topic, type PubSub } from '../live/pubsub.js';
import type { Logger } from '../log/logger.js';
import type { DocumentCache } from './document.cache.js';
import { documentKey } from './feed.sources.js';

export interface AlarmChangesOptions {
  pubsub: PubSub;
  cache: DocumentCache;
  /** The deployments whose alarms this replica caches. Required. */
  deployments: readonly string[];
  /** This replica's `origin` in the messages it publishes. Required. */
  replicaId: string;
  /** Called for each change heard from another replica, before the caches drop it. Default: nothing. */
  onChange?: (deployment: string) => void;
  /** Where a failure of the loop is reported. Default: nowhere. */
  logger?: Logger;
}

export async function followAlarmChanges(options: AlarmChangesOptions): Promise<() => Promise<void>> {
  const { pubsub, cache, replicaId, onChange, logger } = options;
  const subscriptions = options.deployments.map((deployment) => ({ deployment, changes: pubsub.subscribe(Topic.AlarmsChanged, deployment) }));
  const stop = async () => {
    await Promise.all(subscriptions.map(({ changes }) => changes.return()));
  };
  for (const { deployment, changes } of subscriptions) {
    void (async () => {
      for await (const { alarmIds, origin } of changes) {
        if (origin === replicaId) continue;
        onChange?.(deployment);
        cache.dropPages(deployment);
        for (const uuid of alarmIds) cache.forgetLocal('alarm', documentKey(deployment, uuid));
      }
    })().catch((error: unknown) => logger?.error({ err: error, deployment }, 'stopped following alarm changes'));
  }
  try {
    await Promise.all(subscriptions.map(({ changes }) => changes.ready));
  } catch (error) {
    await stop();
    throw error;
  }
  return stop;
}
