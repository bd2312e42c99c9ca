import { setTimeout as sleep } from 'node:timers/promises';
import type { RequestContext } from '../core/context.js';
import type { DeletionService } from '../core/deletion-service.js';
import type { EventRecorder } from '../core/events.js';
import type { Faults } from '../core/faults.js';
import type { PurgeEntry } from '../core/types.js';
import type { NodeLogger } from '../jobs/node-registry.js';
import { pacer } from '../jobs/pace.js';
import type { JobContext, JobHandler } from '../jobs/runner.js';
import type { MetadataStore } from '../metadata/metadata-store.js';
import type { DeletionJobStore } from './deletion-job-store.js';
import {
  DELETION_JOB,
  DELETION_JOB_REASON,
  type DeletionCounts,
  type DeletionJobPayload,
  type DeletionJobState,
  walksOf,
} from './types.js';

export interface DeletionJobDeps {
  store: Pick<MetadataStore, 'transaction'>;
  items: DeletionJobStore;
  deletion: Pick<DeletionService, 'deleteWithin' | 'erase'>;
  events: EventRecorder;
  faults: Faults;
  log: NodeLogger;
}

export interface DeletionJobOptions {
  /** Interactions deleted per transaction at most (each batch commits with its items and checkpoint). */
  batchSize: number;
  /**
   * A transaction takes no further interaction once it has run this long (it always takes one), so
   * that on SQLite, where it holds the store's one connection, a read waits at most about this long.
   */
  txBudgetMs: number;
  /** After each transaction, rest this percentage of the time it took (jobs/pace.ts). */
  restPercent: number;
  /** Waits before each further attempt to erase an item's blobs; after the last, the item is failed. */
  eraseRetryMs: readonly number[];
  /** Matches taken per page of a walk. */
  matchPageSize: number;
  /** How long a job with held interactions waits before it looks again (a release wakes it at once). */
  recheckMs: number;
}

type Ctx = JobContext<DeletionJobPayload, DeletionJobState>;

/**
 * A deletion job, in phases that each end every page in a checkpoint committed in the same
 * transaction as the work it records:
 *  - match: walks the indexes (types.ts walksOf) and records each interaction found as an item
 *    (`matched` for a dry run, else `pending`);
 *  - delete: deletes the pending items through DeletionService.deleteWithin, a batch per
 *    transaction (at most batchSize interactions and about txBudgetMs long, with a turn of the
 *    event loop between transactions), each item's outcome and receipts recorded with its
 *    deletion; after the commit the batch's blobs are erased (while the next batch deletes), and an
 *    item whose blobs storage will not erase ends `failed` with the reason;
 *  - held: when interactions were under a legal hold, the job waits and retries them (a hold's
 *    release wakes it), until none is held.
 * A worker that dies mid-batch leaves nothing of that batch committed; the next worker resumes
 * from the last checkpoint, and an item is only ever worked while it is `pending` (or `held`),
 * so nothing is deleted twice or skipped.
 */
export function deletionJob(
  deps: DeletionJobDeps,
  opts: DeletionJobOptions,
): JobHandler<DeletionJobPayload, DeletionJobState> {
  return {
    kind: DELETION_JOB,
    concurrency: 1,
    async run(ctx) {
      let state: DeletionJobState = ctx.job.state ?? { phase: 'match', walk: 0 };
      let counts: DeletionCounts = { matched: 0, deleted: 0, held: 0, failed: 0, ...ctx.job.progress };
      // A run that starts in 'held' retries the held items; one that gets there waits first.
      const retry = state.phase === 'held';
      if (state.phase === 'match') ({ state, counts } = await matchAll(deps, opts, ctx, state, counts));
      if (state.phase === 'delete')
        ({ state, counts } = await work(deps, opts, ctx, state, counts, 'pending'));
      if (retry) ({ state, counts } = await work(deps, opts, ctx, state, counts, 'held'));
      if (state.phase === 'done') return { status: 'completed', state, progress: { ...counts } };
      // Interactions are still held: look again later (hold releases wake the job sooner).
      const next: DeletionJobState = { phase: 'held' };
      return { status: 'waiting', runAt: Date.now() + opts.recheckMs, state: next, progress: { ...counts } };
    },
  };
}

type Step = { state: DeletionJobState; counts: DeletionCounts };

