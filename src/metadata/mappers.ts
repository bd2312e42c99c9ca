import { normalizeAddress } from '../core/addresses.js';
import { normalizePermissions } from '../core/permissions.js';
import type {
  ApiClient,
  AuditEntry,
  ContentPermissions,
  ContentRecord,
  ContentTypeName,
  Direction,
  InteractionRecord,
  InteractionWithContent,
  PurgeEntry,
  Scope,
} from '../core/types.js';
import type {
  AuditRow,
  ClientRow,
  ContentRow,
  InteractionRow,
  InteractionTableRow,
  PurgeRow,
} from './db-schema.js';

// One mapper pair per table: snake_case rows <-> camelCase domain records. JSON columns are text so
// that both dialects store them the same way.

export function toInteraction(r: InteractionRow): InteractionRecord {
  return {
    account: r.account,
    guid: r.guid,
    start: r.start_ms,
    connectFrom: r.connect_from,
    connectTo: r.connect_to,
    direction: r.direction as Direction,
    handlingAgents: JSON.parse(r.handling_agents) as string[],
    contentCount: r.content_count,
    legalHold:
      r.hold_placed_ms === null
        ? null
        : {
            reason: r.hold_reason ?? '',
            caseId: r.hold_case_id,
            placedAt: r.hold_placed_ms,
            placedBy: r.hold_placed_by ?? '',
          },
    createdAt: r.created_ms,
  };
}

/**
 * The record with its content list. Not `{ ...toInteraction(r), content }`: the spread copied the
 * object on V8's slow path and was the single largest line of a metadata request in a profile.
 */
export function toInteractionWithContent(
  r: InteractionRow,
  content: ContentRecord[],
): InteractionWithContent {
  const record = toInteraction(r) as InteractionWithContent;
  record.content = content;
  return record;
}

export function fromInteraction(
  rec: Omit<InteractionRecord, 'contentCount' | 'legalHold'>,
): InteractionTableRow {
  return {
    account: rec.account,
    guid: rec.guid,
    start_ms: rec.start,
    connect_from: rec.connectFrom,
    connect_to: rec.connectTo,
    connect_from_norm: normalizeAddress(rec.connectFrom),
    connect_to_norm: normalizeAddress(rec.connectTo),
    direction: rec.direction,
    handling_agents: JSON.stringify(rec.handlingAgents),
    content_count: 0,
    hold_reason: null,
    hold_case_id: null,
    hold_placed_ms: null,
    hold_placed_by: null,
    created_ms: rec.createdAt,
  };
}

export function toContent(r: ContentRow): ContentRecord {
  return {
    account: r.account,
    guid: r.guid,
    contentKey: r.content_key,
    type: r.type as ContentTypeName,
    mediaType: r.media_type,
    length: r.length,
    sha256: r.sha256,
    blobKey: r.blob_key,
    lastModified: r.last_modified_ms,
    owningAgentId: r.owning_agent_id,
    owningInteractionPlanId: r.owning_interaction_plan_id,
    properties: JSON.parse(r.properties) as Record<string, unknown>,
  };
}

export function fromContent(c: ContentRecord): ContentRow {
  return {
    account: c.account,
    guid: c.guid,
    content_key: c.contentKey,
    type: c.type,
    media_type: c.mediaType,
    length: c.length,
    sha256: c.sha256,
    blob_key: c.blobKey,
    last_modified_ms: c.lastModified,
    owning_agent_id: c.owningAgentId,
    owning_interaction_plan_id: c.owningInteractionPlanId,
    properties: JSON.stringify(c.properties ?? {}),
  };
}

/** listContent's order: lastModified, then contentKey (code-point order, as the databases sort). */
export function compareContent(a: ContentRecord, b: ContentRecord): number {
  if (a.lastModified !== b.lastModified) return a.lastModified - b.lastModified;
  return a.contentKey < b.contentKey ? -1 : a.contentKey > b.contentKey ? 1 : 0;
}

export function toAudit(r: AuditRow): AuditEntry {
  return {
    account: r.account,
    seq: r.seq,
    at: r.at_ms,
    actorClientId: r.actor_client_id,
    actorSubject: r.actor_subject,
    action: r.action,
    guid: r.guid,
    contentKey: r.content_key,
    type: r.type as ContentTypeName | null,
    contentLength: r.content_length,
    sha256: r.sha256,
    reason: r.reason,
    requestId: r.request_id,
    details: r.details === null ? null : (JSON.parse(r.details) as Record<string, unknown>),
    prevHash: r.prev_hash,
    hash: r.hash,
  };
}

export function fromAudit(e: AuditEntry): AuditRow {
  return {
    account: e.account,
    seq: e.seq,
    at_ms: e.at,
    actor_client_id: e.actorClientId,
    actor_subject: e.actorSubject,
    action: e.action,
    guid: e.guid,
    content_key: e.contentKey,
    type: e.type,
    content_length: e.contentLength,
    sha256: e.sha256,
    reason: e.reason,
    request_id: e.requestId,
    details: e.details === null ? null : JSON.stringify(e.details),
    prev_hash: e.prevHash,
    hash: e.hash,
  };
}

export function toClient(r: ClientRow): ApiClient {
  return {
    clientId: r.client_id,
    account: r.account,
    name: r.name,
    scopes: JSON.parse(r.scopes) as Scope[],
    secretHash: r.secret_hash,
    createdAt: r.created_ms,
    revokedAt: r.revoked_ms,
    ...(r.permissions !== null && { permissions: JSON.parse(r.permissions) as ContentPermissions }),
  };
}

export function fromClient(c: ApiClient): ClientRow {
  return {
    client_id: c.clientId,
    account: c.account,
    name: c.name,
    scopes: JSON.stringify(c.scopes),
    secret_hash: c.secretHash,
    created_ms: c.createdAt,
    revoked_ms: c.revokedAt,
    permissions: permissionsColumn(c.permissions),
  };
}

/** null when nothing is restricted, so "no restrictions" has one stored form. */
export function permissionsColumn(p: ContentPermissions | undefined): string | null {
  const norm = normalizePermissions(p);
  return Object.keys(norm).length === 0 ? null : JSON.stringify(norm);
}

// A purge entry's public id is opaque to the core but carries the account ("<account>/<uuid>"), so
// that completePurge/removePurge, which get ids only, still hit the (account, id) primary key.

export function toPurge(r: PurgeRow): PurgeEntry {
  return {
    id: `${r.account}/${r.id}`,
    account: r.account,
    blobKey: r.blob_key,
    notBefore: r.not_before_ms,
    reason: r.reason as PurgeEntry['reason'],
    ownerNode: r.owner_node,
    attempts: Number(r.attempts),
    lastError: r.last_error,
    quarantinedAt: r.quarantined_ms === null ? null : Number(r.quarantined_ms),
  };
}

/** The row key of a public purge id; undefined for ids this store never issued. */
export function parsePurgeId(id: string): { account: string; id: string } | undefined {
  const slash = id.lastIndexOf('/');
  if (slash <= 0 || slash === id.length - 1) return undefined;
  return { account: id.slice(0, slash), id: id.slice(slash + 1) };
}
