import { EVENT_TYPES } from '../core/events.js';

// Subscription event patterns: an event type's name (`interaction-content.added.v1`), a prefix
// wildcard that ends in `.*` (`interaction.*`, `interaction-content.*`), or `*` for every event.

const NAMES: readonly string[] = EVENT_TYPES.map((e) => e.name);

/** Whether one pattern matches the event type. */
export function patternMatches(pattern: string, type: string): boolean {
  if (pattern === '*') return true;
  if (pattern.endsWith('.*')) return type.startsWith(pattern.slice(0, -1));
  return pattern === type;
}

/** Whether any of a subscription's patterns matches the event type. */
export const subscribed = (patterns: readonly string[], type: string): boolean =>
  patterns.some((p) => patternMatches(p, type));

/** Why a pattern is not acceptable, or undefined when it is (it must match a type ICS raises). */
export function patternProblem(pattern: string): string | undefined {
  if (pattern === '*') return undefined;
  if (pattern.endsWith('.*')) {
    const prefix = pattern.slice(0, -2);
    if (!/^[a-z][a-z0-9-]*(\.[a-z0-9-]+)*$/.test(prefix)) return `'${pattern}' is not a valid wildcard`;
    return NAMES.some((n) => patternMatches(pattern, n))
      ? undefined
      : `'${pattern}' matches none of the event types (GET /webhooks/event-types)`;
  }
  return NAMES.includes(pattern)
    ? undefined
    : `'${pattern}' is not an event type (GET /webhooks/event-types)`;
}
