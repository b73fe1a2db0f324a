/** `RATE_LIMIT_*`: each class's `<limit>/<seconds>`, `0` for none, and what a bad value is told. */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { ConfigError, loadConfig } from '../../src/config/config.js';
import { RATE_LIMIT_DEFAULTS } from '../../src/protection/protection.settings.js';

const RULE =
  'must be <limit>/<seconds>, a limit of 1–1000000 calls per 1–86400 seconds (e.g. 600/60 for 600 a minute), or 0 for no limit';

function problemsOf(env: NodeJS.ProcessEnv): string[] {
  try {
    loadConfig(env);
  } catch (error) {
    assert.ok(error instanceof ConfigError);
    return error.problems;
  }
  return assert.fail('expected a ConfigError');
}

describe('RATE_LIMIT_*', () => {
  it('has documented defaults: label writes 120/60, key management 30/60, credentials 5/300', () => {
    assert.deepEqual(loadConfig({}).rateLimits, {
      labelWrites: { limit: 120, duration: 60 },
      keyManagement: { limit: 30, duration: 60 },
      credentials: { limit: 5, duration: 300 },
    });
    assert.deepEqual(loadConfig({}).rateLimits, RATE_LIMIT_DEFAULTS);
  });

  it('reads each class from its variable, and 0 turns a class off', () => {
    assert.deepEqual(
      loadConfig({
        RATE_LIMIT_LABEL_WRITES: '10/1',
        RATE_LIMIT_KEY_MANAGEMENT: '0',
        RATE_LIMIT_CREDENTIALS: ' 1/86400 ',
      }).rateLimits,
      {
        labelWrites: { limit: 10, duration: 1 },
        keyManagement: null,
        credentials: { limit: 1, duration: 86400 },
      },
    );
  });

  it('names each bad value’s variable and says what is allowed, without echoing it', () => {
    for (const value of ['', 'ten/60', '600', '600/', '0/60', '600/0', '2000000/60', '600/100000', '-1/60', '600/60s', '1.5/60', 'off']) {
      assert.deepEqual(problemsOf({ RATE_LIMIT_LABEL_WRITES: value }), [`RATE_LIMIT_LABEL_WRITES: ${RULE}`], `RATE_LIMIT_LABEL_WRITES=${value}`);
    }
  });

  it('reports every bad class at once', () => {
    assert.deepEqual(problemsOf({ RATE_LIMIT_LABEL_WRITES: 'x', RATE_LIMIT_KEY_MANAGEMENT: 'y', RATE_LIMIT_CREDENTIALS: 'z' }), [
      `RATE_LIMIT_LABEL_WRITES: ${RULE}`,
      `RATE_LIMIT_KEY_MANAGEMENT: ${RULE}`,
      `RATE_LIMIT_CREDENTIALS: ${RULE}`,
    ]);
  });
});
