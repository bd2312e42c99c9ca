import type { MetadataTx } from '../metadata/metadata-store.js';
import type { JobFence, JobProgress, JobRecord, JobStatus, NewJob, NodeRecord } from './types.js';

export interface JobPatch {
  state?: unknown;
  progress?: JobProgress;
}

/** How a run ended, as the runner records it. */
export type JobEnd =
  | { status: 'completed' | 'cancelled'; patch?: JobPatch }
  | { status: 'failed'; error: string; patch?: JobPatch }
  /** Back to the queue (a periodic job's next run, or a retry after a failure). */
  | {
      status: 'queued' | 'waiting';
      runAt: number;
      error?: string;
      failed?: boolean;
      patch?: JobPatch;
      /**
       * When the run was claimed: a wakeJob during the run (after this time) is not lost, the job is
       * due again at the wake's time instead of runAt when that is earlier.
       */
      claimedAt?: number;
    };

/**
 * Durable state of nodes, leases and jobs, in the metadata database. Every write that a worker makes
 * on a job it claimed is fenced by its JobFence: once another node has taken the job over (the lease
 * ran out), the old worker's writes change nothing and report false.
 */
export interface JobStore {
  /** Adds this process's node row. */
  registerNode(node: NodeRecord): Promise<void>;
  /**
   * Proof of life: sets the node's heartbeat and extends, to `until`, the leases on its jobs and its
   * named leases. Returns the jobs it holds (with their cancel flag), so the runner can stop those
   * it lost or that were cancelled.
   */
  heartbeat(opts: {
    node: string;
    now: number;
    until: number;
  }): Promise<{ account: string; id: string; attempt: number; cancelRequested: boolean }[]>;
  /** A clean stop: marks the node stopped and frees its job claims and named leases at once. */
  stopNode(node: string, now: number): Promise<void>;
  listNodes(): Promise<NodeRecord[]>;
  /**
   * Frees what dead nodes held — job claims and named leases — and removes their rows. Upload
   * intents are the metadata store's (MetadataStore.releaseUploadIntents). Idempotent.
   */
  forgetNodes(nodes: readonly string[]): Promise<{ jobs: number; leases: number }>;

  /**
   * Takes the account's named lease for `node` until `until` unless another holder has it and is
   * alive (its lease unexpired). A token identifies this taking; true when taken.
   */
  tryAcquireLease(lease: {
    account: string;
    name: string;
    node: string;
    token: string;
    now: number;
    until: number;
  }): Promise<boolean>;
  /** Gives the lease up if this taking (token) still has it. */
  releaseLease(lease: { account: string; name: string; token: string }): Promise<void>;

  /**
   * Inserts the job. With a fixed id that already exists, inserts nothing and returns the existing
   * job (first writer wins), which makes singleton and periodic jobs safe to ensure from every node.
   */
  createJob(job: NewJob, now: number): Promise<{ job: JobRecord; created: boolean }>;
  /** The same inside a metadata transaction, so the job exists exactly when the change commits. */
  createJobIn(tx: MetadataTx, job: NewJob, now: number): Promise<{ job: JobRecord; created: boolean }>;
  getJob(account: string, id: string): Promise<JobRecord | undefined>;
  /** An account's jobs of one kind, newest first, keyset paged by (createdAt, id). */
  listJobs(opts: {
    account: string;
    kind: string;
    limit: number;
    before?: { createdAt: number; id: string };
  }): Promise<JobRecord[]>;
  /**
   * One page of an account's jobs of these kinds (and, when given, statuses), newest first by
   * (createdAt, id), by offset for APIs with page numbers; with the total of such jobs.
   */
  pageJobs(opts: {
    account: string;
    kinds: readonly string[];
    statuses?: readonly JobStatus[];
    limit: number;
    offset: number;
  }): Promise<{ jobs: JobRecord[]; total: number }>;
  /** Jobs of any account in these statuses (for `ics jobs list`), newest first. */
  listAllJobs(opts: { statuses?: readonly JobStatus[]; kind?: string; limit: number }): Promise<JobRecord[]>;
  /** The earliest runAt of a claimable job of these kinds, or undefined when there is none. */
  nextRunAt(kinds: readonly string[]): Promise<number | undefined>;
  /**
   * Claims up to `limit` due, unleased (or lease-expired) jobs of `kind` for `node`, leasing them until
   * `until` and counting the claim in attempts (FOR UPDATE SKIP LOCKED on PostgreSQL).
   */
  claimJobs(opts: {
    kind: string;
    node: string;
    now: number;
    until: number;
    limit: number;
  }): Promise<JobRecord[]>;
  /** Saves a checkpoint; false (and nothing saved) when the fence no longer holds. */
  saveJob(
    fence: JobFence,
    patch: JobPatch,
    now: number,
  ): Promise<{ saved: boolean; cancelRequested: boolean }>;
  /** saveJob inside a metadata transaction: the checkpoint commits or rolls back with the work. */
  saveJobIn(
    tx: MetadataTx,
    fence: JobFence,
    patch: JobPatch,
    now: number,
  ): Promise<{ saved: boolean; cancelRequested: boolean }>;
  /** Ends the run: records the end and gives up the lease. false when the fence no longer holds. */
  finishJob(fence: JobFence, end: JobEnd, now: number): Promise<boolean>;
  /** Gives up a claim without counting a run (shutdown): the job can be claimed at once. */
  releaseJob(fence: JobFence, now: number): Promise<void>;
  /**
   * Cancels a job that is not finished: one nobody works is cancelled at once; a running one gets
   * cancelRequested and its worker stops at its next checkpoint or heartbeat. Returns the job after,
   * or undefined when absent. A finished job is returned unchanged.
   */
  requestCancel(account: string, id: string, now: number): Promise<JobRecord | undefined>;
  /**
   * Makes a queued or waiting job due now (a manual trigger, or new work for it). A job being run is
   * marked so that it runs again right after this run (see JobEnd.claimedAt). false when absent or
   * finished.
   */
  wakeJob(account: string, id: string, now: number): Promise<boolean>;
}
