import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { FacadeError } from '../../src/errors/facade.error.js';
import { normaliseConnectionArgs, type ConnectionArgs } from '../../src/pagination/connection.args.js';
import { queryKeyOf } from '../../src/pagination/cursor.codec.js';
import { decodeCursor } from '../../src/pagination/cursor.codec.js';
import {
  cursorOf,
  paginateFeed,
  sliceFeed,
  sliceItems,
  upstreamPageSize,
  type FeedConnection,
  type FeedItem,
  type FeedSource,
} from '../../src/pagination/feed.paginator.js';
import { MemoryFeedSource } from './memory.feed.source.js';

type Order = 'asc' | 'desc';
const T0 = 1_700_000_000_000;

const queryKeyFor = (order: Order) =>
  queryKeyOf({ scope: ['alpha', 'bravo', 'charlie'], sort: 'timestamp_occured', direction: order });

function page(sources: FeedSource<FeedItem>[], order: Order, args: ConnectionArgs): Promise<FeedConnection<FeedItem>> {
  return paginateFeed({ sources, order, args: normaliseConnectionArgs(args), queryKey: queryKeyFor(order) });
}

/** The facade's documented total order, spelled out independently of the code under test. */
function inFeedOrder(order: Order) {
  return (a: FeedItem, b: FeedItem) =>
    (order === 'asc' ? a.key - b.key : b.key - a.key) ||
    (a.deployment < b.deployment ? -1 : a.deployment > b.deployment ? 1 : 0) ||
    (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);
}

/** Pages through the whole feed, calling `between` after each page but the last. */
async function walk(
  sources: FeedSource<FeedItem>[],
  order: Order,
  direction: 'forward' | 'backward',
  count: number,
  between: (pagesSoFar: number) => void = () => {},
): Promise<{ items: FeedItem[]; pages: number }> {
  const items: FeedItem[] = [];
  let cursor: string | undefined;
  for (let pages = 1; pages < 10_000; pages += 1) {
    const forward = direction === 'forward';
    const { edges, pageInfo } = await page(
      sources,
      order,
      forward ? { first: count, after: cursor } : { last: count, before: cursor },
    );
    const nodes = edges.map((edge) => edge.node);
    if (forward) items.push(...nodes);
    else items.unshift(...nodes);
    cursor = (forward ? pageInfo.endCursor : pageInfo.startCursor) ?? undefined;
    if (!(forward ? pageInfo.hasNextPage : pageInfo.hasPreviousPage)) return { items, pages };
    between(pages);
  }
  throw new Error('the walk does not end');
}