async function matchAll(
  deps: DeletionJobDeps,
  opts: DeletionJobOptions,
  ctx: Ctx,
  from: DeletionJobState,
  start: DeletionCounts,
): Promise<Step> {
  const p = ctx.job.payload;
  const walks = walksOf(p);
  let state = from;
  let counts = start;
  for (let w = state.walk ?? 0; w < walks.length; w++) {
    let after = w === state.walk ? state.after : undefined;
    for (;;) {
      ctx.throwIfStopped();
      const page = await deps.items.matchPage({
        account: ctx.job.account,
        match: p.match,
        walk: walks[w],
        after,
        limit: opts.matchPageSize,
      });
      const last = page.at(-1);
      const done = page.length < opts.matchPageSize;
      after = last && { start: last.start, guid: last.guid };
      const nextState: DeletionJobState = done
        ? { phase: 'match', walk: w + 1 }
        : { phase: 'match', walk: w, after };
      await deps.store.transaction(async (tx) => {
        const added = await deps.items.addItemsIn(tx, {
          account: ctx.job.account,
          jobId: ctx.job.id,
          guids: page.map((r) => r.guid),
          outcome: p.dryRun ? 'matched' : 'pending',
          now: Date.now(),
        });
        counts = { ...counts, matched: counts.matched + added };
        state = nextState;
        await ctx.checkpointIn(tx, { state, progress: { ...counts } });
      });
      deps.faults.hit('deletion-job.after-match-page');
      if (done) break;
    }
  }
  if (p.dryRun) return finish(deps, ctx, counts);
  state = { phase: 'delete' };
  await ctx.checkpoint({ state, progress: { ...counts } });
  return { state, counts };
}

/** One pass over the items with `outcome` (pending: the first pass; held: a retry after a release). */
async function work(
  deps: DeletionJobDeps,
  opts: DeletionJobOptions,
  ctx: Ctx,
  from: DeletionJobState,
  start: DeletionCounts,
  outcome: 'pending' | 'held',
): Promise<Step> {
  const p = ctx.job.payload;
  const account = ctx.job.account;
  const rctx = requestContext(ctx);
  let state = from;
  let counts = start;
  const details = { job: ctx.job.id, reason: p.reason, ...(p.reference ? { reference: p.reference } : {}) };
  // The previous transaction's erasures run while the next transaction deletes (their rows and
  // purge entries are committed, so a crash in between loses nothing: the purge queue erases them).
  let erasing: Promise<ErasureFailure[]> = Promise.resolve([]);
  const settle = async () => {
    const failed = await erasing;
    erasing = Promise.resolve([]);
    if (failed.length > 0) ({ state, counts } = await recordFailures(deps, ctx, state, counts, failed));
  };
  // Requests get their turn between transactions (jobs/pace.ts): on SQLite a transaction holds
  // the store's one connection, and a GET that arrives meanwhile waits for its commit.
  const pace = pacer(opts.restPercent);
  for (let first = true; ; first = false) {
    ctx.throwIfStopped();
    if (!first) await pace.rest();
    await deps.faults.pause('deletion-job.before-batch');
    pace.start();
    const batch = await deps.items.listItems({
      account,
      jobId: ctx.job.id,
      outcome,
      afterGuid: state.afterGuid,
      limit: opts.batchSize,
    });
    if (batch.length === 0) break;
    const erasures: Erasure[] = [];
    let taken = 0;
    await deps.store.transaction(async (tx) => {
      const began = performance.now();
      let next = counts;
      erasures.length = 0;
      taken = 0;
      for (const item of batch) {
        // Bounded in time as well as in size: the rest of the batch goes in the next transaction.
        if (taken > 0 && performance.now() - began >= opts.txBudgetMs) break;
        taken++;
        const now = Date.now();
        const result = await deps.deletion.deleteWithin(tx, rctx, {
          guid: item.guid,
          contentTypes: p.match.contentTypes,
          reason: DELETION_JOB_REASON,
          details,
        });
        if (result.outcome === 'held') {
          // Newly held (first pass) counts as held; still held (a retry) changes nothing.
          if (outcome === 'pending') {
            await deps.items.setItemIn(tx, {
              account,
              jobId: ctx.job.id,
              guid: item.guid,
              outcome: 'held',
              entries: [],
              now,
            });
            next = { ...next, held: next.held + 1 };
          }
          continue;
        }
        // 'absent': it went meanwhile (another deletion); the job has nothing left to do for it.
        const entries =
          result.outcome === 'deleted' ? result.entries.map((e) => ({ seq: e.seq, hash: e.hash })) : [];
        if (result.outcome === 'deleted' && result.purge.length > 0)
          erasures.push({ guid: item.guid, entries, purge: result.purge });
        await deps.items.setItemIn(tx, {
          account,
          jobId: ctx.job.id,
          guid: item.guid,
          outcome: 'deleted',
          entries,
          message: result.outcome === 'absent' ? 'already gone when the job reached it' : null,
          now,
        });
        next = {
          ...next,
          deleted: next.deleted + 1,
          held: outcome === 'held' ? next.held - 1 : next.held,
        };
      }
      const nextState: DeletionJobState = { phase: state.phase, afterGuid: batch[taken - 1].guid };
      await ctx.checkpointIn(tx, { state: nextState, progress: { ...next } });
      // The rest is measured on the work: the commit's WAL scrub waits for the disk, off the loop.
      pace.end();
      deps.faults.hit('deletion-job.before-commit');
      counts = next;
      state = nextState;
    });
    deps.faults.hit('deletion-job.after-commit');
    await settle();
    // The rows are gone and recorded; erasing the bytes now (the purge queue finishes what fails).
    erasing = eraseAll(deps, opts, ctx, erasures);
    if (taken === batch.length && batch.length < opts.batchSize) break;
  }
  await settle();
  if (counts.held > 0) {
    state = { phase: 'held' };
    await ctx.checkpoint({ state, progress: { ...counts } });
    return { state, counts };
  }
  return finish(deps, ctx, counts);
}

