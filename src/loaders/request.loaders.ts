/**
 * What one GraphQL request reads and writes upstream, behind DataLoaders.
 *
 * Contract:
 * - `alarm`/`event` batch and deduplicate every lookup of the request, answer from the
 *   document cache (filled by every list page) when they can, and go upstream at most
 *   `lookupConcurrency` at a time (the rate budget queues the rest fairly). A batch
 *   first waits for the listings this request has under way (building a feed's sources,
 *   which may read Central's deployment list first, and the pages they fetch): GraphQL
 *   runs sibling fields at once, and a page often holds the very documents looked up
 *   beside it. An id the
 *   upstream does not know gives `null` (and is not cached: it may exist later); any
 *   other failure rejects that one lookup and is forgotten, so a retry in the same
 *   request tries again.
 * - A lookup in a deployment the facade does not know is NOT_FOUND naming the known
 *   ones, without an upstream call. An alarm of a deployment without credentials is
 *   read through USM Central when Central is configured and lists it.
 * - `alarmSources`/`eventSources` give the feeds of one deployment or of every readable
 *   one; an unknown deployment is NOT_FOUND naming the known ones.
 * - Label writes go to the upstream's idempotent PUT/DELETE, then the alarm is read
 *   back, cached as current, and every cached page of its deployment is dropped, so a
 *   read after a write never shows stale labels. An alarm the upstream does not know
 *   is NOT_FOUND saying so.
 */
import DataLoader from 'dataloader';
import { FacadeError } from '../errors/facade.error.js';
import type { FeedItem, FeedSource, FeedWindow } from '../pagination/feed.paginator.js';
import type { SortField } from '../upstream/anywhere/anywhere.query.js';
import type { AlarmDocument, EventDocument } from '../upstream/anywhere/anywhere.schemas.js';
import type { DeploymentInfo, UpstreamRegistry } from '../upstream/upstream.registry.js';
import { FACADE_CALL, type UpstreamCall } from '../upstream/upstream.call.js';
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
  /**
   * Whose request this is, its work class and its deadline: every upstream call the
   * request makes carries it (see `upstream.call.ts`). Default the facade's own, with no deadline.
   */
  call?: UpstreamCall;
  /** Alarm feeds ask the upstream even for pages the cache holds, and refresh it (a live poll's loaders). Default false. */
  freshPages?: boolean;
}

