// The domain's types. Times are epoch milliseconds; the HTTP layer formats them.
import type { PendingReceipt } from './events.js';

export const CONTENT_TYPES = [
  'callRecording',
  'transcript',
  'categorizationResult',
  'sentimentSummary',
  'voicemail',
  'screenRecording',
  'ivrAudioRecording',
  'videoRecording',
  'chatTranscript',
  'attachment',
  'conversationSummary',
  'interactionLog',
] as const;
export type ContentTypeName = (typeof CONTENT_TYPES)[number];

/** Types addressed by a named key equal to the type name: at most one item of each per interaction. */
export const NAMED_TYPES: readonly ContentTypeName[] = [
  'callRecording',
  'transcript',
  'categorizationResult',
  'sentimentSummary',
];

/** Type names also accepted as keys (older VCC docs): DELETE addresses every item of the type. */
export const TYPE_NAME_KEYS: readonly ContentTypeName[] = [
  'chatTranscript',
  'attachment',
  'ivrAudioRecording',
];

export type Direction = 'inbound' | 'outbound';
export const DIRECTIONS: readonly Direction[] = ['inbound', 'outbound'];

/** What a client may reach for one kind of access (read or delete); an absent list means any. */
export interface ContentAccess {
  types?: readonly ContentTypeName[];
  directions?: readonly Direction[];
}

/**
 * A client's content restrictions, VCC's per-user content permissions: which content types, and
 * which directions of interaction, it may read and delete. An absent side is unrestricted; `{}`
 * restricts nothing. Scopes still decide whether it may read or delete at all.
 */
export interface ContentPermissions {
  read?: ContentAccess;
  delete?: ContentAccess;
}

export const SCOPES = [
  'interaction-content:read',
  'interaction-content:delete',
  'interaction-content:write',
  'interaction-content:admin',
  // VCC's Webhooks API (src/webhooks/): reading and changing subscriptions. interaction-content:admin
  // grants both (SCOPE_GRANTS in auth/scopes.ts).
  'admin:read',
  'admin:write',
] as const;
export type Scope = (typeof SCOPES)[number];

export interface LegalHold {
  reason: string;
  caseId: string | null;
  placedAt: number;
  placedBy: string;
}

export interface InteractionRecord {
  account: string;
  /** Lower-case UUID. */
  guid: string;
  start: number;
  connectFrom: string;
  connectTo: string;
  direction: Direction;
  /** Agent ids, in the order given. */
  handlingAgents: string[];
  /** Number of content items; search and get show only interactions with at least one. */
  contentCount: number;
  legalHold: LegalHold | null;
  createdAt: number;
}

export interface ContentRecord {
  account: string;
  guid: string;
  /** The key as stored: the type name for named types, the unique id otherwise. */
  contentKey: string;
  type: ContentTypeName;
  /** Media type, e.g. audio/wav. */
  mediaType: string;
  length: number;
  /** Lower-case hex SHA-256 of the bytes. */
  sha256: string;
  /** Where the bytes are in the BlobStore; immutable, fresh for every upload. */
  blobKey: string;
  lastModified: number;
  owningAgentId: string | null;
  owningInteractionPlanId: string | null;
  properties: Record<string, unknown>;
}

export interface InteractionWithContent extends InteractionRecord {
  content: ContentRecord[];
}

/** Who made a request: the API client and the token's subject. */
export interface Actor {
  account: string;
  clientId: string;
  subject: string;
  scopes: ReadonlySet<Scope>;
  /** Its client's restrictions, as they stand now (not when the token was issued); absent = none. */
  permissions?: ContentPermissions;
}

export interface ApiClient {
  clientId: string;
  account: string;
  name: string | null;
  scopes: Scope[];
  /** Encoded slow salted hash of the secret (see auth/secrets.ts). */
  secretHash: string;
  createdAt: number;
  revokedAt: number | null;
  /** Content restrictions; absent or `{}` = none. */
  permissions?: ContentPermissions;
}

export interface SearchFilters {
  account: string;
  /** Inclusive. */
  start: number;
  /** Exclusive. */
  end: number;
  handlingAgentId?: string;
  /** Prefix match. */
  connectFrom?: string;
  /** Prefix match. */
  connectTo?: string;
  direction?: Direction;
  /**
   * The caller's read restriction: only interactions of these directions that hold at least one item
   * of these types match. Not part of a continuation token's binding: a token stays valid when an
   * administrator changes the client's restrictions, and the next page follows the new ones.
   */
  readable?: ContentAccess;
}

/** Keyset position: the last row of the previous page. */
export interface SearchCursor {
  start: number;
  guid: string;
}

export interface SearchQuery extends SearchFilters {
  limit: number;
  /** Rows strictly after this (start, guid) position. */
  after?: SearchCursor;
  /** v2 paging: rows to skip (only used by page numbers; v3 uses `after`). */
  offset?: number;
}

export interface PurgeEntry {
  id: string;
  account: string;
  blobKey: string;
  /** Not to be worked before this time (an in-flight upload reserves its key until then). */
  notBefore: number;
  reason: 'delete' | 'replace' | 'upload-intent' | 'repair';
  /** For upload intents: the node whose upload reserved the key; its death makes the entry due. */
  ownerNode: string | null;
  /** Failed attempts to erase the blob. */
  attempts: number;
  lastError: string | null;
  /** Set when the entry failed for good; it is then never claimed until `ics verify --repair`. */
  quarantinedAt: number | null;
}

export type NewPurgeEntry = Pick<PurgeEntry, 'account' | 'blobKey' | 'notBefore' | 'reason'> & {
  ownerNode?: string | null;
};

export interface AuditDraft {
  at: number;
  actorClientId: string | null;
  actorSubject: string | null;
  /** e.g. content.delete, interaction.delete, legal_hold.place, legal_hold.release */
  action: string;
  guid: string;
  contentKey: string | null;
  type: ContentTypeName | null;
  contentLength: number | null;
  sha256: string | null;
  /** api, batch, cascade, retention, erasure, … */
  reason: string;
  requestId: string | null;
  details: Record<string, unknown> | null;
}

export interface AuditEntry extends AuditDraft {
  account: string;
  seq: number;
  prevHash: string;
  hash: string;
}

/**
 * A ledger entry on its way (MetadataTx.appendAudit): the store chooses its seq and hash, on
 * PostgreSQL inside the statement that takes the account's head.
 */
export interface AuditAppend {
  /**
   * The chained entry. On PostgreSQL this waits for the database's answer, and the account's head
   * stays locked until the transaction ends: awaiting it inside the transaction puts a round trip
   * into that lock, so the hot paths await it after the commit. The transaction commits only with
   * the entry, awaited or not; if the append fails, so does the commit.
   */
  readonly entry: Promise<AuditEntry>;
  /** Stands for the entry's receipt in the data of an event recorded in the same transaction (events.ts). */
  readonly receipt: PendingReceipt;
}

export interface AuditQuery {
  account: string;
  start?: number;
  end?: number;
  guid?: string;
  action?: string;
  limit: number;
  /** Entries with seq strictly greater. */
  afterSeq?: number;
}
