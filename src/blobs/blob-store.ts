import type { Readable } from 'node:stream';

/**
 * An inclusive byte range: 0 <= start <= end. The caller checks it against the blob's length first
 * (the HTTP layer answers 416); an `end` past the last byte is clamped, as S3 does.
 */
export interface ByteRange {
  start: number;
  end: number;
}

export class BlobNotFoundError extends Error {
  constructor(key: string) {
    super(`blob '${key}' not found`);
    this.name = 'BlobNotFoundError';
  }
}

/** A key outside the key rules: a programming error or a damaged queue entry, never worth a retry. */
export class InvalidBlobKeyError extends Error {
  constructor(key: unknown, problem: string) {
    super(`invalid blob key ${JSON.stringify(key)}: ${problem}`);
    this.name = 'InvalidBlobKeyError';
  }
}

/** What an unfinished put left behind: a temporary file or an incomplete multipart upload. */
export interface IncompleteUpload {
  /** The blob key the put was writing, when the leftover tells it. */
  key: string | undefined;
  /** The store's own name for it (a temporary file's name, a multipart upload id). */
  id: string;
  startedAt: number;
}

/** A put on a key that already holds a blob: a programming error, since keys are always fresh. */
export class BlobExistsError extends Error {
  constructor(key: string) {
    super(`blob '${key}' already exists`);
    this.name = 'BlobExistsError';
  }
}

/**
 * Where content bytes live. Keys are written once and never overwritten: every upload gets a fresh
 * key (`<account>/<guid>/<uuid>`), so a row never points at bytes that change under it.
 * Keys are 1–512 characters of [A-Za-z0-9._-] separated by single '/'; anything else is rejected.
 */
export interface BlobStore {
  /**
   * Streams `body` into a new blob under `key` and makes it durable (fsync or the object store's
   * acknowledgement) before resolving with the byte count. If `body` errors or the write fails,
   * nothing remains under `key` (no temporary file, no multipart part) and the promise rejects with
   * the body's error when there was one. A key that already exists is never overwritten: the put
   * rejects with BlobExistsError and the old bytes stay. Storage failures reject with
   * StoreUnavailableError.
   */
  put(key: string, body: Readable): Promise<{ length: number }>;
  /**
   * The bytes, or the inclusive range of them, as a stream. Rejects with BlobNotFoundError when
   * absent, and with RangeError when the range is malformed or starts at or past the end. The
   * caller must consume or destroy the stream: it holds a file handle or a pooled connection.
   */
  get(key: string, range?: ByteRange): Promise<Readable>;
  /** Size of the blob, or undefined when absent. */
  stat(key: string): Promise<{ length: number } | undefined>;
  /** Removes the blob for good. Idempotent: an absent key is not an error. */
  delete(key: string): Promise<void>;
  /**
   * Removes the blob and whatever an unfinished put to `key` left behind (its temporary file, its
   * incomplete multipart upload): for the upload intents of processes that died. Idempotent.
   */
  discard(key: string): Promise<void>;
  /** Every blob, in no particular order (for verify). Temporary files are not listed. */
  list(): AsyncIterable<{ key: string; length: number }>;
  /**
   * The leftovers of unfinished puts (for verify), or undefined when this storage cannot list them
   * (s3rver implements no ListMultipartUploads).
   */
  listIncomplete(): Promise<IncompleteUpload[] | undefined>;
  /**
   * Removes crash leftovers older than `olderThanMs` and returns how many: temporary files (fs) or
   * incomplete multipart uploads under the key prefix (S3). An upload in progress is younger than
   * any sensible cut-off (hours), so callers pass one well above the longest upload.
   */
  sweepTemporary(olderThanMs: number): Promise<number>;
  /** Throws StoreUnavailableError when the storage cannot be reached. */
  ping(): Promise<void>;
  close(): Promise<void>;
}
