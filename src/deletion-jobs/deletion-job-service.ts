import type { RequestContext } from '../core/context.js';
import { badRequest } from '../core/errors.js';
import { isGuid } from '../core/guid.js';
import type { JobStore } from '../jobs/job-store.js';
import type { JobRecord } from '../jobs/types.js';
import type { DeletionJobStore } from './deletion-job-store.js';
import { deletionJobNotFound, jobFinished } from './errors.js';
import { type NewDeletionJobInput, validateJob } from './job-input.js';
import {
  DELETION_JOB,
  type DeletionCounts,
  type DeletionJobItem,
  type DeletionJobPayload,
  type DeletionJobState,
  type DeletionJobView,
} from './types.js';

export interface Page<T> {
  items: T[];
  nextContinuationToken: string | null;
}

type Job = JobRecord<DeletionJobPayload, DeletionJobState>;

/**
 * The deletion-job API's use-cases. A job is a row of the one job runner (deletion-job.ts does the
 * work); this service validates, enqueues, shows, pages and cancels.
 */
export class DeletionJobService {
  constructor(
    private readonly deps: {
      jobs: JobStore;
      items: DeletionJobStore;
      /** Wakes the job runner after a job was added or made due. */
      poke: () => void;
    },
  ) {}

  async create(ctx: RequestContext, input: NewDeletionJobInput | undefined): Promise<DeletionJobView> {
    const valid = validateJob(input);
    const payload: DeletionJobPayload = {
      match: valid.match,
      normalized: valid.normalized,
      dryRun: valid.dryRun,
      reason: valid.reason,
      reference: valid.reference,
      actor: { clientId: ctx.actor.clientId, subject: ctx.actor.subject },
      requestId: ctx.requestId,
    };
    const counts: DeletionCounts = { matched: 0, deleted: 0, held: 0, failed: 0 };
    const { job } = await this.deps.jobs.createJob(
      { account: ctx.actor.account, kind: DELETION_JOB, payload, progress: { ...counts } },
      Date.now(),
    );
    this.deps.poke();
    return view(job as Job);
  }

  async get(ctx: RequestContext, id: string): Promise<DeletionJobView> {
    return view(await this.#job(ctx, id));
  }

  async list(
    ctx: RequestContext,
    q: { limit: number; continuationToken?: string },
  ): Promise<Page<DeletionJobView>> {
    const before = q.continuationToken === undefined ? undefined : decodeJobToken(q.continuationToken);
    const jobs = (await this.deps.jobs.listJobs({
      account: ctx.actor.account,
      kind: DELETION_JOB,
      limit: q.limit + 1,
      before,
    })) as Job[];
    const page = jobs.slice(0, q.limit);
    const last = page.at(-1);
    return {
      items: page.map(view),
      nextContinuationToken:
        jobs.length > q.limit && last ? encodeToken({ c: last.createdAt, i: last.id }) : null,
    };
  }

  async items(
    ctx: RequestContext,
    id: string,
    q: { limit: number; continuationToken?: string },
  ): Promise<Page<DeletionJobItem>> {
    const job = await this.#job(ctx, id);
    const afterGuid = q.continuationToken === undefined ? undefined : decodeItemToken(q.continuationToken);
    const items = await this.deps.items.listItems({
      account: job.account,
      jobId: job.id,
      afterGuid,
      limit: q.limit + 1,
    });
    const page = items.slice(0, q.limit);
    const last = page.at(-1);
    return {
      items: page,
      nextContinuationToken: items.length > q.limit && last ? encodeToken({ g: last.guid }) : null,
    };
  }

  /** Cancels a queued, running or waiting job: what it deleted stays deleted. */
  async cancel(ctx: RequestContext, id: string): Promise<DeletionJobView> {
    const job = await this.#job(ctx, id);
    if (job.status === 'completed' || job.status === 'cancelled' || job.status === 'failed')
      throw jobFinished(id, job.status);
    const after = await this.deps.jobs.requestCancel(job.account, job.id, Date.now());
    if (!after) throw deletionJobNotFound(id);
    return view(after as Job);
  }

  /** A legal hold was released: waiting jobs of the account look at their held items now. */
  async holdReleased(account: string): Promise<void> {
    const { jobs } = await this.deps.jobs.pageJobs({
      account,
      kinds: [DELETION_JOB],
      statuses: ['waiting'],
      limit: 1000,
      offset: 0,
    });
    let woke = false;
    for (const job of jobs) if (await this.deps.jobs.wakeJob(account, job.id, Date.now())) woke = true;
    if (woke) this.deps.poke();
  }

  /** The job of this account, or 404 (another account's job is not found either). */
  async job(ctx: RequestContext, id: string): Promise<Job> {
    return this.#job(ctx, id);
  }

  async #job(ctx: RequestContext, id: string): Promise<Job> {
    if (!isGuid(id)) throw deletionJobNotFound(id);
    const job = await this.deps.jobs.getJob(ctx.actor.account, id.toLowerCase());
    if (!job || job.kind !== DELETION_JOB) throw deletionJobNotFound(id);
    return job as Job;
  }
}

export function view(job: Job): DeletionJobView {
  const p = job.payload;
  const c = job.progress ?? {};
  return {
    id: job.id,
    account: job.account,
    status: job.status,
    dryRun: p.dryRun,
    match: p.match,
    reason: p.reason,
    reference: p.reference,
    createdAt: job.createdAt,
    startedAt: job.startedAt,
    finishedAt: job.finishedAt,
    counts: { matched: c.matched ?? 0, deleted: c.deleted ?? 0, held: c.held ?? 0, failed: c.failed ?? 0 },
    cancelRequested: job.cancelRequested,
    error: job.lastError,
  };
}

const invalidToken = () => badRequest("Invalid parameter 'continuationToken'", 'invalid_continuation_token');

const encodeToken = (position: object) => Buffer.from(JSON.stringify(position)).toString('base64url');

function decodePosition(token: string): Record<string, unknown> {
  if (!/^[A-Za-z0-9_-]{1,400}$/.test(token)) throw invalidToken();
  try {
    const parsed = JSON.parse(Buffer.from(token, 'base64url').toString('utf8'));
    if (parsed && typeof parsed === 'object' && !Array.isArray(parsed)) return parsed;
  } catch {
    // falls through
  }
  throw invalidToken();
}

function decodeJobToken(token: string): { createdAt: number; id: string } {
  const p = decodePosition(token);
  if (typeof p.c !== 'number' || !Number.isSafeInteger(p.c) || typeof p.i !== 'string' || !isGuid(p.i))
    throw invalidToken();
  return { createdAt: p.c, id: p.i };
}

function decodeItemToken(token: string): string {
  const p = decodePosition(token);
  if (typeof p.g !== 'string' || !isGuid(p.g)) throw invalidToken();
  return p.g;
}
