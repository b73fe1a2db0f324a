/**
 * Relay over HAL, end to end: walking `alarms` through the facade returns exactly the
 * alarms the simulator's own REST API lists for the same filter, each once and in the
 * facade's documented order, forward and backward, for both sort fields and both
 * directions, for one deployment and for the merged feed, also while alarms arrive.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { startTestFacade, type TestFacade } from '../support/facade.fixture.js';
import {
  alarmId,
  directReader,
  feedOrder,
  injectAlarms,
  repeated,
  walkAlarms,
  type DirectReader,
  type RestAlarm,
  type SortKey,
  type WalkedPage,
} from './graph.fixture.js';

const DAY_MS = 86_400_000;
const FIELDS = [
  { field: 'OCCURRED_AT', key: 'timestamp_occured' },
  { field: 'RECEIVED_AT', key: 'timestamp_received' },
] as const;
const DIRECTIONS = ['DESC', 'ASC'] as const;

/** Every page but the last is full; the cursors are the edges' own; the flags say where the page lies. */
function assertPageShapes(pages: WalkedPage[], direction: 'forward' | 'backward', total: number): void {
  pages.forEach((page, index) => {
    const last = index === pages.length - 1;
    if (!last) assert.equal(page.ids.length, 100, `page ${index} is full`);
    assert.deepEqual(page.pageInfo, {
      hasNextPage: direction === 'forward' ? !last : index > 0,
      hasPreviousPage: direction === 'forward' ? index > 0 : !last,
      startCursor: page.cursors[0] ?? null,
      endCursor: page.cursors.at(-1) ?? null,
    });
    assert.equal(page.totalCount, total, `totalCount on page ${index}`);
  });
}