export interface RequestLoaders {
  alarm(deployment: string, uuid: string): Promise<AlarmDocument | null>;
  event(deployment: string, uuid: string): Promise<EventDocument | null>;
  deployments(): Promise<DeploymentInfo[]>;
  /** The deployment list if this request or this process's cache already holds it, else undefined (then use `deployments`). */
  deploymentsNow(): DeploymentInfo[] | undefined;
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

const isNotFound = (error: unknown): boolean => error instanceof FacadeError && error.code === 'NOT_FOUND';

/** The value, or the Error: the shape DataLoader expects, so one failure fails one key only. */
async function settled<T>(load: () => Promise<T>): Promise<T | Error> {
  try {
    return await load();
  } catch (error) {
    return error instanceof Error ? error : new Error(String(error));
  }
}

/** `null` when the upstream does not know the document. */
function nullIfMissing<T>(loading: Promise<T>): Promise<T | null> {
  return loading.catch((error: unknown) => {
    if (isNotFound(error)) return null;
    throw error;
  });
}

export function createRequestLoaders(options: RequestLoadersOptions): RequestLoaders {
  const { registry, cache } = options;
  const call = options.call ?? FACADE_CALL;
  const concurrency = options.lookupConcurrency ?? 16;
  const fresh = options.freshPages ?? false;
  const readable = new Set(registry.deploymentNames);
  /**
   * The listings this request has under way: building a feed's sources (which may first
   * read Central's deployment list) and the pages fetched from them.
   */
  const listingsInFlight = new Set<Promise<unknown>>();
  const inFlight = <P extends Promise<unknown>>(listing: P): P => {
    listingsInFlight.add(listing);
    const settled = () => listingsInFlight.delete(listing);
    void listing.then(settled, settled);
    return listing;
  };
  /** Waits until no listing is under way, including pages a settled listing went on to fetch. */
  const afterListingsInFlight = async (): Promise<void> => {
    while (listingsInFlight.size > 0) await Promise.allSettled([...listingsInFlight]);
  };
  /** Lets lookups of this request wait for the list pages it is fetching. */
  const tracked = <T extends FeedSource<FeedItem>>(source: T): T => ({
    ...source,
    fetch: (window: FeedWindow) => inFlight(source.fetch(window)),
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
    if (readable.has(deployment)) return registry.anywhere(deployment).alarm(uuid, call);
    if (registry.central !== undefined) {
      const doc = await registry.central.alarm(uuid, call);
      if (doc.deployment === deployment) return doc;
      throw new FacadeError('NOT_FOUND', `no alarm ${uuid} in deployment "${deployment}"`, { deployment });
    }
    throw await unknownDeployment(deployment);
  };

  const fetchEvent = async (deployment: string, uuid: string): Promise<EventDocument> => {
    if (readable.has(deployment)) return registry.anywhere(deployment).event(uuid, call);
    throw await unknownDeployment(deployment);
  };

  /** Refuses a deployment nobody knows before any upstream call; Central-only ones pass when `viaCentral`. */
  const checkDeployment = async (deployment: string, viaCentral: boolean): Promise<void> => {
    if (readable.has(deployment)) return;
    const known = registry.central !== undefined && (await deployments()).some((d) => d.name === deployment);
    if (!known) throw await unknownDeployment(deployment);
    if (!viaCentral) {
      throw new FacadeError(
        'NOT_FOUND',
        `deployment "${deployment}" is known through USM Central, but the facade holds no credentials for it, ` +
          `so its events cannot be looked up; readable deployments: ${[...readable].join(', ') || 'none'}`,
        { deployment },
      );
    }
  };

  /** Documents of one kind by `deployment/uuid` key, looked up once this request's listings are in (they may bring them). */
  const documentLoader = <T>(kind: 'alarm' | 'event', viaCentral: boolean, fetch: (deployment: string, uuid: string) => Promise<T>) =>
    new DataLoader<string, T | null>(async (keys) => {
      await afterListingsInFlight();
      return mapLimited(keys, concurrency, (key) =>
        settled(async () => {
          const [deployment, uuid] = splitKey(key);
          await checkDeployment(deployment, viaCentral);
          return nullIfMissing(cache.get(kind, key, () => fetch(deployment, uuid)));
        }),
      );
    });
  const alarmLoader = documentLoader<AlarmDocument>('alarm', true, fetchAlarm);
  const eventLoader = documentLoader<EventDocument>('event', false, fetchEvent);

  /** Failures are never cached, not even for the rest of this request. */
  const load = <T>(loader: DataLoader<string, T>, key: string): Promise<T> =>
    loader.load(key).catch((error: unknown) => {
      loader.clear(key);
      throw error;
    });

  let deploymentList: Promise<DeploymentInfo[]> | undefined;
  let deploymentListNow: DeploymentInfo[] | undefined;
  function deployments(): Promise<DeploymentInfo[]> {
    deploymentList ??= cache.get('deployments', 'all', () => registry.listDeployments(call)).then(
      (list) => (deploymentListNow = list),
      (error: unknown) => {
        deploymentList = undefined;
        throw error;
      },
    );
    return deploymentList;
  }
  function deploymentsNow(): DeploymentInfo[] | undefined {
    if (deploymentListNow === undefined && deploymentList === undefined) {
      deploymentListNow = cache.peek<DeploymentInfo[]>('deployments', 'all');
      if (deploymentListNow !== undefined) deploymentList = Promise.resolve(deploymentListNow);
    }
    return deploymentListNow;
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
    await write().catch((error: unknown) => {
      if (!isNotFound(error) || !readable.has(deployment)) throw error;
      throw new FacadeError(
        'NOT_FOUND',
        `deployment "${deployment}" has no alarm ${uuid}; use the id of an alarm returned by this API`,
        { deployment, cause: error },
      );
    });
    const key = documentKey(deployment, uuid);
    cache.dropPages(deployment);
    alarmLoader.clear(key);
    const fresh = await registry.anywhere(deployment).alarm(uuid, call);
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
    deploymentsNow,

    alarmSources: (deployment, filter, sortField) => inFlight(alarmSources(deployment, filter, sortField)),
    eventSources: (deployment, filter) => inFlight(eventSources(deployment, filter)),

    addAlarmLabel: (deployment, uuid, labelId) =>
      writeLabel(deployment, uuid, () => registry.anywhere(deployment).addAlarmLabel(uuid, labelId, call)),
    removeAlarmLabel: (deployment, uuid, labelId) =>
      writeLabel(deployment, uuid, () => registry.anywhere(deployment).removeAlarmLabel(uuid, labelId, call)),
  };

  async function alarmSources(
    deployment: string | undefined,
    filter: AlarmFeedFilter,
    sortField: SortField,
  ): Promise<FeedSource<AlarmFeedItem>[]> {
    const scope = await scopeOf(deployment);
    const direct = scope.filter((name) => readable.has(name));
    const sources = direct.map((name) =>
      tracked(alarmFeedSource({ label: name, covers: [name], client: registry.anywhere(name), cache, filter, sortField, call, fresh })),
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
        call,
        fresh,
      });
      sources.push(tracked(narrowedTo(central, new Set(viaCentral))));
    }
    return sources;
  }

  async function eventSources(deployment: string | undefined, filter: EventFeedFilter): Promise<FeedSource<EventFeedItem>[]> {
    const scope = (await scopeOf(deployment)).filter((name) => readable.has(name));
    return scope.map((name) =>
      tracked(eventFeedSource({ label: name, covers: [name], client: registry.anywhere(name), cache, filter, call })),
    );
  }
}

/**
 * A Central feed narrowed to some deployments' items. Its `totalElements` still counts
 * Central's whole feed: Central gives no per-deployment count. It says how many rows
 * came (`rows`), so a page with none of those deployments' items does not end the walk.
 */
function narrowedTo(source: FeedSource<AlarmFeedItem>, deployments: ReadonlySet<string>): FeedSource<AlarmFeedItem> {
  return {
    deployment: source.deployment,
    async fetch(window) {
      const page = await source.fetch(window);
      const items = page.items.filter((item) => deployments.has(item.deployment));
      return { ...page, items, rows: page.rows ?? page.items.length };
    },
  };
}
