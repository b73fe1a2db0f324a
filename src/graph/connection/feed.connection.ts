/**
 * From a Relay request over upstream feeds to a `ConnectionShape`: the one path every
 * feed-backed connection field takes (alarms, events, an alarm's events).
 *
 * Contract: arguments are validated before any upstream call; `totalCount` costs no
 * call when the page was fetched without a cursor (the sources' totals are reused),
 * and one `size=1` call per source otherwise, made only if the client selects it.
 * Cursors, and the hash of the feed's definition they carry, are computed only when a
 * cursor is given or read: an alarm's `events { edges { node } }` encodes none.
 * `itemsConnection` is the same for items already in memory, without promises;
 * `sliceConnection` makes the connection of a page already sliced (a live poll's), with
 * its total known.
 */
import { normaliseConnectionArgs, type ConnectionArgs, type NormalisedConnectionArgs } from '../../pagination/connection.args.js';
import type { PageInfo } from '../../pagination/connection.types.js';
import { decodeCursor, queryKeyOf } from '../../pagination/cursor.codec.js';
import { cursorOf, sliceFeed, sliceItems, type FeedItem, type FeedSlice, type FeedSource } from '../../pagination/feed.paginator.js';
import type { ConnectionShape } from './connection.type.js';

export interface FeedConnectionRequest<T extends FeedItem, N> {
  args: ConnectionArgs;
  /** Everything that defines the feed (filters, sort, order, scope): cursors are bound to it. */
  definition: Record<string, unknown>;
  order: 'asc' | 'desc';
  /** Built after the arguments are checked, so bad input costs no upstream call. */
  sources: () => Promise<readonly FeedSource<T>[]>;
  toNode: (item: T) => N;
}

/** The feed's query key, hashed on first use. */
class FeedKey {
  #key: string | undefined;
  constructor(private readonly definition: Record<string, unknown>) {}
  get value(): string {
    return (this.#key ??= queryKeyOf(this.definition));
  }
}

/** An edge whose cursor is encoded when GraphQL first reads it. */
class FeedEdge<N> {
  #cursor: string | undefined;
  constructor(
    readonly node: N,
    private readonly item: FeedItem,
    private readonly key: FeedKey,
  ) {}
  get cursor(): string {
    return (this.#cursor ??= cursorOf(this.item, this.key.value));
  }
}

class FeedPageInfo implements PageInfo {
  constructor(
    readonly hasNextPage: boolean,
    readonly hasPreviousPage: boolean,
    private readonly edges: ReadonlyArray<FeedEdge<unknown>>,
  ) {}
  get startCursor(): string | null {
    return this.edges[0]?.cursor ?? null;
  }
  get endCursor(): string | null {
    return this.edges[this.edges.length - 1]?.cursor ?? null;
  }
}

export async function feedConnection<T extends FeedItem, N>(request: FeedConnectionRequest<T, N>): Promise<ConnectionShape<N>> {
  const args = normaliseConnectionArgs(request.args);
  const key = new FeedKey(request.definition);
  const cursor = decodeArgsCursor(args, key);
  const sources = await request.sources();
  const page = await sliceFeed({ sources, order: request.order, args, cursor });
  return toConnection(page, key, request.toNode, async () => {
    const counts = await Promise.all(sources.map((source) => source.fetch({ order: request.order, page: 0, size: 1 })));
    return counts.reduce((sum, c) => sum + c.totalElements, 0);
  });
}

export interface ItemsConnectionRequest<T extends FeedItem, N> extends Omit<FeedConnectionRequest<T, N>, 'sources'> {
  /** Labels errors, as a source's `deployment` does. */
  deployment: string;
  items: readonly T[];
}

export function itemsConnection<T extends FeedItem, N>(request: ItemsConnectionRequest<T, N>): ConnectionShape<N> {
  const args = normaliseConnectionArgs(request.args);
  const key = new FeedKey(request.definition);
  const cursor = decodeArgsCursor(args, key);
  const page = sliceItems(request.items, { deployment: request.deployment, order: request.order, args, cursor });
  return toConnection(page, key, request.toNode, async () => request.items.length);
}

/** The connection of a first page already sliced from the feed `definition`, whose total is `totalCount`. */
export function sliceConnection<T extends FeedItem, N>(
  slice: Pick<FeedSlice<T>, 'items' | 'hasNextPage'>,
  definition: Record<string, unknown>,
  totalCount: number,
  toNode: (item: T) => N,
): ConnectionShape<N> {
  const page: FeedSlice<T> = { ...slice, hasPreviousPage: false, sourceTotals: [{ deployment: '*', totalElements: totalCount }] };
  return toConnection(page, new FeedKey(definition), toNode, async () => totalCount);
}

function decodeArgsCursor(args: NormalisedConnectionArgs, key: FeedKey) {
  return args.cursor === undefined ? undefined : decodeCursor(args.cursor, key.value, args.direction === 'forward' ? 'after' : 'before');
}

/** `countOther` counts when the page's own source totals cannot (a cursor bounded the fetch). */
function toConnection<T extends FeedItem, N>(
  page: FeedSlice<T>,
  key: FeedKey,
  toNode: (item: T) => N,
  countOther: () => Promise<number>,
): ConnectionShape<N> {
  const totals = page.sourceTotals;
  const edges = page.items.map((item) => new FeedEdge(toNode(item), item, key));
  return {
    edges,
    pageInfo: new FeedPageInfo(page.hasNextPage, page.hasPreviousPage, edges),
    countTotal: async () => (totals !== undefined ? totals.reduce((sum, t) => sum + t.totalElements, 0) : countOther()),
  };
}
