import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  DEFAULT_SCRYPT_COST,
  generateClientId,
  generateClientSecret,
  hashSecret,
  SecretHasher,
  verifySecret,
} from '../../src/auth/secrets.js';

describe('client ids and secrets', () => {
  test('ids are ics_ + 20 url-safe characters and unique', () => {
    const ids = new Set(Array.from({ length: 100 }, generateClientId));
    assert.equal(ids.size, 100);
    for (const id of ids) assert.match(id, /^ics_[A-Za-z0-9_-]{20}$/);
  });

  test('secrets carry 32 random bytes, url-safe', () => {
    const s = generateClientSecret();
    assert.match(s, /^[A-Za-z0-9_-]{43}$/);
    assert.equal(Buffer.from(s, 'base64url').length, 32);
    assert.notEqual(s, generateClientSecret());
  });

  test('a secret never starts with "-", which a command line would take for an option', () => {
    // 1 in 64 would without the rule: 5,000 draws all but never miss one (P < 1e-34).
    for (let i = 0; i < 5000; i++) assert.doesNotMatch(generateClientSecret(), /^-/);
  });
});

describe('SecretHasher', () => {
  const key = new TextEncoder().encode('a-server-key-of-at-least-32-bytes-here');
  const hasher = new SecretHasher(key);

  test('HMAC-SHA-256 under the key: deterministic, keyed, never the secret itself', async () => {
    const secret = generateClientSecret();
    const hash = hasher.hash(secret);
    assert.match(hash, /^hmac-sha256\$[A-Za-z0-9_-]{43}$/);
    assert.ok(!hash.includes(secret));
    assert.equal(hasher.hash(secret), hash);
    assert.notEqual(new SecretHasher(new TextEncoder().encode('b'.repeat(40))).hash(secret), hash);
    assert.deepEqual(await hasher.verify(secret, hash), { matches: true });
    assert.deepEqual(await hasher.verify(`${secret}x`, hash), { matches: false });
    for (const bad of ['', 'hmac-sha256$', 'hmac-sha256$abc', `${hash}A`, 'plain', `md5$${hash.slice(12)}`])
      assert.deepEqual(await hasher.verify(secret, bad), { matches: false }, bad);
  });

  test('a legacy scrypt hash verifies once and hands back its replacement', async () => {
    const legacy = await hashSecret('pw', { N: 1024, r: 8, p: 1 });
    assert.deepEqual(await hasher.verify('pw', legacy), { matches: true, upgrade: hasher.hash('pw') });
    assert.deepEqual(await hasher.verify('PW', legacy), { matches: false });
  });

  test('refuses short keys', () => {
    assert.throws(() => new SecretHasher(new Uint8Array(16)), RangeError);
  });
});

describe('legacy hashSecret / verifySecret', () => {
  test('round trip with the default cost, self-describing encoding, fresh salt each time', async () => {
    const secret = generateClientSecret();
    const [a, b] = await Promise.all([hashSecret(secret), hashSecret(secret)]);
    const { N, r, p } = DEFAULT_SCRYPT_COST;
    assert.match(a, new RegExp(`^scrypt\\$${N}\\$${r}\\$${p}\\$[A-Za-z0-9_-]{22}\\$[A-Za-z0-9_-]{43}$`));
    assert.notEqual(a, b, 'salted');
    assert.equal(await verifySecret(secret, a), true);
    assert.equal(await verifySecret(secret, b), true);
    assert.equal(await verifySecret(`${secret}x`, a), false);
    assert.equal(await verifySecret('', a), false);
  });

  test('a cheaper cost is recorded in the hash and honoured by verify', async () => {
    const hash = await hashSecret('s3cret', { N: 1024, r: 8, p: 1 });
    assert.ok(hash.startsWith('scrypt$1024$8$1$'));
    assert.equal(await verifySecret('s3cret', hash), true);
    assert.equal(await verifySecret('S3cret', hash), false);
  });

  test('malformed or hostile encodings verify false instead of throwing', async () => {
    const good = await hashSecret('pw', { N: 1024, r: 8, p: 1 });
    const [, , , , salt, hash] = good.split('$');
    const bad = [
      '',
      'plain',
      'bcrypt$10$abc',
      good.replace('scrypt$', 'scrypt2$'),
      `scrypt$1000$8$1$${salt}$${hash}`, // N not a power of two
      `scrypt$${2 ** 24}$8$1$${salt}$${hash}`, // N too large: would ask for gigabytes
      `scrypt$1024$0$1$${salt}$${hash}`,
      `scrypt$1024$8$1$${salt}$`,
      `scrypt$1024$8$1$$${hash}`,
      `scrypt$1024$8$1$${salt}$${hash}$extra`,
      `scrypt$1024$8$1$${salt}$not+base64url`,
      `scrypt$1024$8$1$${salt}$${hash.slice(0, 10)}`, // hash too short
      `scrypt$1e3$8$1$${salt}$${hash}`,
    ];
    for (const encoded of bad) assert.equal(await verifySecret('pw', encoded), false, encoded);
  });

  test('refuses to create hashes with invalid parameters', async () => {
    await assert.rejects(hashSecret('pw', { N: 1000, r: 8, p: 1 }), RangeError);
  });
});
