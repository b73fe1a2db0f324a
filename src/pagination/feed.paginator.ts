/**
 * Relay keyset pagination over one or more sorted, page-numbered upstream feeds.
 *
 * Contract: `paginateFeed` serves `first N after C` and `last N before C` over the
 * merge of its sources in one total order: sort key (asc or desc as asked), then
 * deployment ascending, then id ascending (plain code-unit order, so it is the same on
 * every machine). The facade defines tie order itself because the upstream's is not
 * documented. A cursor names an item's place in that order, not a page number, and the
 * next page is asked for with an inclusive key bound, so paging while new items arrive
 * returns every item that was there at the start exactly once, in order, with no gap
 * and no repeat; items that arrive in the part not yet walked show up once too.
 *
 * It does no I/O of its own: it calls each `FeedSource.fetch` with a `FeedWindow` and
 * trusts only the key order of what comes back. It re-sorts and re-filters every page
 * itself, so a source that ignores the bound, breaks ties in another (stable) order or
 * repeats an item across pages is still served correctly. A source that returns keys
 * out of order across pages cannot be served correctly by anyone and is not detected.
 *
 * Cost: one `fetch` per source per Relay page in the common case, never one per item.
 * The upstream page size is `upstreamPageSize(count, cursor given)`; a source is asked
 * for its next page only while it has fewer than `count` items after the cursor whose
 * place is certain (long runs of equal keys, or a full page of duplicates) and one
 * more item to prove a next page; the row that makes the page's last key certain is
 * usually that item, so a first page costs `count` + 1 rows.
 *
 * Refuses: a cursor of another feed (`BAD_USER_INPUT`, from `decodeCursor`, before any
 * fetch); an item whose key is not an integer (`UPSTREAM_INVALID_RESPONSE`), since
 * silently dropping it would open a gap. Errors of a source reject the whole page.
 *
 * `hasPreviousPage` when paging forward (and `hasNextPage` when paging backward) is
 * true exactly when a cursor was given: the item the cursor names lies on that side.
 * The Relay spec allows this shortcut where knowing for sure costs another call.
 *
 * `sliceFeed` is the same walk for a cursor already decoded, giving the page's items
 * without encoding their cursors, so a caller can encode them only when read (nested
 * connections whose cursors nobody selects then cost no hashing or encoding);
 * `paginateFeed` is `decodeCursor` + `sliceFeed` + `encodeCursor` for every edge.
 * `sliceItems` is `sliceFeed` over items already in memory (an alarm's embedded
 * events): the same order, cursors and page flags, computed synchronously.
 */
import { FacadeError } from '../errors/facade.error.js';
import type { NormalisedConnectionArgs } from './connection.args.js';
import type { Connection } from './connection.types.js';
import { decodeCursor, encodeCursor, type CursorPosition } from './cursor.codec.js';

export interface FeedItem {
  /** Epoch ms of the sort field. */
  key: number;
  deployment: string;
  id: string;
}

export interface FeedWindow {
  /** direction in which the source must return items */
  order: 'asc' | 'desc';
  /** inclusive bound on the sort key: for desc, key <= bound; for asc, key >= bound; undefined = no bound */
  bound?: number;
  /** zero-based upstream page */
  page: number;
  /** 1..500 upstream page size */
  size: number;
}

export interface FeedPage<T> {
  items: T[];
  /** upstream says more pages exist after this one */
  hasMore: boolean;
  totalElements: number;
  /**
   * Rows the upstream returned for the window, when the source kept fewer of them as
   * `items` (a feed narrowed on our side); default `items.length`. A page with no
   * items but some rows is not the end of the feed.
   */
  rows?: number;
}

export interface FeedSource<T extends FeedItem> {
  /** A label for errors and totals; items carry their own deployment (a Central feed mixes several). */
  deployment: string;
  fetch(window: FeedWindow): Promise<FeedPage<T>>;
}

