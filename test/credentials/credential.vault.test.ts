import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes, randomUUID } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Keyv } from 'keyv';
import { SecretKey } from '../../src/config/secret.key.js';
import { CredentialVault, MISSING_SECRET_KEY_MESSAGE, SUPERSEDED_KEPT, type StoredCredential } from '../../src/credentials/credential.vault.js';
import { REDIS_URL, deleteRedisKeys } from '../support/redis.keys.js';
import { connectRedis } from '../../src/store/redis.connection.js';
import { createStore } from '../../src/store/store.factory.js';

const key = () => SecretKey.fromBytes(randomBytes(32));

function rotated(secret = `secret-${randomUUID()}`) {
  return { deployment: 'acme-east', clientId: 'east-2', clientSecret: secret, rotatedAt: 1_770_000_000_000, supersedes: ['east-1'] };
}

describe('CredentialVault', () => {
  it('gives back what it stored, decrypting the secret only when asked', async () => {
    const store = new Keyv();
    const vault = new CredentialVault({ store, secretKey: key() });
    const credential = rotated();
    await vault.write(credential);
    const entry = await vault.read('acme-east');
    assert.ok(entry !== undefined);
    assert.deepEqual(
      { deployment: entry.deployment, clientId: entry.clientId, rotatedAt: entry.rotatedAt, supersedes: entry.supersedes },
      { deployment: 'acme-east', clientId: 'east-2', rotatedAt: 1_770_000_000_000, supersedes: ['east-1'] },
    );
    assert.equal(entry.secret(), credential.clientSecret);
    const stored = (await store.get('upstream-credentials:acme-east')) as StoredCredential;
    assert.deepEqual(Object.keys(stored).sort(), ['clientId', 'deployment', 'encryptedSecret', 'rotatedAt', 'supersedes']);
    assert.match(stored.encryptedSecret, /^v1:/);
    assert.ok(!JSON.stringify(stored).includes(credential.clientSecret));
    assert.equal(await vault.read('acme-west'), undefined);
  });

  it('keeps only the last replaced client IDs', async () => {
    const vault = new CredentialVault({ store: new Keyv(), secretKey: key() });
    const supersedes = Array.from({ length: SUPERSEDED_KEPT + 5 }, (_, i) => `east-${i}`);
    await vault.write({ ...rotated(), supersedes });
    assert.deepEqual((await vault.read('acme-east'))!.supersedes, supersedes.slice(5));
  });

  it('refuses to store without FACADE_SECRET_KEY, saying how to set it', async () => {
    const store = new Keyv();
    const vault = new CredentialVault({ store });
    assert.equal(vault.canStore, false);
    await assert.rejects(vault.write(rotated()), { code: 'BAD_USER_INPUT', message: MISSING_SECRET_KEY_MESSAGE });
    assert.equal(await store.get('upstream-credentials:acme-east'), undefined);
  });

  it('refuses to open a record whose sealed secret was moved to another client ID', async () => {
    const store = new Keyv();
    const vault = new CredentialVault({ store, secretKey: key() });
    await vault.write(rotated());
    const stored = (await store.get('upstream-credentials:acme-east')) as StoredCredential;
    await store.set('upstream-credentials:acme-east', { ...stored, clientId: 'east-evil' });
    const entry = await vault.read('acme-east');
    assert.throws(() => entry!.secret(), {
      code: 'INTERNAL_SERVER_ERROR',
      message:
        'the rotated credential of acme-east: a stored secret could not be decrypted: FACADE_SECRET_KEY is not the key it was sealed with, or the stored data was altered',
    });
  });

  it('reads a record that is not one of its own as absent', async () => {
    const store = new Keyv();
    await store.set('upstream-credentials:acme-east', { clientId: 'x' });
    assert.equal(await new CredentialVault({ store, secretKey: key() }).read('acme-east'), undefined);
  });

  describe('in a SQLite file', () => {
    const dir = mkdtempSync(join(tmpdir(), 'usm-vault-test-'));
    after(() => rmSync(dir, { recursive: true, force: true }));

    it('survives a reopen and leaves no secret in clear in the file', async () => {
      const secretKey = key();
      const credential = rotated();
      const first = createStore({ namespace: 'credentials', sqlitePath: join(dir, 'facade.sqlite') });
      await new CredentialVault({ store: first, secretKey }).write(credential);
      await first.disconnect();
      const second = createStore({ namespace: 'credentials', sqlitePath: join(dir, 'facade.sqlite') });
      try {
        assert.equal((await new CredentialVault({ store: second, secretKey }).read('acme-east'))!.secret(), credential.clientSecret);
      } finally {
        await second.disconnect();
      }
      const files = readdirSync(dir).map((name) => readFileSync(join(dir, name)));
      assert.ok(files.some((bytes) => bytes.includes('east-2')), 'the record is in the file');
      assert.ok(!files.some((bytes) => bytes.includes(credential.clientSecret)), 'the secret is not, in clear');
    });
  });

  describe('in Redis', () => {
    const namespace = `test:vault:${randomUUID()}`;
    after(() => deleteRedisKeys(namespace));

    it('shares records between replicas and keeps no secret in clear in Redis', async () => {
      const secretKey = key();
      const credential = rotated();
      const redis = await connectRedis(REDIS_URL);
      const other = await connectRedis(REDIS_URL);
      const a = createStore({ namespace, redis });
      const b = createStore({ namespace, redis: other });
      try {
        await new CredentialVault({ store: a, secretKey }).write(credential);
        assert.equal((await new CredentialVault({ store: b, secretKey }).read('acme-east'))!.secret(), credential.clientSecret);
        const keys: string[] = [];
        for await (const batch of redis.scanIterator({ MATCH: `${namespace}*`, COUNT: 100 })) keys.push(...batch);
        const values = await Promise.all(keys.map((k) => redis.get(k)));
        assert.ok(values.some((v) => v?.includes('east-2')), 'the record is in Redis');
        assert.ok(!values.some((v) => v?.includes(credential.clientSecret)), 'the secret is not, in clear');
      } finally {
        redis.destroy();
        other.destroy();
      }
    });
  });
});
