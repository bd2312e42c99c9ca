// The records of the one durable job runner. A job row is the whole truth about a piece of
// background work: what to do (payload), how far it got (state, progress), who works it (lease).

export type JobStatus = 'queued' | 'running' | 'waiting' | 'completed' | 'cancelled' | 'failed';

/** Statuses a job can be claimed in. 'waiting' jobs are re-run at runAt (e.g. to recheck holds). */
export const ACTIVE_STATUSES: readonly JobStatus[] = ['queued', 'running', 'waiting'];

export type JobProgress = Record<string, number>;

export interface JobRecord<P = unknown, S = unknown> {
  /** '' for system jobs (the purge sweep); otherwise the account the job works for. */
  account: string;
  id: string;
  kind: string;
  status: JobStatus;
  payload: P;
  state: S | null;
  progress: JobProgress | null;
  /** Not to be claimed before this time. */
  runAt: number;
  leaseNode: string | null;
  leaseUntil: number | null;
  /** How many times the job was claimed; with leaseNode, the fence of every write by its worker. */
  attempts: number;
  /** Failed runs in a row (reset by every successful run). */
  failures: number;
  lastError: string | null;
  cancelRequested: boolean;
  createdAt: number;
  startedAt: number | null;
  finishedAt: number | null;
  updatedAt: number;
}

export interface NewJob<P = unknown> {
  account: string;
  /** Fresh (uuid v7) when absent; a fixed id makes the job a singleton (see JobStore.createJob). */
  id?: string;
  kind: string;
  payload: P;
  runAt?: number;
  progress?: JobProgress;
}

/** The worker's proof that it still holds a job: its node and the claim (attempts) it got. */
export interface JobFence {
  account: string;
  id: string;
  node: string;
  attempt: number;
}

export type NodeRole = 'server' | 'cli';

export interface NodeRecord {
  id: string;
  role: NodeRole;
  host: string;
  pid: number;
  startedAt: number;
  heartbeatAt: number;
  stoppedAt: number | null;
}
