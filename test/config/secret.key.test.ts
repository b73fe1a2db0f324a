import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { inspect } from 'node:util';
import { ConfigError, loadConfig } from '../../src/config/config.js';
import { parseSecretKey, SecretKey } from '../../src/config/secret.key.js';

const HEX = '00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff';
const BYTES = Buffer.from(HEX, 'hex');

function problemsOf(env: NodeJS.ProcessEnv): string[] {
  try {
    loadConfig(env);
  } catch (error) {
    assert.ok(error instanceof ConfigError);
    return error.problems;
  }
  return assert.fail('expected a ConfigError');
}

describe('FACADE_SECRET_KEY', () => {
  it('is unset by default, and the vault poll runs every 10 s', () => {
    assert.deepEqual(loadConfig({}).credentials, { secretKey: undefined, pollIntervalMs: 10_000 });
    assert.equal(loadConfig({ CREDENTIAL_POLL_INTERVAL_MS: '0' }).credentials.pollIntervalMs, 0);
  });

  it('accepts 32 bytes as 64 hex characters or as base64, standard or URL-safe', () => {
    for (const text of [HEX, HEX.toUpperCase(), BYTES.toString('base64'), BYTES.toString('base64url'), ` ${HEX}\n`]) {
      const key = loadConfig({ FACADE_SECRET_KEY: text }).credentials.secretKey;
      assert.ok(key instanceof SecretKey);
      assert.deepEqual(key.bytes(), BYTES);
    }
  });

  it('refuses anything else naming the accepted forms and how to make a key, without echoing it', () => {
    for (const text of ['', 'too-short', HEX.slice(2), `${HEX}00`, Buffer.alloc(16, 1).toString('base64'), Buffer.alloc(33, 1).toString('base64')]) {
      const problems = problemsOf({ FACADE_SECRET_KEY: text });
      assert.deepEqual(problems, [
        'FACADE_SECRET_KEY: must be 32 bytes given as 64 hex characters or as base64 (44 characters); generate one with `openssl rand -hex 32`',
      ]);
      if (text.length > 4) assert.ok(!problems[0]!.includes(text));
    }
  });

  it('never shows the key when logged, inspected or serialised', () => {
    const key = parseSecretKey(HEX) as SecretKey;
    const shown = [JSON.stringify({ key }), String(key), inspect(key), inspect({ nested: { key } })].join(' ');
    assert.ok(!shown.includes(HEX) && !shown.includes('0011'), shown);
    assert.match(shown, /\[redacted\]/);
  });
});
