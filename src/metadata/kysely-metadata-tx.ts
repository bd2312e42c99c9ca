import { type Compilable, type Kysely, type RawBuilder, sql } from 'kysely';
import { v7 as uuidv7 } from 'uuid';
import { canonicalParts, chainEntry, GENESIS_HASH } from '../core/audit-chain.js';
import { PendingReceipt } from '../core/events.js';
import type {
  AuditAppend,
  AuditDraft,
  AuditEntry,
  ContentRecord,
  InteractionRecord,
  LegalHold,
  NewPurgeEntry,
  PurgeEntry,
} from '../core/types.js';
import { CONTENT_COLUMNS, type ContentRow, type Database } from './db-schema.js';
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
import type { PgPipeline } from './pg-pipeline.js';
import { deletePurge, takeUploadIntent, takeUploadIntentQuery } from './purge-queue.js';
import {
  getInteraction,
  listContent,
  listContentQuery,
  lockInteractionQuery,
  toContentList,
} from './reads.js';
import { type ReceiptSource, registerSqlTransaction } from './sql-handle.js';
import { atSeam, isForeignKeyViolation } from './store-errors.js';

/** A write whose result is not read. */
type Write = Compilable<unknown> & { execute(): Promise<unknown> };

/**
 * MetadataTx over one transaction: a Kysely transaction on SQLite (BEGIN IMMEDIATE), and on
 * PostgreSQL a connection in pipeline mode (READ COMMITTED), where writes whose results are not
 * read are sent without waiting and statements that do not depend on each other share a round trip
 * (pg-pipeline.ts; docs/performance.md counts them).
 */
export class KyselyMetadataTx implements MetadataTx {
  readonly #trx: Kysely<Database>;
  readonly #pipe: PgPipeline | undefined;
  /** Interactions this transaction has row-locked (PostgreSQL) or read under the write lock (SQLite). */
  readonly #locked = new Map<string, InteractionRecord>();
  /**
   * PostgreSQL: the content of interactions this transaction row-locked and then listed. Exact until
   * the transaction ends: every writer of an interaction's content locks the interaction first
   * (MetadataTx), and this transaction's own writes keep it up to date. putContent of a new item and
   * deleteContent answer from it, so their statements are sent without waiting (pg-pipeline.ts).
   */
  readonly #listed = new Map<string, ContentRecord[]>();
  /** SQLite: ledger heads this transaction holds (once upserted, the head row is locked until the end). */
  readonly #heads = new Map<string, { seq: number; hash: string }>();
  /** SQLite: the appends issued so far, chained in call order. */
  #appending: Promise<unknown> = Promise.resolve();
  /** Appends issued per account in this transaction. */
  readonly #issued = new Map<string, number>();
  /** Every pending receipt of this transaction: its account and guid, its append's place among them, its entry. */
  readonly #receipts = new WeakMap<
    PendingReceipt,
    { account: string; guid: string; ordinal: number; entry: Promise<AuditEntry>; known?: AuditEntry }
  >();
  /** Whether rows were deleted: the store then scrubs their old images from SQLite's WAL. */
  erased = false;

