import { Redis } from 'ioredis';
import { RedisBucketStore } from './redis-bucket-store.js';
import { type BucketStore, MemoryBucketStore } from './token-bucket.js';

/**
 * In this process's memory, or shared through Redis when ICS_REDIS_URL is set. A Redis that cannot
 * be reached makes commands fail at once (no offline queue, a short timeout) instead of stalling
 * requests; the HTTP layer logs that and lets requests through (limits fail open, docs/security.md).
 * ioredis keeps reconnecting in the background.
 */
export async function openBucketStore(
  redis: { url: string; keyPrefix: string } | undefined,
): Promise<BucketStore> {
  if (redis === undefined) return new MemoryBucketStore();
  const client = new Redis(redis.url, {
    enableOfflineQueue: false,
    maxRetriesPerRequest: 1,
    commandTimeout: 1000,
    connectTimeout: 5000,
    lazyConnect: true,
  });
  // Failures surface as failed commands, which the HTTP layer logs; without a listener ioredis
  // would print every failed reconnect to the console.
  client.on('error', () => undefined);
  await client.connect().catch(() => undefined);
  return new RedisBucketStore(client, redis.keyPrefix);
}
