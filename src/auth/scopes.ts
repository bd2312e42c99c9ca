import { insufficientScope } from '../core/errors.js';
import { type Actor, SCOPES, type Scope } from '../core/types.js';

// Scope strings (RFC 6749 section 3.3: space-separated scope-tokens) to and from the known Scope set.

export type ScopeParseResult = { ok: true; scopes: Scope[] } | { ok: false; unknown: string[] };

export const isScope = (name: string): name is Scope => (SCOPES as readonly string[]).includes(name);

/**
 * Parses a space-separated scope string. Duplicates collapse; the result is in canonical (SCOPES)
 * order. Runs of spaces are tolerated because clients are sloppy and nothing is ambiguous about them.
 * An empty or blank string gives no scopes.
 */
export function parseScopes(text: string): ScopeParseResult {
  const names = text.split(' ').filter((s) => s !== '');
  const unknown = names.filter((n) => !isScope(n));
  if (unknown.length > 0) return { ok: false, unknown: [...new Set(unknown)] };
  return { ok: true, scopes: canonical(names as Scope[]) };
}

/** Known scopes only, unknown names dropped: for external tokens that also carry `openid`, `profile`, … */
export function knownScopes(names: Iterable<string>): Scope[] {
  return canonical([...names].filter(isScope));
}

export function formatScopes(scopes: Iterable<Scope>): string {
  return canonical(scopes).join(' ');
}

/** Scopes that another scope implies: interaction-content:admin may manage webhooks (spec section 3). */
const SCOPE_GRANTS: Partial<Record<Scope, Scope>> = {
  'admin:read': 'interaction-content:admin',
  'admin:write': 'interaction-content:admin',
};

/** Whether the actor holds `scope`, itself or through a scope that grants it. */
export function holdsScope(actor: Pick<Actor, 'scopes'>, scope: Scope): boolean {
  if (actor.scopes.has(scope)) return true;
  const granter = SCOPE_GRANTS[scope];
  return granter !== undefined && actor.scopes.has(granter);
}

/** Throws the 403 insufficient_scope AppError unless the actor holds `scope`. */
export function requireScope(actor: Pick<Actor, 'scopes'>, scope: Scope): void {
  if (!holdsScope(actor, scope)) throw insufficientScope(scope);
}

function canonical(scopes: Iterable<Scope>): Scope[] {
  const set = new Set(scopes);
  return SCOPES.filter((s) => set.has(s));
}
