import type { Faults } from '../core/faults.js';
import { permittedItems } from '../core/permissions.js';
import type { ContentRecord, InteractionWithContent } from '../core/types.js';
import type { JobContext, JobHandler, JobResult } from '../jobs/runner.js';
import type { MetadataStore } from '../metadata/metadata-store.js';
import type { Destinations } from './destinations.js';
import type { ExportStore } from './export-store.js';
import { type ExportTarget, TargetRejectedError } from './export-target.js';
import { type ExportEntry, type InteractionExporter, type PageResult, SkipProbe } from './exporter.js';
import {
  type BatchState,
  EXPORT_BATCH,
  EXPORT_RECURRING,
  type ExportDestination,
  type ExportPayload,
  type ExportProgress,
  type ItemFailure,
  type RecurringState,
} from './types.js';

export interface ExportJobDeps {
  store: Pick<MetadataStore, 'search' | 'getInteractionWithContent'>;
  exports: Pick<ExportStore, 'listChangedContent'>;
  destinations: Pick<Destinations, 'open'>;
  targets: (dest: ExportDestination) => ExportTarget;
  exporter: InteractionExporter;
  faults: Faults;
}

export interface ExportJobOptions {
  /** Interactions (batch) or changed files (recurring) per page; each page ends in a checkpoint. */
  batchSize: number;
  intervalMs: number;
  settleMs: number;
}

/** Failures kept in a job's state, newest last. */
const KEEP_FAILURES = 20;

/**
 * The one-time export: the interactions that start in [startDate, endDate], page by page in
 * (start, guid) order. Each page ends in a checkpoint of where it got to and the counts, so a run
 * that dies resumes after the last finished page; the unfinished page is redone, and what it had
 * already written is skipped (same key, same SHA-256), so nothing is counted twice.
 */
export function batchExportJob(
  deps: ExportJobDeps,
  opts: ExportJobOptions,
): JobHandler<ExportPayload, BatchState> {
  return {
    kind: EXPORT_BATCH,
    concurrency: 2,
    // With backoff of 1 s doubling to 5 min: about 8 minutes of a storage outage before it gives up.
    maxFailures: 10,
    run: (ctx) =>
      withTarget(deps, ctx, async (target) => {
        const p = ctx.job.payload;
        const account = ctx.job.account;
        let state: BatchState = ctx.job.state ?? {};
        let progress = startProgress(ctx);
        const probe = new SkipProbe();
        const direction = p.filters.initialDirection.length === 1 ? p.filters.initialDirection[0] : undefined;
        for (;;) {
          ctx.throwIfStopped();
          const page = await deps.store.search({
            account,
            start: p.startDate,
            end: (p.endDate ?? p.startDate) + 1, // the window's end is inclusive (VCC)
            direction,
            limit: opts.batchSize,
            after: state.after,
          });
          if (page.length === 0) break;
          const entries = page.flatMap((i) => entry(i, i.content, p));
          const result = await deps.exporter.exportPage(target, entries, ctx.signal, probe);
          progress = add(progress, result);
          const last = page[page.length - 1];
          state = { after: { start: last.start, guid: last.guid }, failures: keep(state.failures, result) };
          await ctx.checkpoint({ state, progress });
          deps.faults.hit('export.after-checkpoint');
          if (page.length < opts.batchSize) break;
        }
        return { status: 'completed', state, progress };
      }),
  };
}

/**
 * The hourly export: each run takes the content whose lastModified is in [from, to), where `to` is
 * the run's start less the settle time and `from` the previous run's `to` (0 at first), of
 * interactions that start at or after startDate. New, replaced and late content is therefore
 * exported once it is there, and the interaction's metadata file is rewritten with it.
 */
