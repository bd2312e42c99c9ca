import type { Transaction } from 'kysely';
import { v7 as uuidv7 } from 'uuid';
import { chainEntry, GENESIS_HASH } from '../core/audit-chain.js';
import type {
  AuditDraft,
  AuditEntry,
  ContentRecord,
  InteractionRecord,
  LegalHold,
  NewPurgeEntry,
  PurgeEntry,
} from '../core/types.js';
import type { Database, Dialect } from './db-schema.js';
import {
  compareContent,
  fromAudit,
  fromContent,
  fromInteraction,
  toContent,
  toInteraction,
  toPurge,
} from './mappers.js';
import type { MetadataTx } from './metadata-store.js';
import { deletePurge, takeUploadIntent } from './purge-queue.js';
import { getInteraction, listContent } from './reads.js';
import { registerSqlTransaction } from './sql-handle.js';
import { atSeam, isForeignKeyViolation } from './store-errors.js';

/** MetadataTx over one Kysely transaction (BEGIN IMMEDIATE on SQLite, READ COMMITTED on PostgreSQL). */
export class KyselyMetadataTx implements MetadataTx {
  readonly #trx: Transaction<Database>;
  readonly #dialect: Dialect;
  /** Whether rows were deleted: the store then scrubs their old images from SQLite's WAL. */
  erased = false;

  constructor(trx: Transaction<Database>, dialect: Dialect) {
    this.#trx = trx;
    this.#dialect = dialect;
    registerSqlTransaction(this, trx);
  }

