import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import {
  DAY_MS,
  formatIsoDuration,
  parseIsoDuration,
  validateGracePeriod,
  validateRotationPolicy,
} from '../../src/keys/rotation.policy.js';
import { facadeError, HOUR, MINUTE, SECOND } from './keys.fixture.js';

describe('parseIsoDuration', () => {
  it('reads weeks, days, hours, minutes and (fractional) seconds', () => {
    assert.equal(parseIsoDuration('P30D'), 30 * DAY_MS);
    assert.equal(parseIsoDuration('P2W'), 14 * DAY_MS);
    assert.equal(parseIsoDuration('PT12H'), 12 * HOUR);
    assert.equal(parseIsoDuration('P1DT6H30M'), DAY_MS + 6 * HOUR + 30 * MINUTE);
    assert.equal(parseIsoDuration('PT1.5S'), 1.5 * SECOND);
    assert.equal(parseIsoDuration('PT0S'), 0);
  });

  it('refuses years and months, which have no fixed length, and says to use days', () => {
    assert.throws(() => parseIsoDuration('P1M', 'interval'), facadeError('BAD_USER_INPUT', /`interval` "P1M".*use days, e\.g\. P30D/));
    assert.throws(() => parseIsoDuration('P1Y'), facadeError('BAD_USER_INPUT', /years and months/));
  });

  it('refuses what is not a duration, naming the field and giving examples', () => {
    for (const bad of ['', 'P', 'PT', 'P1DT', '30d', 'P-1D', 'P1.5D', '1 day']) {
      assert.throws(() => parseIsoDuration(bad, 'gracePeriod'), facadeError('BAD_USER_INPUT', /`gracePeriod`.*e\.g\. P30D, PT12H or P1DT6H/), bad);
    }
  });
});

describe('formatIsoDuration', () => {
  it('writes days and time parts, the form the schema shows', () => {
    assert.equal(formatIsoDuration(30 * DAY_MS), 'P30D');
    assert.equal(formatIsoDuration(12 * HOUR), 'PT12H');
    assert.equal(formatIsoDuration(DAY_MS + 6 * HOUR + 30 * MINUTE + 1500), 'P1DT6H30M1.5S');
    assert.equal(formatIsoDuration(0), 'PT0S');
  });

  it('is read back by parseIsoDuration', () => {
    for (const ms of [1, 999, SECOND, 59 * MINUTE, 36 * HOUR, 400 * DAY_MS]) assert.equal(parseIsoDuration(formatIsoDuration(ms)), ms);
  });
});

describe('validateRotationPolicy', () => {
  it('accepts the recommended 30 days with 15 days of grace, without warnings', () => {
    assert.deepEqual(validateRotationPolicy({ interval: 'P30D', gracePeriod: 'P15D' }), {
      policy: { intervalMs: 30 * DAY_MS, gracePeriodMs: 15 * DAY_MS },
      warnings: [],
    });
  });

  it('accepts a grace period of zero', () => {
    assert.equal(validateRotationPolicy({ interval: 'P7D', gracePeriod: 'PT0S' }).policy.gracePeriodMs, 0);
  });

  it('accepts an interval of exactly one day with a warning that recommends P30D/P15D', () => {
    const { policy, warnings } = validateRotationPolicy({ interval: 'P1D', gracePeriod: 'PT12H' });
    assert.equal(policy.intervalMs, DAY_MS);
    assert.equal(warnings.length, 1);
    assert.match(warnings[0]!, /one day \(P1D\) is allowed but not recommended.*P30D.*P15D/);
  });

  it('refuses an interval under one day, recommending P30D/P15D', () => {
    assert.throws(
      () => validateRotationPolicy({ interval: 'PT23H59M', gracePeriod: 'PT1H' }),
      facadeError('BAD_USER_INPUT', /PT23H59M is shorter than one day \(P1D\).*P30D with a grace period of P15D/),
    );
  });

  it('refuses a grace period as long as or longer than the interval', () => {
    for (const gracePeriod of ['P30D', 'P31D']) {
      assert.throws(
        () => validateRotationPolicy({ interval: 'P30D', gracePeriod }),
        facadeError('BAD_USER_INPUT', /must be shorter than the rotation interval P30D.*P15D/),
      );
    }
  });

  it('refuses intervals beyond ten years, pointing at "no policy" for never', () => {
    assert.throws(() => validateRotationPolicy({ interval: 'P3651D', gracePeriod: 'P1D' }), facadeError('BAD_USER_INPUT', /set no rotation policy/));
  });
});

describe('validateGracePeriod', () => {
  it('allows zero up to a year on a key without a policy', () => {
    validateGracePeriod(0, null);
    validateGracePeriod(365 * DAY_MS, null);
    assert.throws(() => validateGracePeriod(366 * DAY_MS, null), facadeError('BAD_USER_INPUT', /between PT0S and P365D/));
    assert.throws(() => validateGracePeriod(-1, null), facadeError('BAD_USER_INPUT', /between PT0S and P365D/));
  });

  it("requires less than the key's interval when it has a policy", () => {
    const policy = { intervalMs: 7 * DAY_MS, gracePeriodMs: DAY_MS };
    assert.throws(() => validateGracePeriod(7 * DAY_MS, policy), facadeError('BAD_USER_INPUT', /shorter than this key's rotation interval P7D/));
  });
});
