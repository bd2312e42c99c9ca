/**
 * A failure of the source server or of the way to it. The importer retries the retryable ones with
 * backoff (a 429 waits for its Retry-After) and reports the rest; target-side failures are AppErrors
 * and never take this type.
 */
export class SourceError extends Error {
  readonly kind: 'network' | 'http' | 'protocol' | 'length' | 'aborted';
  readonly status: number | undefined;
  readonly retryable: boolean;
  /** From the answer's Retry-After header, when it had one. */
  readonly retryAfterMs: number | undefined;

  constructor(opts: {
    kind: SourceError['kind'];
    message: string;
    status?: number;
    retryable: boolean;
    retryAfterMs?: number;
    cause?: unknown;
  }) {
    super(opts.message, { cause: opts.cause });
    this.name = 'SourceError';
    this.kind = opts.kind;
    this.status = opts.status;
    this.retryable = opts.retryable;
    this.retryAfterMs = opts.retryAfterMs;
  }
}

/** Statuses worth another try: timeouts, rate limits and server errors. */
export const isRetryableStatus = (status: number) => status === 408 || status === 429 || status >= 500;

/**
 * Retry-After as milliseconds: delta-seconds or an HTTP date (RFC 9110 §10.2.3). undefined when
 * absent or unreadable; never negative.
 */
export function parseRetryAfter(header: string | undefined, now = Date.now()): number | undefined {
  if (header === undefined) return undefined;
  const text = header.trim();
  if (/^\d+$/.test(text)) return Number(text) * 1000;
  const date = Date.parse(text);
  return Number.isNaN(date) ? undefined : Math.max(0, date - now);
}
