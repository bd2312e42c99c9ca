// Token buckets: a bucket holds up to `burst` tokens, refills at `perSecond`, and every request takes
// one; a request that finds less than one token is refused until one has refilled. The stores below
// keep one bucket per key (a client id, a source address), in memory or in Redis.

export interface Bucket {
  perSecond: number;
  burst: number;
}

export interface TakeResult {
  allowed: boolean;
  /** Whole tokens left after this request. */
  remaining: number;
  /** Refused: ms until a token is back. Allowed: ms until the bucket is full again. */
  resetMs: number;
}

/** Where buckets live. One call takes one token from `key`'s bucket, atomically across callers. */
export interface BucketStore {
  take(key: string, bucket: Bucket): Promise<TakeResult>;
  /** Stores that need no I/O answer without a promise (the per-request hook is on the hot path). */
  takeSync?(key: string, bucket: Bucket): TakeResult;
  close(): Promise<void>;
}

interface State {
  tokens: number;
  at: number;
}

/** The bucket arithmetic, shared by the in-memory store and (as Lua) the Redis one. */
export function takeToken(
  state: State | undefined,
  bucket: Bucket,
  now: number,
): { state: State; result: TakeResult } {
  const perMs = bucket.perSecond / 1000;
  const before =
    state === undefined ? bucket.burst : Math.min(bucket.burst, state.tokens + (now - state.at) * perMs);
  const allowed = before >= 1;
  const tokens = allowed ? before - 1 : before;
  const resetMs = Math.ceil((allowed ? bucket.burst - tokens : 1 - tokens) / perMs);
  return { state: { tokens, at: now }, result: { allowed, remaining: Math.floor(tokens), resetMs } };
}

/**
 * One process's buckets. Bounded: past `maxKeys` the least recently used bucket is dropped, which
 * at worst hands that key a full bucket again (keys are client ids and addresses, not free text).
 */
export class MemoryBucketStore implements BucketStore {
  readonly #buckets = new Map<string, State>();
  readonly #maxKeys: number;
  readonly #now: () => number;

  constructor(opts: { maxKeys?: number; now?: () => number } = {}) {
    this.#maxKeys = opts.maxKeys ?? 100_000;
    this.#now = opts.now ?? Date.now;
  }

  async take(key: string, bucket: Bucket): Promise<TakeResult> {
    return this.takeSync(key, bucket);
  }

  takeSync(key: string, bucket: Bucket): TakeResult {
    const previous = this.#buckets.get(key);
    const { state, result } = takeToken(previous, bucket, this.#now());
    if (previous !== undefined) this.#buckets.delete(key);
    this.#buckets.set(key, state);
    if (this.#buckets.size > this.#maxKeys) {
      const oldest = this.#buckets.keys().next();
      if (!oldest.done) this.#buckets.delete(oldest.value);
    }
    return result;
  }

  async close(): Promise<void> {
    this.#buckets.clear();
  }
}
