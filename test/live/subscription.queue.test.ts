import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { afterReplay, SubscriptionQueue } from '../../src/live/subscription.queue.js';

const drain = async <T>(queue: AsyncIterator<T>): Promise<T[]> => {
  const values: T[] = [];
  for (;;) {
    const step = await queue.next();
    if (step.done === true) return values;
    values.push(step.value);
  }
};

describe('SubscriptionQueue', () => {
  it('keeps only the latest value for a slow reader when its buffer holds one (alarmPage)', async () => {
    let cleaned = 0;
    const queue = new SubscriptionQueue<number>(() => (cleaned += 1), 1);
    for (let page = 1; page <= 5; page += 1) queue.push(page);
    assert.deepEqual((await queue.next()).value, 5);
    await queue.return();
    assert.equal(cleaned, 1);
  });

  it('with last words, ends after the values it holds instead of dropping any (alarmCreated)', async () => {
    let cleaned = 0;
    const queue = new SubscriptionQueue<string>(() => (cleaned += 1), 3, undefined, () => 'too slow');
    for (const value of ['a', 'b', 'c', 'd', 'e']) queue.push(value);
    assert.equal(cleaned, 1, 'left its group as soon as it overflowed');
    assert.deepEqual(await drain(queue), ['a', 'b', 'c', 'too slow']);
    assert.equal(cleaned, 1, 'cleaned up once');
  });

  it('memory stays bounded however far a reader falls behind', async () => {
    const queue = new SubscriptionQueue<number>(() => undefined, 1000, undefined, () => -1);
    for (let i = 0; i < 100_000; i += 1) queue.push(i);
    const values = await drain(queue);
    assert.equal(values.length, 1001);
    assert.equal(values.at(-1), -1);
  });
});

describe('afterReplay', () => {
  it('yields the replayed values first, then the live ones it keeps', async () => {
    const live = new SubscriptionQueue<number>(() => undefined, 10);
    const stream = afterReplay([1, 2], live, (n) => n > 2);
    live.push(2);
    live.push(3);
    assert.deepEqual([(await stream.next()).value, (await stream.next()).value, (await stream.next()).value], [1, 2, 3]);
    const pending = stream.next();
    await stream.return();
    assert.deepEqual(await pending, { value: undefined, done: true }, 'a pending next() ends when the subscriber leaves');
  });
});
