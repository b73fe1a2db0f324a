/**
 * `FACADE_SECRET_KEY`: the key that encrypts what the facade must keep secret at rest
 * (rotated upstream client secrets).
 *
 * Contract: `parseSecretKey(text)` accepts exactly 32 bytes written as 64 hex
 * characters or as base64 (standard or URL-safe, padding optional) and returns a
 * `SecretKey`, or a problem text that names the accepted forms and how to make a key
 * (`openssl rand -hex 32`) and never echoes what it was given. A `SecretKey` never
 * shows its bytes when logged, inspected or serialised to JSON: only `bytes()` hands
 * them out, to the cipher.
 */
import { inspect } from 'node:util';

export const SECRET_KEY_BYTES = 32;

export const SECRET_KEY_RULE =
  'must be 32 bytes given as 64 hex characters or as base64 (44 characters); generate one with `openssl rand -hex 32`';

const HEX = /^[0-9a-fA-F]{64}$/;
const BASE64 = /^[A-Za-z0-9+/_-]{43}={0,1}$/;

export class SecretKey {
  readonly #bytes: Buffer;

  private constructor(bytes: Buffer) {
    this.#bytes = bytes;
  }

  /** Only for callers that already hold the 32 bytes (tests, key generation). */
  static fromBytes(bytes: Buffer): SecretKey {
    if (bytes.length !== SECRET_KEY_BYTES) {
      throw new Error(`SecretKey.fromBytes: the key must be exactly ${SECRET_KEY_BYTES} bytes, got ${bytes.length}`);
    }
    return new SecretKey(Buffer.from(bytes));
  }

  /** A copy of the key's bytes. */
  bytes(): Buffer {
    return Buffer.from(this.#bytes);
  }

  toJSON(): string {
    return '[redacted]';
  }

  toString(): string {
    return '[redacted]';
  }

  [inspect.custom](): string {
    return 'SecretKey [redacted]';
  }
}

/** The key, or why `text` is not one (never containing `text`). */
export function parseSecretKey(text: string): SecretKey | { problem: string } {
  const value = text.trim();
  let bytes: Buffer | undefined;
  if (HEX.test(value)) bytes = Buffer.from(value, 'hex');
  else if (BASE64.test(value)) bytes = Buffer.from(value.replace(/-/g, '+').replace(/_/g, '/'), 'base64');
  if (bytes === undefined || bytes.length !== SECRET_KEY_BYTES) return { problem: SECRET_KEY_RULE };
  return SecretKey.fromBytes(bytes);
}
