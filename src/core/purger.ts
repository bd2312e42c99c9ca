import type { BlobStore } from '../blobs/blob-store.js';
import type { MetadataStore } from '../metadata/metadata-store.js';
import type { Faults } from './faults.js';
import type { PurgeEntry } from './types.js';

export interface PurgerLogger {
  warn(obj: object, msg: string): void;
  info(obj: object, msg: string): void;
}

/**
 * Works the durable purge queue. Deletions enqueue their blobs in the same transaction that hides the
 * rows, then call purge() to erase the bytes before answering; a crash in between leaves the entry
 * queued and the background loop (here or on another node) finishes it. Removing finished entries is
 * batched: a lost removal only means a repeated, idempotent blob delete.
 */
export class Purger {
  #done: string[] = [];
  #flushing: Promise<void> | undefined;
  #timer: NodeJS.Timeout | undefined;
  #running: Promise<void> | undefined;

  constructor(
    private readonly deps: { store: MetadataStore; blobs: BlobStore; log: PurgerLogger; faults: Faults },
    private readonly opts = { intervalMs: 2000, batch: 100, leaseMs: 60_000 },
  ) {}

  /** Erases the entries' blobs now. Throws if storage fails; the entries then stay queued. */
  async purge(entries: readonly PurgeEntry[]): Promise<void> {
    const run = async (e: PurgeEntry) => {
      await this.deps.blobs.delete(e.blobKey);
      this.deps.faults.hit('purge.after-blob-delete');
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
      await this.purge(due);
      await this.flush();
      total += due.length;
    }
    return total;
  }

  start(): void {
    const tick = () => {
      this.#running = this.drain()
        .then((n) => {
          if (n > 0) this.deps.log.info({ purged: n }, 'purge queue worked');
        })
        .catch((err) => this.deps.log.warn({ err }, 'purge queue run failed; will retry'))
        .finally(() => {
          this.#running = undefined;
          if (this.#timer) this.#timer = setTimeout(tick, this.opts.intervalMs).unref();
        });
    };
    this.#timer = setTimeout(tick, 0).unref();
  }

  async stop(): Promise<void> {
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = undefined;
    await this.#running;
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