  /** `pipe`: PostgreSQL's pipelined connection; without it (SQLite) every statement runs as it is issued. */
  constructor(trx: Kysely<Database>, pipe?: PgPipeline) {
    this.#trx = trx;
    this.#pipe = pipe;
    registerSqlTransaction(this, trx, { later: (q) => this.#later(q), receipts: this.#receiptSource });
  }

  /** Rows of a statement that is waited for (through the pipeline on PostgreSQL, so failures of earlier writes surface). */
  async #rows<R>(query: Compilable<R> & { execute(): Promise<R[]> }): Promise<R[]> {
    return this.#pipe ? (await this.#pipe.run(query.compile())).rows : query.execute();
  }

  /** A write nobody reads back: pipelined on PostgreSQL (a failure surfaces by COMMIT), run now elsewhere. */
  async #later(query: Write): Promise<void> {
    if (this.#pipe) this.#pipe.send(query.compile());
    else await query.execute();
  }

  getInteraction(account: string, guid: string) {
    return atSeam(() => getInteraction(this.#trx, account, guid));
  }

  listContent(account: string, guid: string) {
    return atSeam(async () => {
      const key = lockKey(account, guid);
      const held = this.#pipe !== undefined && this.#locked.has(key);
      const content = await listContent(this.#trx, account, guid);
      if (held)
        this.#listed.set(
          key,
          content.map((c) => ({ ...c })),
        );
      return content;
    });
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
      const rec = this.#pipe
        ? (await this.#pipe.run(lockInteractionQuery.compiled(this.#trx, account, guid))).rows.map(
            toInteraction,
          )[0]
        : await getInteraction(this.#trx, account, guid);
      if (rec) this.#locked.set(lockKey(account, guid), rec);
      return rec;
    });
  }

  lockInteractionWithContent(account: string, guid: string) {
    return atSeam(async () => {
      if (!this.#pipe) {
        const interaction = await this.lockInteraction(account, guid);
        return { interaction, content: interaction ? await listContent(this.#trx, account, guid) : [] };
      }
      // One round trip: the read is queued behind the lock on the wire, so the server starts it (and
      // takes its snapshot) only once the lock is granted, and it sees what the previous holder committed.
      const [locked, listed] = await Promise.all([
        this.#pipe.run(lockInteractionQuery.compiled(this.#trx, account, guid)),
        this.#pipe.run(listContentQuery.compiled(this.#trx, account, guid)),
      ]);
      const interaction = locked.rows.map(toInteraction)[0];
      const content = interaction ? toContentList(listed.rows) : [];
      if (interaction) {
        this.#locked.set(lockKey(account, guid), interaction);
        this.#listed.set(
          lockKey(account, guid),
          content.map((c) => ({ ...c })),
        );
      }
      return { interaction, content };
    });
  }

  putContent(rec: ContentRecord): Promise<ContentRecord | undefined> {
    return atSeam(async () => {
      const row = fromContent(rec);
      if (this.#pipe) {
        const key = lockKey(rec.account, rec.guid);
        const listed = this.#listed.get(key);
        const owner = this.#locked.get(key);
        if (listed && owner && !listed.some((c) => c.contentKey === rec.contentKey)) {
          // A new item of an interaction this transaction locked and listed: nobody else can add it
          // meanwhile, so the insert and the count go out without waiting (with the next statement
          // waited for, or with COMMIT). Should the row exist after all, its key's unique violation
          // fails the transaction at COMMIT and nothing commits.
          this.#pipe.send(
            this.#trx
              .insertInto('contents')
              .values({ ...row, start_ms: owner.start, direction: owner.direction })
              .compile(),
          );
          await this.#addToCount(rec.account, rec.guid, 1);
          listed.push({ ...rec });
          return undefined;
        }
        const prev = await this.#putContentPg(row);
        if (listed)
          this.#listed.set(key, [...listed.filter((c) => c.contentKey !== rec.contentKey), { ...rec }]);
        return prev;
      }
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

  /**
   * PostgreSQL: read-and-lock the old row, insert or update, and count, in one statement. The CTEs
   * share one snapshot: `old` is the row as it was (locked), `ins` inserts only when there was none
   * (ON CONFLICT DO NOTHING against a row committed meanwhile), `upd` updates only the row `old` saw.
   * A row that appeared meanwhile leaves both empty, and that is refused rather than lost.
   */
  async #putContentPg(row: ContentRow): Promise<ContentRecord | undefined> {
    const { account, guid, content_key, ...changes } = row;
    const names = Object.keys(row) as (keyof ContentRow)[];
    const pk = sql`account = ${account} and guid = ${guid} and content_key = ${content_key}`;
    // Retention's copies of the interaction's start and direction (migration 0007), by primary key.
    const owner = (column: 'start_ms' | 'direction') =>
      sql`(select ${sql.ref(column)} from interactions where account = ${account} and guid = ${guid})`;
    const query = sql<ContentRow & { inserted: number; updated: number }>`
      with old as (
        select ${sql.join(CONTENT_COLUMNS.map((c) => sql.ref(c)))} from contents where ${pk} for update
      ), ins as (
        insert into contents (${sql.join(names.map((c) => sql.ref(c)))}, start_ms, direction)
        values (${sql.join(names.map((c) => row[c]))}, ${owner('start_ms')}, ${owner('direction')})
        on conflict (account, guid, content_key) do nothing
        returning 1
      ), upd as (
        update contents set ${sql.join(
          (Object.keys(changes) as (keyof typeof changes)[]).map((c) => sql`${sql.ref(c)} = ${changes[c]}`),
        )}
        where ${pk} and exists (select 1 from old)
        returning 1
      ), counted as (
        update interactions set content_count = content_count + 1
        where account = ${account} and guid = ${guid} and exists (select 1 from ins)
      )
      select (select count(*) from ins) as inserted, (select count(*) from upd) as updated, old.*
      from (select 1) as one left join old on true`;
    let result: { rows: (ContentRow & { inserted: number; updated: number })[] };
    try {
      result = await (this.#pipe as PgPipeline).run(query.compile(this.#trx));
    } catch (err) {
      if (isForeignKeyViolation(err) || isForeignKeyViolation((err as { cause?: unknown }).cause))
        throw new Error(`interaction '${guid}' does not exist`, { cause: err });
      throw err;
    }
    const [r] = result.rows;
    if (Number(r.inserted) + Number(r.updated) !== 1)
      throw new Error(`content '${content_key}' of '${guid}' changed while it was being stored`);
    return r.content_key === null ? undefined : toContent(r);
  }

  deleteContent(account: string, guid: string, contentKeys: readonly string[]): Promise<ContentRecord[]> {
    return atSeam(async () => {
      if (contentKeys.length === 0) return [];
      const key = lockKey(account, guid);
      const listed = this.#pipe ? this.#listed.get(key) : undefined;
      if (this.#pipe && listed) {
        // The interaction is locked and its content listed in this transaction: the rows to delete
        // are known, and the DELETE goes out without waiting (with the next statement waited for,
        // or with COMMIT).
        const keys = new Set(contentKeys);
        const gone = listed.filter((c) => keys.has(c.contentKey));
        this.#listed.set(
          key,
          listed.filter((c) => !keys.has(c.contentKey)),
        );
        if (gone.length === 0) return [];
        this.#pipe.send(
          this.#trx
            .deleteFrom('contents')
            .where('account', '=', account)
            .where('guid', '=', guid)
            .where(
              'content_key',
              'in',
              gone.map((c) => c.contentKey),
            )
            .compile(),
        );
        if (gone.some((c) => carriesPersonalData(fromContent(c)))) this.erased = true;
        await this.#addToCount(account, guid, -gone.length);
        return gone.sort(compareContent);
      }
      const rows = await this.#rows(
        this.#trx
          .deleteFrom('contents')
          .where('account', '=', account)
          .where('guid', '=', guid)
          .where('content_key', 'in', [...contentKeys])
          .returningAll(),
      );
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
      const rec =
        this.#locked.get(lockKey(account, guid)) ?? (await getInteraction(this.#trx, account, guid));
      if (!rec) return [];
      this.#locked.delete(lockKey(account, guid));
      this.#listed.delete(lockKey(account, guid));
      this.erased = true;
      const contents = this.#trx
        .deleteFrom('contents')
        .where('account', '=', account)
        .where('guid', '=', guid)
        .returningAll();
      // On PostgreSQL the agents' and the interaction's deletes go out right behind the contents'
      // and share its round trip.
      const deleted = this.#pipe
        ? this.#pipe.run(contents.compile()).then((r) => r.rows)
        : contents.execute();
      if (!this.#pipe) await deleted;
      const agents = [...new Set(rec.handlingAgents)];
      if (agents.length > 0) {
        // Through the agents' primary key (account, agent_id, start_ms, guid): no other index needed.
        await this.#later(
          this.#trx
            .deleteFrom('interaction_agents')
            .where('account', '=', account)
            .where('agent_id', 'in', agents)
            .where('start_ms', '=', rec.start)
            .where('guid', '=', guid),
        );
      }
      await this.#later(
        this.#trx.deleteFrom('interactions').where('account', '=', account).where('guid', '=', guid),
      );
      return (await deleted).map(toContent).sort(compareContent);
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
      await this.#later(this.#trx.insertInto('purge_queue').values(rows));
      return rows.map(toPurge);
    });
  }

  removePurge(ids: readonly string[]): Promise<void> {
    return atSeam(() => deletePurge(this.#trx, ids));
  }

  takeUploadIntent(intent: PurgeEntry): Promise<boolean> {
    return atSeam(async () => {
      if (!this.#pipe) return takeUploadIntent(this.#trx, intent);
      const query = takeUploadIntentQuery(this.#trx, intent);
      if (!query) return false;
      const res = await this.#pipe.run(query.compile());
      return Number(res.numAffectedRows ?? 0) === 1;
    });
  }

  appendAudit(account: string, draft: AuditDraft): AuditAppend {
    const ordinal = this.#issued.get(account) ?? 0;
    this.#issued.set(account, ordinal + 1);
    const entry = this.#pipe
      ? this.#appendInSql(this.#pipe, account, draft)
      : this.#appendInJs(account, draft);
    // Whoever does not await it learns of a failure from the commit (pipeline failure / settled()).
    entry.catch(() => undefined);
    const receipt = new PendingReceipt(account);
    this.#receipts.set(receipt, { account, guid: draft.guid, ordinal, entry });
    return { entry, receipt };
  }

  /** Resolves once every append issued so far is written (SQLite); the store awaits it before COMMIT. */
  settled(): Promise<unknown> {
    return this.#appending;
  }

  /**
   * SQLite: the head is read (and, by the upsert, taken) here and the hash computed in process; the
   * write transaction is exclusive anyway. Appends run one after another in call order, and further
   * appends of the same account in this transaction use the head they already hold.
   */
  #appendInJs(account: string, draft: AuditDraft): Promise<AuditEntry> {
    const run = this.#appending.then(() =>
      atSeam(async () => {
        let head = this.#heads.get(account);
        if (head) head = { seq: head.seq + 1, hash: head.hash };
        else {
          const row = await upsertHead(this.#trx, account).executeTakeFirstOrThrow();
          head = { seq: Number(row.last_seq), hash: row.last_hash };
        }
        const entry = chainEntry(account, head.seq, head.hash, draft);
        this.#heads.set(account, { seq: entry.seq, hash: entry.hash });
        await this.#trx.insertInto('audit_log').values(fromAudit(entry)).execute();
        await this.#trx
          .updateTable('audit_heads')
          .set({ last_seq: entry.seq, prev_hash: entry.prevHash, last_hash: entry.hash })
          .where('account', '=', account)
          .execute();
        return entry;
      }),
    );
    this.#appending = run;
    return run;
  }

  /**
   * PostgreSQL: one statement moves the account's head on and writes the entry. Its upsert row-locks
   * the head until the transaction ends (a concurrent append of the same account, on any node, waits
   * for the lock and then sees the committed head) and, from the head as committed, sets seq + 1, the
   * previous hash, and the entry's SHA-256 computed by the database over core/audit-chain.ts's
   * canonical form (canonicalParts' bytes around the new seq and the previous hash); the ledger row
   * is inserted from what the upsert returns. Nothing is looked up again, so the statement costs the
   * same however long the ledger is. It is sent without waiting, so no round trip to ICS falls inside
   * the head's lock (docs/performance.md); the entry is known when the database answers. A cascade's
   * next append takes the head again, after this one in wire order, so it chains onto this entry.
   */
  #appendInSql(pipe: PgPipeline, account: string, draft: AuditDraft): Promise<AuditEntry> {
    const { before, after } = canonicalParts(account, draft);
    const r = fromAudit({ ...draft, account, seq: 0, prevHash: '', hash: '' });
    const pre = Buffer.from(before, 'utf8');
    const post = Buffer.from(after, 'utf8');
    const hashOf = (seq: RawBuilder<unknown>, prev: RawBuilder<unknown>) =>
      sql`encode(sha256(${pre}::bytea || convert_to(${seq}::text || ',"' || ${prev} || '",', 'UTF8') || ${post}::bytea), 'hex')`;
    const append = sql<{
      seq: number;
      prev_hash: string;
      hash: string;
    }>`with head as (
        insert into audit_heads (account, last_seq, prev_hash, last_hash)
        values (${account}, 1, ${GENESIS_HASH}, ${hashOf(sql`1`, sql`${GENESIS_HASH}::text`)})
        on conflict (account) do update set
          last_seq = audit_heads.last_seq + 1,
          prev_hash = audit_heads.last_hash,
          last_hash = ${hashOf(sql`(audit_heads.last_seq + 1)`, sql`audit_heads.last_hash`)}
        returning last_seq, prev_hash, last_hash)
      insert into audit_log (account, seq, at_ms, actor_client_id, actor_subject, action, guid, content_key,
        type, content_length, sha256, reason, request_id, details, prev_hash, hash)
      select ${r.account}, head.last_seq, ${r.at_ms}, ${r.actor_client_id}, ${r.actor_subject}, ${r.action},
        ${r.guid}, ${r.content_key}, ${r.type}, ${r.content_length}, ${r.sha256}, ${r.reason}, ${r.request_id},
        ${r.details}, head.prev_hash, head.last_hash
      from head
      returning seq, prev_hash, hash`;
    // Other deletions of the account queue for the head: it is released before the WAL flush.
    pipe.asynchronous();
    const written = pipe.defer(append.compile(this.#trx));
    return atSeam(async () => {
      const [row] = (await written).rows;
      return { ...draft, account, seq: Number(row.seq), prevHash: row.prev_hash, hash: row.hash };
    });
  }

  /**
   * How an event recorded in this transaction writes the receipt of an entry appended in it
   * (sql-handle.ts ReceiptSource): SQLite waits for the entry and writes it as a value; PostgreSQL
   * reads it from the ledger in the statement itself, counting back from the account's head (held by
   * this transaction, so only its own appends, in wire order, moved it).
   */
  readonly #receiptSource: ReceiptSource = {
    ready: async (receipts) => {
      if (this.#pipe) return;
      for (const r of receipts) this.#receiptOf(r).known = await this.#receiptOf(r).entry;
    },
    seqAndHash: (receipt) => {
      const r = this.#receiptOf(receipt);
      if (!this.#pipe) {
        if (!r.known) throw new Error('ReceiptSource.ready() must resolve before seqAndHash()');
        return sql<string>`${`${r.known.seq}:${r.known.hash}`}`;
      }
      const back = (this.#issued.get(r.account) ?? 0) - 1 - r.ordinal;
      // The latest entry is the head itself. An earlier one (a cascade's) is found by values that
      // bound every index of audit_log that could serve it, (account, seq) and (account, guid, seq),
      // with the seq a scalar subquery: on a database whose statistics are stale (a new one, say)
      // the planner otherwise chose to read all of the account's entries and filter on the seq,
      // on every deletion (test/metadata/ledger-cost.test.ts).
      if (back === 0)
        return sql<string>`(select h.last_seq::text || ':' || h.last_hash from audit_heads h
          where h.account = ${r.account})`;
      return sql<string>`(select l.seq::text || ':' || l.hash from audit_log l
        where l.account = ${r.account} and l.guid = ${r.guid}
          and l.seq = (select h.last_seq - ${back} from audit_heads h where h.account = ${r.account}))`;
    },
  };

  #receiptOf(receipt: PendingReceipt) {
    const r = this.#receipts.get(receipt);
    if (!r) throw new Error('this receipt belongs to another transaction');
    return r;
  }

  async #addToCount(account: string, guid: string, delta: number): Promise<void> {
    // An increment, not a recount: the UPDATE row-locks the interaction, so concurrent changes add up.
    await this.#later(
      this.#trx
        .updateTable('interactions')
        .set((eb) => ({ content_count: eb('content_count', '+', delta) }))
        .where('account', '=', account)
        .where('guid', '=', guid),
    );
  }
}

/** SQLite: takes the account's head, seq + 1 and the hash as committed (the first append inserts 1, GENESIS). */
function upsertHead(trx: Kysely<Database>, account: string) {
  return trx
    .insertInto('audit_heads')
    .values({ account, last_seq: 1, last_hash: GENESIS_HASH })
    .onConflict((oc) =>
      oc.column('account').doUpdateSet((eb) => ({ last_seq: eb('audit_heads.last_seq', '+', 1) })),
    )
    .returning(['last_seq', 'last_hash']);
}

const lockKey = (account: string, guid: string) => `${account}\u0000${guid}`;

function carriesPersonalData(row: {
  owning_agent_id: string | null;
  owning_interaction_plan_id: string | null;
  properties: string;
}) {
  return row.owning_agent_id !== null || row.owning_interaction_plan_id !== null || row.properties !== '{}';
}
