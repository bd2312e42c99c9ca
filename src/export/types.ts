import type { ContentAccess, ContentTypeName, Direction } from '../core/types.js';

// The records of the Interaction Content Export API. Times are epoch milliseconds.

export const EXPORT_BATCH = 'export-batch';
export const EXPORT_RECURRING = 'export-recurring';
export const EXPORT_KINDS = [EXPORT_BATCH, EXPORT_RECURRING] as const;
export type ExportKind = (typeof EXPORT_KINDS)[number];

/** Empty arrays mean "everything" (VCC). */
export interface ExportFilters {
  contentTypes: ContentTypeName[];
  initialDirection: Direction[];
}

/** What the S3 client needs, secrets included: kept sealed, never returned by the API. */
export interface S3Credentials {
  accessKeyId: string;
  secretAccessKey: string;
}

/** An external storage item: an S3 bucket (and key prefix) that exports are written to. */
export interface StorageItem {
  account: string;
  id: string;
  name: string;
  provider: 'AWS_S3';
  bucket: string;
  region: string;
  /** An S3-compatible endpoint; undefined: AWS's own for the region. */
  endpoint: string | undefined;
  forcePathStyle: boolean;
  /** '' or ending in '/'. */
  prefix: string;
  /** The last four characters of the access key id, for lists. */
  accessKeyHint: string | null;
  createdAt: number;
}

/** Where an export writes: the storage item with its credentials opened. */
export interface ExportDestination extends StorageItem {
  credentials: S3Credentials;
}

/** An export job's payload, fixed when it is scheduled. */
export interface ExportPayload {
  startDate: number;
  /** Batch only; inclusive. */
  endDate?: number;
  filters: ExportFilters;
  externalStorageId: string;
  /**
   * The scheduling client's read restriction (core/permissions.ts), when it had one: the filters
   * are already narrowed to it, and each interaction.json lists only the items it permits.
   */
  readable?: ContentAccess;
}

/** The progress counts of an export job; `exported` includes `skipped` (already in place). */
export interface ExportProgress {
  exported: number;
  failed: number;
  skipped: number;
  bytes: number;
  [count: string]: number;
}

/** A batch job's checkpoint: the last interaction done, in (start, guid) order. */
export interface BatchState {
  after?: { start: number; guid: string };
  failures?: ItemFailure[];
}

/**
 * A recurring job's checkpoint. Each run takes the content whose lastModified is in [from, to):
 * `to` is fixed when the run starts (now − settle time) and becomes the next run's `from`.
 */
export interface RecurringState {
  from: number;
  to?: number;
  after?: { lastModified: number; guid: string; contentKey: string };
  runs: number;
  lastRunAt?: number;
  failures?: ItemFailure[];
}

/** A file that could not be exported (the last few are kept in the job's state). */
export interface ItemFailure {
  guid: string;
  contentKey: string;
  error: string;
  at: number;
}
