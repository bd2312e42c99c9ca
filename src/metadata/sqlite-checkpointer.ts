import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';

// The WAL scrub after a deletion (sqlite-dialect.ts truncateWal) is a TRUNCATE checkpoint: it copies
// the WAL into the database file and fsyncs it, ~10 ms on an ordinary disk. better-sqlite3 is
// synchronous, so on the store's own connection that time is taken from the event loop, and every
// request in flight waits for it. This runs the checkpoint on a worker thread with a connection of
// its own to the same file; the deletion still waits for it before answering.

const WORKER = `
const { parentPort, workerData } = require('node:worker_threads');
const Sqlite = require(workerData.driver);
const db = new Sqlite(workerData.path, { timeout: 0 });
db.pragma('busy_timeout = 0');
db.pragma('synchronous = FULL');
parentPort.on('message', (id) => {
  let done = false;
  try {
    done = db.pragma('wal_checkpoint(TRUNCATE)')[0].busy === 0;
  } catch (err) {
    if (!String(err && err.code).startsWith('SQLITE_BUSY')) {
      parentPort.postMessage({ id, error: String(err && err.message) });
      return;
    }
  }
  parentPort.postMessage({ id, done });
});
`;

export type CheckpointResult = 'done' | 'busy' | 'unavailable';

/** SQLite's default autocheckpoint: 1,000 pages of 4 KiB. */
export const AUTO_CHECKPOINT_BYTES = 1000 * 4096;

export class SqliteCheckpointer {
  readonly #worker: Worker;
  readonly #pending = new Map<number, (result: CheckpointResult) => void>();
  #next = 0;
  /** The worker failed or is gone; #closed: because close() stopped it. */
  #broken = false;
  #closed = false;

  constructor(path: string) {
    const driver = createRequire(import.meta.url).resolve('better-sqlite3');
    this.#worker = new Worker(WORKER, { eval: true, workerData: { path, driver } });
    this.#worker.unref();
    this.#worker.on('message', (m: { id: number; done?: boolean; error?: string }) => {
      this.#pending.get(m.id)?.(m.done === true ? 'done' : m.error === undefined ? 'busy' : 'unavailable');
      this.#pending.delete(m.id);
    });
    // A worker that cannot run leaves the checkpoint to the store's own connection (the caller's fallback).
    const fail = () => {
      this.#broken = true;
      for (const resolve of this.#pending.values()) resolve('unavailable');
      this.#pending.clear();
    };
    this.#worker.on('error', fail);
    this.#worker.on('exit', fail);
  }

  /**
   * One TRUNCATE checkpoint attempt, off the event loop: 'done' when it completed, 'busy' when a
   * writer or a reader kept it from completing (the caller tries again), 'unavailable' when the
   * worker failed or is gone (the caller uses its own connection).
   */
  checkpoint(): Promise<CheckpointResult> {
    if (this.#broken) return Promise.resolve('unavailable');
    const id = this.#next++;
    return new Promise((resolve) => {
      this.#pending.set(id, resolve);
      this.#worker.postMessage(id);
    });
  }

  #growth: Promise<unknown> | undefined;

  /**
   * SQLite's automatic checkpoint, moved here: the store's connection runs with
   * `wal_autocheckpoint = 0`, and once its WAL has grown past AUTO_CHECKPOINT_BYTES a TRUNCATE
   * checkpoint copies it into the database file on this thread and resets it. (A PASSIVE one, as
   * SQLite's own, never caught up with a stream of commits: the WAL restarts only once every frame is
   * copied, so it grew without bound.) Writers meanwhile wait in BEGIN IMMEDIATE's non-blocking
   * retry; one busy because a write was under way is tried again after the next commit's sync. Under
   * autocheckpoint it ran inside the COMMIT that crossed the size, with its fsyncs, on the event
   * loop. One at a time; `onUnavailable` once the worker is gone, so the store can turn
   * autocheckpoint back on.
   */
  walGrew(bytes: number, onUnavailable: () => void): void {
    if (bytes < AUTO_CHECKPOINT_BYTES || this.#growth) return;
    this.#growth = this.checkpoint().then((result) => {
      this.#growth = undefined;
      // Not when the store is closing (close() stops the worker): its connection may be gone too.
      if (result === 'unavailable' && !this.#closed) onUnavailable();
    });
  }

  async close(): Promise<void> {
    this.#closed = true;
    this.#broken = true;
    await this.#worker.terminate();
  }
}
