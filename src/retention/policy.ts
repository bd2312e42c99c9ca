import { randomUUID } from 'node:crypto';
import { badRequest } from '../core/errors.js';
import { CONTENT_TYPES, type ContentTypeName, type Direction } from '../core/types.js';
import {
  DAY_MS,
  MAX_KEEP_DAYS,
  MAX_RULES,
  type PolicyView,
  type RetentionGroup,
  type RetentionRule,
  type StoredPolicy,
} from './types.js';

// The rules of retention as pure functions: validation, which rules are in force when, and which
// rule decides an item. No I/O here.

export interface RuleInput {
  id?: string;
  name: string;
  keepDays: number;
  contentTypes?: string[] | null;
  direction?: string | null;
}

const DIRECTIONS: readonly Direction[] = ['inbound', 'outbound'];

const invalid = (field: string, problem: string) =>
  badRequest(`Invalid field '${field}': ${problem}`, 'invalid_retention_policy');

/**
 * Checks every rule and gives it an id: the one it names (which must be a rule of the current
 * policy), else that of the current rule with the same name and definition, else a fresh one.
 */
export function validateRules(raw: unknown, known: readonly RetentionRule[]): RetentionRule[] {
  if (!Array.isArray(raw)) throw invalid('rules', 'must be an array');
  if (raw.length > MAX_RULES) throw invalid('rules', `at most ${MAX_RULES} rules (got ${raw.length})`);
  const names = new Set<string>();
  const ids = new Set<string>();
  const knownIds = new Set(known.map((r) => r.id));
  return raw.map((input: RuleInput, i) => {
    const at = `rules[${i}]`;
    if (!input || typeof input !== 'object' || Array.isArray(input)) throw invalid(at, 'must be an object');
    for (const field of Object.keys(input))
      if (!['id', 'name', 'keepDays', 'contentTypes', 'direction'].includes(field))
        throw invalid(`${at}.${field}`, 'is not a rule field');
    const name = typeof input.name === 'string' ? input.name.trim() : undefined;
    if (!name || name.length > 128) throw invalid(`${at}.name`, 'must be 1 to 128 characters');
    if (names.has(name))
      throw invalid(`${at}.name`, `'${name}' is used by another rule; names must be unique`);
    names.add(name);
    const keepDays = input.keepDays;
    if (
      typeof keepDays !== 'number' ||
      !Number.isInteger(keepDays) ||
      keepDays < 1 ||
      keepDays > MAX_KEEP_DAYS
    )
      throw invalid(`${at}.keepDays`, `must be an integer from 1 to ${MAX_KEEP_DAYS}`);
    let contentTypes: ContentTypeName[] | null = null;
    if (input.contentTypes !== undefined && input.contentTypes !== null) {
      if (!Array.isArray(input.contentTypes) || input.contentTypes.length === 0)
        throw invalid(
          `${at}.contentTypes`,
          'must be a non-empty array of content types (or absent for every type)',
        );
      const seen = new Set<string>();
      contentTypes = input.contentTypes.map((t, j) => {
        if (typeof t !== 'string' || !(CONTENT_TYPES as readonly string[]).includes(t))
          throw invalid(
            `${at}.contentTypes[${j}]`,
            `'${String(t)}' is not a content type (${CONTENT_TYPES.join(', ')})`,
          );
        if (seen.has(t)) throw invalid(`${at}.contentTypes[${j}]`, `'${t}' is listed twice`);
        seen.add(t);
        return t as ContentTypeName;
      });
    }
    let direction: Direction | null = null;
    if (input.direction !== undefined && input.direction !== null) {
      if (!(DIRECTIONS as readonly unknown[]).includes(input.direction))
        throw invalid(`${at}.direction`, "must be 'inbound' or 'outbound' (or absent for both)");
      direction = input.direction as Direction;
    }
    const rule = { name, keepDays, contentTypes, direction };
    let id: string;
    if (input.id !== undefined) {
      if (typeof input.id !== 'string' || !knownIds.has(input.id))
        throw invalid(`${at}.id`, 'is not the id of a rule of this policy (leave it out for a new rule)');
      id = input.id;
    } else {
      id = known.find((k) => !ids.has(k.id) && sameDefinition(k, rule))?.id ?? randomUUID();
    }
    if (ids.has(id)) throw invalid(`${at}.id`, 'is given to another rule too');
    ids.add(id);
    return { id, ...rule };
  });
}

