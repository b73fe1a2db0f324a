/**
 * examples/alarms.client.ts against the simulator: the typed client pages forward with
 * Relay cursors and back again, and follows a live alarm page over graphql-ws.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { facadeClient, type AlarmPage, type FacadeClient } from '../../examples/alarms.client.js';
import { startTestFacade, type TestFacade } from '../support/facade.fixture.js';

describe('the example typed client', () => {
  let facade: TestFacade;
  let client: FacadeClient;
  before(async () => {
    facade = await startTestFacade();
    client = facadeClient({ url: facade.url, apiKey: facade.adminKey });
  });
  after(async () => {
    await client.close();
    await facade.stop();
  });

  it('says who it is', async () => {
    const viewer = await client.viewer();
    assert.ok(viewer.permissions.includes('ALARMS_READ'));
  });

  it('pages forward through alarms with cursors, newest first, none twice, and back again', async () => {
    const pages: AlarmPage[] = [];
    for await (const page of client.pages(10)) {
      pages.push(page);
      if (pages.length === 3) break;
    }
    const ids = pages.flatMap((page) => page.edges.map((edge) => edge.node.id));
    assert.equal(ids.length, 30);
    assert.equal(new Set(ids).size, 30);
    const times = pages.flatMap((page) => page.edges.map((edge) => Date.parse(edge.node.occurredAt!)));
    assert.deepEqual(times, [...times].sort((a, b) => b - a));
    assert.ok(pages.every((page) => page.pageInfo.hasNextPage));
    // Back from the third page's start: the second page again, exactly.
    const back = await client.previousPage(10, pages[2]!.pageInfo.startCursor!);
    assert.deepEqual(back.edges.map((edge) => edge.node.id), pages[1]!.edges.map((edge) => edge.node.id));
    assert.equal(back.pageInfo.hasNextPage, true);
    assert.equal(back.pageInfo.hasPreviousPage, true);
  });

  it('receives a live alarm page over graphql-ws', async () => {
    const page = await new Promise<{ totalCount: number; edges: unknown[] }>((resolve, reject) => {
      const stop = client.liveAlarmPage({ deployment: 'acme-east', first: 5 }, (received) => {
        stop();
        resolve(received);
      }, reject);
    });
    assert.equal(page.edges.length, 5);
    assert.ok(page.totalCount > 0);
  });
});
