import type { Readable } from 'node:stream';
import { StoreUnavailableError } from '../core/errors.js';
import type { ByteRange } from './blob-store.js';

/**
 * A StoreUnavailableError whose message says why: StoreUnavailableError words its message as
 * "<what> is unavailable", which has no room for the reason an operator needs at start-up
 * ("bucket 'x' does not exist", "credentials were rejected").
 */
export function blobStorageUnavailable(reason: string, cause?: unknown): StoreUnavailableError {
  const err = new StoreUnavailableError('blob storage', cause);
  err.message = `blob storage is unavailable: ${reason}`;
  return err;
}

/** Malformed ranges are programming errors: the HTTP layer parses and clamps them first. */
export function assertValidRange(range: ByteRange): void {
  const { start, end } = range;
  if (!Number.isSafeInteger(start) || !Number.isSafeInteger(end) || start < 0 || end < start) {
    throw new RangeError(`invalid byte range ${start}-${end}`);
  }
}

export function rangeStartsPastEnd(range: ByteRange, length: number): RangeError {
  return new RangeError(
    `byte range ${range.start}-${range.end} starts at or past the end (length ${length})`,
  );
}

/**
 * Keeps an error that `body` emits before put() has attached its pipeline (while it checks that the
 * key is free, say) from becoming an uncaught exception; pipeline() still sees it via `body.errored`.
 */
export function holdBodyErrors(body: Readable): void {
  body.on('error', () => undefined);
}
