import { randomUUID } from 'node:crypto';
import { closeSync, constants, type Dir, fstatSync, mkdirSync, openSync } from 'node:fs';
import { access, link, opendir, rename, stat, unlink } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import {
  BlobExistsError,
  BlobNotFoundError,
  type BlobStore,
  type ByteRange,
  type IncompleteUpload,
} from './blob-store.js';
import { DurableFile } from './durable-file.js';
import { FileSlice } from './file-slice.js';
import { DirSyncs, errno, makeDirs, pruneEmptyDirs, syncDir } from './fs-durable.js';
import { keyOfTempName, keyProblem, resolveKeyPath, TMP_DIR_NAME, tempStem } from './secure-path.js';
import {
  assertValidRange,
  blobStorageUnavailable,
  holdBodyErrors,
  rangeStartsPastEnd,
} from './store-errors.js';

/** Large reads and writes: downloads should run near nginx speed, uploads near disk speed. */
const CHUNK = 1024 * 1024;
/** Downloads read in smaller pieces: many concurrent streams each hold about two of them. */
const READ_CHUNK = 256 * 1024;

/** Errors that mean the storage itself is unwell, not that a key or a body is wrong. */
const STORAGE_CODES = new Set(['ENOSPC', 'EDQUOT', 'EROFS', 'EIO', 'EACCES', 'EPERM', 'EMFILE', 'ENFILE']);

/** Filesystems without hard links answer link() with one of these; put then falls back to rename. */
const NO_HARD_LINKS = new Set(['EPERM', 'ENOTSUP', 'EOPNOTSUPP', 'ENOSYS']);

const MISSING = new Set(['ENOENT', 'ENOTDIR']);

/**
 * Blobs as files under one root: `<root>/<key>`. Uploads stream into `<root>/.tmp/` (same
 * filesystem) and are published with link(), which fails instead of replacing an existing file,
 * so a key is never overwritten and a reader never sees a partial file.
 */
export class FsBlobStore implements BlobStore {
  readonly root: string;
  readonly #tmp: string;
  readonly #dirSyncs: DirSyncs;
  /**
   * Directories being made by a put, until their entries in their parents are durable: another put
   * into the same directory waits for that too, even though it did not make it.
   */
  readonly #making = new Map<string, Promise<void>>();

