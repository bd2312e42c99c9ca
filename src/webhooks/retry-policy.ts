// When a failed delivery is tried again: exponential backoff with jitter (base, 2×base, 4×base …,
// capped at an hour, each delay drawn from its upper half), for the whole retry budget counted
// from the delivery's creation. The last attempt is made at the end of the budget, so a delivery is
// retried for at least the budget before it is marked failed.

const MAX_DELAY_MS = 3600_000;

export interface RetryPolicy {
  baseMs: number;
  budgetMs: number;
}

/** After `failures` failed attempts (≥ 1) at `now`: when to try again, or 'give-up'. */
export function nextAttempt(
  policy: RetryPolicy,
  d: { createdAt: number; failures: number },
  now: number,
  random: () => number = Math.random,
): number | 'give-up' {
  const deadline = d.createdAt + policy.budgetMs;
  if (now >= deadline) return 'give-up';
  const exp = Math.min(MAX_DELAY_MS, policy.baseMs * 2 ** Math.min(30, d.failures - 1));
  const delay = exp * (0.5 + random() / 2);
  return Math.min(deadline, Math.ceil(now + delay));
}
