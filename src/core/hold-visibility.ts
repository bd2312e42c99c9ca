import type { RequestContext } from './context.js';
import { legalHoldConflict } from './errors.js';
import type { LegalHold } from './types.js';

/**
 * The 409 for a held interaction, as this caller may see it: a hold's reason ("Smith v. Acme -
 * confidential settlement") is legal information, shown only to admin-scope callers, who place and
 * release holds. Everyone else learns that a hold exists, which they need to stop retrying.
 */
export function heldConflict(ctx: RequestContext, guid: string, hold: LegalHold) {
  return legalHoldConflict(guid, ctx.actor.scopes.has('interaction-content:admin') ? hold.reason : undefined);
}
