import { type Kysely, sql } from 'kysely';
import { v7 as uuidv7 } from 'uuid';
import type { Database, JobRow, NodeRow } from '../metadata/db-schema.js';
import type { MetadataTx } from '../metadata/metadata-store.js';
import { type SqlHandle, sqlOf } from '../metadata/sql-handle.js';
import { atSeam } from '../metadata/store-errors.js';
import type { JobEnd, JobPatch, JobStore } from './job-store.js';
import type { JobFence, JobRecord, JobStatus, NewJob, NodeRecord, NodeRole } from './types.js';

// The partial due index's predicate, repeated literally so that both planners can use the index.
const ACTIVE = sql<boolean>`status in ('queued', 'running', 'waiting')`;

/** JobStore on the metadata database (SQLite or PostgreSQL), through the store's SQL handle. */
export class KyselyJobStore implements JobStore {
  constructor(private readonly sql: SqlHandle) {}

  registerNode(node: NodeRecord): Promise<void> {
    return this.sql.write(async (db) => {
      await db.insertInto('nodes').values(fromNode(node)).execute();
    });
  }

  heartbeat(opts: { node: string; now: number; until: number }) {
    return this.sql.write(async (db) => {
      // An upsert: a node that stalled past the timeout may have been forgotten by a reaper. It comes
      // back with nothing: its claims and leases were freed, and its fenced writes now fail.
      const res = await db
        .updateTable('nodes')
        .set({ heartbeat_ms: opts.now })
        .where('id', '=', opts.node)
        .executeTakeFirst();
      if (Number(res.numUpdatedRows) === 0) throw new NodeForgottenError(opts.node);
      await db
        .updateTable('jobs')
        .set({ lease_until_ms: opts.until })
        .where('lease_node', '=', opts.node)
        .execute();
      await db
        .updateTable('leases')
        .set({ expires_ms: opts.until })
        .where('holder_node', '=', opts.node)
        .execute();
      const held = await db
        .selectFrom('jobs')
        .select(['account', 'id', 'attempts', 'cancel_requested'])
        .where('lease_node', '=', opts.node)
        .execute();
      return held.map((r) => ({
        account: r.account,
        id: r.id,
        attempt: Number(r.attempts),
        cancelRequested: Number(r.cancel_requested) === 1,
      }));
    });
  }

  stopNode(node: string, now: number): Promise<void> {
    return this.sql.write(async (db) => {
      await freeClaims(db, [node]);
      await db.updateTable('nodes').set({ stopped_ms: now }).where('id', '=', node).execute();
    });
  }

  listNodes(): Promise<NodeRecord[]> {
    return this.sql.read(async (db) => {
      const rows = await db.selectFrom('nodes').selectAll().orderBy('started_ms').execute();
      return rows.map(toNode);
    });
  }

  forgetNodes(nodes: readonly string[]) {
    return this.sql.write(async (db) => {
      if (nodes.length === 0) return { jobs: 0, leases: 0 };
      const freed = await freeClaims(db, nodes);
      await db
        .deleteFrom('nodes')
        .where('id', 'in', [...nodes])
        .execute();
      return freed;
    });
  }

  tryAcquireLease(lease: {
    account: string;
    name: string;
    node: string;
    token: string;
    now: number;
    until: number;
  }): Promise<boolean> {
    return this.sql.write(async (db) => {
      // One statement: insert, or take over only an expired lease (a live holder's heartbeat keeps
      // extending its own). No row back = someone alive holds it.
      const values = {
        account: lease.account,
        name: lease.name,
        holder: lease.token,
        holder_node: lease.node,
        expires_ms: lease.until,
      };
      const row = await db
        .insertInto('leases')
        .values(values)
        .onConflict((oc) =>
          oc
            .columns(['account', 'name'])
            .doUpdateSet({ holder: lease.token, holder_node: lease.node, expires_ms: lease.until })
            .where('leases.expires_ms', '<=', lease.now),
        )
        .returning('holder')
        .executeTakeFirst();
      return row?.holder === lease.token;
    });
  }

  releaseLease(lease: { account: string; name: string; token: string }): Promise<void> {
    return this.sql.write(async (db) => {
      await db
        .deleteFrom('leases')
        .where('account', '=', lease.account)
        .where('name', '=', lease.name)
        .where('holder', '=', lease.token)
        .execute();
    });
  }

  createJob(job: NewJob, now: number) {
    return this.sql.write((db) => insertJob(db, job, now));
  }

  createJobIn(tx: MetadataTx, job: NewJob, now: number) {
    return atSeam(() => insertJob(sqlOf(tx), job, now));
  }

