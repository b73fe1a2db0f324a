/**
 * The wire format of connections, pinned by literal strings: cursors and IDs are
 * opaque to clients, so changing their form must be a conscious act that fails here.
 *
 * Five alarms with fixed UUIDs and fixed occurred times in 2020 (long before any
 * generated alarm) make a fully deterministic feed under a date filter:
 *   …05 00:00:03, …04 00:00:02, …02 00:00:01, …03 00:00:01 (a tie, broken by id), …01 00:00:00
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { startTestFacade, type TestFacade } from '../support/facade.fixture.js';
import { injectAlarms, type PageInfo } from './graph.fixture.js';

const T0 = Date.UTC(2020, 0, 1);
const uuid = (n: number) => `00000000-0000-4000-8000-00000000000${n}`;
const FILTER = { occurredBefore: '2020-12-31T23:59:59.999Z' };

/** The cursors the facade gives these five alarms in this feed (newest occurred first, FILTER). */
const CURSOR = {
  5: 'WzEsIm91aXJvZWlDdTdJIiwxNTc3ODM2ODAzMDAwLCJhY21lLWVhc3QiLCIwMDAwMDAwMC0wMDAwLTQwMDAtODAwMC0wMDAwMDAwMDAwMDUiXQ',
  4: 'WzEsIm91aXJvZWlDdTdJIiwxNTc3ODM2ODAyMDAwLCJhY21lLWVhc3QiLCIwMDAwMDAwMC0wMDAwLTQwMDAtODAwMC0wMDAwMDAwMDAwMDQiXQ',
  2: 'WzEsIm91aXJvZWlDdTdJIiwxNTc3ODM2ODAxMDAwLCJhY21lLWVhc3QiLCIwMDAwMDAwMC0wMDAwLTQwMDAtODAwMC0wMDAwMDAwMDAwMDIiXQ',
  3: 'WzEsIm91aXJvZWlDdTdJIiwxNTc3ODM2ODAxMDAwLCJhY21lLWVhc3QiLCIwMDAwMDAwMC0wMDAwLTQwMDAtODAwMC0wMDAwMDAwMDAwMDMiXQ',
  1: 'WzEsIm91aXJvZWlDdTdJIiwxNTc3ODM2ODAwMDAwLCJhY21lLWVhc3QiLCIwMDAwMDAwMC0wMDAwLTQwMDAtODAwMC0wMDAwMDAwMDAwMDEiXQ',
} as const;

interface Page {
  alarms: {
    totalCount: number;
    pageInfo: PageInfo;
    edges: Array<{ cursor: string; node: { id: string; uuid: string } }>;
  };
}

const PAGE_QUERY = `
  query Page($first: Int, $after: String, $last: Int, $before: String, $filter: AlarmFilter, $orderBy: AlarmOrder) {
    alarms(deployment: "acme-east", first: $first, after: $after, last: $last, before: $before,
           filter: $filter, orderBy: $orderBy) {
      totalCount
      pageInfo { hasNextPage hasPreviousPage startCursor endCursor }
      edges { cursor node { id uuid } }
    }
  }`;