describe('walking the alarms of one deployment', () => {
  let facade: TestFacade;
  let east: DirectReader;
  let occurredFrom: number;
  let occurredTo: number;

  before(async () => {
    facade = await startTestFacade();
    east = await directReader(facade, 'acme-east');
    // Ties on the sort key where pages meet: four alarms share one occurred time, and the
    // page boundaries of a 100-item walk fall between them (see the REST comparison).
    const all = await east.alarms({ sort: 'timestamp_occured,desc' });
    const shared = all[98]!.timestamp_occured;
    await injectAlarms(
      facade,
      'acme-east',
      Array.from({ length: 4 }, () => ({ timestamp_occured: shared })),
    );
    const newest = all[0]!.timestamp_occured;
    occurredFrom = newest - 9 * DAY_MS;
    occurredTo = newest - 2 * DAY_MS;
  });
  after(async () => {
    await facade.stop();
  });

  for (const { field, key } of FIELDS) {
    for (const direction of DIRECTIONS) {
      const orderBy = { field, direction };
      const sort = `${key},${direction.toLowerCase()}`;
      const inOrder = (alarms: RestAlarm[]) => alarms.sort(feedOrder(key as SortKey, direction === 'ASC' ? 'asc' : 'desc'));

      it(`returns every alarm once, ${field} ${direction}, forward by 100 and backward by 100`, async () => {
        const expected = inOrder(await east.alarms({ sort })).map(alarmId);
        assert.ok(expected.length > 2000);

        const forward = await walkAlarms(facade, { deployment: 'acme-east', orderBy, direction: 'forward' });
        assert.deepEqual(repeated(forward.ids), []);
        assert.deepEqual(forward.ids, expected);
        assertPageShapes(forward.pages, 'forward', expected.length);

        const backward = await walkAlarms(facade, { deployment: 'acme-east', orderBy, direction: 'backward' });
        assert.deepEqual(repeated(backward.ids), []);
        assert.deepEqual(backward.ids, expected);
        assertPageShapes(backward.pages, 'backward', expected.length);
      });

      it(`returns every matching alarm once, ${field} ${direction}, filtered by status, priority and an occurred range`, async () => {
        const filter = {
          status: ['IN_REVIEW', 'OPEN'],
          priority: ['HIGH', 'MEDIUM'],
          occurredAfter: new Date(occurredFrom).toISOString(),
          occurredBefore: new Date(occurredTo).toISOString(),
        };
        const rest = await east.alarms({
          sort,
          status: ['open', 'in_review'],
          priority_label: ['medium', 'high'],
          timestamp_occured_gte: String(occurredFrom),
          timestamp_occured_lte: String(occurredTo),
        });
        const expected = inOrder(rest).map(alarmId);
        assert.ok(expected.length > 200 && expected.length < 1500, `a filter that keeps several pages (${expected.length})`);

        const forward = await walkAlarms(facade, { deployment: 'acme-east', orderBy, filter, direction: 'forward' });
        assert.deepEqual(forward.ids, expected);
        assertPageShapes(forward.pages, 'forward', expected.length);

        const backward = await walkAlarms(facade, { deployment: 'acme-east', orderBy, filter, direction: 'backward' });
        assert.deepEqual(backward.ids, expected);
        assertPageShapes(backward.pages, 'backward', expected.length);
      });
    }
  }

  it('returns every unsuppressed alarm received in a range once, newest received first', async () => {
    const filter = {
      suppressed: false,
      receivedAfter: new Date(occurredFrom).toISOString(),
      receivedBefore: new Date(occurredTo).toISOString(),
    };
    const rest = await east.alarms({
      sort: 'timestamp_received,desc',
      suppressed: 'false',
      timestamp_received_gte: String(occurredFrom),
      timestamp_received_lte: String(occurredTo),
    });
    const expected = rest.sort(feedOrder('timestamp_received', 'desc')).map(alarmId);
    const walked = await walkAlarms(facade, {
      deployment: 'acme-east',
      orderBy: { field: 'RECEIVED_AT', direction: 'DESC' },
      filter,
      direction: 'forward',
    });
    assert.deepEqual(walked.ids, expected);
  });

  it('breaks ties on the sort key by id where pages meet, with no gap and no repeat', async () => {
    const rest = await east.alarms({ sort: 'timestamp_occured,desc' });
    const byKey = new Map<number, number>();
    for (const alarm of rest) byKey.set(alarm.timestamp_occured, (byKey.get(alarm.timestamp_occured) ?? 0) + 1);
    const tied = rest.findIndex((alarm) => byKey.get(alarm.timestamp_occured)! >= 5);
    // Five alarms share a key across the boundary between the first and second page.
    assert.ok(tied >= 95 && tied < 100, `the tie straddles the first page boundary (starts at ${tied})`);
    const walked = await walkAlarms(facade, { deployment: 'acme-east', direction: 'forward', count: 50 });
    assert.deepEqual(walked.ids, rest.sort(feedOrder('timestamp_occured', 'desc')).map(alarmId));
  });
});

describe('walking the merged feed of every deployment', () => {
  let facade: TestFacade;
  let readers: DirectReader[];

  before(async () => {
    // Four walks of every deployment in a few seconds, one key: more than one key's budget is for.
    facade = await startTestFacade({ KEY_BUDGET_MAXIMUM: '0' });
    readers = await Promise.all(['acme-east', 'acme-lab', 'acme-west'].map((name) => directReader(facade, name)));
  });
  after(async () => {
    await facade.stop();
  });

  it('returns every alarm of the three deployments once, newest occurred first, forward and backward', async () => {
    const rest = (await Promise.all(readers.map((r) => r.alarms()))).flat();
    const expected = rest.sort(feedOrder('timestamp_occured', 'desc')).map(alarmId);
    assert.equal(expected.length, 6000);

    const forward = await walkAlarms(facade, { direction: 'forward' });
    assert.deepEqual(repeated(forward.ids), []);
    assert.deepEqual(forward.ids, expected);
    assertPageShapes(forward.pages, 'forward', 6000);

    const backward = await walkAlarms(facade, { direction: 'backward' });
    assert.deepEqual(backward.ids, expected);
    assertPageShapes(backward.pages, 'backward', 6000);
  });

  it('returns every closed alarm of the three deployments once, oldest received first', async () => {
    const rest = (await Promise.all(readers.map((r) => r.alarms({ status: 'closed' })))).flat();
    const expected = rest.sort(feedOrder('timestamp_received', 'asc')).map(alarmId);
    const walked = await walkAlarms(facade, {
      filter: { status: ['CLOSED'] },
      orderBy: { field: 'RECEIVED_AT', direction: 'ASC' },
      direction: 'forward',
    });
    assert.deepEqual(walked.ids, expected);
    assertPageShapes(walked.pages, 'forward', expected.length);
  });
});

