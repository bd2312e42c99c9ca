import type {
  ApiClient,
  AuditAppend,
  AuditDraft,
  AuditEntry,
  AuditQuery,
  ContentPermissions,
  ContentRecord,
  InteractionRecord,
  InteractionWithContent,
  LegalHold,
  NewPurgeEntry,
  PurgeEntry,
  SearchFilters,
  SearchQuery,
} from '../core/types.js';

/**
 * Reads that may run inside or outside a transaction. Content keys are matched exactly: the core
 * canonicalises them first (named keys to the type name, unique ids to lower case).
 */
export interface MetadataReader {
  /** The interaction whatever its content count; undefined when absent or in another account. */
  getInteraction(account: string, guid: string): Promise<InteractionRecord | undefined>;
  /** Its content items ordered by lastModified then contentKey; [] when none or absent. */
  listContent(account: string, guid: string): Promise<ContentRecord[]>;
}

/** Writes, only inside `MetadataStore.transaction`. Everything in one call commits or none of it. */
export interface MetadataTx extends MetadataReader {
  /** Inserts the interaction (contentCount 0, no hold) and its agents. false when the guid exists in the account. */
  insertInteraction(rec: Omit<InteractionRecord, 'contentCount' | 'legalHold'>): Promise<boolean>;
  /**
   * Reads the interaction and locks it against concurrent writers until the transaction ends
   * (SELECT … FOR UPDATE on PostgreSQL; SQLite transactions are already serial).
   */
  lockInteraction(account: string, guid: string): Promise<InteractionRecord | undefined>;
  /**
   * lockInteraction, then listContent of the same interaction, read once the lock is held (on
   * PostgreSQL in one round trip). content is [] when the interaction is absent.
   */
  lockInteractionWithContent(
    account: string,
    guid: string,
  ): Promise<{ interaction: InteractionRecord | undefined; content: ContentRecord[] }>;
  /**
   * Inserts or replaces the item under (account, guid, contentKey) and keeps contentCount right.
   * Returns the replaced item, if any. The interaction must exist.
   *
   * Writers of an interaction's content lock the interaction first (lockInteraction or
   * lockInteractionWithContent). After lockInteractionWithContent (or lockInteraction, then
   * listContent) in the same transaction, putContent of a new item and deleteContent answer from
   * that listing, and on PostgreSQL their statements are sent without waiting: a failure of theirs
   * fails the transaction's commit, and nothing commits.
   */
  putContent(rec: ContentRecord): Promise<ContentRecord | undefined>;
  /** Deletes these items (absent keys are ignored) and keeps contentCount right. Returns those deleted. */
  deleteContent(account: string, guid: string, contentKeys: readonly string[]): Promise<ContentRecord[]>;
  /** Deletes the interaction, its agents and all its content rows. Returns the content rows deleted. */
  deleteInteraction(account: string, guid: string): Promise<ContentRecord[]>;
  /** Places (hold) or releases (null) a legal hold. */
  setLegalHold(account: string, guid: string, hold: LegalHold | null): Promise<void>;
  /** Adds blobs to the durable purge queue; returns the entries with their (opaque) ids. */
  enqueuePurge(entries: readonly NewPurgeEntry[]): Promise<PurgeEntry[]>;
  /** Removes purge entries. Unknown ids are ignored. */
  removePurge(ids: readonly string[]): Promise<void>;
  /**
   * Removes an upload intent as its row commits, but only if nobody took it over: a purge worker
   * that claimed it, or a reaper that made it due because its node looked dead, changed its
   * notBefore and may be erasing the blob. false then, and the caller must not commit the row.
   */
  takeUploadIntent(intent: PurgeEntry): Promise<boolean>;
  /**
   * Appends one entry to the account's hash-chained audit ledger: next seq, prevHash = the previous
   * entry's hash (or the genesis hash), hash over core/audit-chain.ts's canonical form. Serialised
   * per account across nodes: the account's head stays locked until the transaction ends. Returns
   * at once; appends of one transaction chain in the order they were called. On PostgreSQL the
   * database computes seq and hash in the statement that takes the head, so nothing between taking
   * the head and COMMIT waits for ICS unless the caller awaits `entry` inside the transaction.
   * A failed append fails the transaction (its commit, if `entry` was not awaited).
   */
  appendAudit(account: string, draft: AuditDraft): AuditAppend;
}

