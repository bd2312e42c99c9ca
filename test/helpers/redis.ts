import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';

// The local Redis for tests (ICS_TEST_REDIS_URL, default 127.0.0.1:6379). Each caller gets a fresh
// random key prefix, and drop() removes its keys. Unreachable: the tests skip with the reason,
// except under CI=true, where that fails the run.

export async function testRedis(): Promise<
  { url: string; prefix: string; client: Redis; drop(): Promise<void> } | { skip: string }
> {
  const url = process.env.ICS_TEST_REDIS_URL || 'redis://127.0.0.1:6379';
  const client = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 1, connectTimeout: 2000 });
  client.on('error', () => undefined);
  try {
    await client.connect();
    await client.ping();
  } catch (err) {
    client.disconnect();
    const reason = `Redis not reachable at ${url} (${(err as Error).message}); set ICS_TEST_REDIS_URL`;
    if (process.env.CI === 'true') throw new Error(`${reason}. Under CI the Redis tests must run.`);
    return { skip: reason };
  }
  const prefix = `ics-test-${randomBytes(6).toString('hex')}:`;
  return {
    url,
    prefix,
    client,
    async drop() {
      const keys = await client.keys(`${prefix}*`);
      if (keys.length > 0) await client.del(...keys);
      client.disconnect();
    },
  };
}
