import { afterEach, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { FacadeError } from '../../src/errors/facade.error.js';
import { LiveHub } from '../../src/live/live.hub.js';
import type { LiveEvent, LivePoller, PollRequest } from '../../src/live/live.group.js';
import { createMemoryLease } from '../../src/live/poll.lease.js';
import { createMemoryPubSub } from '../../src/live/pubsub.js';
import { createStore } from '../../src/store/store.factory.js';
import { ManualClock } from '../support/manual.clock.js';

const INTERVAL = 1000;

/** A poller whose next answers the test sets: a value to publish, or an error to throw. */
class ScriptedPoller implements LivePoller<number, string, string> {
  readonly covers = ['acme-east'];
  readonly retainLatest = true;
  readonly requests: PollRequest[] = [];
  next: string | Error = 'page 1';
  presented = 0;

  constructor(readonly key = 'group-1') {}

  async poll(previous: number | undefined, request: PollRequest) {
    this.requests.push(request);
    if (this.next instanceof Error) throw this.next;
    return { state: (previous ?? 0) + 1, publish: this.next };
  }

  present(data: string): string[] {
    this.presented += 1;
    return [data];
  }
}

const received = () => {
  const events: LiveEvent<string>[] = [];
  return { events, member: { deliver: (event: LiveEvent<string>) => events.push(event) } };
};

const settle = () => new Promise((resolve) => setImmediate(resolve));

describe('LiveHub and its groups', () => {
  let hub: LiveHub;
  const clock = new ManualClock(0);
  const start = (maxGroups = 10) =>
    (hub = new LiveHub({
      pubsub: createMemoryPubSub(),
      leases: createMemoryLease({ clock }),
      states: createStore({ namespace: 'live' }),
      intervalMs: INTERVAL,
      maxGroups,
      clock,
      random: () => 0,
    }));
  afterEach(() => hub.close());

  it('polls once per interval for all members, publishes only what changed, and maps it once per change', async () => {
    start();
    const poller = new ScriptedPoller();
    const a = received();
    const b = received();
    await hub.join(poller, a.member, 'key-a');
    await hub.join(new ScriptedPoller(), b.member, 'key-b');
    await settle();
    assert.deepEqual(poller.requests.map((r) => r.requestedBy), ['key-a'], 'the first poll is the waiting key’s');
    assert.deepEqual([a.events.length, b.events.length], [1, 1]);
    assert.equal(a.events[0], b.events[0], 'the same event object for every member');

    await clock.advance(INTERVAL);
    await clock.advance(INTERVAL);
    assert.equal(poller.requests.length, 3);
    assert.deepEqual(poller.requests.slice(1).map((r) => r.requestedBy), [undefined, undefined], 'later polls are the facade’s live work');
    assert.equal(a.events.length, 1, 'unchanged: nothing sent');
    poller.next = 'page 2';
    await clock.advance(INTERVAL);
    assert.deepEqual(a.events.map((e) => e.value), ['page 1', 'page 2']);
    assert.equal(poller.presented, 2, 'mapped once per change');
  });

  it('skips a round the budget refuses and stretches the interval, silently', async () => {
    start();
    const poller = new ScriptedPoller();
    const member = received();
    await hub.join(poller, member.member, 'key-a');
    await settle();
    poller.next = new FacadeError('UPSTREAM_RATE_LIMITED', 'budget taken', { details: { retryAfterMs: 3000 } });
    await clock.advance(INTERVAL);
    assert.equal(poller.requests.length, 2);
    await clock.advance(INTERVAL);
    assert.equal(poller.requests.length, 2, 'the next round waits two intervals');
    await clock.advance(INTERVAL);
    assert.equal(poller.requests.length, 3);
    assert.equal(member.events.length, 1, 'subscribers hear nothing of a skipped round');
  });

  it('sends one error per outage and the data again, unchanged, when polls succeed', async () => {
    start();
    const poller = new ScriptedPoller();
    const member = received();
    await hub.join(poller, member.member, 'key-a');
    await settle();
    poller.next = new FacadeError('UPSTREAM_UNAVAILABLE', 'acme-east: USM answered 503', { deployment: 'acme-east' });
    for (let i = 0; i < 3; i += 1) await clock.advance(INTERVAL);
    poller.next = 'page 1';
    await clock.advance(INTERVAL);
    assert.deepEqual(
      member.events.map((e) => e.error?.code ?? e.value),
      ['page 1', 'UPSTREAM_UNAVAILABLE', 'page 1'],
    );
  });

  it('gives a newcomer the current data at once, and the last member out stops the polls', async () => {
    start();
    const poller = new ScriptedPoller();
    const first = received();
    const leaveFirst = await hub.join(poller, first.member, 'key-a');
    await settle();
    const late = received();
    const leaveLate = await hub.join(new ScriptedPoller(), late.member, 'key-b');
    assert.deepEqual(late.events.map((e) => e.value), ['page 1'], 'at once, without a poll of its own');
    assert.equal(poller.requests.length, 1);
    leaveFirst();
    leaveLate();
    await settle();
    assert.equal(hub.groupCount, 0);
    await clock.advance(5 * INTERVAL);
    assert.equal(poller.requests.length, 1, 'no poll after the last member left');
  });

  it('refuses a new group past maxGroups with LIMIT_EXCEEDED, and still lets members join running ones', async () => {
    start(1);
    await hub.join(new ScriptedPoller('one'), received().member, 'key-a');
    await assert.rejects(hub.join(new ScriptedPoller('two'), received().member, 'key-a'), (error: unknown) => {
      assert.ok(error instanceof FacadeError);
      assert.equal(error.code, 'LIMIT_EXCEEDED');
      assert.match(error.message, /LIVE_MAX_GROUPS/);
      return true;
    });
    await hub.join(new ScriptedPoller('one'), received().member, 'key-b');
    assert.equal(hub.memberCount, 2);
  });

  it('polls at once after a write to a deployment it reads, at most five times an interval', async () => {
    start();
    const poller = new ScriptedPoller();
    await hub.join(poller, received().member, 'key-a');
    await settle();
    hub.nudge('acme-west');
    await settle();
    assert.equal(poller.requests.length, 1, 'another deployment: no poll');
    hub.nudge('acme-east');
    await settle();
    hub.nudge('acme-east');
    await settle();
    assert.equal(poller.requests.length, 2, 'one nudged poll, the second nudge too soon');
  });
});
