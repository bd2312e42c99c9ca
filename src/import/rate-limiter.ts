import { SourceError } from './source-error.js';

/** A clock and a sleep, so tests can drive the limiter without real time. */
export interface Timer {
  now(): number;
  sleep(ms: number, signal?: AbortSignal): Promise<void>;
}

export const realTimer: Timer = {
  now: () => Date.now(),
  sleep: (ms, signal) =>
    new Promise((resolve, reject) => {
      if (signal?.aborted) return reject(interrupted());
      const timer = setTimeout(done, Math.max(0, ms));
      function done() {
        signal?.removeEventListener('abort', stop);
        resolve();
      }
      function stop() {
        clearTimeout(timer);
        reject(interrupted());
      }
      signal?.addEventListener('abort', stop, { once: true });
    }),
};

const interrupted = () => new SourceError({ kind: 'aborted', message: 'interrupted', retryable: false });

const PERIODS: Record<string, number> = {
  s: 1000,
  sec: 1000,
  second: 1000,
  m: 60_000,
  min: 60_000,
  minute: 60_000,
  h: 3_600_000,
  hour: 3_600_000,
};

/**
 * `160/min`, `5/s`, `10000/h` → the spacing between requests in ms; `unlimited` or `0` → 0.
 * undefined when unreadable.
 */
export function parseRate(text: string): number | undefined {
  const t = text.trim().toLowerCase();
  if (t === 'unlimited' || t === '0') return 0;
  const m = /^(\d+(?:\.\d+)?)\s*\/\s*([a-z]+)$/.exec(t);
  if (!m) return undefined;
  const count = Number(m[1]);
  const period = PERIODS[m[2]];
  if (!period || !(count > 0)) return undefined;
  return period / count;
}

/**
 * Spaces requests to the source evenly, `intervalMs` apart, whatever the number of workers (no
 * bursts: a source that counts requests in a sliding window never sees more than the rate). A 429
 * pauses everyone until its Retry-After has passed, not only the request that got it.
 */
export class RateLimiter {
  #next = 0;
  #pausedUntil = 0;

  constructor(
    private readonly intervalMs: number,
    private readonly timer: Timer = realTimer,
  ) {}

  /** Resolves when this caller may send its request; rejects when the signal aborts first. */
  async take(signal?: AbortSignal): Promise<void> {
    for (;;) {
      const now = this.timer.now();
      // Claim the slot before sleeping, so that concurrent callers queue up one interval apart.
      const slot = Math.max(now, this.#next, this.#pausedUntil);
      this.#next = slot + this.intervalMs;
      if (slot <= now) return;
      await this.timer.sleep(slot - now, signal);
      // A 429 during the wait paused everyone: queue again behind the pause.
      if (this.timer.now() >= this.#pausedUntil) return;
    }
  }

  /** Holds every caller until `until` (epoch ms). */
  pauseUntil(until: number): void {
    this.#pausedUntil = Math.max(this.#pausedUntil, until);
  }
}
