import type { RetryEvent } from './retry.js';

/** What happened to one content item. */
export type ItemStatus =
  /** Stored in the target (it had no item under that key). */
  | 'copied'
  /** The target's item under that key differed (length or lastModified) and was replaced. */
  | 'replaced'
  /** Already there: same GUID, same key, same length and (when the source gives it) lastModified. */
  | 'skipped'
  /** Gone from the source between listing and download. */
  | 'vanished'
  | 'failed';

export type ImportEvent =
  | { type: 'scan'; interactions: number; items: number; bytes: number; done: boolean }
  /** `bytes`: the item's listed length (0 when the source's record was unreadable). */
  | { type: 'item'; guid: string; contentKey: string; status: ItemStatus; bytes: number; message?: string }
  | { type: 'interaction'; guid: string; status: 'failed' | 'metadata-differs'; message: string }
  | ({ type: 'retry' } & RetryEvent);

export interface ImportFailure {
  guid: string;
  contentKey?: string;
  message: string;
}

export interface ImportSummary {
  interactions: { total: number; created: number; existing: number; failed: number };
  items: Record<ItemStatus, number> & { total: number };
  bytes: { total: number; copied: number };
  retries: number;
  /** Stopped by the caller (Ctrl-C) before the end; run it again to resume. */
  interrupted: boolean;
  /** Set when the import had to stop (the source's search failed for good, the target is down). */
  fatal?: string;
  /** The first failures (at most MAX_LISTED_FAILURES); the counts hold them all. */
  failures: ImportFailure[];
  seconds: number;
}

export const MAX_LISTED_FAILURES = 1000;

export function emptySummary(): ImportSummary {
  return {
    interactions: { total: 0, created: 0, existing: 0, failed: 0 },
    items: { total: 0, copied: 0, replaced: 0, skipped: 0, vanished: 0, failed: 0 },
    bytes: { total: 0, copied: 0 },
    retries: 0,
    interrupted: false,
    failures: [],
    seconds: 0,
  };
}