  getInteraction(account: string, guid: string) {
    return atSeam(() => getInteraction(this.#trx, account, guid));
  }

  listContent(account: string, guid: string) {
    return atSeam(() => listContent(this.#trx, account, guid));
  }

  insertInteraction(rec: Omit<InteractionRecord, 'contentCount' | 'legalHold'>): Promise<boolean> {
    return atSeam(async () => {
      // ON CONFLICT DO NOTHING rather than catching the unique violation: on PostgreSQL an error
      // would abort the whole transaction, and the caller may want to carry on (or commit nothing).
      const res = await this.#trx
        .insertInto('interactions')
        .values(fromInteraction(rec))
        .onConflict((oc) => oc.columns(['account', 'guid']).doNothing())
        .executeTakeFirst();
      if (Number(res.numInsertedOrUpdatedRows ?? 0) === 0) return false;
      const agents = [...new Set(rec.handlingAgents)];
      if (agents.length > 0) {
        await this.#trx
          .insertInto('interaction_agents')
          .values(
            agents.map((agentId) => ({
              account: rec.account,
              agent_id: agentId,
              start_ms: rec.start,
              guid: rec.guid,
            })),
          )
          .execute();
      }
      return true;
    });
  }

  lockInteraction(account: string, guid: string) {
    return atSeam(async () => {
      // SQLite needs no row lock: BEGIN IMMEDIATE already holds the database's single write lock.
      if (this.#dialect === 'sqlite') return getInteraction(this.#trx, account, guid);
      const row = await this.#trx
        .selectFrom('interactions')
        .selectAll()
        .where('account', '=', account)
        .where('guid', '=', guid)
        .forUpdate()
        .executeTakeFirst();
      return row && toInteraction(row);
    });
  }

  putContent(rec: ContentRecord): Promise<ContentRecord | undefined> {
    return atSeam(async () => {
      const row = fromContent(rec);
      const old = await this.#trx
        .selectFrom('contents')
        .selectAll()
        .where('account', '=', rec.account)
        .where('guid', '=', rec.guid)
        .where('content_key', '=', rec.contentKey)
        .executeTakeFirst();
      if (old) {
        // The replaced row's old image stays in the WAL until a checkpoint, like a deleted one.
        if (carriesPersonalData(old)) this.erased = true;
        const { account, guid, content_key, ...changes } = row;
        await this.#trx
          .updateTable('contents')
          .set(changes)
          .where('account', '=', account)
          .where('guid', '=', guid)
          .where('content_key', '=', content_key)
          .execute();
        return toContent(old);
      }
      // The count first: its UPDATE returns the interaction's start and direction, which the new
      // row carries for retention's index (migration 0007), in the same two statements as before.
      const owner = await this.#trx
        .updateTable('interactions')
        .set((eb) => ({ content_count: eb('content_count', '+', 1) }))
        .where('account', '=', rec.account)
        .where('guid', '=', rec.guid)
        .returning(['start_ms', 'direction'])
        .executeTakeFirst();
      if (!owner) throw new Error(`interaction '${rec.guid}' does not exist`);
      try {
        await this.#trx
          .insertInto('contents')
          .values({ ...row, start_ms: owner.start_ms, direction: owner.direction })
          .execute();
      } catch (err) {
        if (isForeignKeyViolation(err))
          throw new Error(`interaction '${rec.guid}' does not exist`, { cause: err });
        throw err;
      }
      return undefined;
    });
  }

  deleteContent(account: string, guid: string, contentKeys: readonly string[]): Promise<ContentRecord[]> {
    return atSeam(async () => {
      if (contentKeys.length === 0) return [];
      const rows = await this.#trx
        .deleteFrom('contents')
        .where('account', '=', account)
        .where('guid', '=', guid)
        .where('content_key', 'in', [...contentKeys])
        .returningAll()
        .execute();
      if (rows.length > 0) {
        // Content bytes never sit in the database and a content row's own metadata (key, type,
        // length, SHA-256) is what the ledger keeps anyway; only rows that carry personal data
        // (an owning agent or plan, properties) need scrubbing from the WAL.
        if (rows.some(carriesPersonalData)) this.erased = true;
        await this.#addToCount(account, guid, -rows.length);
      }
      return rows.map(toContent).sort(compareContent);
    });
  }

  deleteInteraction(account: string, guid: string): Promise<ContentRecord[]> {
    return atSeam(async () => {
      const rec = await getInteraction(this.#trx, account, guid);
      if (!rec) return [];
      this.erased = true;
      const rows = await this.#trx
        .deleteFrom('contents')
        .where('account', '=', account)
        .where('guid', '=', guid)
        .returningAll()
        .execute();
      const agents = [...new Set(rec.handlingAgents)];
      if (agents.length > 0) {
        // Through the agents' primary key (account, agent_id, start_ms, guid): no other index needed.
        await this.#trx
          .deleteFrom('interaction_agents')
          .where('account', '=', account)
          .where('agent_id', 'in', agents)
          .where('start_ms', '=', rec.start)
          .where('guid', '=', guid)
          .execute();
      }
      await this.#trx
        .deleteFrom('interactions')
        .where('account', '=', account)
        .where('guid', '=', guid)
        .execute();
      return rows.map(toContent).sort(compareContent);
    });
  }

  setLegalHold(account: string, guid: string, hold: LegalHold | null): Promise<void> {
    return atSeam(async () => {
      await this.#trx
        .updateTable('interactions')
        .set({
          hold_reason: hold?.reason ?? null,
          hold_case_id: hold?.caseId ?? null,
          hold_placed_ms: hold?.placedAt ?? null,
          hold_placed_by: hold?.placedBy ?? null,
        })
        .where('account', '=', account)
        .where('guid', '=', guid)
        .execute();
    });
  }

  enqueuePurge(entries: readonly NewPurgeEntry[]): Promise<PurgeEntry[]> {
    return atSeam(async () => {
      if (entries.length === 0) return [];
      // Time-ordered ids keep the rows of one account roughly in insertion order in the primary key.
      const rows = entries.map((e) => ({
        account: e.account,
        id: uuidv7(),
        blob_key: e.blobKey,
        not_before_ms: e.notBefore,
        reason: e.reason,
        owner_node: e.ownerNode ?? null,
        attempts: 0,
        last_error: null,
        quarantined_ms: null,
      }));
      await this.#trx.insertInto('purge_queue').values(rows).execute();
      return rows.map(toPurge);
    });
  }

  removePurge(ids: readonly string[]): Promise<void> {
    return atSeam(() => deletePurge(this.#trx, ids));
  }

  takeUploadIntent(intent: PurgeEntry): Promise<boolean> {
    return atSeam(() => takeUploadIntent(this.#trx, intent));
  }

  appendAudit(account: string, draft: AuditDraft): Promise<AuditEntry> {
    return atSeam(async () => {
      // Upserting the head row both reads the previous (seq, hash) and row-locks the head until this
      // transaction ends, in one statement and on both dialects: a concurrent append of the same
      // account (another connection or node) blocks on the lock and then sees the committed head.
      // On SQLite the write transaction is already exclusive. The first append inserts (1, GENESIS).
      const head = await this.#trx
        .insertInto('audit_heads')
        .values({ account, last_seq: 1, last_hash: GENESIS_HASH })
        .onConflict((oc) =>
          oc.column('account').doUpdateSet((eb) => ({ last_seq: eb('audit_heads.last_seq', '+', 1) })),
        )
        .returning(['last_seq', 'last_hash'])
        .executeTakeFirstOrThrow();
      const entry = chainEntry(account, Number(head.last_seq), head.last_hash, draft);
      await this.#trx.insertInto('audit_log').values(fromAudit(entry)).execute();
      await this.#trx
        .updateTable('audit_heads')
        .set({ last_hash: entry.hash })
        .where('account', '=', account)
        .execute();
      return entry;
    });
  }

  async #addToCount(account: string, guid: string, delta: number): Promise<void> {
    // An increment, not a recount: the UPDATE row-locks the interaction, so concurrent changes add up.
    await this.#trx
      .updateTable('interactions')
      .set((eb) => ({ content_count: eb('content_count', '+', delta) }))
      .where('account', '=', account)
      .where('guid', '=', guid)
      .execute();
  }
}

function carriesPersonalData(row: {
  owning_agent_id: string | null;
  owning_interaction_plan_id: string | null;
  properties: string;
}) {
  return row.owning_agent_id !== null || row.owning_interaction_plan_id !== null || row.properties !== '{}';
}
