import type { RequestContext } from '../core/context.js';
import type { DeletionService } from '../core/deletion-service.js';
import type { EventRecorder } from '../core/events.js';
import type { Faults } from '../core/faults.js';
import { CONTENT_TYPES, type ContentTypeName, type Direction, type PurgeEntry } from '../core/types.js';
import { pacer } from '../jobs/pace.js';
import type { JobContext, JobHandler, JobResult } from '../jobs/runner.js';
import type { MetadataStore } from '../metadata/metadata-store.js';
import { decidingRule, deleteAfterOf, groupsOf, rulesInForce, settled } from './policy.js';
import type { RetentionStore } from './retention-store.js';
import {
  DAY_MS,
  type DueItem,
  RETENTION_SWEEP,
  type RetentionRule,
  type StoredPolicy,
  type SweepProgress,
  type SweepState,
} from './types.js';

export interface SweepDeps {
  store: MetadataStore;
  retention: RetentionStore;
  deletion: Pick<DeletionService, 'deleteWithin' | 'erase'>;
  events: EventRecorder;
  faults: Faults;
}

export interface SweepOptions {
  intervalMs: number;
  /** Due items read per page. */
  batchSize: number;
  /** Interactions per deletion transaction; each transaction ends in the sweep's checkpoint. */
  txSize: number;
  /** After each transaction, rest this percentage of the time it took (jobs/pace.ts). */
  restPercent: number;
}

/** Between sweeps: when the next one is due; `finished` marks the one just done (no double event). */
type State = (SweepState & { deleted: number; interactionsDeleted: number; held: number }) | FinishedState;
interface FinishedState {
  finished: true;
  nextRunAt: number;
  startedAt: number;
}

/** Thrown inside a deletion transaction when the policy changed: the batch rolls back. */
class PolicyChanged extends Error {}

/**
 * The retention sweep of one account: a periodic job of the one runner, one row per account (so
 * one node at a time sweeps an account). A sweep fixes its "now" (asOf) and the policy version at
 * its start, then walks every (content type, direction) pair that a rule decides, through
 * contents_retention_idx, in (start, guid, contentKey) order. Each transaction deletes what is due
 * of a few interactions through DeletionService.deleteWithin (reason 'retention', the deciding
 * rule's id; the interaction goes with its last item) and checkpoints the position and counts in the same transaction: after a crash the sweep resumes
 * exactly after the last committed batch, never deleting twice or skipping. The transaction first
 * checks that the policy version is unchanged, so pausing or changing the rules stops deletion at
 * once. The sweep ends by recording lastSweep and the retention.sweep-completed.v1 event together.
 */
export function retentionSweepJob(deps: SweepDeps, opts: SweepOptions): JobHandler<unknown, State> {
  return {
    kind: RETENTION_SWEEP,
    concurrency: 1,
    maxFailures: Number.POSITIVE_INFINITY,
    async run(ctx) {
      const account = ctx.job.account;
      const now = Date.now();
      const progress: SweepProgress = {
        deleted: 0,
        interactionsDeleted: 0,
        held: 0,
        sweeps: 0,
        ...ctx.job.progress,
      };
      const policy = await deps.retention.getPolicy(account);
      const prior = ctx.job.state;
      if (!policy) return { status: 'queued', runAt: now + opts.intervalMs, progress };
      if (prior && 'finished' in prior) {
        const again = (policy.sweepRequestedAt ?? 0) > prior.startedAt;
        if (!again && prior.nextRunAt > now)
          return { status: 'queued', runAt: prior.nextRunAt, state: prior, progress };
      }
      let state: State | null =
        prior && !('finished' in prior) && prior.version === policy.version ? prior : null;
      if (!state) {
        if (!rulesInForce(policy, now)) return idle(policy, now, opts, progress);
        state = {
          asOf: now,
          version: policy.version,
          startedAt: now,
          group: 0,
          deleted: 0,
          interactionsDeleted: 0,
          held: 0,
        };
      }
      return sweep(deps, opts, ctx, policy, state, progress);
    },
  };
}

