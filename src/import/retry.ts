import type { Timer } from './rate-limiter.js';
import { SourceError } from './source-error.js';

export interface RetryPolicy {
  /** Further attempts after a failure (5xx, dropped connection, timeout). */
  maxRetries: number;
  /** First backoff; it doubles per failure, with jitter, up to maxDelayMs. */
  baseDelayMs: number;
  maxDelayMs: number;
  /** 429s in a row that are waited out (they do not use up maxRetries). */
  maxRateLimited: number;
}

export const DEFAULT_RETRY: RetryPolicy = {
  maxRetries: 5,
  baseDelayMs: 500,
  maxDelayMs: 30_000,
  maxRateLimited: 30,
};

export interface RetryEvent {
  op: string;
  /** The attempt that failed, 1-based. */
  attempt: number;
  delayMs: number;
  reason: string;
  status?: number;
}

export interface RetryContext {
  policy: RetryPolicy;
  timer: Timer;
  signal?: AbortSignal;
  onRetry?(event: RetryEvent): void;
}

/**
 * Runs fn until it succeeds, retrying SourceErrors that are retryable: a 429 waits for its
 * Retry-After (or the backoff when it names none); anything else backs off exponentially. When the
 * budget is spent, the last error is thrown, saying how many attempts were made. Other errors (the
 * target's, a bad answer) are thrown at once.
 */
export async function retrying<T>(op: string, ctx: RetryContext, fn: () => Promise<T>): Promise<T> {
  let failures = 0;
  let limited = 0;
  for (let attempt = 1; ; attempt++) {
    try {
      return await fn();
    } catch (err) {
      if (ctx.signal?.aborted || !(err instanceof SourceError) || !err.retryable) throw err;
      const rateLimited = err.status === 429;
      if (rateLimited) limited++;
      else {
        failures++;
        limited = 0;
      }
      if (failures > ctx.policy.maxRetries || limited > ctx.policy.maxRateLimited) {
        throw new SourceError({
          kind: err.kind,
          status: err.status,
          retryable: false,
          message: `${err.message} (gave up after ${attempt} attempts)`,
          cause: err,
        });
      }
      const backoff = backoffMs(ctx.policy, rateLimited ? limited : failures);
      const delayMs = rateLimited ? (err.retryAfterMs ?? backoff) : Math.max(backoff, err.retryAfterMs ?? 0);
      ctx.onRetry?.({ op, attempt, delayMs, reason: err.message, status: err.status });
      await ctx.timer.sleep(delayMs, ctx.signal);
    }
  }
}

/** base × 2^(n-1), capped, with jitter in [½, 1] of it so that workers do not retry in lockstep. */
function backoffMs(policy: RetryPolicy, n: number): number {
  const full = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** Math.max(0, n - 1));
  return Math.round(full * (0.5 + Math.random() / 2));
}
