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

/** fsyncs every directory that gained an entry: `dir` itself and the parents of created ones. */
export async function syncCreatedDirs(dir: string, created: string[]): Promise<void> {
  const toSync = new Set<string>([resolve(dir)]);
  for (const d of created) toSync.add(dirname(d));
  // All must finish before the put resolves; the order does not matter for that promise.
  await Promise.all([...toSync].map(syncDir));
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
