import type { Actor, AuditDraft, ContentRecord } from './types.js';

/** What every use-case knows about the request it serves. */
export interface RequestContext {
  actor: Actor;
  requestId: string;
}

/**
 * A ledger entry made by this request: actor and request id from the context, the content fields
 * from the item when there is one (else null).
 */
export function auditDraft(
  ctx: RequestContext,
  entry: {
    action: string;
    guid: string;
    reason: string;
    at?: number;
    item?: ContentRecord;
    details?: Record<string, unknown>;
  },
): AuditDraft {
  const { item } = entry;
  return {
    at: entry.at ?? Date.now(),
    actorClientId: ctx.actor.clientId,
    actorSubject: ctx.actor.subject,
    requestId: ctx.requestId,
    action: entry.action,
    guid: entry.guid,
    contentKey: item?.contentKey ?? null,
    type: item?.type ?? null,
    contentLength: item?.length ?? null,
    sha256: item?.sha256 ?? null,
    reason: entry.reason,
    details: entry.details ?? null,
  };
}
