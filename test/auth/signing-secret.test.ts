import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { resolveSigningSecret } from '../../src/auth/signing-secret.js';
import { TtlCache } from '../../src/auth/ttl-cache.js';

/** The store's contract in miniature: the first candidate stored wins. */
function memoryStore() {
  let stored: string | undefined;
  const candidates: string[] = [];
  return {
    candidates,
    getOrCreateSigningSecret: async (candidate: string) => {
      candidates.push(candidate);
      stored ??= candidate;
      return stored;
    },
  };
}

describe('resolveSigningSecret', () => {
  test('the configured secret wins and the store is not touched', async () => {
    const store = memoryStore();
    const key = await resolveSigningSecret('x'.repeat(40), store);
    assert.deepEqual(key, new TextEncoder().encode('x'.repeat(40)));
    assert.equal(store.candidates.length, 0);
  });

  test('without one, every node ends up with the first stored random secret', async () => {
    const store = memoryStore();
    const [a, b] = await Promise.all([
      resolveSigningSecret(undefined, store),
      resolveSigningSecret('', store),
    ]);
    assert.deepEqual(a, b);
    assert.equal(store.candidates.length, 2);
    assert.match(store.candidates[0], /^[A-Za-z0-9_-]{43}$/);
    assert.notEqual(store.candidates[0], store.candidates[1], 'each node proposes its own random candidate');
    assert.deepEqual(a, new TextEncoder().encode(store.candidates[0]));
  });

  test('a damaged (short) stored secret is an error, not a weak key', async () => {
    await assert.rejects(
      resolveSigningSecret(undefined, { getOrCreateSigningSecret: async () => 'short' }),
      /shorter than 32/,
    );
  });
});

describe('TtlCache', () => {
  test('entries expire at expiresAt exactly', () => {
    const cache = new TtlCache<string, number>(10);
    cache.set('a', 1, 1000);
    assert.equal(cache.get('a', 999), 1);
    assert.equal(cache.get('a', 1000), undefined);
    assert.equal(cache.size, 0, 'the stale entry is dropped');
  });

  test('bounded, evicting the least recently used', () => {
    const cache = new TtlCache<string, number>(2);
    cache.set('a', 1, Infinity);
    cache.set('b', 2, Infinity);
    cache.get('a', 0); // a is now the most recent
    cache.set('c', 3, Infinity);
    assert.equal(cache.size, 2);
    assert.equal(cache.get('b', 0), undefined);
    assert.equal(cache.get('a', 0), 1);
    assert.equal(cache.get('c', 0), 3);
  });
});
