/**
 * An in-memory stand-in for one upstream HAL feed, for the pagination tests.
 *
 * It honours a `FeedWindow` the way the USM `/alarms` endpoint does: filter by the
 * inclusive `timestamp_*_lte|gte` bound, sort by key only, cut zero-based pages of
 * `size`. Ties come in id order, or reversed with `ties: 'reversed'` (the upstream's
 * own tie order is unknown). It records every window it was asked for.
 */
import type { FeedItem, FeedPage, FeedSource, FeedWindow } from '../../src/pagination/feed.paginator.js';

export interface MemoryFeedOptions {
  /** Tie order among equal keys. Default `'id'`. */
  ties?: 'id' | 'reversed';
  /** Answer as if no bound had been asked for. Default false. */
  ignoresBound?: boolean;
  /** Return each page's rows back to front. Default false. */
  scramblesPage?: boolean;
  /** Start each page after the first one row early, as when an item arrived ahead of it between two calls. Default false. */
  repeatsRowAcrossPages?: boolean;
}

export class MemoryFeedSource implements FeedSource<FeedItem> {
  readonly fetches: FeedWindow[] = [];
  private readonly items: FeedItem[] = [];

  constructor(
    readonly deployment: string,
    keys: readonly number[] = [],
    private readonly options: MemoryFeedOptions = {},
  ) {
    this.insert(...keys.map((key, i) => ({ key, id: `${deployment}-${String(i).padStart(4, '0')}` })));
  }

  /** Adds items, as new alarms arriving upstream. */
  insert(...items: { key: number; id: string }[]): void {
    for (const { key, id } of items) this.items.push({ key, deployment: this.deployment, id });
  }

  get all(): readonly FeedItem[] {
    return this.items;
  }

  async fetch(window: FeedWindow): Promise<FeedPage<FeedItem>> {
    if (!Number.isInteger(window.size) || window.size < 1 || window.size > 500) {
      throw new Error(`upstream refuses size ${window.size}`);
    }
    this.fetches.push({ ...window });
    const { order, bound, page, size } = window;
    const inBound = (item: FeedItem) =>
      bound === undefined || this.options.ignoresBound || (order === 'desc' ? item.key <= bound : item.key >= bound);
    const tieSign = this.options.ties === 'reversed' ? -1 : 1;
    const rows = this.items.filter(inBound).sort((a, b) => {
      if (a.key !== b.key) return order === 'asc' ? a.key - b.key : b.key - a.key;
      return tieSign * (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);
    });
    const start = page * size - (page > 0 && this.options.repeatsRowAcrossPages ? 1 : 0);
    const items = rows.slice(start, (page + 1) * size).map((item) => ({ ...item }));
    if (this.options.scramblesPage) items.reverse();
    await Promise.resolve();
    return { items, hasMore: (page + 1) * size < rows.length, totalElements: rows.length };
  }
}
