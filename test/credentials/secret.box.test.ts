import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { SecretKey } from '../../src/config/secret.key.js';
import { SecretBox } from '../../src/credentials/secret.box.js';
import { FacadeError } from '../../src/errors/facade.error.js';

const KEY = SecretKey.fromBytes(Buffer.alloc(32, 7));
const OTHER_KEY = SecretKey.fromBytes(Buffer.alloc(32, 9));
const SECRET = 'client-secret-Zq81x';
const CONTEXT = 'upstream-credential\nacme-east\nnew-client';

/** Asserts `open` refuses with INTERNAL_SERVER_ERROR whose message matches `why` and leaks nothing. */
function assertRefused(open: () => string, why: RegExp, sealed: string): void {
  assert.throws(open, (error: unknown) => {
    assert.ok(error instanceof FacadeError);
    assert.equal(error.code, 'INTERNAL_SERVER_ERROR');
    assert.match(error.message, why);
    assert.ok(!error.message.includes(SECRET) && !error.message.includes(sealed.split(':')[2]!));
    return true;
  });
}

describe('SecretBox (AES-256-GCM)', () => {
  it('opens what it sealed, and the sealed text is versioned and holds no plaintext', () => {
    const box = new SecretBox(KEY);
    const sealed = box.seal(SECRET, CONTEXT);
    assert.match(sealed, /^v1:[A-Za-z0-9_-]{16}:[A-Za-z0-9_-]+:[A-Za-z0-9_-]{22}$/, 'v1:<96-bit iv>:<ciphertext>:<128-bit tag>');
    assert.ok(!sealed.includes(SECRET));
    assert.equal(box.open(sealed, CONTEXT), SECRET);
    assert.equal(box.open(box.seal('', CONTEXT), CONTEXT), '', 'an empty text round-trips too');
  });

  it('draws a fresh IV for every seal, so one secret never seals the same way twice', () => {
    const box = new SecretBox(KEY);
    const sealed = Array.from({ length: 50 }, () => box.seal(SECRET, CONTEXT));
    assert.equal(new Set(sealed).size, 50);
    assert.equal(new Set(sealed.map((s) => s.split(':')[1])).size, 50);
  });

  it('refuses a ciphertext with any byte altered', () => {
    const box = new SecretBox(KEY);
    const sealed = box.seal(SECRET, CONTEXT);
    const [version, iv, ciphertext, tag] = sealed.split(':') as [string, string, string, string];
    const flip = (part: string) => {
      const bytes = Buffer.from(part, 'base64url');
      bytes[0] = bytes[0]! ^ 1;
      return bytes.toString('base64url');
    };
    for (const tampered of [
      [version, iv, flip(ciphertext), tag],
      [version, flip(iv), ciphertext, tag],
      [version, iv, ciphertext, flip(tag)],
    ]) {
      assertRefused(() => box.open(tampered.join(':'), CONTEXT), /not the key it was sealed with, or the stored data was altered/, sealed);
    }
  });

  it('refuses another key, another context, an unknown version and a malformed text', () => {
    const sealed = new SecretBox(KEY).seal(SECRET, CONTEXT);
    assertRefused(() => new SecretBox(OTHER_KEY).open(sealed, CONTEXT), /not the key it was sealed with/, sealed);
    assertRefused(() => new SecretBox(KEY).open(sealed, 'upstream-credential\nacme-west\nnew-client'), /not the key it was sealed with/, sealed);
    assertRefused(() => new SecretBox(KEY).open(sealed.replace(/^v1:/, 'v9:'), CONTEXT), /not in a format this version reads \(expected "v1:…"\)/, sealed);
    assertRefused(() => new SecretBox(KEY).open('v1:abc', CONTEXT), /malformed/, sealed);
    assertRefused(() => new SecretBox(KEY).open(`${sealed}:extra`, CONTEXT), /malformed/, sealed);
  });
});