/** Nothing acts (paused, pending): look again at the interval, or when a pending change takes effect. */
function idle(p: StoredPolicy, now: number, opts: SweepOptions, progress: SweepProgress): JobResult<State> {
  const s = settled(p, now);
  const next =
    s.status === 'on' && s.pendingUntil !== null
      ? Math.min(s.pendingUntil, now + opts.intervalMs)
      : now + opts.intervalMs;
  return { status: 'queued', runAt: next, progress };
}

async function sweep(
  deps: SweepDeps,
  opts: SweepOptions,
  ctx: JobContext<unknown, State>,
  policy: StoredPolicy,
  start: SweepState & { deleted: number; interactionsDeleted: number; held: number },
  total: SweepProgress,
): Promise<JobResult<State>> {
  const account = ctx.job.account;
  const rules = rulesInForce(policy, start.asOf) as RetentionRule[];
  const groups = groupsOf(rules);
  const sys: RequestContext = {
    actor: { account, clientId: 'ics:retention', subject: 'retention-sweep', scopes: new Set() },
    requestId: `retention-sweep:${ctx.job.id}:${ctx.job.attempts}`,
  };
  // An interaction's due types, by deciding rule: every item of a type in an interaction has the same
  // deleteAfter (its start + the rule's days), so a type is due or not as a whole.
  const dueTypes = (interactionStart: number, direction: Direction) => {
    const byRule = new Map<string, { rule: RetentionRule; types: ContentTypeName[] }>();
    for (const type of CONTENT_TYPES) {
      const rule = decidingRule(rules, type, direction);
      if (!rule || deleteAfterOf(interactionStart, rule.keepDays) > start.asOf) continue;
      const entry = byRule.get(rule.id) ?? { rule, types: [] };
      entry.types.push(type);
      byRule.set(rule.id, entry);
    }
    return [...byRule.values()];
  };
  let state = start;
  let progress = total;
  const pace = pacer(opts.restPercent);
  // A transaction's erasures run while the next one deletes (their rows and purge entries are
  // committed, so a crash in between loses nothing: the purge queue erases them).
  let erasing: Promise<void> = Promise.resolve();
  for (; state.group < groups.length; state = { ...state, group: state.group + 1, after: undefined }) {
    const g = groups[state.group];
    for (;;) {
      ctx.throwIfStopped();
      const page = await deps.retention.listDue({
        account,
        type: g.type,
        direction: g.direction,
        startAtMost: state.asOf - g.keepDays * DAY_MS,
        after: state.after,
        limit: opts.batchSize,
        withHeld: true,
      });
      if (page.length === 0) break;
      for (const chunk of chunks(page, opts.txSize)) {
        pace.start();
        const held = chunk.filter((d) => d.held).length;
        const guids = [
          ...new Map(
            chunk.filter((d) => !d.held).map((d) => [d.guid, { guid: d.guid, start: d.start }]),
          ).values(),
        ];
        const last = chunk[chunk.length - 1];
        const apply = (n: { items: number; whole: number; held: number }) => ({
          next: {
            ...state,
            after: { start: last.start, guid: last.guid, contentKey: last.contentKey },
            deleted: state.deleted + n.items,
            interactionsDeleted: state.interactionsDeleted + n.whole,
            held: state.held + held + n.held,
          },
          sum: {
            ...progress,
            deleted: progress.deleted + n.items,
            interactionsDeleted: progress.interactionsDeleted + n.whole,
            held: progress.held + held + n.held,
          },
        });
        let applied: ReturnType<typeof apply> | undefined;
        if (guids.length === 0) {
          applied = apply({ items: 0, whole: 0, held: 0 });
          await ctx.checkpoint({ state: applied.next, progress: applied.sum });
        } else {
          const purge: PurgeEntry[] = [];
          try {
            await deps.store.transaction(async (tx) => {
              // Paused or changed since the sweep started: nothing more is deleted under the old rules.
              if ((await deps.retention.policyVersion(tx, account)) !== state.version)
                throw new PolicyChanged();
              const n = { items: 0, whole: 0, held: 0 };
              for (const { guid, start: began } of guids) {
                for (const { rule, types } of dueTypes(began, g.direction)) {
                  const o = await deps.deletion.deleteWithin(tx, sys, {
                    guid,
                    contentTypes: types,
                    reason: 'retention',
                    details: { ruleId: rule.id, keepDays: rule.keepDays },
                  });
                  if (o.outcome === 'held') {
                    n.held++; // placed after the page was read
                    break;
                  }
                  if (o.outcome !== 'deleted') continue;
                  purge.push(...o.purge);
                  n.items += o.entries.filter((e) => e.action === 'content.delete').length;
                  n.whole += o.entries.filter((e) => e.action === 'interaction.delete').length;
                }
              }
              applied = apply(n);
              // The checkpoint commits exactly with the deletions it counts.
              await ctx.checkpointIn(tx, { state: applied.next, progress: applied.sum });
              // The rest is measured on the work, as a deletion job's is: the commit's WAL sync and
              // scrub wait for the disk, which takes nothing from requests.
              pace.end();
            });
          } catch (err) {
            await erasing;
            if (err instanceof PolicyChanged) return { status: 'queued', runAt: Date.now(), progress };
            throw err;
          }
          await erasing;
          erasing = deps.deletion.erase(purge);
          // Its failure (storage did not confirm) is thrown by the next await of it, as before by
          // the await itself; should the sweep stop first, the purge queue has the entries.
          erasing.catch(() => undefined);
        }
        state = (applied as NonNullable<typeof applied>).next;
        progress = (applied as NonNullable<typeof applied>).sum;
        deps.faults.hit('retention.after-batch');
        // Let requests in between batches: a sweep never holds the event loop (or SQLite's one
        // connection) for more than one short transaction, and rests after each (jobs/pace.ts).
        await pace.rest();
      }
      if (page.length < opts.batchSize) break;
    }
  }
  await erasing;
  return finish(deps, opts, ctx, state, progress);
}

