import { randomUUID } from 'node:crypto';
import type { RequestContext } from '../core/context.js';
import { AppError, badRequest } from '../core/errors.js';
import { isGuid } from '../core/guid.js';
import { accessOf } from '../core/permissions.js';
import { parseTime } from '../core/time.js';
import { CONTENT_TYPES, type ContentTypeName, type Direction } from '../core/types.js';
import type { JobStore } from '../jobs/job-store.js';
import { ACTIVE_STATUSES, type JobRecord, type JobStatus } from '../jobs/types.js';
import type { Destinations } from './destinations.js';
import {
  exportJobNotFound,
  invalidField,
  storageInUse,
  storageNotFound,
  storageTestFailed,
} from './errors.js';
import type { ExportStore } from './export-store.js';
import type { ExportTarget } from './export-target.js';
import {
  EXPORT_BATCH,
  EXPORT_KINDS,
  EXPORT_RECURRING,
  type ExportDestination,
  type ExportFilters,
  type ExportKind,
  type ExportPayload,
  type ExportProgress,
  type RecurringState,
  type StorageItem,
} from './types.js';

export interface NewStorageInput {
  name: string;
  storageProvider: string;
  credentials: {
    bucketName: string;
    region: string;
    roleArn?: string;
    accessKeyId?: string;
    secretAccessKey?: string;
    endpoint?: string;
    forcePathStyle?: boolean;
    prefix?: string;
  };
}

export interface ScheduleInput {
  startDate: string;
  endDate?: string;
  filters?: { contentTypes?: string[]; initialDirection?: string[] };
  externalStorageId: string;
}

/** VCC's job statuses. */
export type ExportJobStatus = 'Scheduled' | 'Running' | 'Completed' | 'Cancelled' | 'Failed';

export interface ExportJobView {
  jobId: string;
  type: ExportKind;
  startDate: number;
  /** Batch: the window's inclusive end. Recurring: null. */
  endDate: number | null;
  status: ExportJobStatus;
  exported: number;
  failed: number;
  skipped: number;
  filters: ExportFilters;
  externalStorageId: string;
  createdAt: number;
  /** Recurring: the lastModified up to which content has been exported. */
  exportedUntil: number | null;
  /** Why the last run failed, when it did. */
  error: string | null;
}

const STATUS: Record<JobStatus, ExportJobStatus> = {
  queued: 'Scheduled',
  waiting: 'Scheduled',
  running: 'Running',
  completed: 'Completed',
  cancelled: 'Cancelled',
  failed: 'Failed',
};