describe('walking while alarms arrive', () => {
  let facade: TestFacade;
  let east: DirectReader;

  before(async () => {
    facade = await startTestFacade();
    east = await directReader(facade, 'acme-east');
  });
  after(async () => {
    await facade.stop();
  });

  it('returns every alarm that existed at the start exactly once, newest occurred first, while new and late alarms arrive', async () => {
    const atStart = (await east.alarms()).sort(feedOrder('timestamp_occured', 'desc'));
    const known = new Map(atStart.map((alarm) => [alarmId(alarm), alarm]));
    const keyOf = (id: string) => known.get(id)!.timestamp_occured;
    const unwalkedLate: string[] = [];
    const walked = await walkAlarms(facade, {
      deployment: 'acme-east',
      direction: 'forward',
      async between(page) {
        // New alarms (occurred now: above the walked part), and late arrivals: one on the
        // cursor's own key, one just below it (not walked yet), one on the key of the
        // page's first alarm (walked already).
        const created = await injectAlarms(facade, 'acme-east', [
          {},
          {},
          { timestamp_occured: keyOf(page.ids.at(-1)!) },
          { timestamp_occured: keyOf(page.ids.at(-1)!) - 1 },
          { timestamp_occured: keyOf(page.ids[0]!) },
        ]);
        for (const alarm of created) known.set(alarmId(alarm), alarm);
        unwalkedLate.push(alarmId(created[3]!));
        assert.equal(page.ids.length, 100);
      },
    });

    assert.deepEqual(repeated(walked.ids), []);
    const seen = new Set(walked.ids);
    assert.deepEqual(
      atStart.map(alarmId).filter((id) => !seen.has(id)),
      [],
      'no alarm that existed at the start is missing',
    );
    // Late arrivals in the part still ahead of the cursor show up, once.
    assert.deepEqual(unwalkedLate.filter((id) => !seen.has(id)), []);
    // And the walk is in feed order: it equals the REST list now, restricted to what it returned.
    const now = (await east.alarms()).sort(feedOrder('timestamp_occured', 'desc')).map(alarmId);
    assert.deepEqual(walked.ids, now.filter((id) => seen.has(id)));
  });

  it('returns every alarm exactly once, oldest received first, including every alarm that arrives during the walk', async () => {
    const atStart = await east.alarms();
    const arrived: string[] = [];
    const walked = await walkAlarms(facade, {
      deployment: 'acme-east',
      orderBy: { field: 'RECEIVED_AT', direction: 'ASC' },
      direction: 'forward',
      async between(_page, index) {
        if (index % 3 !== 0) return;
        // Received now, whenever they occurred: the end of this feed, which the walk has yet to reach.
        const created = await injectAlarms(facade, 'acme-east', [{}, { timestamp_occured: atStart[0]!.timestamp_occured - DAY_MS }]);
        arrived.push(...created.map(alarmId));
      },
    });
    assert.deepEqual(repeated(walked.ids), []);
    const expected = (await east.alarms()).sort(feedOrder('timestamp_received', 'asc')).map(alarmId);
    assert.equal(expected.length, atStart.length + arrived.length);
    assert.deepEqual(walked.ids, expected);
  });
});
