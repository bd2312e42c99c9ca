import { randomFillSync } from 'node:crypto';
import { closeSync, openSync, writeSync } from 'node:fs';

// What every figure gets: the mode's sizes and counts, a work directory, a logger.

export interface Params {
  mode: 'quick' | 'full';
  /** Interleaved rounds per side; the medians are reported. */
  rounds: number;
  seedCount: number;
  /** Seconds per autocannon run for the metadata and search figures. */
  metaSeconds: number;
  searchSeconds: number;
  metaConnections: number;
  /** Seconds per wrk run for each download case, and for the memory figure. */
  downloadSeconds: number;
  memorySeconds: number;
  bigMiB: number;
  smallMiB: number;
  smallFiles: number;
  /** 64 KiB uploads per round, later deleted; and the writers' concurrency. */
  smallUploads: number;
  writeConnections: number;
  /** Uploads, then deletes, per side per round in the PostgreSQL ÷ SQLite figure. */
  pgWrites: number;
  largeUploadMiB: number;
  /** Interactions copied by `ics import` per round (each: a 5 MiB recording, a transcript, a summary). */
  importInteractions: number;
  /** Interleaved rounds of the import figure (after one untimed warm-up round of each side). */
  importRounds: number;
  /** Events per round in the webhooks figure (half uploads, half deletes). */
  webhookEvents: number;
}

export const QUICK: Params = {
  mode: 'quick',
  rounds: 2,
  seedCount: 100_000,
  metaSeconds: 1.5,
  searchSeconds: 1.5,
  metaConnections: 16,
  downloadSeconds: 2,
  memorySeconds: 3,
  bigMiB: 256,
  smallMiB: 16,
  smallFiles: 8,
  smallUploads: 100,
  writeConnections: 8,
  pgWrites: 200,
  largeUploadMiB: 256,
  importInteractions: 20,
  importRounds: 3,
  webhookEvents: 2000,
};

export const FULL: Params = {
  mode: 'full',
  rounds: 3,
  seedCount: 1_000_000,
  metaSeconds: 5,
  searchSeconds: 5,
  metaConnections: 16,
  downloadSeconds: 8,
  memorySeconds: 15,
  bigMiB: 256,
  smallMiB: 16,
  smallFiles: 32,
  smallUploads: 2000,
  writeConnections: 8,
  pgWrites: 1000,
  largeUploadMiB: 1024,
  importInteractions: 60,
  importRounds: 7,
  webhookEvents: 10_000,
};

export interface BenchContext {
  params: Params;
  /** This run's scratch directory (under bench/.work), removed at the end unless --keep. */
  workDir: string;
  /** Where the ICS servers write CPU profiles, when --profile was given. */
  profileDir: string | undefined;
  log(message: string): void;
}

export const MiB = 1024 * 1024;

/** A file of random bytes (nothing on the path compresses, but identical blocks would be odd). */
export function makeFile(path: string, bytes: number): void {
  const block = Buffer.alloc(Math.min(bytes, 4 * MiB));
  const fd = openSync(path, 'w');
  try {
    for (let written = 0; written < bytes; ) {
      const n = Math.min(block.length, bytes - written);
      randomFillSync(block, 0, n);
      written += writeSync(fd, block, 0, n);
    }
  } finally {
    closeSync(fd);
  }
}
