/**
 * Alarms or events kept in every order a list can ask for.
 *
 * Contract: `select` returns the items matching a filter in a total, stable order:
 * by the sort field in the asked direction, ties broken by uuid ascending in both
 * directions (so a desc list is not simply the asc list reversed). The four orders
 * are built on first use (most simulators in tests never list most collections, and
 * sorting is most of the start-up cost), then kept sorted on insert; filtered
 * selections are memoised per
 * (order, filter) because clients page through one query many times, and the memo
 * is dropped whenever an item is added. Returned arrays are shared: never mutate them.
 * Filters must depend only on fields that never change after insert (labels are not
 * filterable, so label writes need not touch the memo).
 */

export type SortField = 'timestamp_occured' | 'timestamp_received';
export type SortDirection = 'asc' | 'desc';

export interface Sortable {
  uuid: string;
  occurred: number;
  received: number;
}

type OrderKey = `${SortField},${SortDirection}`;

const MEMO_LIMIT = 128;

function byUuid(a: Sortable, b: Sortable): number {
  return a.uuid < b.uuid ? -1 : a.uuid > b.uuid ? 1 : 0;
}

// Spelled out per order rather than built from a key function: sorting is hot.
const COMPARATORS: Record<OrderKey, (a: Sortable, b: Sortable) => number> = {
  'timestamp_occured,asc': (a, b) => a.occurred - b.occurred || byUuid(a, b),
  'timestamp_occured,desc': (a, b) => b.occurred - a.occurred || byUuid(a, b),
  'timestamp_received,asc': (a, b) => a.received - b.received || byUuid(a, b),
  'timestamp_received,desc': (a, b) => b.received - a.received || byUuid(a, b),
};

const TIME_OF: Record<SortField, (item: Sortable) => number> = {
  timestamp_occured: (item) => item.occurred,
  timestamp_received: (item) => item.received,
};

/** The desc order from the asc one in O(n): runs of equal time keep their uuid-asc order. */
function descendingOf<T extends Sortable>(ascending: readonly T[], time: (item: T) => number): T[] {
  const result: T[] = [];
  let end = ascending.length;
  while (end > 0) {
    let start = end - 1;
    const t = time(ascending[start]!);
    while (start > 0 && time(ascending[start - 1]!) === t) start--;
    for (let i = start; i < end; i++) result.push(ascending[i]!);
    end = start;
  }
  return result;
}

interface Order<T> {
  items: T[];
  compare: (a: T, b: T) => number;
}

export class SortedIndex<T extends Sortable> {
  private orders: Map<OrderKey, Order<T>> | undefined;
  private unsorted: T[];
  private readonly memo = new Map<string, T[]>();

  constructor(items: readonly T[]) {
    this.unsorted = [...items];
  }

  /** Inserts in place; a large batch is appended and re-sorted instead, which is cheaper. */
  addAll(items: readonly T[]): void {
    if (items.length === 0) return;
    if (this.orders === undefined) {
      this.unsorted.push(...items);
    } else if (items.length < 64) {
      for (const item of items) this.insert(this.orders, item);
    } else {
      for (const order of this.orders.values()) {
        order.items.push(...items);
        order.items.sort(order.compare);
      }
    }
    this.memo.clear();
  }

  /**
   * @param filterKey a canonical text of the filter, equal for equal filters
   * @param predicate undefined when nothing is filtered
   */
  select(
    field: SortField,
    direction: SortDirection,
    filterKey: string,
    predicate: ((item: T) => boolean) | undefined,
  ): readonly T[] {
    const all = this.built().get(`${field},${direction}`)!.items;
    if (predicate === undefined) return all;
    const key = `${field},${direction}|${filterKey}`;
    let selected = this.memo.get(key);
    if (selected === undefined) {
      selected = all.filter(predicate);
      if (this.memo.size >= MEMO_LIMIT) this.memo.delete(this.memo.keys().next().value!);
      this.memo.set(key, selected);
    }
    return selected;
  }

  private built(): Map<OrderKey, Order<T>> {
    if (this.orders === undefined) {
      const orders = new Map<OrderKey, Order<T>>();
      for (const field of ['timestamp_occured', 'timestamp_received'] as const) {
        const ascending = this.unsorted.slice().sort(COMPARATORS[`${field},asc`]);
        orders.set(`${field},asc`, { items: ascending, compare: COMPARATORS[`${field},asc`] });
        orders.set(`${field},desc`, {
          items: descendingOf(ascending, TIME_OF[field]),
          compare: COMPARATORS[`${field},desc`],
        });
      }
      this.orders = orders;
      this.unsorted = [];
    }
    return this.orders;
  }

  private insert(orders: Map<OrderKey, Order<T>>, item: T): void {
    for (const { items, compare } of orders.values()) {
      let low = 0;
      let high = items.length;
      while (low < high) {
        const mid = (low + high) >>> 1;
        if (compare(items[mid]!, item) <= 0) low = mid + 1;
        else high = mid;
      }
      items.splice(low, 0, item);
    }
  }
}
