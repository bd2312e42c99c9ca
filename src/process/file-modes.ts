import { chmod, mkdir, readdir, stat } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import type { Config } from '../config.js';

export interface Tightened {
  path: string;
  from: string;
  to: string;
}

/**
 * Makes the data directory private whatever the umask: the directory (and a blob directory outside
 * it) 0700, every file directly in it — the SQLite database and its WAL, the lock, bootstrap
 * credentials — 0600. Files deeper down (blobs) are created 0600 by their stores; for trees written
 * by older versions the 0700 directories above them are what keeps other users out. Returns what
 * it had to tighten, so that start-up can log it.
 */
export async function secureDataDir(config: Config): Promise<Tightened[]> {
  const tightened: Tightened[] = [];
  const dirs = new Set([config.dataDir]);
  if (config.database.kind === 'sqlite') dirs.add(dirname(config.database.path));
  if (config.blobs.kind === 'fs') dirs.add(config.blobs.root);
  for (const dir of dirs) {
    await mkdir(dir, { recursive: true, mode: 0o700 });
    await tighten(dir, 0o700, tightened);
    for (const entry of await readdir(dir, { withFileTypes: true })) {
      const path = join(dir, entry.name);
      if (entry.isFile()) await tighten(path, 0o600, tightened);
      else if (entry.isDirectory()) await tighten(path, 0o700, tightened);
    }
  }
  return tightened;
}

async function tighten(path: string, mode: number, out: Tightened[]): Promise<void> {
  const current = (await stat(path)).mode & 0o777;
  if ((current & ~mode) === 0) return;
  await chmod(path, current & mode);
  out.push({ path, from: octal(current), to: octal(current & mode) });
}

const octal = (mode: number) => `0${mode.toString(8).padStart(3, '0')}`;
