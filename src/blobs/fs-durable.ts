import { type FileHandle, mkdir, open, rmdir } from 'node:fs/promises';
import { dirname, resolve, sep } from 'node:path';

// Small durability helpers for FsBlobStore. A rename, link or unlink is durable only once the
// directory that holds the entry is fsynced; a freshly made directory is durable only once its own
// parent is fsynced too.

export const errno = (err: unknown): string | undefined => (err as NodeJS.ErrnoException | undefined)?.code;

export async function syncDir(path: string): Promise<void> {
  let handle: FileHandle;
  try {
    handle = await open(path, 'r');
  } catch (err) {
    // Windows cannot open a directory for fsync; there is nothing more to do on such platforms.
    if (errno(err) === 'EISDIR' || errno(err) === 'EPERM') return;
    throw err;
  }
  try {
    await handle.sync();
  } catch (err) {
    if (errno(err) !== 'EINVAL' && errno(err) !== 'EISDIR') throw err;
  } finally {
    await handle.close();
  }
}

/**
 * Directory fsyncs shared between callers, as a group commit: `sync(dir)` resolves once an fsync of
 * `dir` that began after the call has finished, so whatever the caller changed in `dir` before it
 * called is durable. Puts that finish at the same time in one directory (the files of one
 * interaction, the first files of many interactions in their account's directory) share one fsync
 * instead of one each; a caller never waits for more than the fsync running when it came plus one.
 */
export class DirSyncs {
  readonly #dirs = new Map<string, { requested: number; synced: number; running?: Promise<void> }>();

  /** `fsyncDir`: how one directory is fsynced (tests wrap it to watch or hold it). */
  constructor(private readonly fsyncDir: (dir: string) => Promise<void> = syncDir) {}

  async sync(dir: string): Promise<void> {
    let d = this.#dirs.get(dir);
    if (!d) {
      d = { requested: 0, synced: 0 };
      this.#dirs.set(dir, d);
    }
    const state = d;
    const want = ++state.requested;
    try {
      while (state.synced < want) {
        // A sync already under way may have started before this caller's change: wait for it, then
        // look again.
        state.running ??= (async () => {
          const upTo = state.requested;
          try {
            await this.fsyncDir(dir);
            state.synced = Math.max(state.synced, upTo);
          } finally {
            state.running = undefined;
          }
        })();
        await state.running;
      }
    } finally {
      if (state.running === undefined && this.#dirs.get(dir) === state && state.synced >= state.requested)
        this.#dirs.delete(dir);
    }
  }
}

/**
 * mkdir -p that reports which directories it created (outermost first), so the caller can fsync
 * the parents that gained a new entry.
 */
export async function makeDirs(dir: string): Promise<string[]> {
  const first = await mkdir(dir, { recursive: true, mode: 0o700 });
  if (first === undefined) return [];
  const created: string[] = [];
  for (let d = resolve(dir); ; d = dirname(d)) {
    created.unshift(d);
    if (d === resolve(first) || d === dirname(d)) break;
  }
  return created;
}

/** Removes `dir` and its parents while they are empty, stopping at `root`. Best-effort. */
export async function pruneEmptyDirs(root: string, dir: string): Promise<void> {
  const top = resolve(root);
  for (let d = resolve(dir); d !== top && d.startsWith(top + sep); d = dirname(d)) {
    try {
      await rmdir(d);
    } catch {
      return; // not empty (ENOTEMPTY), already gone, or busy: leave it
    }
  }
}
