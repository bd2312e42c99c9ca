import type { BlobStore } from '../blobs/blob-store.js';
import type { Purger } from '../core/purger.js';
import type { JobHandler } from './runner.js';

/** The system job that works the purge queue; one row, run by one node at a time. */
export const PURGE_JOB = { account: '', id: 'purge', kind: 'purge', payload: {} } as const;

interface PurgeState {
  lastSweepAt?: number;
}

/**
 * Erases what deletions left queued (a storage outage, a crash after commit) and the partial blobs
 * of dead nodes' uploads; hourly, it also removes unattributable leftovers older than a day
 * (temporary files of older versions, multipart uploads whose key no intent names).
 */
export function purgeJob(
  deps: { purger: Purger; blobs: BlobStore },
  opts: { intervalMs: number; sweepEveryMs?: number; leftoverAgeMs?: number },
): JobHandler<unknown, PurgeState> {
  const sweepEvery = opts.sweepEveryMs ?? 3600_000;
  return {
    kind: PURGE_JOB.kind,
    maxFailures: Number.POSITIVE_INFINITY,
    async run(ctx) {
      const purged = await deps.purger.drain();
      const now = Date.now();
      let state = ctx.job.state ?? {};
      if (state.lastSweepAt === undefined || now - state.lastSweepAt >= sweepEvery) {
        await deps.blobs.sweepTemporary(opts.leftoverAgeMs ?? 24 * 3600_000);
        state = { lastSweepAt: now };
      }
      const total = (ctx.job.progress?.purged ?? 0) + purged;
      return { status: 'queued', runAt: Date.now() + opts.intervalMs, state, progress: { purged: total } };
    },
  };
}