const BUCKET = /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/;
const REGION = /^[a-z0-9-]{1,32}$/;
const PREFIX_CHARS = /^[A-Za-z0-9!_.*'()/-]*$/;

/**
 * The Interaction Content Export API's use-cases: external storage items (S3 buckets, tested with a
 * zero-byte write before they are kept, credentials sealed) and export jobs, which are jobs of the
 * one job runner (export-jobs.ts does the work).
 */
export class ExportService {
  constructor(
    private readonly deps: {
      exports: ExportStore;
      destinations: Destinations;
      jobs: JobStore;
      /** A target for a destination (S3ExportTarget in production). */
      targets: (dest: ExportDestination) => ExportTarget;
      /** Wakes the job runner after a job was added. */
      poke: () => void;
    },
    private readonly opts: { allowedEndpoints: readonly string[] | undefined },
  ) {}

  /** Tests the bucket with a zero-byte write, then keeps the item; nothing is kept if the test fails. */
  async createStorage(ctx: RequestContext, input: NewStorageInput): Promise<StorageItem> {
    if (input.storageProvider !== 'AWS_S3')
      throw invalidField('storageProvider', `'${input.storageProvider}' is not supported; use AWS_S3`);
    const name = input.name.trim();
    if (!name) throw invalidField('name', 'must not be empty');
    const c = input.credentials;
    if (!BUCKET.test(c.bucketName) || c.bucketName.includes('..'))
      throw invalidField('credentials.bucketName', `'${c.bucketName}' is not a valid S3 bucket name`);
    if (!REGION.test(c.region))
      throw invalidField('credentials.region', `'${c.region}' is not an AWS region name`);
    if (c.roleArn !== undefined) {
      throw badRequest(
        "Invalid field 'credentials.roleArn': this server does not assume IAM roles; give accessKeyId and secretAccessKey of an IAM user that may write to the bucket (see docs/export.md)",
        'unsupported_credentials',
      );
    }
    if (!c.accessKeyId) throw invalidField('credentials.accessKeyId', 'is required');
    if (!c.secretAccessKey) throw invalidField('credentials.secretAccessKey', 'is required');
    const endpoint = c.endpoint === undefined ? undefined : this.#endpoint(c.endpoint);
    const item: StorageItem = {
      account: ctx.actor.account,
      id: randomUUID(),
      name,
      provider: 'AWS_S3',
      bucket: c.bucketName,
      region: c.region,
      endpoint,
      forcePathStyle: c.forcePathStyle ?? false,
      prefix: normalPrefix(c.prefix ?? ''),
      accessKeyHint: c.accessKeyId.slice(-4),
      createdAt: Date.now(),
    };
    const credentials = { accessKeyId: c.accessKeyId, secretAccessKey: c.secretAccessKey };
    const target = this.deps.targets({ ...item, credentials });
    try {
      await target.testWrite();
    } catch (err) {
      const reason = err instanceof Error ? err.message : String(err);
      throw storageTestFailed(item.bucket, reason.replace(/^export storage is unavailable: /, ''));
    } finally {
      await target.close();
    }
    await this.deps.destinations.add(item, credentials);
    return item;
  }

  listStorage(ctx: RequestContext): Promise<StorageItem[]> {
    return this.deps.exports.listStorage(ctx.actor.account);
  }

  /** 409 while an unfinished job writes to it (VCC). */
  async deleteStorage(ctx: RequestContext, rawId: string): Promise<void> {
    const id = parseId(rawId, 'id');
    const account = ctx.actor.account;
    if (!(await this.deps.exports.getStorage(account, id))) throw storageNotFound(id);
    const active = await this.deps.jobs.pageJobs({
      account,
      kinds: EXPORT_KINDS,
      statuses: ACTIVE_STATUSES,
      limit: 1000,
      offset: 0,
    });
    const using = active.jobs.filter((j) => (j.payload as ExportPayload).externalStorageId === id);
    if (using.length > 0) throw storageInUse(using.map((j) => j.id));
    if (!(await this.deps.exports.deleteStorage(account, id))) throw storageNotFound(id);
  }

  /** A one-time export of the interactions that start in [startDate, endDate] (both inclusive). */
  async scheduleBatch(ctx: RequestContext, input: ScheduleInput): Promise<string> {
    const startDate = parseDate('startDate', input.startDate);
    const endDate = parseDate('endDate', input.endDate ?? '');
    if (endDate < startDate)
      throw badRequest("Field 'endDate' must not be before 'startDate'", 'invalid_window');
    return this.#schedule(ctx, EXPORT_BATCH, { startDate, endDate, ...(await this.#common(ctx, input)) });
  }

  /** An hourly export of what changed since the last run, of interactions from startDate on. */
  async scheduleRecurring(ctx: RequestContext, input: ScheduleInput): Promise<string> {
    if (input.endDate !== undefined)
      throw invalidField('endDate', 'a recurring export has no end; stop it with DELETE …/jobs/{jobId}');
    const startDate = parseDate('startDate', input.startDate);
    return this.#schedule(ctx, EXPORT_RECURRING, { startDate, ...(await this.#common(ctx, input)) });
  }

  /** The account's export jobs, newest first, by VCC's page numbers (1-based). */
  async listJobs(
    ctx: RequestContext,
    paging: { page: number; limit: number },
  ): Promise<{ jobs: ExportJobView[]; page: number; pageCount: number; totalCount: number }> {
    const { jobs, total } = await this.deps.jobs.pageJobs({
      account: ctx.actor.account,
      kinds: EXPORT_KINDS,
      limit: paging.limit,
      offset: (paging.page - 1) * paging.limit,
    });
    return {
      jobs: jobs.map(view),
      page: paging.page,
      pageCount: Math.ceil(total / paging.limit),
      totalCount: total,
    };
  }

  /** Stops a job: at once when nobody works it, else at its next checkpoint. A finished job stays as it is. */
  async cancelJob(ctx: RequestContext, rawId: string): Promise<void> {
    const id = parseId(rawId, 'jobId');
    const job = await this.deps.jobs.getJob(ctx.actor.account, id);
    if (!job || !(EXPORT_KINDS as readonly string[]).includes(job.kind)) throw exportJobNotFound(id);
    await this.deps.jobs.requestCancel(ctx.actor.account, id, Date.now());
  }

  async #common(ctx: RequestContext, input: ScheduleInput) {
    const filters = narrowToReadable(ctx, parseFilters(input.filters));
    const externalStorageId = input.externalStorageId;
    const known =
      isGuid(externalStorageId) &&
      (await this.deps.exports.getStorage(ctx.actor.account, externalStorageId.toLowerCase()));
    if (!known)
      throw invalidField(
        'externalStorageId',
        `'${externalStorageId}' names no external storage item of this account`,
        'unknown_external_storage',
      );
    const readable = accessOf(ctx.actor, 'read');
    return {
      filters,
      externalStorageId: externalStorageId.toLowerCase(),
      ...(readable !== undefined && { readable }),
    };
  }

  async #schedule(ctx: RequestContext, kind: ExportKind, payload: ExportPayload): Promise<string> {
    const progress: ExportProgress = { exported: 0, failed: 0, skipped: 0, bytes: 0 };
    const { job } = await this.deps.jobs.createJob(
      { account: ctx.actor.account, kind, payload, progress },
      Date.now(),
    );
    this.deps.poke();
    return job.id;
  }

  #endpoint(raw: string): string {
    let url: URL;
    try {
      url = new URL(raw);
    } catch {
      throw invalidField('credentials.endpoint', `'${raw}' is not a URL`);
    }
    if (!/^https?:$/.test(url.protocol) || url.username || url.password)
      throw invalidField('credentials.endpoint', 'must be an http(s) URL without user information');
    const allowed = this.opts.allowedEndpoints;
    if (allowed !== undefined && !allowed.includes(url.origin))
      throw invalidField(
        'credentials.endpoint',
        `'${url.origin}' is not an endpoint this server may write to`,
      );
    return url.href.replace(/\/$/, '');
  }
}