  getJob(account: string, id: string): Promise<JobRecord | undefined> {
    return this.sql.read(async (db) => {
      const row = await db
        .selectFrom('jobs')
        .selectAll()
        .where('account', '=', account)
        .where('id', '=', id)
        .executeTakeFirst();
      return row && toJob(row);
    });
  }

  listJobs(opts: {
    account: string;
    kind: string;
    limit: number;
    before?: { createdAt: number; id: string };
  }): Promise<JobRecord[]> {
    return this.sql.read(async (db) => {
      let q = db
        .selectFrom('jobs')
        .selectAll()
        .where('account', '=', opts.account)
        .where('kind', '=', opts.kind);
      const before = opts.before;
      if (before)
        q = q.where(({ eb, refTuple, tuple }) =>
          eb(refTuple('created_ms', 'id'), '<', tuple(before.createdAt, before.id)),
        );
      const rows = await q.orderBy('created_ms', 'desc').orderBy('id', 'desc').limit(opts.limit).execute();
      return rows.map(toJob);
    });
  }

  pageJobs(opts: {
    account: string;
    kinds: readonly string[];
    statuses?: readonly JobStatus[];
    limit: number;
    offset: number;
  }): Promise<{ jobs: JobRecord[]; total: number }> {
    return this.sql.read(async (db) => {
      if (opts.kinds.length === 0) return { jobs: [], total: 0 };
      let q = db
        .selectFrom('jobs')
        .where('account', '=', opts.account)
        .where('kind', 'in', [...opts.kinds]);
      if (opts.statuses) q = q.where('status', 'in', [...opts.statuses]);
      const rows = await q
        .selectAll()
        .orderBy('created_ms', 'desc')
        .orderBy('id', 'desc')
        .limit(opts.limit)
        .offset(opts.offset)
        .execute();
      const count = await q.select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow();
      return { jobs: rows.map(toJob), total: Number(count.n) };
    });
  }

  listAllJobs(opts: { statuses?: readonly JobStatus[]; kind?: string; limit: number }): Promise<JobRecord[]> {
    return this.sql.read(async (db) => {
      let q = db.selectFrom('jobs').selectAll();
      if (opts.statuses) q = q.where('status', 'in', [...opts.statuses]);
      if (opts.kind) q = q.where('kind', '=', opts.kind);
      const rows = await q.orderBy('created_ms', 'desc').orderBy('id', 'desc').limit(opts.limit).execute();
      return rows.map(toJob);
    });
  }

  nextRunAt(kinds: readonly string[]): Promise<number | undefined> {
    return this.sql.read(async (db) => {
      if (kinds.length === 0) return undefined;
      const row = await db
        .selectFrom('jobs')
        .select(sql<number | null>`min(run_at_ms)`.as('at'))
        .where(ACTIVE)
        .where('kind', 'in', [...kinds])
        .where('lease_node', 'is', null)
        .executeTakeFirst();
      return row?.at == null ? undefined : Number(row.at);
    });
  }

  claimJobs(opts: { kind: string; node: string; now: number; until: number; limit: number }) {
    return this.sql.write(async (db) => {
      if (opts.limit <= 0) return [];
      let due = db
        .selectFrom('jobs')
        .select(['account', 'id'])
        .where(ACTIVE)
        .where('run_at_ms', '<=', opts.now)
        .where('kind', '=', opts.kind)
        .where((eb) => eb.or([eb('lease_until_ms', 'is', null), eb('lease_until_ms', '<', opts.now)]))
        .orderBy('run_at_ms')
        .limit(opts.limit);
      if (this.sql.dialect === 'postgres') due = due.forUpdate().skipLocked();
      const rows = await db
        .updateTable('jobs')
        .set((eb) => ({
          lease_node: opts.node,
          lease_until_ms: opts.until,
          // A waiting job stays waiting while it is rechecked; anything else is now running.
          status: eb.case().when('status', '=', 'waiting').then('waiting').else('running').end(),
          attempts: eb('attempts', '+', 1),
          started_ms: eb.fn.coalesce('started_ms', eb.val(opts.now)),
          updated_ms: opts.now,
        }))
        .where(({ eb, refTuple }) => eb(refTuple('account', 'id'), 'in', due.$asTuple('account', 'id')))
        .returningAll()
        .execute();
      return rows.map(toJob).sort((a, b) => a.runAt - b.runAt);
    });
  }

  saveJob(fence: JobFence, patch: JobPatch, now: number) {
    return this.sql.write((db) => saveFenced(db, fence, patch, now));
  }