/** Records lastSweep, the event and the finished state in one transaction: exactly one event per sweep. */
async function finish(
  deps: SweepDeps,
  opts: SweepOptions,
  ctx: JobContext<unknown, State>,
  state: SweepState & { deleted: number; interactionsDeleted: number; held: number },
  total: SweepProgress,
): Promise<JobResult<State>> {
  const account = ctx.job.account;
  const at = Date.now();
  const progress = { ...total, sweeps: total.sweeps + 1 };
  const done: FinishedState = { finished: true, startedAt: state.startedAt, nextRunAt: at + opts.intervalMs };
  let again = false;
  await deps.store.transaction(async (tx) => {
    await deps.retention.recordSweep(tx, account, { at, deleted: state.deleted });
    await deps.events.record(tx, [
      {
        type: 'retention.sweep-completed.v1',
        account,
        subject: null,
        at,
        data: {
          account,
          startedAt: new Date(state.startedAt).toISOString(),
          asOf: new Date(state.asOf).toISOString(),
          deleted: state.deleted,
          interactionsDeleted: state.interactionsDeleted,
          held: state.held,
        },
      },
    ]);
    await ctx.checkpointIn(tx, { state: done, progress });
  });
  const policy = await deps.retention.getPolicy(account);
  again = (policy?.sweepRequestedAt ?? 0) > state.startedAt;
  return { status: 'queued', runAt: again ? Date.now() : done.nextRunAt, state: done, progress };
}

/** Splits a page into runs of whole interactions, at most `size` interactions each. */
function* chunks(page: DueItem[], size: number): Generator<DueItem[]> {
  let chunk: DueItem[] = [];
  let guids = 0;
  for (const d of page) {
    if (chunk.length === 0 || chunk[chunk.length - 1].guid !== d.guid) {
      if (guids === size) {
        yield chunk;
        chunk = [];
        guids = 0;
      }
      guids++;
    }
    chunk.push(d);
  }
  if (chunk.length > 0) yield chunk;
}
