import { receiptOf } from '../core/events.js';
import { formatTime } from '../core/time.js';
import type {
  AuditEntry,
  ContentRecord,
  InteractionRecord,
  InteractionWithContent,
  LegalHold,
} from '../core/types.js';

// Domain records to their wire shape (VCC field names, second-precision UTC times).

export function contentItem(c: ContentRecord) {
  return {
    contentKey: c.contentKey,
    type: c.type,
    contentType: c.mediaType,
    contentLength: c.length,
    lastModified: formatTime(c.lastModified),
    ...(c.owningAgentId !== null && { owningAgent: { id: c.owningAgentId } }),
    ...(c.owningInteractionPlanId !== null && { owningInteractionPlan: { id: c.owningInteractionPlanId } }),
    properties: c.properties,
  };
}

export function legalHold(h: LegalHold) {
  return { reason: h.reason, caseId: h.caseId, placedAt: formatTime(h.placedAt), placedBy: h.placedBy };
}

export function interaction(
  i: InteractionRecord & { content?: ContentRecord[] },
  opts: { withHold?: boolean } = {},
) {
  return {
    guid: i.guid,
    start: formatTime(i.start),
    connectFrom: i.connectFrom,
    connectTo: i.connectTo,
    direction: i.direction,
    handlingAgents: i.handlingAgents.map((id) => ({ id })),
    content: (i.content ?? []).map(contentItem),
    ...(opts.withHold && { legalHold: i.legalHold ? legalHold(i.legalHold) : null }),
  };
}

export const interactions = (list: InteractionWithContent[]) => list.map((i) => interaction(i));

export function auditEntry(e: AuditEntry) {
  return {
    seq: e.seq,
    at: formatTime(e.at),
    atMs: e.at,
    actor: { clientId: e.actorClientId, subject: e.actorSubject },
    action: e.action,
    guid: e.guid,
    contentKey: e.contentKey,
    type: e.type,
    contentLength: e.contentLength,
    sha256: e.sha256,
    reason: e.reason,
    requestId: e.requestId,
    details: e.details,
    prevHash: e.prevHash,
    hash: e.hash,
  };
}

/** Names ledger entries in the x-deletion-receipt header: `<account>:<seq>:<hash>`, comma-separated. */
export const deletionReceipt = (entries: AuditEntry[]) => entries.map(receiptOf).join(', ');
