/**
 * The text form of the facade's API keys, and the hash that is all the store keeps.
 *
 * Contract: a key reads `usmf_<id>_<secret><checksum>`: the fixed prefix `usmf_` (so
 * secret scanners can match it), a 12-character base62 id (the record's id, not
 * secret), a 32-character base62 secret (≈190 bits from `crypto.randomBytes`) and a
 * 6-character base62 checksum (the first 32 bits of SHA-256 over everything before
 * it), so a typo or a truncated copy fails in `parseApiKey` without any lookup.
 * `parseApiKey` never throws: it returns the parts or says `MALFORMED` /
 * `BAD_CHECKSUM`. Only `hashSecret(secret)` (SHA-256, base64url) is ever stored;
 * `secretMatches` compares hashes in constant time.
 */
import { createHash, randomBytes as cryptoRandomBytes, timingSafeEqual } from 'node:crypto';

export const API_KEY_PREFIX = 'usmf_';
const KEY_ID_LENGTH = 12;
const SECRET_LENGTH = 32;
const CHECKSUM_LENGTH = 6;

const BASE62 = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';
const KEY_PATTERN = new RegExp(
  `^${API_KEY_PREFIX}([0-9A-Za-z]{${KEY_ID_LENGTH}})_([0-9A-Za-z]{${SECRET_LENGTH}})([0-9A-Za-z]{${CHECKSUM_LENGTH}})$`,
);

/** Source of random bytes; default `crypto.randomBytes`. Tests may pass a seeded one. */
export type RandomBytes = (size: number) => Buffer;

export type ParsedApiKey =
  | { ok: true; id: string; secret: string }
  | { ok: false; reason: 'MALFORMED' | 'BAD_CHECKSUM' };

/** `length` uniformly random base62 characters (bytes ≥ 248 are skipped, so no character is likelier). */
export function randomBase62(length: number, random: RandomBytes = cryptoRandomBytes): string {
  let text = '';
  while (text.length < length) {
    for (const byte of random(length * 2)) {
      if (byte >= 248) continue;
      text += BASE62[byte % 62];
      if (text.length === length) break;
    }
  }
  return text;
}

function checksumOf(body: string): string {
  let value = createHash('sha256').update(body).digest().readUInt32BE(0);
  let text = '';
  for (let i = 0; i < CHECKSUM_LENGTH; i += 1) {
    text = BASE62[value % 62] + text;
    value = Math.floor(value / 62);
  }
  return text;
}

export function newKeyId(random?: RandomBytes): string {
  return randomBase62(KEY_ID_LENGTH, random);
}

export function newSecret(random?: RandomBytes): string {
  return randomBase62(SECRET_LENGTH, random);
}

/** The full key text a client presents. */
export function formatApiKey(id: string, secret: string): string {
  const body = `${API_KEY_PREFIX}${id}_${secret}`;
  const text = body + checksumOf(body);
  if (!KEY_PATTERN.test(text)) {
    throw new Error(`formatApiKey needs a ${KEY_ID_LENGTH}-char base62 id and a ${SECRET_LENGTH}-char base62 secret.`);
  }
  return text;
}

export function parseApiKey(text: string): ParsedApiKey {
  const match = KEY_PATTERN.exec(text.trim());
  if (match === null) return { ok: false, reason: 'MALFORMED' };
  const [, id, secret, checksum] = match as unknown as [string, string, string, string];
  if (checksumOf(`${API_KEY_PREFIX}${id}_${secret}`) !== checksum) return { ok: false, reason: 'BAD_CHECKSUM' };
  return { ok: true, id, secret };
}

export function hashSecret(secret: string): string {
  return createHash('sha256').update(secret).digest('base64url');
}

/** Constant-time comparison of `secret` against a stored `hashSecret` value. */
export function secretMatches(secret: string, storedHash: string): boolean {
  const presented = createHash('sha256').update(secret).digest();
  const stored = Buffer.from(storedHash, 'base64url');
  return stored.length === presented.length && timingSafeEqual(presented, stored);
}