  saveJobIn(tx: MetadataTx, fence: JobFence, patch: JobPatch, now: number) {
    return atSeam(() => saveFenced(sqlOf(tx), fence, patch, now));
  }

  finishJob(fence: JobFence, end: JobEnd, now: number): Promise<boolean> {
    return this.sql.write(async (db) => {
      const failed = end.status === 'failed' || ('failed' in end && end.failed === true);
      const res = await fenced(
        db.updateTable('jobs').set((eb) => ({
          ...patchColumns(end.patch),
          status: end.status,
          lease_node: null,
          lease_until_ms: null,
          updated_ms: now,
          failures: failed ? eb('failures', '+', 1) : 0,
          last_error: 'error' in end && end.error !== undefined ? end.error : failed ? 'failed' : null,
          ...('runAt' in end ? { run_at_ms: nextRunAt(end) } : { finished_ms: now }),
        })),
        fence,
      ).executeTakeFirst();
      return Number(res.numUpdatedRows) === 1;
    });
  }

  releaseJob(fence: JobFence, now: number): Promise<void> {
    return this.sql.write(async (db) => {
      await fenced(
        db.updateTable('jobs').set({ lease_node: null, lease_until_ms: null, updated_ms: now }),
        fence,
      ).execute();
    });
  }

  requestCancel(account: string, id: string, now: number): Promise<JobRecord | undefined> {
    return this.sql.write(async (db) => {
      // One statement: a job nobody works (no lease, or an expired one) is cancelled at once; a
      // worked one is flagged, and its worker stops at its next checkpoint or heartbeat.
      const idle = sql<boolean>`(lease_until_ms is null or lease_until_ms < ${now})`;
      const row = await db
        .updateTable('jobs')
        .set((eb) => ({
          cancel_requested: 1,
          status: eb.case().when(idle).then('cancelled').else(eb.ref('status')).end(),
          finished_ms: eb.case().when(idle).then(now).else(eb.ref('finished_ms')).end(),
          lease_node: eb.case().when(idle).then(null).else(eb.ref('lease_node')).end(),
          lease_until_ms: eb.case().when(idle).then(null).else(eb.ref('lease_until_ms')).end(),
          updated_ms: now,
        }))
        .where('account', '=', account)
        .where('id', '=', id)
        .where(ACTIVE)
        .returningAll()
        .executeTakeFirst();
      if (row) return toJob(row);
      const existing = await db
        .selectFrom('jobs')
        .selectAll()
        .where('account', '=', account)
        .where('id', '=', id)
        .executeTakeFirst();
      return existing && toJob(existing);
    });
  }

  wakeJob(account: string, id: string, now: number): Promise<boolean> {
    return this.sql.write(async (db) => {
      // One statement for both cases, so that a run ending at the same moment cannot slip between
      // them (PostgreSQL re-checks the WHERE on the row the concurrent finish wrote): a job nobody
      // works becomes due now; a job being run gets a run_at after its claim, which tells finishJob
      // to bring the next run forward (JobEnd.claimedAt).
      const res = await db
        .updateTable('jobs')
        .set({
          // Being run: strictly after the claim (updated_ms is the claim's time or later), which is
          // how finishJob tells a wake from the run_at the run was claimed at.
          run_at_ms: sql<number>`case when lease_node is null then ${now} when updated_ms >= ${now} then updated_ms + 1 else ${now} end`,
          updated_ms: now,
        })
        .where('account', '=', account)
        .where('id', '=', id)
        .where(ACTIVE)
        .where((eb) =>
          eb.or([
            eb.and([eb('lease_node', 'is', null), eb('run_at_ms', '>', now)]),
            eb('lease_node', 'is not', null),
          ]),
        )
        .executeTakeFirst();
      if (Number(res.numUpdatedRows) > 0) return true;
      const row = await db
        .selectFrom('jobs')
        .select('status')
        .where('account', '=', account)
        .where('id', '=', id)
        .executeTakeFirst();
      return row !== undefined && ['queued', 'waiting', 'running'].includes(row.status);
    });
  }
}

/** A heartbeat found no row for this node: a reaper decided it was dead and freed what it held. */
export class NodeForgottenError extends Error {
  constructor(node: string) {
    super(`node ${node} was declared dead by another node`);
    this.name = 'NodeForgottenError';
  }
}

