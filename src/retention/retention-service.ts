import type { RequestContext } from '../core/context.js';
import { badRequest, interactionNotFound } from '../core/errors.js';
import { parseGuid } from '../core/guid.js';
import { accessOf, permittedItems } from '../core/permissions.js';
import type { ContentTypeName, LegalHold } from '../core/types.js';
import type { JobStore } from '../jobs/job-store.js';
import type { MetadataStore } from '../metadata/metadata-store.js';
import {
  applyChange,
  decidingRule,
  deleteAfterOf,
  emptyPolicy,
  groupsOf,
  rulesInForce,
  settled,
  validateRules,
  viewOf,
} from './policy.js';
import type { RetentionStore } from './retention-store.js';
import { DAY_MS, type PolicyView, RETENTION_SWEEP, SWEEP_JOB_ID } from './types.js';

export interface PolicyInput {
  status: string;
  rules: unknown;
}

export interface Preview {
  at: number;
  total: number;
  byRule: { ruleId: string; count: number }[];
  byType: Partial<Record<ContentTypeName, number>>;
  sample: { guid: string; contentKey: string; type: ContentTypeName; deleteAfter: number; ruleId: string }[];
}

export interface Explanation {
  guid: string;
  /** Only admin-scope callers see a hold's reason, case and author (hold-visibility.ts). */
  legalHold: LegalHold | Pick<LegalHold, 'placedAt'> | null;
  content: { contentKey: string; type: ContentTypeName; deleteAfter: number | null; ruleId: string | null }[];
}

const SAMPLE = 100;

/**
 * The retention policy API's use-cases: the policy with its pending state, the preview, the
 * per-interaction explanation, and sweep requests. The sweep itself is a job (sweep-job.ts).
 */
export class RetentionService {
  constructor(
    private readonly deps: {
      store: MetadataStore;
      retention: RetentionStore;
      jobs: JobStore;
      /** Wakes the job runner after a sweep was made due. */
      poke: () => void;
    },
    private readonly opts: { graceMs: number },
  ) {}

  async get(ctx: RequestContext): Promise<PolicyView> {
    const now = Date.now();
    const p = await this.deps.retention.getPolicy(ctx.actor.account);
    return viewOf(p ?? emptyPolicy(ctx.actor.account, now), now);
  }

  /** Validates everything before anything is written; a bad input changes nothing. */
  async put(ctx: RequestContext, input: PolicyInput): Promise<PolicyView> {
    const account = ctx.actor.account;
    if (input.status !== 'on' && input.status !== 'paused')
      throw badRequest("Invalid field 'status': must be 'on' or 'paused'", 'invalid_retention_policy');
    const now = Date.now();
    const known = await this.deps.retention.getPolicy(account);
    const knownRules = known ? [...known.rules, ...(known.pendingRules ?? [])] : [];
    const rules = validateRules(input.rules, knownRules);
    const saved = await this.deps.store.transaction(async (tx) => {
      const current = await this.deps.retention.lockPolicy(tx, account, emptyPolicy(account, now));
      const next = applyChange(
        current,
        { status: input.status as 'on' | 'paused', rules },
        now,
        this.opts.graceMs,
      );
      if (next !== current) await this.deps.retention.savePolicy(tx, next);
      // The account's one sweep job, from its first policy on (first writer wins across nodes).
      await this.deps.jobs.createJobIn(
        tx,
        { account, id: SWEEP_JOB_ID, kind: RETENTION_SWEEP, payload: {} },
        now,
      );
      return next;
    });
    // The sweep re-reads the policy and decides when it next has work (e.g. at pendingUntil).
    await this.#wake(account, now);
    return viewOf(saved, now);
  }

