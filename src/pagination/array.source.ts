/**
 * A `FeedSource` over items already in memory (an alarm's embedded events), so a list
 * the upstream sent whole pages the same way, with the same cursors, as a remote feed.
 *
 * Contract: honours `order`, the inclusive `bound`, `page` and `size` exactly as a HAL
 * upstream would; the input array is not modified.
 */
import type { FeedItem, FeedPage, FeedSource, FeedWindow } from './feed.paginator.js';

export function arrayFeedSource<T extends FeedItem>(deployment: string, items: readonly T[]): FeedSource<T> {
  const ascending = [...items].sort((a, b) => a.key - b.key);
  return {
    deployment,
    async fetch(window: FeedWindow): Promise<FeedPage<T>> {
      const ordered = window.order === 'asc' ? ascending : [...ascending].reverse();
      const bound = window.bound;
      const inWindow =
        bound === undefined
          ? ordered
          : ordered.filter((item) => (window.order === 'asc' ? item.key >= bound : item.key <= bound));
      const start = window.page * window.size;
      return {
        items: inWindow.slice(start, start + window.size),
        hasMore: start + window.size < inWindow.length,
        totalElements: inWindow.length,
      };
    },
  };
}
