import { type BlobStore, InvalidBlobKeyError } from '../blobs/blob-store.js';
import type { MetadataStore } from '../metadata/metadata-store.js';
import { StoreUnavailableError } from './errors.js';
import type { Faults } from './faults.js';
import type { PurgeEntry } from './types.js';

/** Failed erases of one entry (other than outages) before it is quarantined. */
const MAX_ATTEMPTS = 10;

export interface PurgerLogger {
  warn(obj: object, msg: string): void;
  info(obj: object, msg: string): void;
}

/**
 * Works the durable purge queue. Deletions enqueue their blobs in the same transaction that hides the
 * rows, then call purge() to erase the bytes before answering; a crash in between leaves the entry
 * queued and the purge job (src/jobs/purge-job.ts, here or on another node) finishes it. Removing
 * finished entries is batched: a lost removal only means a repeated, idempotent blob delete.
 *
 * An entry that cannot be erased never stops the queue (or start-up): it is retried with backoff and,
 * when it fails for good (an invalid key, or MAX_ATTEMPTS failures other than outages), quarantined:
 * `ics verify` shows it and `ics verify --repair` clears it.
 */
export class Purger {
  #done: string[] = [];
  #flushing: Promise<void> | undefined;

  constructor(
    private readonly deps: { store: MetadataStore; blobs: BlobStore; log: PurgerLogger; faults: Faults },
    private readonly opts = { batch: 100, leaseMs: 60_000 },
  ) {}

  /** Erases the entries' blobs now. Throws if storage fails; the entries then stay queued. */
  async purge(entries: readonly PurgeEntry[]): Promise<void> {
    const run = async (e: PurgeEntry) => {
      await this.#erase(e);
      this.#done.push(e.id);
    };
    for (let i = 0; i < entries.length; i += 16) await Promise.all(entries.slice(i, i + 16).map(run));
    this.#scheduleFlush();
  }

  /** Removes finished entries from the queue. */
  async flush(): Promise<void> {
    while (this.#flushing) await this.#flushing;
    if (this.#done.length === 0) return;
    const ids = this.#done;
    this.#done = [];
    this.#flushing = this.deps.store.completePurge(ids).catch((err) => {
      this.#done.push(...ids);
      this.deps.log.warn({ err }, 'could not remove finished purge entries; will retry');
    });
    await this.#flushing;
    this.#flushing = undefined;
  }

  /** Claims and works every due entry; returns how many were purged. */
  drain(now = Date.now()): Promise<number> {
    return this.#drain(now, now);
  }

  /**
   * drain() for start-up recovery when no other worker can exist (the embedded single-node store).
   * Entries that a killed process had claimed stay leased for up to leaseMs after it died (even the
   * previous recovery's, if that was killed too), and a plain drain would leave them and their blobs
   * until the lease ran out. Every lease written before now ends by now + leaseMs - 1, so claiming
   * what is due by then takes them all; this run's own leases end at now + leaseMs, after that
   * horizon, so its loop does not claim them twice.
   */
  drainAbandoned(now = Date.now()): Promise<number> {
    return this.#drain(now, now + this.opts.leaseMs - 1);
  }

  async #drain(now: number, dueBy: number): Promise<number> {
    let total = 0;
    for (;;) {
      // Leased until now + leaseMs, whatever the horizon.
      const due = await this.deps.store.claimPurge({
        limit: this.opts.batch,
        now: dueBy,
        leaseMs: now + this.opts.leaseMs - dueBy,
      });
      if (due.length === 0) break;
      const run = async (e: PurgeEntry) => {
        try {
          await this.#erase(e);
          this.#done.push(e.id);
          total++;
        } catch (err) {
          await this.#failed(e, err, now);
        }
      };
      for (let i = 0; i < due.length; i += 16) await Promise.all(due.slice(i, i + 16).map(run));
      await this.flush();
    }
    return total;
  }

  /** An upload intent's put may have left a temporary file or multipart upload too. */
  async #erase(e: PurgeEntry) {
    if (e.reason === 'upload-intent') await this.deps.blobs.discard(e.blobKey);
    else await this.deps.blobs.delete(e.blobKey);
    this.deps.faults.hit('purge.after-blob-delete');
  }

  async #failed(e: PurgeEntry, err: unknown, now: number) {
    const outage = err instanceof StoreUnavailableError;
    const quarantine = err instanceof InvalidBlobKeyError || (!outage && e.attempts + 1 >= MAX_ATTEMPTS);
    const error = err instanceof Error ? err.message : String(err);
    // 2 s, 4 s, … up to 10 minutes between attempts.
    const retryAt = now + Math.min(600_000, 2000 * 2 ** Math.min(e.attempts, 20));
    this.deps.log.warn(
      { err, entry: e.id, blobKey: e.blobKey, attempts: e.attempts + 1, quarantine },
      quarantine ? 'purge entry quarantined: see ics verify' : 'could not erase a blob; will retry',
    );
    await this.deps.store.failPurge({ id: e.id, error, retryAt, quarantine, now });
  }

  /** Waits for pending removals of finished entries. */
  async stop(): Promise<void> {
    if (this.#flushTimer) clearTimeout(this.#flushTimer);
    this.#flushTimer = undefined;
    await this.flush();
  }

  #flushTimer: NodeJS.Timeout | undefined;

  #scheduleFlush() {
    if (this.#done.length >= 256) void this.flush();
    else
      this.#flushTimer ??= setTimeout(() => {
        this.#flushTimer = undefined;
        void this.flush();
      }, 50).unref();
  }
}
