import type { DeletionJobItemRow } from '../metadata/db-schema.js';
import type { MetadataTx } from '../metadata/metadata-store.js';
import { type SqlHandle, sqlOf } from '../metadata/sql-handle.js';
import { atSeam } from '../metadata/store-errors.js';
import type { DeletionJobStore } from './deletion-job-store.js';
import { type MatchPageQuery, matchPageQuery } from './match-query.js';
import type { DeletionJobItem, ItemOutcome, LedgerRef } from './types.js';

/** DeletionJobStore on the metadata database (SQLite or PostgreSQL), through the store's SQL handle. */
export class KyselyDeletionJobStore implements DeletionJobStore {
  constructor(private readonly sql: SqlHandle) {}

  matchPage(q: MatchPageQuery): Promise<{ guid: string; start: number }[]> {
    return this.sql.read(async (db) => {
      const rows = await matchPageQuery(db, q).execute();
      return rows.map((r) => ({ guid: r.guid, start: Number(r.start_ms) }));
    });
  }

  addItemsIn(
    tx: MetadataTx,
    item: { account: string; jobId: string; guids: readonly string[]; outcome: ItemOutcome; now: number },
  ): Promise<number> {
    return atSeam(async () => {
      if (item.guids.length === 0) return 0;
      const res = await sqlOf(tx)
        .insertInto('deletion_job_items')
        .values(
          item.guids.map((guid) => ({
            account: item.account,
            job_id: item.jobId,
            guid,
            outcome: item.outcome,
            entries: null,
            message: null,
            updated_ms: item.now,
          })),
        )
        .onConflict((oc) => oc.columns(['account', 'job_id', 'guid']).doNothing())
        .executeTakeFirst();
      return Number(res.numInsertedOrUpdatedRows ?? 0);
    });
  }

  setItemIn(
    tx: MetadataTx,
    item: {
      account: string;
      jobId: string;
      guid: string;
      outcome: ItemOutcome;
      entries: readonly LedgerRef[];
      message?: string | null;
      now: number;
    },
  ): Promise<void> {
    return atSeam(async () => {
      await sqlOf(tx)
        .updateTable('deletion_job_items')
        .set({
          outcome: item.outcome,
          entries:
            item.entries.length === 0 ? null : JSON.stringify(item.entries.map((e) => [e.seq, e.hash])),
          message: item.message ?? null,
          updated_ms: item.now,
        })
        .where('account', '=', item.account)
        .where('job_id', '=', item.jobId)
        .where('guid', '=', item.guid)
        .execute();
    });
  }

  listItems(q: {
    account: string;
    jobId: string;
    outcome?: ItemOutcome;
    afterGuid?: string;
    limit: number;
  }): Promise<DeletionJobItem[]> {
    return this.sql.read(async (db) => {
      let query = db
        .selectFrom('deletion_job_items')
        .selectAll()
        .where('account', '=', q.account)
        .where('job_id', '=', q.jobId);
      if (q.outcome) query = query.where('outcome', '=', q.outcome);
      if (q.afterGuid !== undefined) query = query.where('guid', '>', q.afterGuid);
      const rows = await query.orderBy('guid').limit(q.limit).execute();
      return rows.map(toItem);
    });
  }
}

function toItem(r: DeletionJobItemRow): DeletionJobItem {
  const entries = r.entries === null ? [] : (JSON.parse(r.entries) as [number, string][]);
  return {
    guid: r.guid,
    outcome: r.outcome as ItemOutcome,
    entries: entries.map(([seq, hash]) => ({ seq, hash })),
    message: r.message,
  };
}
