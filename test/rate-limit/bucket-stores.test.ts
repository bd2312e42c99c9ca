import assert from 'node:assert/strict';
import { after, describe, test } from 'node:test';
import { Redis } from 'ioredis';
import { RedisBucketStore } from '../../src/rate-limit/redis-bucket-store.js';
import { type BucketStore, MemoryBucketStore, takeToken } from '../../src/rate-limit/token-bucket.js';
import { testRedis } from '../helpers/redis.js';

describe('takeToken', () => {
  const bucket = { perSecond: 2, burst: 3 };
  test('a full bucket gives its burst, then refuses until a token has refilled', () => {
    let state: Parameters<typeof takeToken>[0];
    const results = [];
    for (let i = 0; i < 4; i++) {
      const r = takeToken(state, bucket, 1000);
      state = r.state;
      results.push(r.result);
    }
    assert.deepEqual(
      results.map((r) => [r.allowed, r.remaining]),
      [
        [true, 2],
        [true, 1],
        [true, 0],
        [false, 0],
      ],
    );
    assert.equal(results[3].resetMs, 500, 'one token at 2/s is 500 ms away');
    assert.equal(results[2].resetMs, 1500, 'allowed: ms until full again');
    assert.equal(takeToken(state, bucket, 1499).result.allowed, false);
    assert.equal(takeToken(state, bucket, 1500).result.allowed, true);
    // Refill never exceeds the burst.
    assert.equal(takeToken(state, bucket, 1_000_000).result.remaining, 2);
  });
});

/** The same behaviour from both stores. */
function describeStore(
  name: string,
  make: () => Promise<{ store: BucketStore; done(): Promise<void> } | { skip: string }>,
) {
  describe(`${name} bucket store`, async () => {
    const made = await make();
    if ('skip' in made) {
      test('skipped', { skip: made.skip }, () => {});
      return;
    }
    const { store } = made;
    after(() => made.done());

    test('buckets are per key; a drained one refuses with the time until a token is back', async () => {
      const bucket = { perSecond: 0.01, burst: 2 };
      assert.deepEqual(
        [await store.take('a', bucket), await store.take('a', bucket)].map((r) => r.allowed),
        [true, true],
      );
      const refused = await store.take('a', bucket);
      assert.equal(refused.allowed, false);
      assert.equal(refused.remaining, 0);
      assert.ok(refused.resetMs > 90_000 && refused.resetMs <= 100_000, String(refused.resetMs));
      assert.equal((await store.take('b', bucket)).allowed, true, 'another key has its own bucket');
    });

    test('concurrent takes never hand out more than the burst', async () => {
      const bucket = { perSecond: 0.001, burst: 10 };
      const results = await Promise.all(Array.from({ length: 40 }, () => store.take('burst', bucket)));
      assert.equal(results.filter((r) => r.allowed).length, 10);
    });

    test('tokens come back with time', async () => {
      const bucket = { perSecond: 20, burst: 1 };
      assert.equal((await store.take('refill', bucket)).allowed, true);
      assert.equal((await store.take('refill', bucket)).allowed, false);
      await new Promise((r) => setTimeout(r, 120));
      assert.equal((await store.take('refill', bucket)).allowed, true);
    });
  });
}

describeStore('memory', async () => {
  const store = new MemoryBucketStore();
  return { store, done: () => store.close() };
});

describeStore('redis', async () => {
  const redis = await testRedis();
  if ('skip' in redis) return redis;
  const store = new RedisBucketStore(new Redis(redis.url), redis.prefix);
  return {
    store,
    async done() {
      assert.ok((await redis.client.keys(`${redis.prefix}rl:*`)).length > 0, 'keys live under the prefix');
      await store.close();
      await redis.drop();
    },
  };
});

test('the memory store stays bounded, dropping the least recently used bucket', async () => {
  const store = new MemoryBucketStore({ maxKeys: 2 });
  const bucket = { perSecond: 0.001, burst: 1 };
  await store.take('a', bucket);
  await store.take('b', bucket);
  await store.take('c', bucket); // drops a
  assert.equal((await store.take('a', bucket)).allowed, true, 'a was forgotten: a full bucket again');
  assert.equal((await store.take('c', bucket)).allowed, false);
});
