import type { MetadataTx } from '../metadata/metadata-store.js';
import type { MatchPageQuery } from './match-query.js';
import type { DeletionJobItem, ItemOutcome, LedgerRef } from './types.js';

/** Matching and per-item records of deletion jobs, in the metadata database. */
export interface DeletionJobStore {
  /** One page of a walk's matches in (start, guid) order (match-query.ts). */
  matchPage(q: MatchPageQuery): Promise<{ guid: string; start: number }[]>;
  /**
   * Adds these interactions to the job's items in the caller's transaction; an interaction that is
   * already an item (found by another walk, or by a run that was cut short) is left alone. Returns
   * how many were added.
   */
  addItemsIn(
    tx: MetadataTx,
    item: { account: string; jobId: string; guids: readonly string[]; outcome: ItemOutcome; now: number },
  ): Promise<number>;
  /** Records what became of an item, in the caller's transaction (with the deletion it records). */
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
  ): Promise<void>;
  /** The job's items by guid, strictly after `afterGuid`, only those with `outcome` when given. */
  listItems(q: {
    account: string;
    jobId: string;
    outcome?: ItemOutcome;
    afterGuid?: string;
    limit: number;
  }): Promise<DeletionJobItem[]>;
}
