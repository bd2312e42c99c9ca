import type { ContentTypeName, Direction } from '../core/types.js';
import type { MetadataTx } from '../metadata/metadata-store.js';
import type { DueItem, StoredPolicy } from './types.js';

/** One (type, direction) range of content that started at or before `startAtMost`. */
export interface DueRange {
  account: string;
  type: ContentTypeName;
  direction: Direction;
  /** Inclusive. */
  startAtMost: number;
}

/** Retention's rows in the metadata database (retention_policies, and its index on contents). */
export interface RetentionStore {
  /** The account's policy, or undefined when it never set one. */
  getPolicy(account: string): Promise<StoredPolicy | undefined>;
  /**
   * Inside a transaction: the account's policy, locked against concurrent changes until the
   * transaction ends (the row is created, as `empty`, when absent).
   */
  lockPolicy(tx: MetadataTx, account: string, empty: StoredPolicy): Promise<StoredPolicy>;
  /** Writes the policy (rules, pending, status, version) in the caller's transaction. */
  savePolicy(tx: MetadataTx, policy: StoredPolicy): Promise<void>;
  /** The policy's version as this transaction sees it (undefined when there is none). */
  policyVersion(tx: MetadataTx, account: string): Promise<number | undefined>;
  /** Notes that a sweep was asked for at `at`; false when the account has no policy. */
  requestSweep(account: string, at: number): Promise<boolean>;
  /** Records a finished sweep in the caller's transaction. */
  recordSweep(tx: MetadataTx, account: string, sweep: { at: number; deleted: number }): Promise<void>;
  /**
   * Items of the range in (start, guid, contentKey) order after `after`, up to `limit`, with whether
   * their interaction is under legal hold (`withHeld`: held items are listed too, else left out).
   * Served by contents_retention_idx.
   */
  listDue(
    range: DueRange & {
      after?: { start: number; guid: string; contentKey: string };
      limit: number;
      withHeld: boolean;
    },
  ): Promise<DueItem[]>;
  /** How many items of the range are not under legal hold. */
  countDue(range: DueRange): Promise<number>;
}