/** A deleted item's blobs, to erase once its transaction committed. */
interface Erasure {
  guid: string;
  entries: { seq: number; hash: string }[];
  purge: PurgeEntry[];
}

interface ErasureFailure extends Erasure {
  error: string;
}

/**
 * Erases each item's blobs, retrying an item whose storage does not confirm (opts.eraseRetryMs
 * between attempts); the items storage still refuses after the last attempt are returned.
 */
async function eraseAll(
  deps: DeletionJobDeps,
  opts: DeletionJobOptions,
  ctx: Ctx,
  erasures: Erasure[],
): Promise<ErasureFailure[]> {
  const failed: ErasureFailure[] = [];
  const one = async (e: Erasure) => {
    for (let attempt = 0; ; attempt++) {
      try {
        await deps.deletion.erase(e.purge);
        return;
      } catch (err) {
        if (attempt >= opts.eraseRetryMs.length) {
          const cause = err instanceof Error && err.cause instanceof Error ? err.cause : err;
          const error = cause instanceof Error ? cause.message : String(cause);
          deps.log.warn(
            { err, job: ctx.job.id, guid: e.guid },
            'deletion job: storage did not confirm erasing; the item is failed, the purge queue keeps trying',
          );
          failed.push({ ...e, error });
          return;
        }
        await sleep(opts.eraseRetryMs[attempt]);
      }
    }
  };
  for (let i = 0; i < erasures.length; i += 16) await Promise.all(erasures.slice(i, i + 16).map(one));
  return failed;
}

/**
 * Items whose bytes storage would not erase end `failed`, with the reason. Their rows are deleted
 * and in the ledger (the entries stay on the item) and their purge entries are queued, so the
 * purge job keeps erasing them (`ics verify` shows the ones that fail for good); the certificate
 * names only `deleted` items. A crash before this commits leaves them `deleted`: their purge entries
 * are queued either way.
 */
async function recordFailures(
  deps: DeletionJobDeps,
  ctx: Ctx,
  state: DeletionJobState,
  counts: DeletionCounts,
  failed: ErasureFailure[],
): Promise<Step> {
  const next: DeletionCounts = {
    ...counts,
    deleted: counts.deleted - failed.length,
    failed: counts.failed + failed.length,
  };
  await deps.store.transaction(async (tx) => {
    for (const f of failed)
      await deps.items.setItemIn(tx, {
        account: ctx.job.account,
        jobId: ctx.job.id,
        guid: f.guid,
        outcome: 'failed',
        entries: f.entries,
        message: `deleted and recorded in the ledger, but storage did not confirm erasing its content (${f.error}); the purge queue keeps retrying (see ics verify)`,
        now: Date.now(),
      });
    await ctx.checkpointIn(tx, { state, progress: { ...next } });
  });
  return { state, counts: next };
}

/** The last checkpoint, with the completion event in its transaction: recorded exactly once. */
async function finish(deps: DeletionJobDeps, ctx: Ctx, counts: DeletionCounts): Promise<Step> {
  const state: DeletionJobState = { phase: 'done' };
  const p = ctx.job.payload;
  await deps.store.transaction(async (tx) => {
    await ctx.checkpointIn(tx, { state, progress: { ...counts } });
    await deps.events.record(tx, [
      {
        type: 'deletion-job.completed.v1',
        account: ctx.job.account,
        subject: null,
        at: Date.now(),
        data: {
          account: ctx.job.account,
          jobId: ctx.job.id,
          dryRun: p.dryRun,
          reference: p.reference,
          counts: { ...counts },
        },
      },
    ]);
  });
  return { state, counts };
}

function requestContext(ctx: Ctx): RequestContext {
  const p = ctx.job.payload;
  return {
    actor: {
      account: ctx.job.account,
      clientId: p.actor.clientId,
      subject: p.actor.subject,
      scopes: new Set(['interaction-content:admin']),
    },
    requestId: p.requestId,
  };
}
