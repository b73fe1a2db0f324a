/**
 * What one GraphQL request reads and writes upstream, behind DataLoaders.
 *
 * Contract:
 * - `alarm`/`event` batch and deduplicate every lookup of the request, answer from the
 *   document cache (filled by every list page) when they can, and go upstream at most
 *   `lookupConcurrency` at a time (the rate budget queues the rest fairly). A batch
 *   first waits for the list pages this request has in flight: GraphQL runs sibling
 *   fields at once, and a page often holds the very documents looked up beside it. An id the
 *   upstream does not know gives `null`; any other failure rejects that one lookup and
 *   is forgotten, so a retry in the same request tries again.
 * - A deployment without credentials is read through USM Central when Central is
 *   configured; otherwise it is NOT_FOUND, naming the deployments that can be read.
 * - `alarmSources`/`eventSources` give the feeds of one deployment or of every readable
 *   one; an unknown deployment is NOT_FOUND naming the known ones.
 * - Label writes go to the upstream's idempotent PUT/DELETE, then the alarm is read
 *   back, cached as current, and every cached page of its deployment is dropped, so a
 *   read after a write never shows stale labels.
 */
import DataLoader from 'dataloader';
import { FacadeError } from '../errors/facade.error.js';
import type { FeedItem, FeedSource, FeedWindow } from '../pagination/feed.paginator.js';
import type { SortField } from '../upstream/anywhere/anywhere.query.js';
import type { AlarmDocument, EventDocument } from '../upstream/anywhere/anywhere.schemas.js';
import type { DeploymentInfo, UpstreamRegistry } from '../upstream/upstream.registry.js';
import type { DocumentCache } from './document.cache.js';
import {
  alarmFeedSource,
  documentKey,
  eventFeedSource,
  type AlarmFeedFilter,
  type AlarmFeedItem,
  type EventFeedFilter,
  type EventFeedItem,
} from './feed.sources.js';

export interface RequestLoadersOptions {
  registry: UpstreamRegistry;
  cache: DocumentCache;
  /** Most detail lookups one request runs upstream at once; default 16. */
  lookupConcurrency?: number;
  /** Told after a write changed an alarm, e.g. to invalidate other replicas' caches. Default none. */
  onAlarmChanged?: (deployment: string, uuid: string) => void;
}

export interface RequestLoaders {
  alarm(deployment: string, uuid: string): Promise<AlarmDocument | null>;
  event(deployment: string, uuid: string): Promise<EventDocument | null>;
  deployments(): Promise<DeploymentInfo[]>;
  alarmSources(deployment: string | undefined, filter: AlarmFeedFilter, sortField: SortField): Promise<FeedSource<AlarmFeedItem>[]>;
  eventSources(deployment: string | undefined, filter: EventFeedFilter): Promise<FeedSource<EventFeedItem>[]>;
  addAlarmLabel(deployment: string, uuid: string, labelId: string): Promise<AlarmDocument>;
  removeAlarmLabel(deployment: string, uuid: string, labelId: string): Promise<AlarmDocument>;
}

/** Runs `work` over `items` with at most `limit` in flight, keeping order. */
async function mapLimited<T, R>(items: readonly T[], limit: number, work: (item: T) => Promise<R>): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const index = next++;
      results[index] = await work(items[index]!);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return results;
}

function splitKey(key: string): [deployment: string, uuid: string] {
  const at = key.indexOf(':');
  return [key.slice(0, at), key.slice(at + 1)];
}

/** `null` for NOT_FOUND, the Error otherwise: the shape DataLoader expects. */
async function nullIfNotFound<T>(load: () => Promise<T>): Promise<T | null | Error> {
  try {
    return await load();
  } catch (error) {
    if (error instanceof FacadeError && error.code === 'NOT_FOUND') return null;
    return error instanceof Error ? error : new Error(String(error));
  }
}

