/**
 * Authenticated encryption of short secrets at rest: AES-256-GCM under the key from
 * `FACADE_SECRET_KEY`.
 *
 * Contract:
 * - `seal(plaintext, context)` draws a fresh random 96-bit IV for every call and returns
 *   `v1:<iv>:<ciphertext>:<tag>` (base64url parts, 128-bit tag). The `v1:` prefix names
 *   the format so that a later one can be read next to it.
 * - `context` is bound to the ciphertext as additional authenticated data (for example
 *   the deployment and client ID a secret belongs to), so a sealed secret copied onto
 *   another record does not open.
 * - `open(sealed, context)` returns the plaintext only if the tag checks out under this
 *   key and this context; a wrong key, a wrong context, an unknown version or any altered
 *   byte is refused with an `INTERNAL_SERVER_ERROR` whose message names the likely
 *   cause and never carries the sealed text or the plaintext.
 */
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import type { SecretKey } from '../config/secret.key.js';
import { FacadeError } from '../errors/facade.error.js';

const VERSION = 'v1';
const ALGORITHM = 'aes-256-gcm';
const IV_BYTES = 12;
const TAG_BYTES = 16;
const PART = /^[A-Za-z0-9_-]*$/;

export class SecretBox {
  readonly #key: Buffer;

  constructor(key: SecretKey) {
    this.#key = key.bytes();
  }

  seal(plaintext: string, context: string): string {
    const iv = randomBytes(IV_BYTES);
    const cipher = createCipheriv(ALGORITHM, this.#key, iv, { authTagLength: TAG_BYTES });
    cipher.setAAD(Buffer.from(context, 'utf8'));
    const ciphertext = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
    return [VERSION, iv, ciphertext, cipher.getAuthTag()].map((part) => (typeof part === 'string' ? part : part.toString('base64url'))).join(':');
  }

  open(sealed: string, context: string): string {
    const parts = sealed.split(':');
    if (parts[0] !== VERSION) {
      throw refused(`it is not in a format this version reads (expected "${VERSION}:…")`);
    }
    if (parts.length !== 4 || !parts.every((part) => PART.test(part))) throw refused('it is malformed');
    const [, ivText, ciphertextText, tagText] = parts as [string, string, string, string];
    const iv = Buffer.from(ivText, 'base64url');
    const tag = Buffer.from(tagText, 'base64url');
    if (iv.length !== IV_BYTES || tag.length !== TAG_BYTES) throw refused('it is malformed');
    try {
      const decipher = createDecipheriv(ALGORITHM, this.#key, iv, { authTagLength: TAG_BYTES });
      decipher.setAAD(Buffer.from(context, 'utf8'));
      decipher.setAuthTag(tag);
      return Buffer.concat([decipher.update(Buffer.from(ciphertextText, 'base64url')), decipher.final()]).toString('utf8');
    } catch {
      throw refused('FACADE_SECRET_KEY is not the key it was sealed with, or the stored data was altered');
    }
  }
}

function refused(why: string): FacadeError {
  return new FacadeError('INTERNAL_SERVER_ERROR', `a stored secret could not be decrypted: ${why}`);
}
