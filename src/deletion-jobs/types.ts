import type { ContentTypeName, Direction } from '../core/types.js';
import type { JobStatus } from '../jobs/types.js';

// Deletion jobs: bulk and subject erasure (spec section 2). A job is a row of the one job runner
// (kind 'deletion-job'); what it matched and what became of each interaction are rows of
// deletion_job_items.

export const DELETION_JOB = 'deletion-job';

/** The ledger reason of every entry a deletion job appends (details name the job). */
export const DELETION_JOB_REASON = 'deletion-job';

/** What a job deletes; every given field must hold (AND). Times are epoch ms, [start, end). */
export interface DeletionMatch {
  /** As given (1–100); matched by their normal forms (core/addresses.ts) against connectFrom or connectTo. */
  addresses?: string[];
  handlingAgentId?: string;
  start?: number;
  end?: number;
  direction?: Direction;
  /** Only items of these types (the interaction goes with its last item); absent = whole interactions. */
  contentTypes?: ContentTypeName[];
}

export interface DeletionJobPayload {
  match: DeletionMatch;
  /** The distinct normal forms of match.addresses, in the order given. */
  normalized?: string[];
  dryRun: boolean;
  reason: string;
  reference: string | null;
  /** Who asked: the ledger entries carry this actor, as if the request deleted each item itself. */
  actor: { clientId: string; subject: string };
  requestId: string;
}

export type DeletionPhase = 'match' | 'delete' | 'held' | 'done';

export interface DeletionJobState {
  phase: DeletionPhase;
  /** match: which walk (see walksOf) and the last (start, guid) taken from it. */
  walk?: number;
  after?: { start: number; guid: string };
  /** delete / held: the last item (by guid) worked in this pass. */
  afterGuid?: string;
}

export interface DeletionCounts {
  matched: number;
  deleted: number;
  held: number;
  failed: number;
}

export type ItemOutcome = 'pending' | 'matched' | 'deleted' | 'held' | 'failed';

/** A ledger entry that a deletion appended, as a certificate names it. */
export interface LedgerRef {
  seq: number;
  hash: string;
}

export interface DeletionJobItem {
  guid: string;
  outcome: ItemOutcome;
  /** The ledger entries of its deletion (content items first, then the interaction's). */
  entries: LedgerRef[];
  message: string | null;
}

export interface DeletionJobView {
  id: string;
  account: string;
  status: JobStatus;
  dryRun: boolean;
  match: DeletionMatch;
  reason: string;
  reference: string | null;
  createdAt: number;
  startedAt: number | null;
  finishedAt: number | null;
  counts: DeletionCounts;
  /** A cancel was asked for and the worker has not stopped yet. */
  cancelRequested: boolean;
  error: string | null;
}

/**
 * How the match phase finds interactions, each walk served by one index: one walk per (address,
 * column) pair; else the agent's rows; else the time range. The other fields filter the rows a walk
 * yields; an interaction found by two walks is one item.
 */
export type Walk =
  | { kind: 'address'; column: 'from' | 'to'; address: string }
  | { kind: 'agent'; agentId: string }
  | { kind: 'window' };

export function walksOf(p: DeletionJobPayload): Walk[] {
  if (p.normalized && p.normalized.length > 0)
    return p.normalized.flatMap((address) => [
      { kind: 'address', column: 'from', address } as const,
      { kind: 'address', column: 'to', address } as const,
    ]);
  if (p.match.handlingAgentId !== undefined) return [{ kind: 'agent', agentId: p.match.handlingAgentId }];
  return [{ kind: 'window' }];
}