  /** `opts.syncDir` replaces the directory fsync (tests watch or hold it; it must still fsync). */
  constructor(root: string, opts: { syncDir?: (dir: string) => Promise<void> } = {}) {
    this.root = resolve(root);
    this.#dirSyncs = new DirSyncs(opts.syncDir);
    this.#tmp = join(this.root, TMP_DIR_NAME);
    try {
      mkdirSync(this.#tmp, { recursive: true, mode: 0o700 });
    } catch (err) {
      throw blobStorageUnavailable(`cannot create directory '${this.#tmp}' (${errno(err) ?? err})`, err);
    }
  }

  async put(key: string, body: Readable): Promise<{ length: number }> {
    const path = resolveKeyPath(this.root, key);
    // Named after the key, so that the intent of a process that died mid-put can discard it.
    const tmp = join(this.#tmp, `${tempStem(key)}.${randomUUID()}.part`);
    holdBodyErrors(body);
    // The key's directory is made (and made durable) while the body streams. Should the put fail,
    // the empty directory goes with the intent's erasure (delete() prunes empty directories).
    const dirReady = this.#dirReady(dirname(path));
    dirReady.catch(() => undefined);
    try {
      // Fail fast, before streaming gigabytes; link() below is the check that counts.
      if (await this.#isFile(path)) throw new BlobExistsError(key);
      // 'wx' never reuses a file; the file fsyncs and closes before it finishes. On failure
      // pipeline can settle while the file is still being opened, so wait for the close before the
      // finally below unlinks it, or the file would appear after the unlink.
      const file = new DurableFile(tmp, { batchBytes: CHUNK });
      try {
        await pipeline(body, file);
      } finally {
        if (!file.closed) await new Promise<void>((resolve) => file.once('close', () => resolve()));
      }
      const length = file.length;
      await dirReady;
      await this.#publish(tmp, path, key);
      return { length };
    } catch (err) {
      body.destroy();
      // The directory is made before this put's failure is answered, so that the erasure that
      // follows (delete) finds it and prunes it if it is empty.
      await dirReady.catch(() => undefined);
      throw this.#translate(err);
    } finally {
      // After a successful link the temporary name is only a second link to the same file. If it
      // cannot be removed now, sweepTemporary removes it later; the put's outcome stands.
      await unlink(tmp).catch(() => undefined);
    }
  }

  async get(key: string, range?: ByteRange): Promise<Readable> {
    const path = resolveKeyPath(this.root, key);
    if (range) assertValidRange(range);
    // open, fstat and close run on the event loop, reads in libuv's thread pool. Handing an open
    // or a close to the pool cost more main-thread time (locking and waking a worker) than the
    // system call itself, which touches no file data: on a 1 MiB Range request the three hand-offs
    // were about a quarter of the server's CPU (docs/performance.md). Reads can wait for the disk,
    // so they stay asynchronous.
    let fd: number;
    try {
      fd = openSync(path, 'r');
    } catch (err) {
      if (MISSING.has(errno(err) ?? '')) throw new BlobNotFoundError(key);
      throw this.#translate(err);
    }
    try {
      const info = fstatSync(fd);
      if (!info.isFile()) throw new BlobNotFoundError(key);
      if (range && range.start >= info.size) throw rangeStartsPastEnd(range, info.size);
      // The stream owns the descriptor from here and closes it when it ends or is destroyed.
      // FileSlice reuses pooled buffers when piped into a response (file-slice.ts); for other
      // consumers, up to 1 MiB (a typical Range request, a small file) is one read.
      const start = range?.start ?? 0;
      const end = Math.min(range?.end ?? info.size - 1, info.size - 1);
      const wanted = end - start + 1;
      return new FileSlice(fd, start, end, wanted <= CHUNK ? Math.max(wanted, 1) : READ_CHUNK);
    } catch (err) {
      closeSync(fd);
      throw this.#translate(err);
    }
  }

  async stat(key: string): Promise<{ length: number } | undefined> {
    const path = resolveKeyPath(this.root, key);
    try {
      const info = await stat(path);
      return info.isFile() ? { length: info.size } : undefined;
    } catch (err) {
      if (MISSING.has(errno(err) ?? '')) return undefined;
      throw this.#translate(err);
    }
  }

  async delete(key: string): Promise<void> {
    const path = resolveKeyPath(this.root, key);
    const dir = dirname(path);
    try {
      await unlink(path);
    } catch (err) {
      // EISDIR: the key names a directory of other keys, so there is no blob under it.
      if (!MISSING.has(errno(err) ?? '') && errno(err) !== 'EISDIR') throw this.#translate(err);
    }
    try {
      // Also after ENOENT: an earlier unlink of this key may not have been made durable yet.
      await syncDir(dir);
    } catch (err) {
      if (!MISSING.has(errno(err) ?? '')) throw this.#translate(err);
      return;
    }
    await pruneEmptyDirs(this.root, dir);
  }

  async discard(key: string): Promise<void> {
    await this.delete(key);
    const prefix = `${tempStem(key)}.`;
    try {
      for await (const entry of await opendir(this.#tmp)) {
        if (!entry.name.startsWith(prefix)) continue;
        await unlink(join(this.#tmp, entry.name)).catch((err) => {
          if (errno(err) !== 'ENOENT') throw err;
        });
      }
    } catch (err) {
      throw this.#translate(err);
    }
  }

  async *list(): AsyncIterable<{ key: string; length: number }> {
    yield* this.#walk(this.root, '');
  }

  async listIncomplete(): Promise<IncompleteUpload[]> {
    const found: IncompleteUpload[] = [];
    try {
      for await (const entry of await opendir(this.#tmp)) {
        const info = await stat(join(this.#tmp, entry.name)).catch(() => undefined);
        if (!info?.isFile()) continue;
        found.push({
          key: keyOfTempName(entry.name),
          id: entry.name,
          startedAt: info.birthtimeMs || info.mtimeMs,
        });
      }
    } catch (err) {
      throw this.#translate(err);
    }
    return found;
  }

  async sweepTemporary(olderThanMs: number): Promise<number> {
    const cutoff = Date.now() - olderThanMs;
    let removed = 0;
    try {
      // An upload in progress keeps its file's mtime fresh, so only stalled or crashed ones qualify.
      for await (const entry of await opendir(this.#tmp)) {
        const path = join(this.#tmp, entry.name);
        const info = await stat(path).catch(() => undefined);
        if (!info || info.mtimeMs > cutoff) continue;
        try {
          await unlink(path);
          removed++;
        } catch (err) {
          if (errno(err) !== 'ENOENT') throw err;
        }
      }
    } catch (err) {
      throw this.#translate(err);
    }
    return removed;
  }

  async ping(): Promise<void> {
    try {
      await access(this.#tmp, constants.R_OK | constants.W_OK | constants.X_OK);
    } catch (err) {
      throw blobStorageUnavailable(`directory '${this.root}' is not writable (${errno(err) ?? err})`, err);
    }
  }

  async close(): Promise<void> {}

  /**
   * Makes `dir` (mkdir -p) and fsyncs the parent of every directory that made, so that `dir` is
   * reachable after a power loss. Puts into a directory that another put is making share its work.
   */
  #dirReady(dir: string): Promise<void> {
    const pending = this.#making.get(dir);
    if (pending) return pending;
    const making = (async () => {
      const created = await makeDirs(dir);
      await Promise.all([...new Set(created.map((d) => dirname(d)))].map((d) => this.#dirSyncs.sync(d)));
    })().finally(() => {
      this.#making.delete(dir);
    });
    this.#making.set(dir, making);
    return making;
  }

  /** Links the finished temporary file to its key in its (made) directory and fsyncs that directory. */
  async #publish(tmp: string, path: string, key: string): Promise<void> {
    const dir = dirname(path);
    for (let attempt = 1; ; attempt++) {
      try {
        await link(tmp, path);
        break;
      } catch (err) {
        const code = errno(err);
        if (code === 'EEXIST') throw new BlobExistsError(key);
        // A concurrent delete may have pruned the directory since it was made; make it again.
        if (code === 'ENOENT' && attempt < 3) {
          await this.#dirReady(dir);
          continue;
        }
        if (!NO_HARD_LINKS.has(code ?? '')) throw err;
        // No hard links here: rename cannot refuse to replace, so check first (keys are fresh, and
        // the check above already ran; this narrows the window, it cannot close it).
        if (await this.#isFile(path)) throw new BlobExistsError(key);
        await rename(tmp, path);
        break;
      }
    }
    await this.#dirSyncs.sync(dir);
  }

  async #isFile(path: string): Promise<boolean> {
    try {
      return (await stat(path)).isFile();
    } catch (err) {
      if (MISSING.has(errno(err) ?? '')) return false;
      throw err;
    }
  }

  async *#walk(dir: string, prefix: string): AsyncGenerator<{ key: string; length: number }> {
    let entries: Dir;
    try {
      entries = await opendir(dir);
    } catch (err) {
      if (MISSING.has(errno(err) ?? '')) return; // pruned by a concurrent delete
      throw this.#translate(err);
    }
    for await (const entry of entries) {
      if (prefix === '' && entry.name === TMP_DIR_NAME) continue;
      const key = prefix === '' ? entry.name : `${prefix}/${entry.name}`;
      const path = join(dir, entry.name);
      if (entry.isDirectory()) {
        yield* this.#walk(path, key);
      } else if (entry.isFile() && keyProblem(key) === undefined) {
        // Files whose names are not valid keys were not written by this store; they are skipped.
        const info = await stat(path).catch(() => undefined);
        if (info) yield { key, length: info.size };
      }
    }
  }

  #translate(err: unknown): unknown {
    const code = errno(err);
    if (code && STORAGE_CODES.has(code)) return blobStorageUnavailable(`${code} under '${this.root}'`, err);
    return err;
  }
}
