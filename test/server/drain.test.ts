/**
 * A replica draining, as its clients meet it (`stop({ acceptMs, timeoutMs })`, what
 * SIGTERM runs): readiness 503 at once; every subscriber, on WebSocket and on SSE, gets a
 * last SHUTTING_DOWN payload and its WebSocket closes with 1001; a new subscription is
 * refused the same way; queries are still answered (with `Connection: close`) until the
 * accept time has passed, and then the listener is closed. The drain's clock is moved by
 * hand: nothing waits on real time.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createClient as createSseClient } from 'graphql-sse';
import { ManualClock } from '../support/manual.clock.js';
import { startTestFacade, type TestFacade } from '../support/facade.fixture.js';
import { connectWs, type WsConnection } from '../apikey/apikey.fixture.js';

interface Payload {
  data?: unknown;
  errors?: ReadonlyArray<{ message: string; extensions?: Record<string, unknown> }>;
}

interface Watched {
  payloads: Payload[];
  /** Resolves with the first payload. */
  first: Promise<void>;
  /** Resolves when the server completed the operation. */
  completed: Promise<void>;
}

interface SubscribingClient {
  subscribe(payload: { query: string }, sink: { next(value: unknown): void; error(error: unknown): void; complete(): void }): () => void;
  dispose(): unknown;
}

function watch(client: SubscribingClient, query: string): Watched {
  const payloads: Payload[] = [];
  let firstArrived!: () => void;
  let complete!: () => void;
  const first = new Promise<void>((resolve) => (firstArrived = resolve));
  const completed = new Promise<void>((resolve) => (complete = resolve));
  client.subscribe(
    { query },
    {
      next: (value) => {
        payloads.push(value as Payload);
        firstArrived();
      },
      error: (error) => {
        payloads.push({ errors: [{ message: `transport error: ${String(error)}` }] });
        firstArrived();
        complete();
      },
      complete: () => complete(),
    },
  );
  return { payloads, first, completed };
}

const PAGE = 'subscription { alarmPage(deployment: "acme-west", first: 2) { totalCount } }';

function assertGoingAway(payload: Payload | undefined): void {
  const error = payload?.errors?.[0];
  assert.equal(error?.extensions?.['code'], 'SHUTTING_DOWN', JSON.stringify(payload));
  assert.equal(error?.extensions?.['retryAfterSeconds'], 0);
  assert.equal(error?.message, 'This replica is shutting down: subscribe again, and another replica will answer');
}

describe('a replica draining', () => {
  const clock = new ManualClock();
  let facade: TestFacade;
  const clients: SubscribingClient[] = [];
  /** A graphql-ws connection with the admin key that never retries, and how it closed. */
  const ws = (): WsConnection => {
    const connection = connectWs(facade, { authorization: `Bearer ${facade.adminKey}` });
    clients.push(connection.client);
    return connection;
  };
  const sse = () => {
    const client = createSseClient({ url: `${facade.url}/stream`, headers: { authorization: `Bearer ${facade.adminKey}` }, retryAttempts: 0 });
    clients.push(client);
    return client;
  };

  before(async () => {
    facade = await startTestFacade({}, { facade: { drain: { clock } } });
  });
  let stopping: Promise<void> | undefined;
  after(async () => {
    await Promise.all(clients.map((client) => client.dispose()));
    // A failed test still frees what it started.
    if (stopping === undefined) await facade.stop();
  });

  it('tells subscribers to go elsewhere, answers queries for the accept time, then closes the listener', async () => {
    const dashboard = ws();
    const onWs = watch(dashboard.client, PAGE);
    const onSse = watch(sse(), PAGE);
    await Promise.all([onWs.first, onSse.first]);
    assert.equal(onWs.payloads[0]?.errors, undefined, JSON.stringify(onWs.payloads[0]));
    assert.equal(onSse.payloads[0]?.errors, undefined, JSON.stringify(onSse.payloads[0]));
    const health = facade.url.replace(/\/graphql$/, '');
    assert.equal((await fetch(`${health}/readyz`)).status, 200);

    stopping = facade.stop({ acceptMs: 5_000, timeoutMs: 20_000 });

    // Each subscriber's last payload says why; the WebSocket goes with 1001 (graphql-ws clients retry it).
    await Promise.all([onWs.completed, onSse.completed]);
    assertGoingAway(onWs.payloads.at(-1));
    assertGoingAway(onSse.payloads.at(-1));
    assert.deepEqual(await dashboard.closed, { code: 1001, reason: 'Going away' });

    // Within the accept time: not ready, yet answering; new subscriptions refused.
    const readiness = await fetch(`${health}/readyz`);
    assert.equal(readiness.status, 503);
    assert.equal(((await readiness.json()) as { status: string }).status, 'draining');
    assert.equal((await fetch(`${health}/healthz`)).status, 503);
    const query = await fetch(facade.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${facade.adminKey}` },
      body: JSON.stringify({ query: '{ deployments { name } }' }),
    });
    assert.equal(query.status, 200);
    assert.equal(((await query.json()) as { data: { deployments: unknown[] } }).data.deployments.length, 3);
    assert.equal(query.headers.get('connection'), 'close', 'the client opens its next connection afresh, through the balancer');
    const late = [watch(sse(), PAGE), watch(ws().client, PAGE)];
    await Promise.all(late.map((each) => each.completed));
    for (const each of late) {
      assert.equal(each.payloads.length, 1, JSON.stringify(each.payloads));
      assertGoingAway(each.payloads[0]);
    }

    // The accept time passes: the listener closes, and with nothing open the drain ends.
    await clock.advance(5_000);
    await stopping;
    await assert.rejects(fetch(`${health}/healthz`), /fetch failed/);
  });
});