export interface PaginateFeedOptions<T extends FeedItem> {
  sources: readonly FeedSource<T>[];
  /** The order the client asked for. */
  order: 'asc' | 'desc';
  args: NormalisedConnectionArgs;
  /** `queryKeyOf` the feed's definition; must cover filters, sort field, `order` and deployment scope. */
  queryKey: string;
}

export interface SourceTotal {
  /** `FeedSource.deployment` */
  deployment: string;
  totalElements: number;
}

export interface SliceFeedOptions<T extends FeedItem> {
  sources: readonly FeedSource<T>[];
  /** The order the client asked for. */
  order: 'asc' | 'desc';
  args: NormalisedConnectionArgs;
  /** `args.cursor`, decoded for this feed (`decodeCursor`), if one was given. */
  cursor: CursorPosition | undefined;
}

/** One Relay page as items: what `paginateFeed` returns before encoding cursors. */
export interface FeedSlice<T> {
  /** In the requested order. */
  items: T[];
  hasNextPage: boolean;
  hasPreviousPage: boolean;
  /** As `FeedConnection.sourceTotals`. */
  sourceTotals?: SourceTotal[];
}

export interface FeedConnection<T> extends Connection<T> {
  /**
   * Each source's `totalElements` from its first page, only when no cursor was given
   * (the fetch had no bound, so it counts the whole filtered feed). Sum them for
   * `totalCount` without another call.
   */
  sourceTotals?: SourceTotal[];
}

const MAX_UPSTREAM_PAGE_SIZE = 500;
/**
 * After a cursor, the inclusive bound sends back the cursor's own item and any earlier
 * items with the same key; spare rows absorb those and a burst of same-millisecond
 * items, so the common case needs no second call.
 */
const UPSTREAM_PAGE_SLACK = 8;

/**
 * Upstream page size for a Relay page of `count` items: count + 1 from the start of
 * the feed (the row after the page makes the page's last key certain, and proves a
 * next page), and 8 more after a cursor; at most 500.
 */
export function upstreamPageSize(count: number, afterCursor: boolean): number {
  return Math.min(MAX_UPSTREAM_PAGE_SIZE, count + 1 + (afterCursor ? UPSTREAM_PAGE_SLACK : 0));
}

type Order = 'asc' | 'desc';
type Compare = (a: CursorPosition, b: CursorPosition) => number;

export async function paginateFeed<T extends FeedItem>(options: PaginateFeedOptions<T>): Promise<FeedConnection<T>> {
  const { args, queryKey } = options;
  const cursor =
    args.cursor === undefined
      ? undefined
      : decodeCursor(args.cursor, queryKey, args.direction === 'forward' ? 'after' : 'before');
  const slice = await sliceFeed({ sources: options.sources, order: options.order, args, cursor });
  const edges = slice.items.map((node) => ({ cursor: cursorOf(node, queryKey), node }));
  const connection: FeedConnection<T> = {
    edges,
    pageInfo: {
      hasNextPage: slice.hasNextPage,
      hasPreviousPage: slice.hasPreviousPage,
      startCursor: edges[0]?.cursor ?? null,
      endCursor: edges[edges.length - 1]?.cursor ?? null,
    },
  };
  if (slice.sourceTotals !== undefined) connection.sourceTotals = slice.sourceTotals;
  return connection;
}

/** The cursor of an item of a feed: `encodeCursor` of its key, deployment and id. */
export function cursorOf(item: FeedItem, queryKey: string): string {
  return encodeCursor({ key: item.key, deployment: item.deployment, id: item.id }, queryKey);
}

