import type { ContentTypeName, Direction } from '../core/types.js';

// Retention policies (docs/retention.md). Times are epoch ms.

export const RETENTION_SWEEP = 'retention-sweep';
/** The one sweep job of an account (a fixed id: one sweeper per account, on any node). */
export const SWEEP_JOB_ID = 'retention-sweep';

export const MAX_RULES = 100;
export const MAX_KEEP_DAYS = 36_500;
export const DAY_MS = 86_400_000;

export interface RetentionRule {
  id: string;
  name: string;
  /** null: every content type. */
  contentTypes: ContentTypeName[] | null;
  /** null: both directions. */
  direction: Direction | null;
  keepDays: number;
}

/** The stored policy. `status` is what was asked for; with pendingRules set, the view says 'pending'. */
export interface StoredPolicy {
  account: string;
  status: 'on' | 'paused';
  rules: RetentionRule[];
  pendingRules: RetentionRule[] | null;
  pendingUntil: number | null;
  /** Bumped by every change; a sweep works under one version and stops when it changes. */
  version: number;
  updatedAt: number;
  /** The last time a sweep was asked for (API, a released hold); a sweep that started earlier runs again. */
  sweepRequestedAt: number | null;
  lastSweep: { at: number; deleted: number } | null;
}

export type PolicyStatus = 'on' | 'paused' | 'pending';

export interface PolicyView {
  status: PolicyStatus;
  pendingUntil: number | null;
  rules: RetentionRule[];
  pendingRules: RetentionRule[] | null;
  lastSweep: { at: number; deleted: number } | null;
}

/** What one (content type, direction) pair is kept for under a rule set: the longest matching rule. */
export interface RetentionGroup {
  type: ContentTypeName;
  direction: Direction;
  keepDays: number;
  ruleId: string;
}

/** An item that is due (or will be), as the preview and the sweep see it. */
export interface DueItem {
  guid: string;
  contentKey: string;
  type: ContentTypeName;
  start: number;
  held: boolean;
}

export interface SweepState {
  /** The sweep's "now": every item with deleteAfter <= asOf is due in this sweep. */
  asOf: number;
  version: number;
  startedAt: number;
  /** Index into the groups of the rules of `version`. */
  group: number;
  /** The last item done in that group, in (start, guid, contentKey) order. */
  after?: { start: number; guid: string; contentKey: string };
}

export interface SweepProgress {
  [k: string]: number;
  deleted: number;
  interactionsDeleted: number;
  held: number;
  sweeps: number;
}
