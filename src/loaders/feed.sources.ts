/**
 * `FeedSource`s over the upstream list endpoints, for `paginateFeed`.
 *
 * Contract: a source turns a `FeedWindow` into one upstream list call: the window's
 * order becomes `sort`, its inclusive bound is combined with the caller's own date
 * filter (the tighter one wins; an empty range answers empty without a call), and its
 * page and size pass through. Pages are cached briefly (`DocumentCache` kind `page`;
 * a `fresh` source, a live poll's, always asks the upstream and refreshes the cache)
 * and every document in them primes the document cache, so looking one up again in
 * the same or a later request costs no call. Items missing the sort timestamp fall
 * back to the other timestamp; with neither the paginator refuses the page.
 */
import type { FeedItem, FeedPage, FeedSource, FeedWindow } from '../pagination/feed.paginator.js';
import type { AlarmsQuery, EventsQuery, SortField } from '../upstream/anywhere/anywhere.query.js';
import type { AlarmDocument, EventDocument, Page } from '../upstream/anywhere/anywhere.schemas.js';
import type { UpstreamCall } from '../upstream/upstream.call.js';
import type { DocumentCache } from './document.cache.js';

export interface AlarmFeedItem extends FeedItem {
  doc: AlarmDocument;
}

export interface EventFeedItem extends FeedItem {
  doc: EventDocument;
}

/** The alarm filters of a feed: everything but paging and sort. */
export type AlarmFeedFilter = Omit<AlarmsQuery, 'page' | 'size' | 'sort'>;
export type EventFeedFilter = Omit<EventsQuery, 'page' | 'size' | 'sort'>;

interface AlarmLister {
  alarmsPage(query: AlarmsQuery, call?: UpstreamCall): Promise<Page<AlarmDocument>>;
}
interface EventLister {
  eventsPage(query: EventsQuery, call?: UpstreamCall): Promise<Page<EventDocument>>;
}

export const documentKey = (deployment: string, uuid: string) => `${deployment}:${uuid}`;

/** The query with the window's bound folded into the `gte`/`lte` pair of the sort field; undefined when empty. */
function bounded<Q extends { [k: string]: unknown }>(
  filter: Q,
  window: FeedWindow,
  gteField: keyof Q & string,
  lteField: keyof Q & string,
): Q | undefined {
  const query: Record<string, unknown> = { ...filter };
  if (window.bound !== undefined) {
    if (window.order === 'desc') {
      const lte = query[lteField] as number | undefined;
      query[lteField] = lte === undefined ? window.bound : Math.min(lte, window.bound);
    } else {
      const gte = query[gteField] as number | undefined;
      query[gteField] = gte === undefined ? window.bound : Math.max(gte, window.bound);
    }
  }
  const gte = query[gteField] as number | undefined;
  const lte = query[lteField] as number | undefined;
  if (gte !== undefined && lte !== undefined && gte > lte) return undefined;
  return query as Q;
}

function hasMore(page: Page<unknown>): boolean {
  return page.links.next !== undefined || page.page.number + 1 < page.page.totalPages;
}

const EMPTY: FeedPage<never> = { items: [], hasMore: false, totalElements: 0 };

export function alarmFeedSource(options: {
  /** A label for errors and totals; a Central source mixes deployments. */
  label: string;
  /** The deployments this source's pages cover (for page-cache invalidation). */
  covers: readonly string[];
  client: AlarmLister;
  cache: DocumentCache;
  filter: AlarmFeedFilter;
  sortField: SortField;
  /** On whose behalf pages are fetched. Default the facade's own. */
  call?: UpstreamCall;
  /** Ask the upstream even when the page is cached (live polls). Default false. */
  fresh?: boolean;
}): FeedSource<AlarmFeedItem> {
  const { client, cache, filter, sortField, covers, call } = options;
  const [gte, lte] = sortField === 'timestampOccurred' ? ['occurredGte', 'occurredLte'] : ['receivedGte', 'receivedLte'];
  return {
    deployment: options.label,
    async fetch(window: FeedWindow): Promise<FeedPage<AlarmFeedItem>> {
      const base = bounded(filter as Record<string, unknown>, window, gte, lte);
      if (base === undefined) return EMPTY;
      const query: AlarmsQuery = {
        ...base,
        sort: { field: sortField, direction: window.order },
        page: window.page,
        size: window.size,
      };
      const key = `alarms:${options.label}:${JSON.stringify(query)}`;
      const load = () => client.alarmsPage(query, call);
      const page = options.fresh === true ? await cache.refreshPage(key, load, covers) : await cache.get('page', key, load, covers);
      return {
        items: page.items.map((doc) => {
          cache.prime('alarm', documentKey(doc.deployment, doc.uuid), doc);
          const key =
            sortField === 'timestampOccurred'
              ? (doc.timestampOccurred ?? doc.timestampReceived)
              : (doc.timestampReceived ?? doc.timestampOccurred);
          return { key: key as number, deployment: doc.deployment, id: doc.uuid, doc };
        }),
        hasMore: hasMore(page),
        totalElements: page.page.totalElements,
      };
    },
  };
}

export function eventFeedSource(options: {
  label: string;
  covers: readonly string[];
  client: EventLister;
  cache: DocumentCache;
  filter: EventFeedFilter;
  call?: UpstreamCall;
}): FeedSource<EventFeedItem> {
  const { client, cache, filter, covers, call } = options;
  return {
    deployment: options.label,
    async fetch(window: FeedWindow): Promise<FeedPage<EventFeedItem>> {
      const base = bounded(filter as Record<string, unknown>, window, 'occurredGte', 'occurredLte');
      if (base === undefined) return EMPTY;
      const query: EventsQuery = {
        ...base,
        sort: { field: 'timestampOccurred', direction: window.order },
        page: window.page,
        size: window.size,
      };
      const page = await cache.get(
        'page',
        `events:${options.label}:${JSON.stringify(query)}`,
        () => client.eventsPage(query, call),
        covers,
      );
      return {
        items: page.items.map((doc) => {
          cache.prime('event', documentKey(doc.deployment, doc.uuid), doc);
          const key = doc.timestampOccurred ?? doc.timestampReceived;
          return { key: key as number, deployment: doc.deployment, id: doc.uuid, doc };
        }),
        hasMore: hasMore(page),
        totalElements: page.page.totalElements,
      };
    },
  };
}
