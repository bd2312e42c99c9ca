import type { SqlHandle } from '../metadata/sql-handle.js';

export interface PurgeQueueStats {
  /** Entries waiting to be erased (deletions' blobs), quarantined ones excluded. */
  depth: number;
  /** Entries that failed for good and wait for `ics verify --repair`. */
  quarantined: number;
  /** When the oldest waiting entry became due (ms), or undefined when none waits. */
  oldestDueMs: number | undefined;
}

/** One aggregate read of the purge queue for /metrics (upload intents are uploads, not backlog). */
export async function readPurgeQueueStats(sql: SqlHandle): Promise<PurgeQueueStats> {
  return sql.read(async (db) => {
    const row = await db
      .selectFrom('purge_queue')
      .where('reason', '<>', 'upload-intent')
      .select((eb) => [
        eb.fn.countAll<number | string>().filterWhere('quarantined_ms', 'is', null).as('depth'),
        eb.fn.countAll<number | string>().filterWhere('quarantined_ms', 'is not', null).as('quarantined'),
        eb.fn
          .min<number | string | null>('not_before_ms')
          .filterWhere('quarantined_ms', 'is', null)
          .as('oldest'),
      ])
      .executeTakeFirstOrThrow();
    return {
      depth: Number(row.depth),
      quarantined: Number(row.quarantined),
      oldestDueMs: row.oldest === null ? undefined : Number(row.oldest),
    };
  });
}
