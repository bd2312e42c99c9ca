import type { Redis } from 'ioredis';
import type { Bucket, BucketStore, TakeResult } from './token-bucket.js';

// Buckets shared by every node through Redis: one Lua script reads, refills, takes and writes a
// bucket atomically, on Redis's clock (TIME), so nodes with skewed clocks still share one budget.
// A bucket expires once it would be full again, so idle keys cost Redis nothing.

const TAKE = `
local burst = tonumber(ARGV[1])
local per_ms = tonumber(ARGV[2])
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local b = redis.call('HMGET', KEYS[1], 'tokens', 'at')
local tokens = burst
if b[1] then
  tokens = math.min(burst, tonumber(b[1]) + (now - tonumber(b[2])) * per_ms)
end
local allowed = 0
if tokens >= 1 then
  tokens = tokens - 1
  allowed = 1
end
local full = math.ceil((burst - tokens) / per_ms)
redis.call('HSET', KEYS[1], 'tokens', tostring(tokens), 'at', tostring(now))
redis.call('PEXPIRE', KEYS[1], math.max(full, 1))
if allowed == 1 then
  return {1, math.floor(tokens), full}
end
return {0, math.floor(tokens), math.ceil((1 - tokens) / per_ms)}
`;

type WithTake = Redis & {
  icsTakeToken(key: string, burst: string, perMs: string): Promise<[number, number, number]>;
};

export class RedisBucketStore implements BucketStore {
  readonly #redis: WithTake;
  readonly #prefix: string;

  /** `prefix` namespaces the keys (ICS_REDIS_KEY_PREFIX); the store owns `redis` and closes it. */
  constructor(redis: Redis, prefix: string) {
    redis.defineCommand('icsTakeToken', { numberOfKeys: 1, lua: TAKE });
    this.#redis = redis as WithTake;
    this.#prefix = `${prefix}rl:`;
  }

  async take(key: string, bucket: Bucket): Promise<TakeResult> {
    const [allowed, remaining, resetMs] = await this.#redis.icsTakeToken(
      this.#prefix + key,
      String(bucket.burst),
      String(bucket.perSecond / 1000),
    );
    return { allowed: allowed === 1, remaining, resetMs };
  }

  async close(): Promise<void> {
    await this.#redis.quit().catch(() => this.#redis.disconnect());
  }
}
