/**
 * From a Relay request over upstream feeds to a `ConnectionShape`: the one path every
 * feed-backed connection field takes (alarms, events, an alarm's events).
 *
 * Contract: arguments are validated before any upstream call; `totalCount` costs no
 * call when the page was fetched without a cursor (the sources' totals are reused),
 * and one `size=1` call per source otherwise, made only if the client selects it.
 */
import { normaliseConnectionArgs } from '../../pagination/connection.args.js';
import { queryKeyOf } from '../../pagination/cursor.codec.js';
import { paginateFeed, type FeedItem, type FeedSource } from '../../pagination/feed.paginator.js';
import type { ConnectionArgs } from './connection.args.js';
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

export async function feedConnection<T extends FeedItem, N>(request: FeedConnectionRequest<T, N>): Promise<ConnectionShape<N>> {
  const args = normaliseConnectionArgs(request.args);
  const sources = await request.sources();
  const page = await paginateFeed({ sources, order: request.order, args, queryKey: queryKeyOf(request.definition) });
  const totals = page.sourceTotals;
  return {
    edges: page.edges.map((edge) => ({ cursor: edge.cursor, node: request.toNode(edge.node) })),
    pageInfo: page.pageInfo,
    countTotal: async () => {
      if (totals !== undefined) return totals.reduce((sum, t) => sum + t.totalElements, 0);
      const counts = await Promise.all(
        sources.map((source) => source.fetch({ order: request.order, page: 0, size: 1 })),
      );
      return counts.reduce((sum, c) => sum + c.totalElements, 0);
    },
  };
}