export async function sliceFeed<T extends FeedItem>(options: SliceFeedOptions<T>): Promise<FeedSlice<T>> {
  const { sources, order, args, cursor } = options;
  const forward = args.direction === 'forward';

  // Backward is forward over the reversed order, turned round at the end.
  const fetchOrder: Order = forward ? order : order === 'asc' ? 'desc' : 'asc';
  const requested = totalOrder(order);
  const compare: Compare = forward ? requested : (a, b) => requested(b, a);
  const need = args.count;
  const size = upstreamPageSize(args.count, cursor !== undefined);

  const collected = await Promise.all(
    sources.map((source) => collectFromSource(source, { order: fetchOrder, compare, cursor, need, size })),
  );

  // One source's items come sorted and without repeats; several are merged.
  const merged = collected.length === 1 ? collected[0]!.items : dedupe(collected.flatMap((c) => c.items).sort(compare));
  // A source that stopped early held an item past its `need` certain ones: past the page too.
  const hasMore = merged.length > args.count || collected.some((c) => c.more);
  const items = merged.slice(0, args.count);
  if (!forward) items.reverse();

  const slice: FeedSlice<T> = {
    items,
    hasNextPage: forward ? hasMore : cursor !== undefined,
    hasPreviousPage: forward ? cursor !== undefined : hasMore,
  };
  if (cursor === undefined) {
    slice.sourceTotals = collected.map((c, i) => ({
      deployment: sources[i]!.deployment,
      totalElements: c.firstTotalElements,
    }));
  }
  return slice;
}

/**
 * What `sliceFeed` answers for one source holding exactly `items`, without the
 * source: no paging windows, no promises (an alarm page resolves 50 of these).
 */
export function sliceItems<T extends FeedItem>(
  items: readonly T[],
  options: Omit<SliceFeedOptions<T>, 'sources'> & { deployment: string },
): FeedSlice<T> {
  const { order, args, cursor } = options;
  const forward = args.direction === 'forward';
  const requested = totalOrder(order);
  const compare: Compare = forward ? requested : (a, b) => requested(b, a);
  for (const item of items) checkKey(item, options.deployment);
  // A fresh array either way, so sorting leaves `items` alone.
  const after = cursor === undefined ? [...items] : items.filter((item) => compare(item, cursor) > 0);
  const merged = dedupe(sortInPlace(after, compare));
  const hasMore = merged.length > args.count;
  const page = merged.slice(0, args.count);
  if (!forward) page.reverse();
  const slice: FeedSlice<T> = {
    items: page,
    hasNextPage: forward ? hasMore : cursor !== undefined,
    hasPreviousPage: forward ? cursor !== undefined : hasMore,
  };
  if (cursor === undefined) slice.sourceTotals = [{ deployment: options.deployment, totalElements: items.length }];
  return slice;
}

interface CollectOptions {
  order: Order;
  compare: Compare;
  cursor: CursorPosition | undefined;
  need: number;
  size: number;
}

/**
 * The first `need` items of one source after the cursor in the total order (or all of
 * them if it has fewer), and whether it holds an item after those. Upstream sorts by key
 * only, so items sharing the key of the furthest row fetched so far (the frontier) may
 * still have unseen ties on the next page that sort before them; an item is certain
 * only when its key lies strictly before the frontier.
 */
async function collectFromSource<T extends FeedItem>(
  source: FeedSource<T>,
  { order, compare, cursor, need, size }: CollectOptions,
): Promise<{ items: T[]; more: boolean; firstTotalElements: number }> {
  const kept = new Map<string, T>();
  let firstTotalElements = 0;
  let frontier: number | undefined;
  const beforeFrontier = (key: number) => (order === 'desc' ? key > frontier! : key < frontier!);

  // Upstream rows [0, covered) have been asked for.
  for (let covered = 0; ; ) {
    const next = windowAfter(covered, size);
    const window: FeedWindow = cursor === undefined ? { order, ...next } : { order, bound: cursor.key, ...next };
    const result = await source.fetch(window);
    if (covered === 0) firstTotalElements = result.totalElements;
    covered = (next.page + 1) * next.size;

    for (const item of result.items) {
      checkKey(item, source.deployment);
      // The furthest key seen, not the last: an unsorted page must not claim certainty.
      if (frontier === undefined || (order === 'desc' ? item.key < frontier : item.key > frontier)) {
        frontier = item.key;
      }
      if (cursor !== undefined && compare(item, cursor) <= 0) continue;
      const identity = identityOf(item);
      if (!kept.has(identity)) kept.set(identity, item);
    }

    const items = [...kept.values()].sort(compare);
    // An upstream that says "more" but sends no row would be asked forever: take it as the end.
    if (!result.hasMore || (result.rows ?? result.items.length) === 0) return { items, more: false, firstTotalElements };
    const certain = items.filter((item) => beforeFrontier(item.key)).length;
    // Certain items sort before uncertain ones, so the first `need` are all certain, and
    // an item held beyond them proves a next page. Unread rows alone do not: a source
    // may filter them all away (a Central feed narrowed to some deployments).
    if (certain >= need && items.length > need) return { items: items.slice(0, need), more: true, firstTotalElements };
  }
}

