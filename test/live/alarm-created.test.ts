import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { connectWs, type WsConnection } from '../apikey/apikey.fixture.js';
import {
  alarmListCalls,
  injectAlarms,
  logEnd,
  record,
  startLiveFacade,
  TURN_MS,
  inReceiptOrder,
  untilListCallsAnswered,
  type LiveFacade,
  type Payload,
} from './live.fixture.js';

const DEPLOYMENT = 'acme-east';
const CREATED = `subscription($since: DateTime) { alarmCreated(deployment: "${DEPLOYMENT}", since: $since) { uuid occurredAt receivedAt } }`;

const alarmOf = (payload: Payload) => {
  assert.equal(payload.errors, undefined, JSON.stringify(payload.errors));
  return payload.data!['alarmCreated'] as { uuid: string; occurredAt: string; receivedAt: string };
};

describe('alarmCreated over graphql-ws', () => {
  let live: LiveFacade;
  let ws: WsConnection;

  before(async () => {
    live = await startLiveFacade();
    ws = connectWs(live.facade, { Authorization: `Bearer ${live.key}` });
    await ws.acknowledged;
  });
  after(async () => {
    await ws.dispose();
    await live.facade.stop();
  });

  it('sends each new alarm once, a late one (occurred long ago, received now) included', async () => {
    const { facade, clock } = live;
    const start = await logEnd(facade.simulatorUrl);
    const subscription = record(ws.client, CREATED);
    // The group's first poll takes the watermark; nothing that was there is "new".
    await untilListCallsAnswered(facade.simulatorUrl, start);
    const weekAgo = Date.now() - 7 * 24 * 3600_000;
    const [late] = await injectAlarms(facade.simulatorUrl, DEPLOYMENT, [{ timestamp_occured: weekAgo }]);
    const [fresh] = await injectAlarms(facade.simulatorUrl, DEPLOYMENT);
    const mark = await logEnd(facade.simulatorUrl);
    await clock.advance(TURN_MS);
    const first = alarmOf(await subscription.next());
    const second = alarmOf(await subscription.next());
    assert.deepEqual([first.uuid, second.uuid], inReceiptOrder([late!, fresh!]).map((a) => a.uuid), 'in receipt order');
    const delivered = [first, second].find((a) => a.uuid === late!.uuid)!;
    assert.equal(new Date(delivered.occurredAt).getTime(), weekAgo, 'the late alarm, though it occurred a week ago');
    assert.equal((await alarmListCalls(facade.simulatorUrl, mark)).length, 1, 'one list call for the interval');

    for (let i = 0; i < 2; i += 1) await clock.advance(TURN_MS);
    const [third] = await injectAlarms(facade.simulatorUrl, DEPLOYMENT);
    await clock.advance(TURN_MS);
    assert.equal(alarmOf(await subscription.next()).uuid, third!.uuid, 'nothing was sent twice, or for quiet intervals');
    subscription.stop();
  });

  it('replays exactly the alarms received after `since`, then goes on live with no repeat at the seam', async () => {
    const { facade, clock } = live;
    const start = await logEnd(facade.simulatorUrl);
    const watcher = record(ws.client, CREATED);
    await untilListCallsAnswered(facade.simulatorUrl, start);
    const [seen] = await injectAlarms(facade.simulatorUrl, DEPLOYMENT);
    await clock.advance(TURN_MS);
    const lastSeen = alarmOf(await watcher.next());
    assert.equal(lastSeen.uuid, seen!.uuid);

    // A dashboard disconnects; three alarms arrive; the group (kept by the watcher) publishes two of them.
    const missed = await injectAlarms(facade.simulatorUrl, DEPLOYMENT, [{}, {}]);
    await clock.advance(TURN_MS);
    missed.push(...(await injectAlarms(facade.simulatorUrl, DEPLOYMENT)));

    const reconnected = record(ws.client, CREATED, { since: lastSeen.receivedAt });
    const replayed = [alarmOf(await reconnected.next()), alarmOf(await reconnected.next()), alarmOf(await reconnected.next())];
    assert.deepEqual(
      replayed.map((a) => a.uuid),
      inReceiptOrder(missed).map((a) => a.uuid),
      'the three missed alarms, oldest first, and not the last one seen',
    );
    const [after] = await injectAlarms(facade.simulatorUrl, DEPLOYMENT);
    await clock.advance(TURN_MS);
    assert.equal(alarmOf(await reconnected.next()).uuid, after!.uuid, 'the third missed alarm, found live by this poll, is not sent again');
    assert.equal(reconnected.payloads.length, 4);
    watcher.stop();
    reconnected.stop();
  });
});
