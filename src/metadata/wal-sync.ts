import { fstatSync } from 'node:fs';
import { type FileHandle, open } from 'node:fs/promises';

/**
 * Makes SQLite commits durable with an fdatasync of the WAL file in libuv's thread pool instead of
 * inside COMMIT. With `synchronous = FULL`, better-sqlite3 waits for that fsync on the event loop,
 * stalling every stream in the process for each commit; with `synchronous = NORMAL` a commit only
 * writes its frames, and `sync()` after it flushes them. The WAL is appended in commit order, so one
 * fdatasync covers every commit written before it: calls that arrive while one runs share the next.
 *
 * What a caller of sync() gets is what FULL gives: when it resolves, its commit survives power loss.
 * One difference remains: between COMMIT and the sync, another connection (another process) can
 * already read the rows, which FULL shows only after its fsync.
 */
export class WalSync {
  #fd: FileHandle | undefined;
  /** Commits announced so far, and how many of them the last finished fdatasync covered. */
  #requested = 0;
  #synced = 0;
  #running: Promise<void> | undefined;
  /** fdatasyncs done so far (for tests and diagnostics). */
  flushes = 0;

  /** `onSize`: the WAL's size, after each flush (the store checkpoints a grown WAL off the loop). */
  constructor(
    private readonly walPath: string,
    private readonly onSize?: (bytes: number) => void,
  ) {}

  /** Resolves once everything committed before the call is on disk. */
  async sync(): Promise<void> {
    const want = ++this.#requested;
    while (this.#synced < want) {
      // A flush already under way may have started before this commit: wait for it, then look again.
      this.#running ??= this.#flush().finally(() => {
        this.#running = undefined;
      });
      await this.#running;
    }
  }

  async #flush() {
    const upTo = this.#requested;
    this.#fd ??= await open(this.walPath, 'r');
    // SQLite keeps the WAL file (truncated or restarted, never replaced) while a connection is open;
    // should it ever have been removed and made again, the new one is the one to flush.
    // (An fstat touches no file data: on the event loop it costs less than a hand-off to the pool.)
    const stat = fstatSync(this.#fd.fd);
    if (stat.nlink === 0) {
      await this.#fd.close();
      this.#fd = await open(this.walPath, 'r');
    }
    await this.#fd.datasync();
    this.flushes++;
    this.#synced = Math.max(this.#synced, upTo);
    this.onSize?.(stat.size);
  }

  async close(): Promise<void> {
    while (this.#running) await this.#running.catch(() => undefined);
    await this.#fd?.close();
    this.#fd = undefined;
  }
}