async function insertJob(db: Kysely<Database>, job: NewJob, now: number) {
  const id = job.id ?? uuidv7();
  const res = await db
    .insertInto('jobs')
    .values({
      account: job.account,
      id,
      kind: job.kind,
      status: 'queued',
      payload: JSON.stringify(job.payload ?? null),
      state: null,
      progress: job.progress ? JSON.stringify(job.progress) : null,
      run_at_ms: job.runAt ?? now,
      lease_node: null,
      lease_until_ms: null,
      attempts: 0,
      failures: 0,
      last_error: null,
      cancel_requested: 0,
      created_ms: now,
      started_ms: null,
      finished_ms: null,
      updated_ms: now,
    })
    .onConflict((oc) => oc.columns(['account', 'id']).doNothing())
    .executeTakeFirst();
  const row = await db
    .selectFrom('jobs')
    .selectAll()
    .where('account', '=', job.account)
    .where('id', '=', id)
    .executeTakeFirstOrThrow();
  return { job: toJob(row), created: Number(res.numInsertedOrUpdatedRows ?? 0) > 0 };
}

/** run_at of a run that ends queued or waiting: its runAt, or a wake's time during the run when earlier. */
function nextRunAt(end: Extract<JobEnd, { runAt: number }>) {
  const claimedAt = end.claimedAt;
  if (claimedAt === undefined) return end.runAt;
  return sql<number>`case when run_at_ms > ${claimedAt} and run_at_ms < ${end.runAt} then run_at_ms else ${end.runAt} end`;
}

async function saveFenced(db: Kysely<Database>, fence: JobFence, patch: JobPatch, now: number) {
  const row = await fenced(db.updateTable('jobs').set({ ...patchColumns(patch), updated_ms: now }), fence)
    .returning('cancel_requested')
    .executeTakeFirst();
  return { saved: row !== undefined, cancelRequested: Number(row?.cancel_requested ?? 0) === 1 };
}

/** Frees the job claims and named leases of these nodes. */
async function freeClaims(db: Kysely<Database>, nodes: readonly string[]) {
  const jobs = await db
    .updateTable('jobs')
    .set({ lease_node: null, lease_until_ms: null })
    .where('lease_node', 'in', [...nodes])
    .executeTakeFirst();
  const leases = await db
    .deleteFrom('leases')
    .where('holder_node', 'in', [...nodes])
    .executeTakeFirst();
  return { jobs: Number(jobs.numUpdatedRows), leases: Number(leases.numDeletedRows) };
}

// biome-ignore lint/suspicious/noExplicitAny: any UpdateQueryBuilder over jobs
function fenced<Q extends { where: (...args: any[]) => any }>(q: Q, fence: JobFence): Q {
  return q
    .where('account', '=', fence.account)
    .where('id', '=', fence.id)
    .where('lease_node', '=', fence.node)
    .where('attempts', '=', fence.attempt);
}

function patchColumns(patch: JobPatch | undefined): Partial<JobRow> {
  const out: Partial<JobRow> = {};
  if (patch?.state !== undefined) out.state = JSON.stringify(patch.state);
  if (patch?.progress !== undefined) out.progress = JSON.stringify(patch.progress);
  return out;
}

function toJob(r: JobRow): JobRecord {
  return {
    account: r.account,
    id: r.id,
    kind: r.kind,
    status: r.status as JobStatus,
    payload: JSON.parse(r.payload),
    state: r.state === null ? null : JSON.parse(r.state),
    progress: r.progress === null ? null : JSON.parse(r.progress),
    runAt: Number(r.run_at_ms),
    leaseNode: r.lease_node,
    leaseUntil: r.lease_until_ms === null ? null : Number(r.lease_until_ms),
    attempts: Number(r.attempts),
    failures: Number(r.failures),
    lastError: r.last_error,
    cancelRequested: Number(r.cancel_requested) === 1,
    createdAt: Number(r.created_ms),
    startedAt: r.started_ms === null ? null : Number(r.started_ms),
    finishedAt: r.finished_ms === null ? null : Number(r.finished_ms),
    updatedAt: Number(r.updated_ms),
  };
}

function toNode(r: NodeRow): NodeRecord {
  return {
    id: r.id,
    role: r.role as NodeRole,
    host: r.host,
    pid: Number(r.pid),
    startedAt: Number(r.started_ms),
    heartbeatAt: Number(r.heartbeat_ms),
    stoppedAt: r.stopped_ms === null ? null : Number(r.stopped_ms),
  };
}

function fromNode(n: NodeRecord): NodeRow {
  return {
    id: n.id,
    role: n.role,
    host: n.host,
    pid: n.pid,
    started_ms: n.startedAt,
    heartbeat_ms: n.heartbeatAt,
    stopped_ms: n.stoppedAt,
  };
}