describe('cursors and page info of alarms, on a deterministic feed', () => {
  let facade: TestFacade;
  const page = async (args: Record<string, unknown>) => {
    const { body } = await facade.gql<Page>(PAGE_QUERY, { filter: FILTER, ...args });
    assert.equal(body.errors, undefined, JSON.stringify(body.errors));
    return body.data!.alarms;
  };
  const uuids = (p: Page['alarms']) => p.edges.map((e) => e.node.uuid.slice(-1));

  before(async () => {
    facade = await startTestFacade();
    await injectAlarms(facade, 'acme-east', [
      { uuid: uuid(1), timestamp_occured: T0 },
      { uuid: uuid(2), timestamp_occured: T0 + 1000 },
      { uuid: uuid(3), timestamp_occured: T0 + 1000 },
      { uuid: uuid(4), timestamp_occured: T0 + 2000 },
      { uuid: uuid(5), timestamp_occured: T0 + 3000 },
    ]);
  });
  after(async () => {
    await facade.stop();
  });

  it('gives the first page literal cursors and says only that more follow', async () => {
    const first = await page({ first: 2 });
    assert.deepEqual(uuids(first), ['5', '4']);
    assert.deepEqual(
      first.edges.map((e) => e.cursor),
      [CURSOR[5], CURSOR[4]],
    );
    assert.deepEqual(first.pageInfo, {
      hasNextPage: true,
      hasPreviousPage: false,
      startCursor: CURSOR[5],
      endCursor: CURSOR[4],
    });
    assert.equal(first.totalCount, 5);
  });

  it('gives the middle page after the end cursor, breaking the tie by id', async () => {
    const middle = await page({ first: 2, after: CURSOR[4] });
    assert.deepEqual(uuids(middle), ['2', '3']);
    assert.deepEqual(middle.pageInfo, {
      hasNextPage: true,
      hasPreviousPage: true,
      startCursor: CURSOR[2],
      endCursor: CURSOR[3],
    });
    assert.equal(middle.totalCount, 5);
  });

  it('gives the last page with hasNextPage false', async () => {
    const last = await page({ first: 2, after: CURSOR[3] });
    assert.deepEqual(uuids(last), ['1']);
    assert.deepEqual(last.pageInfo, {
      hasNextPage: false,
      hasPreviousPage: true,
      startCursor: CURSOR[1],
      endCursor: CURSOR[1],
    });
  });

  it('pages the same feed backward with the same cursors: the last two, then the two before', async () => {
    const end = await page({ last: 2 });
    assert.deepEqual(uuids(end), ['3', '1']);
    assert.deepEqual(end.pageInfo, {
      hasNextPage: false,
      hasPreviousPage: true,
      startCursor: CURSOR[3],
      endCursor: CURSOR[1],
    });
    const before = await page({ last: 2, before: CURSOR[3] });
    assert.deepEqual(uuids(before), ['4', '2']);
    assert.deepEqual(before.pageInfo, {
      hasNextPage: true,
      hasPreviousPage: true,
      startCursor: CURSOR[4],
      endCursor: CURSOR[2],
    });
    const start = await page({ last: 2, before: CURSOR[4] });
    assert.deepEqual(uuids(start), ['5']);
    assert.deepEqual(start.pageInfo, {
      hasNextPage: true,
      hasPreviousPage: false,
      startCursor: CURSOR[5],
      endCursor: CURSOR[5],
    });
  });

  it('serves the same items oldest first, with cursors of that order', async () => {
    const ascending = await page({ first: 5, orderBy: { field: 'OCCURRED_AT', direction: 'ASC' } });
    assert.deepEqual(uuids(ascending), ['1', '2', '3', '4', '5']);
    assert.deepEqual(ascending.pageInfo, {
      hasNextPage: false,
      hasPreviousPage: false,
      startCursor:
        'WzEsImNlTUd6d0Q2RkpvIiwxNTc3ODM2ODAwMDAwLCJhY21lLWVhc3QiLCIwMDAwMDAwMC0wMDAwLTQwMDAtODAwMC0wMDAwMDAwMDAwMDEiXQ',
      endCursor:
        'WzEsImNlTUd6d0Q2RkpvIiwxNTc3ODM2ODAzMDAwLCJhY21lLWVhc3QiLCIwMDAwMDAwMC0wMDAwLTQwMDAtODAwMC0wMDAwMDAwMDAwMDUiXQ',
    });
  });

  it('tells with first: 0 that items exist, without giving a cursor', async () => {
    const none = await page({ first: 0 });
    assert.deepEqual(none.edges, []);
    assert.deepEqual(none.pageInfo, { hasNextPage: true, hasPreviousPage: false, startCursor: null, endCursor: null });
  });

  it('answers a filter that matches nothing with no edges, null cursors and a total of 0', async () => {
    const empty = await page({ first: 10, filter: { occurredBefore: '2019-12-31T23:59:59.999Z' } });
    assert.deepEqual(empty, {
      totalCount: 0,
      pageInfo: { hasNextPage: false, hasPreviousPage: false, startCursor: null, endCursor: null },
      edges: [],
    });
  });

  it('writes a cursor as base64url of [version 1, query key, sort key in epoch ms, deployment, uuid]', () => {
    assert.deepEqual(JSON.parse(Buffer.from(CURSOR[2], 'base64url').toString('utf8')), [
      1,
      'ouiroeiCu7I',
      T0 + 1000,
      'acme-east',
      uuid(2),
    ]);
  });

  it('gives an alarm the literal global ID of its type, deployment and uuid', async () => {
    const first = await page({ first: 1 });
    assert.equal(first.edges[0]!.node.id, 'QWxhcm0KYWNtZS1lYXN0CjAwMDAwMDAwLTAwMDAtNDAwMC04MDAwLTAwMDAwMDAwMDAwNQ');
  });

  it('pages an alarm’s own events oldest first with the whole pageInfo on each page', async () => {
    const query = `query($id: ID!, $after: String) {
      alarm(id: $id) { eventsCount events(first: 2, after: $after) {
        totalCount pageInfo { hasNextPage hasPreviousPage startCursor endCursor }
        edges { cursor node { id occurredAt } } } } }`;
    const id = 'QWxhcm0KYWNtZS1lYXN0CjAwMDAwMDAwLTAwMDAtNDAwMC04MDAwLTAwMDAwMDAwMDAwNQ';
    type Events = {
      alarm: {
        eventsCount: number;
        events: { totalCount: number; pageInfo: PageInfo; edges: Array<{ cursor: string; node: { id: string; occurredAt: string } }> };
      };
    };
    const seen: string[] = [];
    let cursor: string | null = null;
    let total = 0;
    for (let index = 0; ; index += 1) {
      const { body }: { body: { data?: Events | null } } = await facade.gql<Events>(query, { id, after: cursor });
      const { events, eventsCount }: Events['alarm'] = body.data!.alarm;
      total = eventsCount;
      assert.equal(events.totalCount, eventsCount);
      const more = seen.length + events.edges.length < eventsCount;
      assert.deepEqual(events.pageInfo, {
        hasNextPage: more,
        hasPreviousPage: index > 0,
        startCursor: events.edges[0]?.cursor ?? null,
        endCursor: events.edges.at(-1)?.cursor ?? null,
      });
      seen.push(...events.edges.map((e) => e.node.occurredAt));
      if (!more) break;
      cursor = events.pageInfo.endCursor;
    }
    assert.equal(seen.length, total);
    assert.deepEqual(seen, [...seen].sort());
  });
});