export function createRequestLoaders(options: RequestLoadersOptions): RequestLoaders {
  const { registry, cache } = options;
  const concurrency = options.lookupConcurrency ?? 16;
  const readable = new Set(registry.deploymentNames);
  const pagesInFlight = new Set<Promise<unknown>>();
  const afterPagesInFlight = async (): Promise<void> => {
    if (pagesInFlight.size > 0) await Promise.allSettled([...pagesInFlight]);
  };
  /** Lets lookups of this request wait for the list pages it is fetching. */
  const tracked = <T extends FeedSource<FeedItem>>(source: T): T => ({
    ...source,
    fetch(window: FeedWindow) {
      const fetching = source.fetch(window);
      pagesInFlight.add(fetching);
      void fetching.then(
        () => pagesInFlight.delete(fetching),
        () => pagesInFlight.delete(fetching),
      );
      return fetching;
    },
  }) as T;

  const unknownDeployment = async (name: string): Promise<FacadeError> => {
    const known = (await deployments()).map((d) => d.name);
    return new FacadeError(
      'NOT_FOUND',
      `unknown deployment "${name}"; known deployments: ${known.join(', ') || 'none'}`,
      { deployment: name, details: { knownDeployments: known } },
    );
  };

  const fetchAlarm = async (deployment: string, uuid: string): Promise<AlarmDocument> => {
    if (readable.has(deployment)) return registry.anywhere(deployment).alarm(uuid);
    if (registry.central !== undefined) {
      const doc = await registry.central.alarm(uuid);
      if (doc.deployment === deployment) return doc;
      throw new FacadeError('NOT_FOUND', `no alarm ${uuid} in deployment "${deployment}"`, { deployment });
    }
    throw await unknownDeployment(deployment);
  };

  const fetchEvent = async (deployment: string, uuid: string): Promise<EventDocument> => {
    if (readable.has(deployment)) return registry.anywhere(deployment).event(uuid);
    throw await unknownDeployment(deployment);
  };

  const alarmLoader = new DataLoader<string, AlarmDocument | null>(async (keys) => {
    await afterPagesInFlight();
    return mapLimited(keys, concurrency, (key) =>
      nullIfNotFound(() => {
        const [deployment, uuid] = splitKey(key);
        return cache.get('alarm', key, () => fetchAlarm(deployment, uuid));
      }),
    );
  });
  const eventLoader = new DataLoader<string, EventDocument | null>(async (keys) => {
    await afterPagesInFlight();
    return mapLimited(keys, concurrency, (key) =>
      nullIfNotFound(() => {
        const [deployment, uuid] = splitKey(key);
        return cache.get('event', key, () => fetchEvent(deployment, uuid));
      }),
    );
  });

  /** Failures are never cached, not even for the rest of this request. */
  const load = <T>(loader: DataLoader<string, T>, key: string): Promise<T> =>
    loader.load(key).catch((error: unknown) => {
      loader.clear(key);
      throw error;
    });

  let deploymentList: Promise<DeploymentInfo[]> | undefined;
  function deployments(): Promise<DeploymentInfo[]> {
    deploymentList ??= cache.get('deployments', 'all', () => registry.listDeployments()).catch((error: unknown) => {
      deploymentList = undefined;
      throw error;
    });
    return deploymentList;
  }

  /** The deployments a feed reads: one (checked), or every readable one. */
  const scopeOf = async (deployment: string | undefined): Promise<string[]> => {
    if (deployment === undefined) {
      return registry.central === undefined ? [...registry.deploymentNames] : (await deployments()).map((d) => d.name);
    }
    if (readable.has(deployment)) return [deployment];
    const known = (await deployments()).some((d) => d.name === deployment);
    if (known && registry.central !== undefined) return [deployment];
    throw await unknownDeployment(deployment);
  };

  const writeLabel = async (deployment: string, uuid: string, write: () => Promise<void>): Promise<AlarmDocument> => {
    await write();
    const key = documentKey(deployment, uuid);
    alarmLoader.clear(key);
    const fresh = await registry.anywhere(deployment).alarm(uuid);
    await cache.set('alarm', key, fresh);
    cache.dropPages(deployment);
    alarmLoader.prime(key, fresh);
    options.onAlarmChanged?.(deployment, uuid);
    return fresh;
  };

  return {
    alarm: (deployment, uuid) => load(alarmLoader, documentKey(deployment, uuid)),
    event: (deployment, uuid) => load(eventLoader, documentKey(deployment, uuid)),
    deployments,

    async alarmSources(deployment, filter, sortField) {
      const scope = await scopeOf(deployment);
      const direct = scope.filter((name) => readable.has(name));
      const sources = direct.map((name) =>
        tracked(alarmFeedSource({ label: name, covers: [name], client: registry.anywhere(name), cache, filter, sortField })),
      );
      const viaCentral = scope.filter((name) => !readable.has(name));
      if (registry.central !== undefined && viaCentral.length > 0) {
        // A deployment without credentials of its own is read from Central's merged feed,
        // narrowed to it on our side: Central documents no deployment filter.
        const central = alarmFeedSource({
          label: 'central',
          covers: viaCentral,
          client: registry.central,
          cache,
          filter,
          sortField,
        });
        sources.push(tracked(narrowedTo(central, new Set(viaCentral))));
      }
      return sources;
    },

    async eventSources(deployment, filter) {
      const scope = (await scopeOf(deployment)).filter((name) => readable.has(name));
      return scope.map((name) =>
        tracked(eventFeedSource({ label: name, covers: [name], client: registry.anywhere(name), cache, filter })),
      );
    },

    addAlarmLabel: (deployment, uuid, labelId) =>
      writeLabel(deployment, uuid, () => registry.anywhere(deployment).addAlarmLabel(uuid, labelId)),
    removeAlarmLabel: (deployment, uuid, labelId) =>
      writeLabel(deployment, uuid, () => registry.anywhere(deployment).removeAlarmLabel(uuid, labelId)),
  };
}

/**
 * A Central feed narrowed to some deployments' items. Its `totalElements` still counts
 * Central's whole feed: Central gives no per-deployment count.
 */
function narrowedTo(source: FeedSource<AlarmFeedItem>, deployments: ReadonlySet<string>): FeedSource<AlarmFeedItem> {
  return {
    deployment: source.deployment,
    async fetch(window) {
      const page = await source.fetch(window);
      return { ...page, items: page.items.filter((item) => deployments.has(item.deployment)) };
    },
  };
}