export interface MetadataStore extends MetadataReader {
  /**
   * Creates or upgrades the schema. Safe when several nodes run it at once. Resolves with the names
   * of the migrations this call applied (none when the schema was already current).
   */
  migrate(): Promise<string[]>;
  /**
   * Runs fn in one transaction; commits when it resolves, rolls back when it throws (and rethrows the
   * same error). fn must use `tx` only, never the store: on SQLite the store has one connection, which
   * the transaction holds until it ends.
   */
  transaction<T>(fn: (tx: MetadataTx) => Promise<T>): Promise<T>;
  /** The interaction (whatever its content count) and its content, or undefined when absent or in another account. */
  getInteractionWithContent(account: string, guid: string): Promise<InteractionWithContent | undefined>;
  /**
   * One page of interactions with contentCount > 0 matching the filters, ordered by (start, guid),
   * each with its content. Keyset paged by `after`; `offset` only for v2 page numbers. connectFrom and
   * connectTo are literal, case-sensitive prefixes compared by code point (`%` and `_` are plain characters).
   */
  search(query: SearchQuery): Promise<InteractionWithContent[]>;
  /** How many interactions (contentCount > 0) match; for v2 totals. */
  count(filters: SearchFilters): Promise<number>;

  /**
   * Claims up to `limit` purge entries whose notBefore <= now, leasing them until now + leaseMs so that
   * no other worker takes them (FOR UPDATE SKIP LOCKED on PostgreSQL).
   */
  claimPurge(opts: { limit: number; now: number; leaseMs: number }): Promise<PurgeEntry[]>;
  /** Removes purge entries whose blobs are gone. Unknown ids are ignored. */
  completePurge(ids: readonly string[]): Promise<void>;
  /**
   * Records a failed erase: attempts + 1, the error, and either a retry at `retryAt` or, with
   * `quarantine`, quarantine (never claimed again until cleared).
   */
  failPurge(failure: {
    id: string;
    error: string;
    retryAt: number;
    quarantine: boolean;
    now: number;
  }): Promise<void>;
  /** Makes the upload intents of these (dead) nodes due now. Returns how many. */
  releaseUploadIntents(nodes: readonly string[], now: number): Promise<number>;
  /** Entries for `ics verify`: quarantined ones, or pending upload intents, oldest first. */
  listPurge(opts: { kind: 'quarantined' | 'upload-intent'; limit: number }): Promise<PurgeEntry[]>;
  /** How many purge entries are pending (for metrics). */
  countPurge(): Promise<number>;
  /** The blob keys of every pending purge entry (for verify: such blobs are not orphans). */
  listPurgeBlobKeys(): Promise<string[]>;

  /** Audit entries in seq order. */
  listAudit(query: AuditQuery): Promise<AuditEntry[]>;
  /** Accounts that have a ledger (an entry or a head). */
  listAuditAccounts(): Promise<string[]>;
  /** The account's ledger head: the seq and hash of its newest entry, kept apart from the entries. */
  getAuditHead(account: string): Promise<{ seq: number; hash: string } | undefined>;

  /** Every content row, keyset paged by (account, guid, contentKey), for verify. */
  listAllContent(opts: {
    limit: number;
    after?: { account: string; guid: string; contentKey: string };
  }): Promise<ContentRecord[]>;

  createClient(client: ApiClient): Promise<void>;
  /** The client (revoked or not), or undefined. */
  getClient(clientId: string): Promise<ApiClient | undefined>;
  /** Every client, or one account's; oldest first. */
  listClients(account?: string): Promise<ApiClient[]>;
  /**
   * Swaps the client's stored secret hash for `to` if it is still `from` (a hash upgraded on use);
   * false when the client is gone or its hash changed meanwhile.
   */
  replaceClientSecretHash(clientId: string, from: string, to: string): Promise<boolean>;
  /**
   * Replaces the client's content permissions (revoked clients too: a revocation is not undone by
   * it); `{}` removes every restriction. false when the client is unknown.
   */
  setClientPermissions(clientId: string, permissions: ContentPermissions): Promise<boolean>;
  /** Marks it revoked; false when unknown or already revoked. */
  revokeClient(clientId: string, at: number): Promise<boolean>;
  countClients(): Promise<number>;

  /**
   * The token-signing secret shared by every node: stores `candidate` if none is stored yet and
   * returns the stored one (first writer wins).
   */
  getOrCreateSigningSecret(candidate: string): Promise<string>;
  /** The key client secrets are hashed under (auth/secrets.ts); first writer wins, as above. */
  getOrCreateClientSecretKey(candidate: string): Promise<string>;

  /** Throws StoreUnavailableError when the database cannot be reached. */
  ping(): Promise<void>;
  close(): Promise<void>;
}