/**
 * The upstream window after rows [0, covered): `size` rows at first, then pages that
 * double (as large as all rows so far, up to 500), so a source whose rows mostly drop
 * out (a narrowed feed, a long run of ties) costs a few calls, not one per `size` rows.
 * Pages are numbered by size, so each window is a whole page: `covered` is a multiple
 * of its size.
 */
function windowAfter(covered: number, size: number): { page: number; size: number } {
  if (covered === 0) return { page: 0, size };
  let grown = size;
  while (grown * 2 <= MAX_UPSTREAM_PAGE_SIZE && grown * 2 <= covered && covered % (grown * 2) === 0) grown *= 2;
  return { page: covered / grown, size: grown };
}

function checkKey(item: FeedItem, label: string): void {
  if (!Number.isSafeInteger(item.key)) {
    throw new FacadeError(
      'UPSTREAM_INVALID_RESPONSE',
      `Item ${JSON.stringify(item.id)} of deployment ${JSON.stringify(item.deployment)} has no usable ` +
        `sort time (${String(item.key)}); the feed cannot be paged past it.`,
      { deployment: label },
    );
  }
}

/** The feed's total order: key in `order`, then deployment and id ascending whatever `order` is. */
function totalOrder(order: Order): Compare {
  const sign = order === 'asc' ? 1 : -1;
  return (a, b) => {
    if (a.key !== b.key) return sign * (a.key < b.key ? -1 : 1);
    if (a.deployment !== b.deployment) return a.deployment < b.deployment ? -1 : 1;
    if (a.id !== b.id) return a.id < b.id ? -1 : 1;
    return 0;
  };
}

/** Deployment names are DNS labels and cannot hold a NUL, so the pair is unambiguous. */
function identityOf(item: FeedItem): string {
  return `${item.deployment}\u0000${item.id}`;
}

/** Lists up to this long are sorted and deduplicated by comparing pairs, which allocates nothing. */
const SHORT_LIST = 16;

/**
 * Sorts `items` in place. Short lists (an alarm's events: 50 of them per alarm page) go
 * by insertion: V8's `Array#sort` allocates a work copy for every call.
 */
function sortInPlace<T>(items: T[], compare: (a: T, b: T) => number): T[] {
  if (items.length > SHORT_LIST) return items.sort(compare);
  for (let i = 1; i < items.length; i += 1) {
    const item = items[i]!;
    let j = i - 1;
    for (; j >= 0 && compare(items[j]!, item) > 0; j -= 1) items[j + 1] = items[j]!;
    items[j + 1] = item;
  }
  return items;
}

/** Drops later copies of an item in a sorted list (sources may overlap). */
function dedupe<T extends FeedItem>(sorted: T[]): T[] {
  if (sorted.length <= SHORT_LIST) {
    const copied = (item: T, index: number) => {
      for (let j = 0; j < index; j += 1) if (sorted[j]!.id === item.id && sorted[j]!.deployment === item.deployment) return true;
      return false;
    };
    return sorted.some(copied) ? sorted.filter((item, index) => !copied(item, index)) : sorted;
  }
  const seen = new Set<string>();
  return sorted.filter((item) => {
    const identity = identityOf(item);
    if (seen.has(identity)) return false;
    seen.add(identity);
    return true;
  });
}
