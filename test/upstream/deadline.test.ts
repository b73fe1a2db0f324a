/**
 * An upstream that accepts connections and never answers: every GraphQL request still
 * gets its answer at its deadline, on fake timers.
 */
import { after, before, describe, it, mock } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import type { AddressInfo } from 'node:net';
import { encodeGlobalId } from '../../src/graph/node/global.id.js';
import { startTestFacade, type TestFacade } from '../support/facade.fixture.js';

/** Lets sockets, promises and immediates run; timers stay frozen. */
async function settle(): Promise<void> {
  for (let i = 0; i < 20; i += 1) await new Promise((resolve) => setImmediate(resolve));
}

describe('a request deadline over an upstream that never answers', () => {
  const sockets = new Set<net.Socket>();
  let hole: net.Server;
  let facade: TestFacade;
  let connections = 0;

  before(async () => {
    hole = net.createServer((socket) => {
      connections += 1;
      sockets.add(socket);
      socket.on('close', () => sockets.delete(socket));
      socket.on('error', () => undefined);
    });
    await new Promise<void>((resolve) => hole.listen(0, '127.0.0.1', resolve));
    const { port } = hole.address() as AddressInfo;
    facade = await startTestFacade({
      USM_ANYWHERE_URL: `http://127.0.0.1:${port}/api/2.0`,
      USM_ANYWHERE_NAME: 'silent',
      USM_ANYWHERE_CLIENT_ID: 'silent-client',
      USM_ANYWHERE_CLIENT_SECRET: 'silent-secret',
      REQUEST_DEADLINE_MS: '20000',
    });
  });

  after(async () => {
    mock.timers.reset();
    for (const socket of sockets) socket.destroy();
    await facade.stop();
    await new Promise((resolve) => hole.close(resolve));
  });

  it('answers UPSTREAM_TIMEOUT naming the deployment at the deadline, with the rest of the answer, and stays healthy', async () => {
    mock.timers.enable({ apis: ['setTimeout'] });
    const id = encodeGlobalId('Alarm', 'silent', '5f0c1d2e-0000-4000-8000-000000000001');
    const answer = facade.gql<{ viewer: { name: string } | null; alarm: unknown }>(`{ viewer { name } alarm(id: "${id}") { uuid } }`);
    let answered = false;
    void answer.then(() => (answered = true));
    // The request is waiting for its token: the upstream took the connection and says nothing.
    while (connections === 0) await settle();
    let elapsed = 0;
    for (; elapsed < 19_900 && !answered; elapsed += 100) {
      mock.timers.tick(100);
      await settle();
    }
    assert.equal(answered, false, `answered after ${elapsed} ms of a 20 s deadline, before the deadline`);
    for (; elapsed < 20_000 + 100 && !answered; elapsed += 100) {
      mock.timers.tick(100);
      await settle();
    }
    assert.equal(answered, true, 'the answer came at the deadline, not after the 15 s attempt timeout, its retries and backoffs (76 s)');
    const { body } = await answer;
    assert.deepEqual(body.data?.viewer, { name: body.data?.viewer?.name }, 'the rest of the answer is sent');
    assert.equal(body.errors?.length, 1);
    const [error] = body.errors!;
    assert.equal(error!.extensions?.['code'], 'UPSTREAM_TIMEOUT');
    assert.equal(error!.extensions?.['deployment'], 'silent');
    assert.match(error!.message, /^silent did not answer GET \/alarms\/.+ before this request's deadline$/);
    assert.equal(JSON.stringify(body).includes('stack'), false);
    mock.timers.reset();

    const health = await fetch(new URL('/healthz', facade.url));
    assert.equal(health.status, 200);
    const viewer = await facade.gql<{ viewer: { name: string } }>('{ viewer { name } }');
    assert.equal(viewer.body.errors, undefined, 'requests that need no upstream are served as before');
  });
});