/** A seeded generator, so every run walks the same feeds. */
function random(seed: number): () => number {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** 1,000 items over three deployments; `distinctKeys` keys in all, dealt at random. */
function threeSources(distinctKeys: number, options: { tiesReversedIn?: string } = {}): MemoryFeedSource[] {
  const next = random(42);
  const names = ['alpha', 'bravo', 'charlie'];
  const keys: number[][] = [[], [], []];
  for (let i = 0; i < 1000; i += 1) keys[Math.floor(next() * 3)]!.push(T0 + (i % distinctKeys) * 1000);
  return names.map(
    (name, i) => new MemoryFeedSource(name, keys[i], { ties: options.tiesReversedIn === name ? 'reversed' : 'id' }),
  );
}

function everything(sources: MemoryFeedSource[]): FeedItem[] {
  return sources.flatMap((source) => source.all.map((item) => ({ ...item })));
}

function assertStrictlyInOrder(items: FeedItem[], order: Order): void {
  const compare = inFeedOrder(order);
  for (let i = 1; i < items.length; i += 1) {
    assert.ok(
      compare(items[i - 1]!, items[i]!) < 0,
      `item ${i} (${JSON.stringify(items[i])}) does not come after ${JSON.stringify(items[i - 1])}`,
    );
  }
}

describe('upstreamPageSize', () => {
  it('asks for the Relay count and the row after it from the start of the feed, at most 500', () => {
    assert.deepEqual(
      [0, 1, 20, 50, 100, 499, 1000].map((count) => upstreamPageSize(count, false)),
      [1, 2, 21, 51, 101, 500, 500],
    );
  });

  it('adds 8 spare rows after a cursor, for the cursor’s own row and its key’s ties', () => {
    assert.deepEqual(
      [0, 20, 37, 100, 491, 1000].map((count) => upstreamPageSize(count, true)),
      [9, 29, 46, 109, 500, 500],
    );
  });
});

describe('paginateFeed over two deployments (wire format)', () => {
  // Newest first: bravo-0003 7000, bravo-0002 6000, alpha-0002 5000,
  // alpha-0001 3000, bravo-0001 3000 (a tie across deployments), bravo-0000 2000, alpha-0000 1000.
  const twoSources = () => [
    new MemoryFeedSource('alpha', [T0 + 1000, T0 + 3000, T0 + 5000]),
    new MemoryFeedSource('bravo', [T0 + 2000, T0 + 3000, T0 + 6000, T0 + 7000]),
  ];
  const node = (deployment: string, id: string, key: number) => ({ key: T0 + key, deployment, id });

  it('serves the first page newest first with literal cursors and the whole pageInfo', async () => {
    const sources = twoSources();
    assert.deepEqual(await page(sources, 'desc', { first: 3 }), {
      edges: [
        { cursor: 'WzEsIlZ0UTMtNlBDSTVRIiwxNzAwMDAwMDA3MDAwLCJicmF2byIsImJyYXZvLTAwMDMiXQ', node: node('bravo', 'bravo-0003', 7000) },
        { cursor: 'WzEsIlZ0UTMtNlBDSTVRIiwxNzAwMDAwMDA2MDAwLCJicmF2byIsImJyYXZvLTAwMDIiXQ', node: node('bravo', 'bravo-0002', 6000) },
        { cursor: 'WzEsIlZ0UTMtNlBDSTVRIiwxNzAwMDAwMDA1MDAwLCJhbHBoYSIsImFscGhhLTAwMDIiXQ', node: node('alpha', 'alpha-0002', 5000) },
      ],
      pageInfo: { hasNextPage: true, hasPreviousPage: false, startCursor: 'WzEsIlZ0UTMtNlBDSTVRIiwxNzAwMDAwMDA3MDAwLCJicmF2byIsImJyYXZvLTAwMDMiXQ', endCursor: 'WzEsIlZ0UTMtNlBDSTVRIiwxNzAwMDAwMDA1MDAwLCJhbHBoYSIsImFscGhhLTAwMDIiXQ' },
      sourceTotals: [
        { deployment: 'alpha', totalElements: 3 },
        { deployment: 'bravo', totalElements: 4 },
      ],
    });
    assert.deepEqual(
      sources.map((s) => s.fetches),
      [[{ order: 'desc', page: 0, size: 4 }], [{ order: 'desc', page: 0, size: 4 }]],
    );
  });

  it('serves the middle page after the end cursor, breaking the key tie by deployment', async () => {
    const sources = twoSources();
    assert.deepEqual(await page(sources, 'desc', { first: 3, after: 'WzEsIlZ0UTMtNlBDSTVRIiwxNzAwMDAwMDA1MDAwLCJhbHBoYSIsImFscGhhLTAwMDIiXQ' }), {
      edges: [
        { cursor: 'WzEsIlZ0UTMtNlBDSTVRIiwxNzAwMDAwMDAzMDAwLCJhbHBoYSIsImFscGhhLTAwMDEiXQ', node: node('alpha', 'alpha-0001', 3000) },
        { cursor: 'WzEsIlZ0UTMtNlBDSTVRIiwxNzAwMDAwMDAzMDAwLCJicmF2byIsImJyYXZvLTAwMDEiXQ', node: node('bravo', 'bravo-0001', 3000) },
        { cursor: 'WzEsIlZ0UTMtNlBDSTVRIiwxNzAwMDAwMDAyMDAwLCJicmF2byIsImJyYXZvLTAwMDAiXQ', node: node('bravo', 'bravo-0000', 2000) },
      ],
      pageInfo: { hasNextPage: true, hasPreviousPage: true, startCursor: 'WzEsIlZ0UTMtNlBDSTVRIiwxNzAwMDAwMDAzMDAwLCJhbHBoYSIsImFscGhhLTAwMDEiXQ', endCursor: 'WzEsIlZ0UTMtNlBDSTVRIiwxNzAwMDAwMDAyMDAwLCJicmF2byIsImJyYXZvLTAwMDAiXQ' },
    });
    assert.deepEqual(
      sources.map((s) => s.fetches),
      [[{ order: 'desc', bound: T0 + 5000, page: 0, size: 12 }], [{ order: 'desc', bound: T0 + 5000, page: 0, size: 12 }]],
    );
  });

  it('from the start of the feed, reads one row past the page: one call proves the page and that more exist', async () => {
    const source = new MemoryFeedSource('alpha', [T0 + 7000, T0 + 6000, T0 + 5000, T0 + 4000, T0 + 3000]);
    const { edges, pageInfo } = await page([source], 'desc', { first: 3 });
    assert.deepEqual(edges.map((edge) => edge.node.key - T0), [7000, 6000, 5000]);
    assert.equal(pageInfo.hasNextPage, true);
    assert.deepEqual(source.fetches, [{ order: 'desc', page: 0, size: 4 }]);

    const exact = new MemoryFeedSource('alpha', [T0 + 7000, T0 + 6000, T0 + 5000]);
    assert.equal((await page([exact], 'desc', { first: 3 })).pageInfo.hasNextPage, false);
    assert.equal(exact.fetches.length, 1);
  });

  it('reads on when the row past the page ties with the page’s last row, so the tie is ordered by id', async () => {
    // alpha-0003 ties alpha-0002 at 5000 but was dealt first in the reversed tie order.
    const source = new MemoryFeedSource('alpha', [T0 + 7000, T0 + 6000, T0 + 5000, T0 + 5000, T0 + 4000], { ties: 'reversed' });
    const { edges, pageInfo } = await page([source], 'desc', { first: 3 });
    assert.deepEqual(edges.map((edge) => edge.node.id), ['alpha-0000', 'alpha-0001', 'alpha-0002']);
    assert.equal(pageInfo.hasNextPage, true);
    assert.deepEqual(source.fetches, [
      { order: 'desc', page: 0, size: 4 },
      { order: 'desc', page: 1, size: 4 },
    ]);
  });

  it('serves the last page with hasNextPage false', async () => {
    assert.deepEqual(await page(twoSources(), 'desc', { first: 3, after: 'WzEsIlZ0UTMtNlBDSTVRIiwxNzAwMDAwMDAyMDAwLCJicmF2byIsImJyYXZvLTAwMDAiXQ' }), {
      edges: [{ cursor: 'WzEsIlZ0UTMtNlBDSTVRIiwxNzAwMDAwMDAxMDAwLCJhbHBoYSIsImFscGhhLTAwMDAiXQ', node: node('alpha', 'alpha-0000', 1000) }],
      pageInfo: { hasNextPage: false, hasPreviousPage: true, startCursor: 'WzEsIlZ0UTMtNlBDSTVRIiwxNzAwMDAwMDAxMDAwLCJhbHBoYSIsImFscGhhLTAwMDAiXQ', endCursor: 'WzEsIlZ0UTMtNlBDSTVRIiwxNzAwMDAwMDAxMDAwLCJhbHBoYSIsImFscGhhLTAwMDAiXQ' },
    });
  });

  it('serves the same feed backward: the oldest page first, in the requested order, then the one before it', async () => {
    const sources = twoSources();
    assert.deepEqual(await page(sources, 'desc', { last: 3 }), {
      edges: [
        { cursor: 'WzEsIlZ0UTMtNlBDSTVRIiwxNzAwMDAwMDAzMDAwLCJicmF2byIsImJyYXZvLTAwMDEiXQ', node: node('bravo', 'bravo-0001', 3000) },
        { cursor: 'WzEsIlZ0UTMtNlBDSTVRIiwxNzAwMDAwMDAyMDAwLCJicmF2byIsImJyYXZvLTAwMDAiXQ', node: node('bravo', 'bravo-0000', 2000) },
        { cursor: 'WzEsIlZ0UTMtNlBDSTVRIiwxNzAwMDAwMDAxMDAwLCJhbHBoYSIsImFscGhhLTAwMDAiXQ', node: node('alpha', 'alpha-0000', 1000) },
      ],
      pageInfo: { hasNextPage: false, hasPreviousPage: true, startCursor: 'WzEsIlZ0UTMtNlBDSTVRIiwxNzAwMDAwMDAzMDAwLCJicmF2byIsImJyYXZvLTAwMDEiXQ', endCursor: 'WzEsIlZ0UTMtNlBDSTVRIiwxNzAwMDAwMDAxMDAwLCJhbHBoYSIsImFscGhhLTAwMDAiXQ' },
      sourceTotals: [
        { deployment: 'alpha', totalElements: 3 },
        { deployment: 'bravo', totalElements: 4 },
      ],
    });
    assert.deepEqual(sources[0]!.fetches, [{ order: 'asc', page: 0, size: 4 }]);

    const before = await page(twoSources(), 'desc', { last: 3, before: 'WzEsIlZ0UTMtNlBDSTVRIiwxNzAwMDAwMDAzMDAwLCJicmF2byIsImJyYXZvLTAwMDEiXQ' });
    assert.deepEqual(before.pageInfo, {
      hasNextPage: true,
      hasPreviousPage: true,
      startCursor: 'WzEsIlZ0UTMtNlBDSTVRIiwxNzAwMDAwMDA2MDAwLCJicmF2byIsImJyYXZvLTAwMDIiXQ',
      endCursor: 'WzEsIlZ0UTMtNlBDSTVRIiwxNzAwMDAwMDAzMDAwLCJhbHBoYSIsImFscGhhLTAwMDEiXQ',
    });
    assert.deepEqual(
      before.edges.map((edge) => edge.node.id),
      ['bravo-0002', 'alpha-0002', 'alpha-0001'],
    );
    const first = await page(twoSources(), 'desc', { last: 3, before: 'WzEsIlZ0UTMtNlBDSTVRIiwxNzAwMDAwMDA2MDAwLCJicmF2byIsImJyYXZvLTAwMDIiXQ' });
    assert.deepEqual(first.pageInfo, {
      hasNextPage: true,
      hasPreviousPage: false,
      startCursor: 'WzEsIlZ0UTMtNlBDSTVRIiwxNzAwMDAwMDA3MDAwLCJicmF2byIsImJyYXZvLTAwMDMiXQ',
      endCursor: 'WzEsIlZ0UTMtNlBDSTVRIiwxNzAwMDAwMDA3MDAwLCJicmF2byIsImJyYXZvLTAwMDMiXQ',
    });
  });

  it('tells whether more items exist when asked for none', async () => {
    assert.deepEqual(await page(twoSources(), 'desc', { first: 0 }), {
      edges: [],
      pageInfo: { hasNextPage: true, hasPreviousPage: false, startCursor: null, endCursor: null },
      sourceTotals: [
        { deployment: 'alpha', totalElements: 3 },
        { deployment: 'bravo', totalElements: 4 },
      ],
    });
  });

  it('answers an empty feed with empty edges and null cursors', async () => {
    assert.deepEqual(await page([new MemoryFeedSource('alpha'), new MemoryFeedSource('bravo')], 'asc', {}), {
      edges: [],
      pageInfo: { hasNextPage: false, hasPreviousPage: false, startCursor: null, endCursor: null },
      sourceTotals: [
        { deployment: 'alpha', totalElements: 0 },
        { deployment: 'bravo', totalElements: 0 },
      ],
    });
  });
});

describe('paginateFeed walking 1,000 items over three deployments', () => {
  for (const order of ['desc', 'asc'] as const) {
    for (const direction of ['forward', 'backward'] as const) {
      it(`returns every item exactly once and in ${order} order, ${direction} by 37, at one fetch per deployment per page`, async () => {
        const sources = threeSources(1000);
        const expected = everything(sources).sort(inFeedOrder(order));

        const { items, pages } = await walk(sources, order, direction, 37);

        assert.deepEqual(items, expected);
        assert.equal(pages, 28);
        for (const source of sources) {
          assert.equal(source.fetches.length, pages, `${source.deployment} was fetched more than once a page`);
          // The first page from the start of the feed (37 and the row after), the rest after a cursor (+ 8 spare).
          assert.deepEqual(
            source.fetches.map((w) => [w.page, w.size]),
            source.fetches.map((_, i) => [0, i === 0 ? 38 : 46]),
          );
        }
      });
    }
  }

  for (const order of ['desc', 'asc'] as const) {
    for (const direction of ['forward', 'backward'] as const) {
      it(`returns every item present at the start exactly once, in ${order} order, ${direction}, while new items arrive`, async () => {
        const sources = threeSources(1000);
        const originals = everything(sources);
        const newest = Math.max(...originals.map((item) => item.key));
        const next = random(7);
        let arrivals = 0;
        const arrive = () => {
          for (let n = 0; n < 6; n += 1) {
            const source = sources[Math.floor(next() * 3)]!;
            // Half are brand new; half arrive late with an occurred time inside the walked range.
            const key = n % 2 === 0 ? newest + 1 + Math.floor(next() * 10_000) : T0 + Math.floor(next() * 1000) * 1000;
            source.insert({ key, id: `${source.deployment}-new-${String(arrivals++).padStart(4, '0')}` });
          }
        };

        const { items } = await walk(sources, order, direction, 37, arrive);

        assertStrictlyInOrder(items, order);
        const ids = new Set(items.map((item) => `${item.deployment}/${item.id}`));
        for (const item of originals) assert.ok(ids.has(`${item.deployment}/${item.id}`), `missing ${item.id}`);
        if (order === 'desc' && direction === 'forward') {
          assert.ok(items.every((item) => item.key <= newest), 'an item newer than the walk start appeared');
        }
      });
    }
  }

  for (const direction of ['forward', 'backward'] as const) {
    it(`orders many ties on the same key across deployments by deployment then id, ${direction}`, async () => {
      // 1,000 items on 5 keys: about 67 ties per key per deployment, more than one upstream page of 46.
      const sources = threeSources(5, { tiesReversedIn: 'bravo' });
      const expected = everything(sources).sort(inFeedOrder('desc'));

      const { items, pages } = await walk(sources, 'desc', direction, 37);

      assert.deepEqual(items, expected);
      const fetches = sources.reduce((sum, source) => sum + source.fetches.length, 0);
      assert.ok(fetches < 8 * pages, `${fetches} fetches for ${pages} pages`);
    });
  }

  it('returns each item once when a deployment repeats a row across its pages', async () => {
    const sources = threeSources(5);
    const shifting = new MemoryFeedSource('alpha', [], { repeatsRowAcrossPages: true });
    shifting.insert(...sources[0]!.all);

    const { items } = await walk([shifting, sources[1]!, sources[2]!], 'desc', 'forward', 37);

    assert.ok(shifting.fetches.some((window) => window.page > 0), 'the walk never needed a second upstream page');
    assert.deepEqual(items, everything(sources).sort(inFeedOrder('desc')));
  });

  it('returns each item once when two sources overlap', async () => {
    const sources = threeSources(1000);
    const copy = new MemoryFeedSource('bravo');
    copy.insert(...sources[1]!.all);

    const { items } = await walk([...sources, copy], 'asc', 'backward', 37);

    assert.deepEqual(items, everything(sources).sort(inFeedOrder('asc')));
  });

  it('still walks correctly when a deployment ignores the bound', async () => {
    const sources = threeSources(1000);
    const lax = new MemoryFeedSource('bravo', [], { ignoresBound: true });
    lax.insert(...sources[1]!.all);
    const feed = [sources[0]!, lax, sources[2]!];

    const { items } = await walk(feed, 'desc', 'forward', 37);

    assert.deepEqual(items, everything(sources).sort(inFeedOrder('desc')));
  });

  it('walks a source that keeps only some of each page’s rows (a Central feed narrowed to one deployment), with no gap and no empty last page', async () => {
    // 1,000 rows upstream; one in 60 is in scope, so most upstream pages hold none of it.
    const upstream = new MemoryFeedSource('central', Array.from({ length: 1000 }, (_, i) => T0 + i * 1000));
    const inScope = (item: FeedItem) => Number(item.id.slice(-4)) % 60 === 7;
    const narrowed: FeedSource<FeedItem> = {
      deployment: 'central',
      async fetch(window) {
        const fetched = await upstream.fetch(window);
        return { ...fetched, items: fetched.items.filter(inScope), rows: fetched.items.length };
      },
    };
    const expected = upstream.all.filter(inScope).map((item) => ({ ...item }));
    // The first page needs 6 kept rows (5 and one past them): about 360 upstream rows,
    // read in pages that double, each the next whole page of its size.
    await page([narrowed], 'asc', { first: 5 });
    assert.deepEqual(
      upstream.fetches.map((w) => [w.page, w.size]),
      [[0, 6], [1, 6], [1, 12], [1, 24], [1, 48], [1, 96], [1, 192]],
    );
    upstream.fetches.length = 0;
    for (const order of ['desc', 'asc'] as const) {
      for (const direction of ['forward', 'backward'] as const) {
        const { items, pages } = await walk([narrowed], order, direction, 5);
        assert.deepEqual(items, [...expected].sort(inFeedOrder(order)), `${order} ${direction}`);
        assert.equal(pages, Math.ceil(expected.length / 5), `${order} ${direction}: no page after the last item`);
      }
    }
  });

  it('still walks correctly when a deployment returns each page out of order', async () => {
    const sources = threeSources(50);
    const scrambled = new MemoryFeedSource('charlie', [], { scramblesPage: true });
    scrambled.insert(...sources[2]!.all);
    const feed = [sources[0]!, sources[1]!, scrambled];

    for (const direction of ['forward', 'backward'] as const) {
      const { items } = await walk(feed, 'asc', direction, 37);
      assert.deepEqual(items, everything(sources).sort(inFeedOrder('asc')));
    }
  });
});

describe('paginateFeed refusing input', () => {
  it('refuses a cursor of the other order before asking any deployment', async () => {
    const sources = threeSources(1000);
    const { pageInfo } = await page(sources, 'asc', { first: 5 });
    await assert.rejects(
      page(sources, 'desc', { first: 5, after: pageInfo.endCursor }),
      (error: unknown) =>
        error instanceof FacadeError &&
        error.code === 'BAD_USER_INPUT' &&
        /^`after`: this cursor belongs to a different query or order/.test(error.message),
    );
    await assert.rejects(
      page(sources, 'asc', { last: 5, before: 'garbage' }),
      (error: unknown) =>
        error instanceof FacadeError &&
        error.code === 'BAD_USER_INPUT' &&
        /^`before` "garbage" is not a cursor of this API/.test(error.message),
    );
    assert.deepEqual(
      sources.map((source) => source.fetches.length),
      [1, 1, 1],
    );
  });

  it('reports an upstream item without a usable sort time instead of skipping it', async () => {
    const broken: FeedSource<FeedItem> = {
      deployment: 'alpha',
      fetch: async () => ({ items: [{ key: Number.NaN, deployment: 'alpha', id: 'x' }], hasMore: false, totalElements: 1 }),
    };
    await assert.rejects(
      page([broken], 'desc', {}),
      (error: unknown) =>
        error instanceof FacadeError && error.code === 'UPSTREAM_INVALID_RESPONSE' && error.deployment === 'alpha',
    );
  });
});

describe('sliceItems (items already in memory)', () => {
  // Keys with runs of ties, in no particular order, as an alarm's events may come.
  const keys = [5, 3, 3, 9, 1, 3, 7, 7, 2, 9, 4, 3, 8, 6, 6, 1];
  const items: FeedItem[] = keys.map((key, i) => ({ key, deployment: 'alpha', id: `e${String(i).padStart(2, '0')}` }));
  const queryKey = queryKeyOf({ feed: 'alarm-events' });

  it('answers every page exactly as sliceFeed over a source holding the same items', async () => {
    const source = new MemoryFeedSource('alpha');
    for (const item of items) source.insert({ key: item.key, id: item.id });
    for (const order of ['asc', 'desc'] as const) {
      for (const direction of ['forward', 'backward'] as const) {
        for (const count of [0, 1, 3, 16, 20]) {
          // No cursor, then a cursor on every item in turn.
          const cursors = [undefined, ...items.map((item) => ({ key: item.key, deployment: item.deployment, id: item.id }))];
          for (const cursor of cursors) {
            const args = { direction, count };
            const expected = await sliceFeed({ sources: [source], order, args, cursor });
            const actual = sliceItems(items, { deployment: 'alpha', order, args, cursor });
            assert.deepEqual(actual, expected, `${order} ${direction} ${count} after ${JSON.stringify(cursor)}`);
          }
        }
      }
    }
  });

  it('walks forward and backward through cursors it made, each item once and in order', () => {
    const args = normaliseConnectionArgs({ first: 4 });
    const seen: string[] = [];
    let cursor: ReturnType<typeof decodeCursor> | undefined;
    for (;;) {
      const slice = sliceItems(items, { deployment: 'alpha', order: 'asc', args, cursor });
      seen.push(...slice.items.map((item) => item.id));
      if (!slice.hasNextPage) break;
      const last = slice.items[slice.items.length - 1]!;
      cursor = decodeCursor(cursorOf(last, queryKey), queryKey, 'after');
    }
    const ordered = [...items].sort((a, b) => a.key - b.key || (a.id < b.id ? -1 : 1)).map((item) => item.id);
    assert.deepEqual(seen, ordered);
  });

  it('keeps one copy of an item listed twice, in short and long lists alike', async () => {
    const many = Array.from({ length: 40 }, (_, i) => ({ key: keys[i % keys.length]!, deployment: 'alpha', id: `m${String(i).padStart(2, '0')}` }));
    for (const length of [4, 16, 17, 40]) {
      const listed = many.slice(0, length);
      const source = new MemoryFeedSource('alpha');
      for (const item of listed) source.insert({ key: item.key, id: item.id });
      const twice = [...listed, listed[0]!, listed[length - 1]!].reverse();
      const args = { direction: 'forward' as const, count: 100 };
      const expected = await sliceFeed({ sources: [source], order: 'desc', args, cursor: undefined });
      const actual = sliceItems(twice, { deployment: 'alpha', order: 'desc', args, cursor: undefined });
      assert.equal(actual.items.length, length, `${length} items, each once`);
      assert.deepEqual(actual.items, expected.items, `${length} items`);
    }
  });

  it('reports an item without a usable sort time', () => {
    assert.throws(
      () => sliceItems([{ key: 1.5, deployment: 'alpha', id: 'x' }], { deployment: 'alpha', order: 'asc', args: { direction: 'forward', count: 5 }, cursor: undefined }),
      (error: unknown) => error instanceof FacadeError && error.code === 'UPSTREAM_INVALID_RESPONSE',
    );
  });
});

