import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import {
  formatApiKey,
  hashSecret,
  newKeyId,
  newSecret,
  parseApiKey,
  randomBase62,
  secretMatches,
} from '../../src/keys/api-key.format.js';

describe('API key format', () => {
  it('reads usmf_<12-char id>_<32-char secret><6-char checksum>', () => {
    assert.equal(formatApiKey('AbCdEf012345', 'S'.repeat(32)), 'usmf_AbCdEf012345_SSSSSSSSSSSSSSSSSSSSSSSSSSSSSSSS19Ch75');
  });

  it('gives back the id and secret it was made from', () => {
    const id = newKeyId();
    const secret = newSecret();
    assert.deepEqual(parseApiKey(formatApiKey(id, secret)), { ok: true, id, secret });
  });

  it('matches the pattern secret scanners are given', () => {
    const text = formatApiKey(newKeyId(), newSecret());
    assert.match(text, /^usmf_[0-9A-Za-z]{12}_[0-9A-Za-z]{38}$/);
  });

  it('draws secrets of at least 128 bits: 32 base62 characters, all different across draws', () => {
    const secrets = new Set(Array.from({ length: 1000 }, () => newSecret()));
    assert.equal(secrets.size, 1000);
    assert.ok(32 * Math.log2(62) >= 128);
    for (const secret of secrets) assert.match(secret, /^[0-9A-Za-z]{32}$/);
  });

  it('uses every base62 character evenly, skipping bytes that would bias it', () => {
    let byte = 0;
    const counting = (size: number) => Buffer.from(Array.from({ length: size }, () => byte++ % 256));
    const text = randomBase62(62 * 4, counting);
    const counts = new Map<string, number>();
    for (const character of text) counts.set(character, (counts.get(character) ?? 0) + 1);
    assert.equal(counts.size, 62);
    assert.ok([...counts.values()].every((n) => n === 4));
  });

  it('calls a key with one mistyped character a bad checksum, before any lookup', () => {
    const text = formatApiKey('AbCdEf012345', 'S'.repeat(32));
    const typo = text.replace('SSSS', 'SSST');
    assert.deepEqual(parseApiKey(typo), { ok: false, reason: 'BAD_CHECKSUM' });
  });

  it('calls anything not in the format malformed', () => {
    const text = formatApiKey('AbCdEf012345', 'S'.repeat(32));
    for (const bad of ['', 'usmf_', text.slice(0, -1), `${text}x`, text.replace('usmf_', 'usmx_'), text.replace('_S', '-S'), 'Bearer x']) {
      assert.deepEqual(parseApiKey(bad), { ok: false, reason: 'MALFORMED' }, bad);
    }
  });

  it('tolerates surrounding whitespace from a copied header', () => {
    const text = formatApiKey('AbCdEf012345', 'S'.repeat(32));
    assert.equal(parseApiKey(` ${text}\n`).ok, true);
  });

  it('stores a SHA-256 hash that does not contain the secret, and compares against it', () => {
    const secret = newSecret();
    const hash = hashSecret(secret);
    assert.equal(Buffer.from(hash, 'base64url').length, 32);
    assert.ok(!hash.includes(secret));
    assert.equal(secretMatches(secret, hash), true);
    assert.equal(secretMatches(newSecret(), hash), false);
    assert.equal(secretMatches(secret, 'not-a-hash'), false);
  });
});
