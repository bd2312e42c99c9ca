import type { Readable } from 'node:stream';

/**
 * The storage refused for a reason a retry will not fix (credentials, a missing bucket, a policy):
 * its message is the storage's own. Transient trouble (network, 5xx, throttling) is a
 * StoreUnavailableError instead.
 */
export class TargetRejectedError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'TargetRejectedError';
  }
}

/** What an export finds at a key before writing it. */
export interface TargetObject {
  length: number;
  /** The SHA-256 ICS recorded when it wrote the object (object metadata); undefined for others'. */
  sha256: string | undefined;
}

/**
 * Where an export writes: one bucket under one key prefix. Keys given here are relative to the
 * prefix. Every write is idempotent (a deterministic key, overwritten whole).
 */
export interface ExportTarget {
  /** Writes the zero-byte test object; TargetRejectedError (the storage's message) or StoreUnavailableError. */
  testWrite(): Promise<void>;
  /** The object at `key`, or undefined when absent or not readable with these credentials. */
  head(key: string, signal?: AbortSignal): Promise<TargetObject | undefined>;
  /**
   * Streams exactly `length` bytes from `body` to `key` (overwriting it), recording `sha256` with it.
   * Nothing is left under the key if the body fails (a failed single PUT stores nothing; a failed
   * multipart upload is aborted).
   */
  put(
    key: string,
    body: Readable | Buffer,
    opts: { length: number; contentType: string; sha256: string; signal?: AbortSignal },
  ): Promise<void>;
  close(): Promise<void>;
}