  /** What the rules in force at `at` would have deleted by then, legal holds respected. */
  async preview(ctx: RequestContext, at = Date.now()): Promise<Preview> {
    const account = ctx.actor.account;
    const p = await this.deps.retention.getPolicy(account);
    const rules = p ? rulesInForce(p, at) : null;
    const empty: Preview = { at, total: 0, byRule: [], byType: {}, sample: [] };
    if (!rules || rules.length === 0) return empty;
    const groups = groupsOf(rules);
    const counts = new Map<string, number>();
    const byType: Preview['byType'] = {};
    const sample: Preview['sample'] = [];
    let total = 0;
    for (const g of groups) {
      const range = { account, type: g.type, direction: g.direction, startAtMost: at - g.keepDays * DAY_MS };
      const n = await this.deps.retention.countDue(range);
      if (n === 0) continue;
      total += n;
      counts.set(g.ruleId, (counts.get(g.ruleId) ?? 0) + n);
      byType[g.type] = (byType[g.type] ?? 0) + n;
      const first = await this.deps.retention.listDue({ ...range, limit: SAMPLE, withHeld: false });
      for (const d of first)
        sample.push({
          guid: d.guid,
          contentKey: d.contentKey,
          type: d.type,
          deleteAfter: deleteAfterOf(d.start, g.keepDays),
          ruleId: g.ruleId,
        });
    }
    sample.sort(
      (a, b) =>
        a.deleteAfter - b.deleteAfter ||
        (a.guid < b.guid ? -1 : a.guid > b.guid ? 1 : a.contentKey < b.contentKey ? -1 : 1),
    );
    return {
      at,
      total,
      // In the policy's rule order.
      byRule: rules
        .filter((r) => counts.has(r.id))
        .map((r) => ({ ruleId: r.id, count: counts.get(r.id) ?? 0 })),
      byType,
      sample: sample.slice(0, SAMPLE),
    };
  }

  /**
   * Why each item of an interaction is kept: its deleteAfter and deciding rule under the rules that
   * will act (a pending change's, from its pendingUntil on); null when no rule matches or
   * retention is paused.
   */
  async explain(ctx: RequestContext, rawGuid: string): Promise<Explanation> {
    const guid = parseGuid(rawGuid);
    const account = ctx.actor.account;
    const [interaction, p] = await Promise.all([
      this.deps.store.getInteractionWithContent(account, guid),
      this.deps.retention.getPolicy(account),
    ]);
    // A client restricted in what it may read learns nothing about the items it may not read
    // (core/permissions.ts): they are left out, and an interaction with none is 404 as in get.
    const access = accessOf(ctx.actor, 'read');
    const items = interaction && permittedItems(access, interaction.direction, interaction.content);
    if (!interaction || !items || (access !== undefined && items.length === 0))
      throw interactionNotFound(guid);
    const now = Date.now();
    const s = p ? settled(p, now) : undefined;
    const rules = !s || s.status === 'paused' ? [] : (s.pendingRules ?? s.rules);
    const notBefore = s?.pendingUntil ?? 0;
    return {
      guid,
      legalHold:
        interaction.legalHold && !ctx.actor.scopes.has('interaction-content:admin')
          ? { placedAt: interaction.legalHold.placedAt }
          : interaction.legalHold,
      content: items.map((c) => {
        const rule = decidingRule(rules, c.type, interaction.direction);
        return {
          contentKey: c.contentKey,
          type: c.type,
          deleteAfter: rule ? Math.max(notBefore, deleteAfterOf(interaction.start, rule.keepDays)) : null,
          ruleId: rule?.id ?? null,
        };
      }),
    };
  }

  /** Makes the account's sweep due now (POST …/retention/sweep). */
  async requestSweep(ctx: RequestContext): Promise<{ requested: boolean }> {
    const now = Date.now();
    const requested = await this.deps.retention.requestSweep(ctx.actor.account, now);
    if (requested) await this.#wake(ctx.actor.account, now);
    return { requested };
  }

  /** A released hold: what was due while held goes in a sweep now, not at the next interval. */
  async holdReleased(account: string): Promise<void> {
    const now = Date.now();
    if (await this.deps.retention.requestSweep(account, now)) await this.#wake(account, now);
  }

  async #wake(account: string, now: number) {
    await this.deps.jobs.wakeJob(account, SWEEP_JOB_ID, now);
    this.deps.poke();
  }
}