export function recurringExportJob(
  deps: ExportJobDeps,
  opts: ExportJobOptions,
): JobHandler<ExportPayload, RecurringState> {
  return {
    kind: EXPORT_RECURRING,
    concurrency: 2,
    maxFailures: Number.POSITIVE_INFINITY,
    run: (ctx) =>
      withTarget(deps, ctx, async (target) => {
        const p = ctx.job.payload;
        const account = ctx.job.account;
        const startedAt = Date.now();
        let state: RecurringState = ctx.job.state ?? { from: 0, runs: 0 };
        // A run that was interrupted keeps its `to`, so its pages stay the same.
        if (state.to === undefined) state = { ...state, to: Math.max(state.from, startedAt - opts.settleMs) };
        const to = state.to as number;
        let progress = startProgress(ctx);
        const probe = new SkipProbe();
        for (;;) {
          ctx.throwIfStopped();
          const changed = await deps.exports.listChangedContent({
            account,
            from: state.from,
            to,
            startFrom: p.startDate,
            directions: p.filters.initialDirection,
            types: p.filters.contentTypes,
            after: state.after,
            limit: opts.batchSize,
          });
          if (changed.length === 0) break;
          const keys = new Map<string, Set<string>>();
          for (const c of changed) {
            const set = keys.get(c.guid) ?? new Set<string>();
            set.add(c.contentKey);
            keys.set(c.guid, set);
          }
          const entries: ExportEntry[] = [];
          for (const [guid, wanted] of keys) {
            const i = await deps.store.getInteractionWithContent(account, guid);
            if (i)
              entries.push(
                ...entry(
                  i,
                  i.content.filter((c) => wanted.has(c.contentKey)),
                  p,
                ),
              );
          }
          const result = await deps.exporter.exportPage(target, entries, ctx.signal, probe);
          progress = add(progress, result);
          const last = changed[changed.length - 1];
          state = { ...state, after: last, failures: keep(state.failures, result) };
          await ctx.checkpoint({ state, progress });
          deps.faults.hit('export.after-checkpoint');
          if (changed.length < opts.batchSize) break;
        }
        const next: RecurringState = {
          from: to,
          runs: state.runs + 1,
          lastRunAt: startedAt,
          failures: state.failures,
        };
        return { status: 'queued', runAt: startedAt + opts.intervalMs, state: next, progress };
      }),
  };
}

/** Opens the job's storage item and a target for it; the target is closed when the run ends. */
async function withTarget<S>(
  deps: ExportJobDeps,
  ctx: JobContext<ExportPayload, S>,
  body: (target: ExportTarget) => Promise<JobResult<S>>,
): Promise<JobResult<S>> {
  const id = ctx.job.payload.externalStorageId;
  const dest = await deps.destinations.open(ctx.job.account, id);
  if (!dest) return { status: 'failed', error: `External storage item '${id}' no longer exists` };
  const target = deps.targets(dest);
  try {
    return await body(target);
  } catch (err) {
    // A refusal (credentials, bucket, policy) will not go away by itself: a one-time export fails
    // at once with the storage's words; a recurring one keeps trying (its error is shown).
    if (err instanceof TargetRejectedError && ctx.job.kind === EXPORT_BATCH)
      return { status: 'failed', error: `The export storage refused: ${err.message}` };
    throw err;
  } finally {
    await target.close();
  }
}

function entry(
  i: InteractionWithContent,
  items: ContentRecord[],
  { filters: f, readable }: Pick<ExportPayload, 'filters' | 'readable'>,
): ExportEntry[] {
  if (f.initialDirection.length > 0 && !f.initialDirection.includes(i.direction)) return [];
  const wanted = f.contentTypes.length === 0 ? items : items.filter((c) => f.contentTypes.includes(c.type));
  if (wanted.length === 0) return [];
  // A restricted client's interaction.json names only what it may read (docs/security.md).
  const shown =
    readable === undefined ? i : { ...i, content: permittedItems(readable, i.direction, i.content) };
  return [{ interaction: shown, items: wanted }];
}

function startProgress(ctx: JobContext<ExportPayload, unknown>): ExportProgress {
  return { exported: 0, failed: 0, skipped: 0, bytes: 0, ...ctx.job.progress };
}

function add(p: ExportProgress, r: PageResult): ExportProgress {
  return {
    ...p,
    exported: p.exported + r.exported,
    failed: p.failed + r.failed,
    skipped: p.skipped + r.skipped,
    bytes: p.bytes + r.bytes,
  };
}

function keep(previous: ItemFailure[] | undefined, r: PageResult): ItemFailure[] | undefined {
  const all = [...(previous ?? []), ...r.failures];
  return all.length === 0 ? undefined : all.slice(-KEEP_FAILURES);
}
