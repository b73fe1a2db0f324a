/**
 * Renders one HAL page the way the USM APIs do (samples/anywhere-alarms-page.json).
 *
 * Contract: `_links.self|first|prev|next|last` are absolute and carry the query's
 * page, size, sort and filters, so following `next` from `first` visits every item
 * exactly once. `prev` is absent on page 0 and `next` on the last page (and past
 * it); `last` is page 0 when nothing matches. `page.number` echoes the asked page
 * even past the end, and a page with no items has no `_embedded` at all, as real
 * empty pages (samples/anywhere-alarms-empty-page.json). Items arrive as rendered
 * bytes and are spliced in without re-parsing or re-encoding.
 */
import type { ListQuery } from './list.query.js';

/** The parts of a list query a page needs (not the filter itself). */
export type PageQuery = Pick<ListQuery<unknown>, 'page' | 'size' | 'field' | 'direction' | 'linkFilters'>;

export interface PageInput {
  /** `http://host:port` of the request. */
  origin: string;
  /** Path of the collection, e.g. `/acme-east/api/2.0/alarms`. */
  collectionPath: string;
  /** `alarms`, or `eventResources` for events (a real-world quirk; the spec says `events`). */
  embeddedKey: string;
  query: PageQuery;
  totalElements: number;
  /** The page's items, rendered for `origin`. */
  items: readonly Buffer[];
}

const COMMA = Buffer.from(',');

export function renderHalPage(input: PageInput): Buffer {
  const { query, totalElements } = input;
  const totalPages = Math.ceil(totalElements / query.size);
  const lastPage = Math.max(0, totalPages - 1);
  const filters = query.linkFilters === '' ? '' : `&${query.linkFilters}`;
  const base = `${input.origin}${input.collectionPath}?`;
  const rest = `&size=${query.size}&sort=${query.field},${query.direction}${filters}`;
  const href = (page: number) => ({ href: `${base}page=${page}${rest}` });
  const links: Record<string, { href: string }> = { self: href(query.page), first: href(0) };
  if (query.page > 0) links.prev = href(query.page - 1);
  if (query.page < lastPage) links.next = href(query.page + 1);
  links.last = href(lastPage);
  const page = { size: query.size, totalElements, totalPages, number: query.page };
  const head = `{"_links":${JSON.stringify(links)},"page":${JSON.stringify(page)}`;
  if (input.items.length === 0) return Buffer.from(`${head}}`);
  const parts: Buffer[] = [Buffer.from(`${head},"_embedded":{"${input.embeddedKey}":[`)];
  input.items.forEach((item, i) => {
    if (i > 0) parts.push(COMMA);
    parts.push(item);
  });
  parts.push(Buffer.from(']}}'));
  return Buffer.concat(parts);
}

/** The slice of `items` that page `query.page` shows. */
export function pageSlice<T>(items: readonly T[], query: PageQuery): readonly T[] {
  const start = query.page * query.size;
  return start >= items.length ? [] : items.slice(start, start + query.size);
}