function sameDefinition(a: Omit<RetentionRule, 'id'>, b: Omit<RetentionRule, 'id'>): boolean {
  return (
    a.name === b.name &&
    a.keepDays === b.keepDays &&
    a.direction === b.direction &&
    JSON.stringify(a.contentTypes) === JSON.stringify(b.contentTypes)
  );
}

export function sameRules(a: readonly RetentionRule[], b: readonly RetentionRule[]): boolean {
  return a.length === b.length && a.every((r, i) => r.id === b[i].id && sameDefinition(r, b[i]));
}

/** The policy of an account that never set one: paused, no rules. */
export function emptyPolicy(account: string, now: number): StoredPolicy {
  return {
    account,
    status: 'paused',
    rules: [],
    pendingRules: null,
    pendingUntil: null,
    version: 0,
    updatedAt: now,
    sweepRequestedAt: null,
    lastSweep: null,
  };
}

/** A pending change whose grace period is over has taken effect (the store may not know yet). */
export function settled(p: StoredPolicy, now: number): StoredPolicy {
  if (p.pendingRules === null || p.pendingUntil === null || p.pendingUntil > now) return p;
  return { ...p, rules: p.pendingRules, pendingRules: null, pendingUntil: null };
}

/**
 * The policy after a PUT at `now`. Pausing acts at once. Turning retention on, or changing the
 * rules while on, waits `graceMs` in pendingRules (no grace: at once). Asking for what is already
 * pending changes nothing; asking for the rules in force while a change is pending withdraws it.
 */
export function applyChange(
  current: StoredPolicy,
  change: { status: 'on' | 'paused'; rules: RetentionRule[] },
  now: number,
  graceMs: number,
): StoredPolicy {
  const cur = settled(current, now);
  const next = (p: Partial<StoredPolicy>): StoredPolicy => ({
    ...cur,
    ...p,
    version: cur.version + 1,
    updatedAt: now,
  });
  if (change.status === 'paused') {
    if (cur.status === 'paused' && cur.pendingRules === null && sameRules(cur.rules, change.rules))
      return cur;
    return next({ status: 'paused', rules: change.rules, pendingRules: null, pendingUntil: null });
  }
  if (cur.status === 'on') {
    if (cur.pendingRules !== null && sameRules(cur.pendingRules, change.rules)) return cur;
    if (sameRules(cur.rules, change.rules))
      return cur.pendingRules === null ? cur : next({ pendingRules: null, pendingUntil: null });
  }
  if (graceMs === 0)
    return next({ status: 'on', rules: change.rules, pendingRules: null, pendingUntil: null });
  // Whole seconds, as the API shows times: a preview at the pendingUntil it read sees the new rules.
  const until = Math.ceil((now + graceMs) / 1000) * 1000;
  return next({ status: 'on', pendingRules: change.rules, pendingUntil: until });
}

export function viewOf(p: StoredPolicy, now: number): PolicyView {
  const s = settled(p, now);
  return {
    status: s.status === 'paused' ? 'paused' : s.pendingRules !== null ? 'pending' : 'on',
    pendingUntil: s.pendingUntil,
    rules: s.rules,
    pendingRules: s.pendingRules,
    lastSweep: s.lastSweep,
  };
}

/** The rules that delete at time `at` (assuming no further change): none while paused or pending. */
export function rulesInForce(p: StoredPolicy, at: number): RetentionRule[] | null {
  if (p.status === 'paused') return null;
  const s = settled(p, at);
  return s.pendingRules !== null ? null : s.rules;
}

/** The rule that decides an item: the longest keepDays among those that match (the first of equals). */
export function decidingRule(
  rules: readonly RetentionRule[],
  type: ContentTypeName,
  direction: Direction,
): RetentionRule | undefined {
  let best: RetentionRule | undefined;
  for (const r of rules) {
    if (r.contentTypes !== null && !r.contentTypes.includes(type)) continue;
    if (r.direction !== null && r.direction !== direction) continue;
    if (!best || r.keepDays > best.keepDays) best = r;
  }
  return best;
}

export const deleteAfterOf = (start: number, keepDays: number) => start + keepDays * DAY_MS;

/** Every (type, direction) pair some rule matches, with its deciding rule, in a fixed order. */
export function groupsOf(rules: readonly RetentionRule[]): RetentionGroup[] {
  const groups: RetentionGroup[] = [];
  for (const type of CONTENT_TYPES)
    for (const direction of DIRECTIONS) {
      const rule = decidingRule(rules, type, direction);
      if (rule) groups.push({ type, direction, keepDays: rule.keepDays, ruleId: rule.id });
    }
  return groups;
}
