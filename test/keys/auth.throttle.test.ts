import { afterEach, describe, it, mock } from 'node:test';
import assert from 'node:assert/strict';
import { createMemoryAuthThrottle, createRedisAuthThrottle } from '../../src/keys/auth.throttle.js';
import { redisScope, type RedisScope } from '../live/redis.fixture.js';
import { MINUTE, SECOND, T0 } from './keys.fixture.js';

describe('createMemoryAuthThrottle', () => {
  afterEach(() => mock.timers.reset());

  it('answers a retry hint from the failure after the budget, per address, until the minute is over', async () => {
    mock.timers.enable({ apis: ['setTimeout', 'Date'], now: T0 });
    const throttle = createMemoryAuthThrottle({ maxFailures: 3 });
    for (let i = 0; i < 3; i += 1) assert.equal(await throttle.recordFailure('203.0.113.7'), null);
    mock.timers.tick(20 * SECOND);
    assert.deepEqual(await throttle.recordFailure('203.0.113.7'), { retryAfterMs: 40 * SECOND });
    assert.equal(await throttle.recordFailure('198.51.100.1'), null, 'another address has its own budget');
    mock.timers.tick(40 * SECOND);
    assert.equal(await throttle.recordFailure('203.0.113.7'), null, 'a new minute, a new budget');
  });

  it('refuses settings it cannot honour', () => {
    assert.throws(() => createMemoryAuthThrottle({ maxFailures: 0 }), /maxFailures must be a whole number ≥ 1/);
    assert.throws(() => createMemoryAuthThrottle({ windowMs: 1500 }), /windowMs must be whole seconds/);
  });
});

describe('createRedisAuthThrottle', () => {
  let scope: RedisScope;
  afterEach(async () => scope.cleanup());

  it('shares one budget per address between replicas', async () => {
    scope = redisScope();
    const [a, b] = await Promise.all(
      [0, 1].map(async () => createRedisAuthThrottle({ client: await scope.client(), prefix: `${scope.prefix}auth-fail`, maxFailures: 2 })),
    );
    assert.equal(await a!.recordFailure('203.0.113.7'), null);
    assert.equal(await b!.recordFailure('203.0.113.7'), null);
    const verdict = await a!.recordFailure('203.0.113.7');
    assert.ok(verdict !== null && verdict.retryAfterMs > 0 && verdict.retryAfterMs <= MINUTE, JSON.stringify(verdict));
    assert.equal(await b!.recordFailure('198.51.100.1'), null);
  });
});