function parseDate(field: string, raw: string): number {
  const ms = parseTime(raw);
  if (ms === undefined) throw invalidField(field, 'expected an ISO 8601 date-time', 'invalid_date');
  return ms;
}

function parseId(raw: string, what: string): string {
  if (!isGuid(raw)) throw badRequest(`Invalid parameter '${what}': expected a UUID`, 'invalid_id');
  return raw.toLowerCase();
}

function parseFilters(raw: ScheduleInput['filters']): ExportFilters {
  const contentTypes: ContentTypeName[] = [];
  (raw?.contentTypes ?? []).forEach((t, i) => {
    const type = CONTENT_TYPES.find((c) => c === t);
    if (!type)
      throw invalidField(
        `filters.contentTypes[${i}]`,
        `'${t}' is not a content type; expected one of ${CONTENT_TYPES.join(', ')}`,
        'invalid_filter',
      );
    if (!contentTypes.includes(type)) contentTypes.push(type);
  });
  const initialDirection: Direction[] = [];
  (raw?.initialDirection ?? []).forEach((d, i) => {
    const direction = d.toLowerCase();
    if (direction !== 'inbound' && direction !== 'outbound')
      throw invalidField(
        `filters.initialDirection[${i}]`,
        `'${d}' is not a direction; expected inbound or outbound`,
        'invalid_filter',
      );
    if (!initialDirection.includes(direction)) initialDirection.push(direction);
  });
  return { contentTypes, initialDirection };
}

/**
 * A client restricted in what it may read exports only that (core/permissions.ts): its filters are
 * narrowed to the permitted types and directions when the job is scheduled, and the job keeps
 * them. Filters that leave nothing permitted are 403, not a job that exports nothing.
 */
function narrowToReadable(ctx: RequestContext, filters: ExportFilters): ExportFilters {
  const access = accessOf(ctx.actor, 'read');
  if (access === undefined) return filters;
  const narrow = <T extends string>(asked: T[], allowed: readonly T[] | undefined, field: string) => {
    if (allowed === undefined) return asked;
    const kept = asked.length === 0 ? [...allowed] : asked.filter((a) => allowed.includes(a));
    if (kept.length === 0)
      throw new AppError({
        status: 403,
        code: 'not_authorized',
        message: `Not authorized to export: this client may read none of the ${field} asked for`,
      });
    return kept;
  };
  return {
    contentTypes: narrow(filters.contentTypes, access.types, 'filters.contentTypes'),
    initialDirection: narrow(filters.initialDirection, access.directions, 'filters.initialDirection'),
  };
}

/** '' or `a/b/`: no leading slash, one trailing slash, no empty, `.` or `..` segments. */
function normalPrefix(raw: string): string {
  const trimmed = raw.replace(/^\/+/, '').replace(/\/+$/, '');
  if (trimmed === '') return '';
  if (trimmed.length > 512 || !PREFIX_CHARS.test(trimmed))
    throw invalidField(
      'credentials.prefix',
      "must be at most 512 characters from A-Z a-z 0-9 ! _ . * ' ( ) - and /",
    );
  if (trimmed.split('/').some((s) => s === '' || s === '.' || s === '..'))
    throw invalidField('credentials.prefix', "must not have empty, '.' or '..' segments");
  return `${trimmed}/`;
}

function view(job: JobRecord): ExportJobView {
  const p = job.payload as ExportPayload;
  const progress = (job.progress ?? {}) as Partial<ExportProgress>;
  const recurring = job.kind === EXPORT_RECURRING;
  const state = job.state as RecurringState | null;
  return {
    jobId: job.id,
    type: job.kind as ExportKind,
    startDate: p.startDate,
    endDate: recurring ? null : (p.endDate ?? null),
    status: STATUS[job.status],
    exported: progress.exported ?? 0,
    failed: progress.failed ?? 0,
    skipped: progress.skipped ?? 0,
    filters: p.filters,
    externalStorageId: p.externalStorageId,
    createdAt: job.createdAt,
    exportedUntil: recurring && state && state.runs > 0 ? state.from : null,
    error: job.lastError,
  };
}
