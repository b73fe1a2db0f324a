/**
 * The `events` connection walks the simulator's `/events` the same way `alarms` walks
 * `/alarms`: every matching event once, newest occurred first, forward and backward,
 * for one deployment and merged over every deployment.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { encodeGlobalId } from '../../src/graph/node/global.id.js';
import { startTestFacade, type TestFacade } from '../support/facade.fixture.js';
import { directReader, repeated, type DirectReader, type RestEvent } from './graph.fixture.js';

const WALK = `
  query Events($deployment: String, $first: Int, $after: String, $last: Int, $before: String, $filter: EventFilter) {
    events(deployment: $deployment, first: $first, after: $after, last: $last, before: $before, filter: $filter) {
      totalCount
      pageInfo { hasNextPage hasPreviousPage startCursor endCursor }
      edges { node { id } }
    }
  }`;

type Page = {
  events: {
    totalCount: number;
    pageInfo: { hasNextPage: boolean; hasPreviousPage: boolean; startCursor: string | null; endCursor: string | null };
    edges: Array<{ node: { id: string } }>;
  };
};

async function walkEvents(
  facade: TestFacade,
  variables: { deployment?: string; filter: Record<string, unknown> },
  direction: 'forward' | 'backward',
): Promise<{ ids: string[]; totals: number[] }> {
  const pages: string[][] = [];
  const totals: number[] = [];
  let cursor: string | null = null;
  for (;;) {
    const { body }: { body: { data?: Page | null; errors?: unknown[] } } = await facade.gql<Page>(WALK, {
      deployment: variables.deployment ?? null,
      filter: variables.filter,
      ...(direction === 'forward' ? { first: 100, after: cursor } : { last: 100, before: cursor }),
    });
    assert.equal(body.errors, undefined, JSON.stringify(body.errors));
    const { edges, pageInfo, totalCount }: Page['events'] = body.data!.events;
    pages.push(edges.map((e) => e.node.id));
    totals.push(totalCount);
    if (!(direction === 'forward' ? pageInfo.hasNextPage : pageInfo.hasPreviousPage)) break;
    cursor = direction === 'forward' ? pageInfo.endCursor : pageInfo.startCursor;
  }
  return { ids: (direction === 'forward' ? pages : pages.reverse()).flat(), totals };
}

/** Newest occurred first, then deployment, then uuid: the facade's documented order. */
const newestFirst = (a: RestEvent, b: RestEvent) =>
  b.timestamp_occured - a.timestamp_occured ||
  (a.deployment < b.deployment ? -1 : a.deployment > b.deployment ? 1 : 0) ||
  (a.uuid < b.uuid ? -1 : a.uuid > b.uuid ? 1 : 0);

const eventId = (event: RestEvent) => encodeGlobalId('Event', event.deployment, event.uuid);

describe('walking events', () => {
  let facade: TestFacade;
  let readers: DirectReader[];
  let plugin: string;

  before(async () => {
    facade = await startTestFacade();
    readers = await Promise.all(['acme-east', 'acme-lab', 'acme-west'].map((name) => directReader(facade, name)));
    const sample = (await readers[0]!.events()).slice(0, 50);
    plugin = sample[0]!.raw.plugin as string;
  });
  after(async () => {
    await facade.stop();
  });

  it('returns every event of one plugin in one deployment once, newest first, forward and backward', async () => {
    const expected = (await readers[0]!.events({ plugin })).sort(newestFirst).map(eventId);
    assert.ok(expected.length > 300, `several pages (${expected.length})`);
    const forward = await walkEvents(facade, { deployment: 'acme-east', filter: { plugin } }, 'forward');
    assert.deepEqual(repeated(forward.ids), []);
    assert.deepEqual(forward.ids, expected);
    assert.ok(forward.totals.every((t) => t === expected.length));
    const backward = await walkEvents(facade, { deployment: 'acme-east', filter: { plugin } }, 'backward');
    assert.deepEqual(backward.ids, expected);
  });

  it('returns every event of one plugin and user across every deployment once, newest first', async () => {
    const sample = await readers[1]!.events({ plugin });
    const sourceUsername = sample.find((e) => typeof e.raw.source_username === 'string')!.raw.source_username as string;
    const rest = (await Promise.all(readers.map((r) => r.events({ plugin, source_username: sourceUsername })))).flat();
    const expected = rest.sort(newestFirst).map(eventId);
    const walked = await walkEvents(facade, { filter: { plugin, sourceUsername } }, 'forward');
    assert.deepEqual(walked.ids, expected);
  });
});
