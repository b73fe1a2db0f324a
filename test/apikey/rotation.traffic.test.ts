import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { startTestFacade, type TestFacade } from '../support/facade.fixture.js';
import { postGraphQL } from '../support/graphql.client.js';
import { HOUR, MINUTE } from '../keys/keys.fixture.js';
import { ManualClock } from '../support/manual.clock.js';
import {
  assertUnauthenticated,
  bearer,
  connectWs,
  createKey,
  dataOf,
  RESET,
  ROTATE,
  ROTATED,
  VIEWER,
  within,
  wsExecute,
  wsSubscribe,
  type ApiKeyRotation,
  type Created,
} from './apikey.fixture.js';

/**
 * A client that keeps calling `viewer` with whatever secret it currently holds, from
 * `workers` concurrent loops, and counts what happened to each secret.
 */
class SteadyTraffic {
  secret: string;
  readonly ok = new Map<string, number>();
  readonly failures: Array<{ status: number; body: unknown }> = [];
  private running = true;
  private readonly loops: Array<Promise<void>>;
  /** Who waits for the total to reach what, woken by each answer. */
  private readonly waiting: Array<{ total: number; wake: () => void }> = [];

  constructor(
    private readonly url: string,
    secret: string,
    workers = 4,
  ) {
    this.secret = secret;
    this.loops = Array.from({ length: workers }, () => this.loop());
  }

  get total(): number {
    return [...this.ok.values()].reduce((a, b) => a + b, 0) + this.failures.length;
  }

  /** Resolves once `count` more requests have been answered (within 5 s). */
  answered(count: number): Promise<void> {
    const total = this.total + count;
    return within(5_000, new Promise<void>((wake) => this.waiting.push({ total, wake })), `${count} more answers after ${this.total}`);
  }

  async stop(): Promise<void> {
    this.running = false;
    await Promise.all(this.loops);
  }

  private async loop(): Promise<void> {
    while (this.running) {
      const secret = this.secret;
      const response = await postGraphQL(this.url, VIEWER, {}, bearer(secret));
      if (response.status === 200 && response.body.errors === undefined) this.ok.set(secret, (this.ok.get(secret) ?? 0) + 1);
      else this.failures.push({ status: response.status, body: response.body });
      for (const waiter of [...this.waiting]) {
        if (this.total < waiter.total) continue;
        this.waiting.splice(this.waiting.indexOf(waiter), 1);
        waiter.wake();
      }
    }
  }
}

describe('rotating a key under steady traffic (fake key clock)', () => {
  let facade: TestFacade;
  let clock: ManualClock;
  before(async () => {
    clock = new ManualClock(Date.now());
    facade = await startTestFacade({}, { facade: { keys: { clock } } });
  });
  after(async () => {
    await facade.stop();
  });

  it('has 0 auth failures for a client that switches to the new secret within the grace period, and refuses the old secret the moment it ends', async () => {
    const dashboard = await createKey(facade, { name: 'dashboard' });
    const traffic = new SteadyTraffic(facade.url, dashboard.secret);
    try {
      await traffic.answered(20);
      const rotated = dataOf(await facade.gql<{ rotateApiKey: Created }>(ROTATE, { id: dashboard.key.id, gracePeriod: 'PT1H' })).rotateApiKey;
      const graceEnds = Date.parse(rotated.key.previousSecretValidUntil!);
      assert.equal(graceEnds, clock.now() + HOUR);
      // The client is slow to pick up the new secret: most of the grace period passes first.
      await traffic.answered(20);
      await clock.advance(59 * MINUTE);
      await traffic.answered(20);
      traffic.secret = rotated.secret;
      await traffic.answered(20);
      await traffic.stop();

      assert.deepEqual(traffic.failures, [], 'no request failed authentication');
      assert.ok(traffic.ok.get(dashboard.secret)! >= 60, 'the old secret served before and during the grace period');
      assert.ok(traffic.ok.get(rotated.secret)! >= 20, 'the new secret served once the client switched');

      clock.set(graceEnds - 1);
      assert.equal((await postGraphQL(facade.url, VIEWER, {}, bearer(dashboard.secret))).status, 200, 'the last millisecond of grace');
      clock.set(graceEnds);
      assertUnauthenticated(await postGraphQL(facade.url, VIEWER, {}, bearer(dashboard.secret)), /invalid or expired/);
      assert.equal((await postGraphQL(facade.url, VIEWER, {}, bearer(rotated.secret))).status, 200);
      const listed = dataOf(await facade.gql<{ apiKeys: Array<{ id: string; previousSecretValidUntil: string | null }> }>('{ apiKeys { id previousSecretValidUntil } }'));
      assert.equal(listed.apiKeys.find((key) => key.id === dashboard.key.id)!.previousSecretValidUntil, null);
    } finally {
      await traffic.stop();
    }
  });

  it('refuses the old secret right after a reset, while traffic with it was being served', async () => {
    const feeder = await createKey(facade, { name: 'feeder' });
    const traffic = new SteadyTraffic(facade.url, feeder.secret);
    let reset: Created;
    try {
      await traffic.answered(20);
      reset = dataOf(await facade.gql<{ resetApiKey: Created }>(RESET, { id: feeder.key.id })).resetApiKey;
      assertUnauthenticated(await postGraphQL(facade.url, VIEWER, {}, bearer(feeder.secret)), /invalid or expired/);
      await traffic.answered(8);
    } finally {
      await traffic.stop();
    }
    assert.ok(traffic.ok.get(feeder.secret)! >= 20);
    assert.ok(traffic.failures.length >= 4, 'the traffic still on the old secret fails from the reset on');
    for (const failure of traffic.failures) assert.equal(failure.status, 401);
    assert.equal((await postGraphQL(facade.url, VIEWER, {}, bearer(reset.secret))).status, 200, 'the new secret works at once');
  });

  it("rotates a key whose interval fell due, with the policy's grace period, when the key clock passes the due time", async () => {
    const scheduled = await createKey(facade, { name: 'scheduled', rotation: { interval: 'P30D', gracePeriod: 'P15D' } });
    const due = Date.parse(scheduled.key.nextRotationAt!);
    // The key's own connection hears of its rotation: that, not a poll, says when the scheduler has run.
    const connection = connectWs(facade, { Authorization: `Bearer ${scheduled.secret}` });
    try {
      await within(2_000, connection.acknowledged, 'the connection is acknowledged');
      const rotations = wsSubscribe(connection.client, ROTATED, (data) => data['apiKeyRotated'] as ApiKeyRotation);
      assert.equal((await wsExecute(connection.client, VIEWER)).errors, undefined);
      clock.set(due);
      // A schedule change makes the scheduler read the schedule at once; this one is on another key.
      await createKey(facade, { name: 'nudge' });
      const rotation = await rotations.next();
      assert.equal(rotation.trigger, 'SCHEDULED');
      assert.equal(rotation.rotatedAt, new Date(due).toISOString());
    } finally {
      await connection.dispose();
    }
    const { apiKeys } = dataOf(await facade.gql<{ apiKeys: Array<{ id: string; lastRotatedAt: string | null }> }>('{ apiKeys { id lastRotatedAt } }'));
    assert.equal(apiKeys.find((key) => key.id === scheduled.key.id)!.lastRotatedAt, new Date(due).toISOString());
    assert.equal((await postGraphQL(facade.url, VIEWER, {}, bearer(scheduled.secret))).status, 200, 'the old secret is in its grace period');
    await clock.advance(15 * 24 * HOUR);
    assertUnauthenticated(await postGraphQL(facade.url, VIEWER, {}, bearer(scheduled.secret)));
  });
});
