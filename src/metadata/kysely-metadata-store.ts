import { type Kysely, sql } from 'kysely';
import type {
  ApiClient,
  AuditEntry,
  AuditQuery,
  ContentPermissions,
  ContentRecord,
  InteractionWithContent,
  PurgeEntry,
  SearchFilters,
  SearchQuery,
} from '../core/types.js';
import type { Database, Dialect, MetadataLogger } from './db-schema.js';
import { KyselyMetadataTx } from './kysely-metadata-tx.js';
import { fromClient, permissionsColumn, toClient } from './mappers.js';
import type { MetadataStore, MetadataTx } from './metadata-store.js';
import { runMigrations } from './migrate.js';
import { PgPipeline } from './pg-pipeline.js';
import * as purge from './purge-queue.js';
import * as reads from './reads.js';
import { countQuery } from './search-query.js';
import { registerSqlHandle } from './sql-handle.js';
import type { SqliteCheckpointer } from './sqlite-checkpointer.js';
import { truncateWal } from './sqlite-dialect.js';
import { atSeam, isAbortedTransaction, isUniqueViolation } from './store-errors.js';

const SIGNING_SECRET = 'token_signing_secret';
const CLIENT_SECRET_KEY = 'client_secret_key';

/**
 * The one MetadataStore implementation, for SQLite and PostgreSQL alike; the few dialect differences
 * (row locks, SKIP LOCKED, collations in the migrations) branch on `dialect`. Build it with
 * openMetadataStore(). Every method translates driver errors at this seam (store-errors.ts).
 *
 * On SQLite, Kysely has one connection: while a transaction runs, other calls on the same store wait
 * for it. So inside `transaction(fn)`, fn must use its `tx`, never the store itself.
 */
export class KyselyMetadataStore implements MetadataStore {
  readonly #db: Kysely<Database>;
  readonly #dialect: Dialect;

  readonly #logger: MetadataLogger | undefined;

  readonly #checkpointer: SqliteCheckpointer | undefined;
  readonly #onClose: (() => void) | undefined;

  constructor(
    db: Kysely<Database>,
    dialect: Dialect,
    logger?: MetadataLogger,
    /** SQLite: WAL scrubs run on this worker first (sqlite-checkpointer.ts); closed with the store. */
    checkpointer?: SqliteCheckpointer,
    /** Closes what else the store opened (SQLite: its read-only connection). */
    onClose?: () => void,
  ) {
    this.#onClose = onClose;
    this.#db = db;
    this.#dialect = dialect;
    this.#logger = logger;
    this.#checkpointer = checkpointer;
    registerSqlHandle(this, {
      db,
      dialect,
      read: (op) => atSeam(() => op(db)),
      write: (op) => this.#write(op),
    });
  }

  migrate(): Promise<string[]> {
    return atSeam(() => runMigrations(this.#db, this.#dialect));
  }

  transaction<T>(fn: (tx: MetadataTx) => Promise<T>): Promise<T> {
    if (this.#dialect === 'postgres') return atSeam(() => this.#pgTransaction(fn));
    // Errors fn throws itself pass the seam untouched (it translates driver errors only).
    return atSeam(async () => {
      let erased = false;
      const result = await this.#db.transaction().execute(async (trx) => {
        const tx = new KyselyMetadataTx(trx);
        const value = await fn(tx);
        // Ledger appends nobody awaited are written before COMMIT (a failed one rolls back).
        await tx.settled();
        erased = tx.erased;
        return value;
      });
      // A deletion has answered only once its rows are gone from every file (see truncateWal).
      if (erased && !(await this.#scrubWal())) {
        this.#logger?.warn(
          {},
          'SQLite WAL held by a reader: deleted rows stay in it until the next deletion',
        );
      }
      return result;
    });
  }

  /**
   * PostgreSQL: one pooled connection, its statements pipelined (pg-pipeline.ts). BEGIN goes out
   * with the first statement and the writes whose results are not read go out with the next
   * statement that is waited for, or with COMMIT, so a deletion or an upload costs a few round
   * trips instead of one per statement. READ COMMITTED explicitly, whatever the server's default:
   * the row-lock designs (lockInteraction, the audit head upsert, SKIP LOCKED claims) rely on it,
   * and under SERIALIZABLE concurrent appends would fail instead of queueing.
   */
  #pgTransaction<T>(fn: (tx: MetadataTx) => Promise<T>): Promise<T> {
    return this.#db.connection().execute(async (db) => {
      const conn = await db.getExecutor().provideConnection(async (c) => c);
      const pipe = new PgPipeline(conn);
      // Durable before it resolves, as always; a transaction that takes the ledger head flushes after
      // its locks are released (PgPipeline.asynchronous, commit).
      pipe.send(PgPipeline.BEGIN);
      try {
        const value = await fn(new KyselyMetadataTx(db, pipe));
        await pipe.commit();
        return value;
      } catch (err) {
        await pipe.rollback();
        // A statement behind a failed one reports only that the transaction is aborted (25P02).
        throw pipe.failure !== undefined && isAbortedTransaction(err) ? pipe.failure : err;
      }
    });
  }

  #scrubbing: Promise<boolean> | undefined;
  #nextScrub: Promise<boolean> | undefined;

  /**
   * Group scrubbing: a checkpoint that starts after a deletion's commit covers that deletion, so
   * deletions that commit while one runs all wait for the same next one instead of one each.
   */
  #scrubWal(): Promise<boolean> {
    const start = () => {
      const worker = this.#checkpointer;
      const run = truncateWal(this.#db, worker && (() => worker.checkpoint())).finally(() => {
        if (this.#scrubbing === run) this.#scrubbing = undefined;
      });
      this.#scrubbing = run;
      return run;
    };
    if (!this.#scrubbing) return start();
    this.#nextScrub ??= this.#scrubbing.then(
      () => {
        this.#nextScrub = undefined;
        return start();
      },
      () => {
        this.#nextScrub = undefined;
        return start();
      },
    );
    return this.#nextScrub;
  }

  getInteraction(account: string, guid: string) {
    return atSeam(() => reads.getInteraction(this.#db, account, guid));
  }

  listContent(account: string, guid: string) {
    return atSeam(() => reads.listContent(this.#db, account, guid));
  }

  getInteractionWithContent(account: string, guid: string): Promise<InteractionWithContent | undefined> {
    return atSeam(() => reads.getInteractionWithContent(this.#db, account, guid));
  }

  search(query: SearchQuery): Promise<InteractionWithContent[]> {
    return atSeam(() => reads.search(this.#db, query));
  }

  count(filters: SearchFilters): Promise<number> {
    return atSeam(async () => Number((await countQuery(this.#db, filters).executeTakeFirstOrThrow()).n));
  }

  claimPurge(opts: { limit: number; now: number; leaseMs: number }): Promise<PurgeEntry[]> {
    return this.#write((db) => purge.claimPurge(db, this.#dialect, opts));
  }

  completePurge(ids: readonly string[]): Promise<void> {
    return this.#write((db) => purge.deletePurge(db, ids));
  }

  failPurge(failure: { id: string; error: string; retryAt: number; quarantine: boolean; now: number }) {
    return this.#write((db) => purge.failPurge(db, failure));
  }

  releaseUploadIntents(nodes: readonly string[], now: number): Promise<number> {
    return this.#write((db) => purge.releaseUploadIntents(db, nodes, now));
  }

  listPurge(opts: { kind: 'quarantined' | 'upload-intent'; limit: number }): Promise<PurgeEntry[]> {
    return atSeam(() => purge.listPurge(this.#db, opts));
  }

  countPurge(): Promise<number> {
    return atSeam(() => purge.countPurge(this.#db));
  }

  listPurgeBlobKeys(): Promise<string[]> {
    return atSeam(() => purge.listPurgeBlobKeys(this.#db));
  }

  listAudit(query: AuditQuery): Promise<AuditEntry[]> {
    return atSeam(() => reads.listAudit(this.#db, query));
  }

  listAuditAccounts(): Promise<string[]> {
    return atSeam(async () => {
      // Heads and entries both: an account whose head row was removed must still be checked.
      const rows = await this.#db
        .selectFrom('audit_heads')
        .select('account')
        .union(this.#db.selectFrom('audit_log').select('account').distinct())
        .orderBy('account')
        .execute();
      return rows.map((r) => r.account);
    });
  }

  getAuditHead(account: string): Promise<{ seq: number; hash: string } | undefined> {
    return atSeam(async () => {
      const row = await this.#db
        .selectFrom('audit_heads')
        .select(['last_seq', 'last_hash'])
        .where('account', '=', account)
        .executeTakeFirst();
      return row && { seq: Number(row.last_seq), hash: row.last_hash };
    });
  }

  listAllContent(opts: {
    limit: number;
    after?: { account: string; guid: string; contentKey: string };
  }): Promise<ContentRecord[]> {
    return atSeam(() => reads.listAllContent(this.#db, opts));
  }

  createClient(client: ApiClient): Promise<void> {
    return this.#write(async (db) => {
      try {
        await db.insertInto('clients').values(fromClient(client)).execute();
      } catch (err) {
        if (isUniqueViolation(err))
          throw new Error(`client '${client.clientId}' already exists`, { cause: err });
        throw err;
      }
    });
  }

  getClient(clientId: string): Promise<ApiClient | undefined> {
    return atSeam(async () => {
      const row = await this.#db
        .selectFrom('clients')
        .selectAll()
        .where('client_id', '=', clientId)
        .executeTakeFirst();
      return row && toClient(row);
    });
  }

  listClients(account?: string): Promise<ApiClient[]> {
    return atSeam(async () => {
      let q = this.#db.selectFrom('clients').selectAll();
      if (account !== undefined) q = q.where('account', '=', account);
      const rows = await q.orderBy('created_ms').orderBy('client_id').execute();
      return rows.map(toClient);
    });
  }

  setClientPermissions(clientId: string, permissions: ContentPermissions): Promise<boolean> {
    return this.#write(async (db) => {
      const res = await db
        .updateTable('clients')
        .set({ permissions: permissionsColumn(permissions) })
        .where('client_id', '=', clientId)
        .executeTakeFirst();
      return Number(res.numUpdatedRows) > 0;
    });
  }

  revokeClient(clientId: string, at: number): Promise<boolean> {
    return this.#write(async (db) => {
      const res = await db
        .updateTable('clients')
        .set({ revoked_ms: at })
        .where('client_id', '=', clientId)
        .where('revoked_ms', 'is', null)
        .executeTakeFirst();
      return Number(res.numUpdatedRows) > 0;
    });
  }

  countClients(): Promise<number> {
    return atSeam(async () => {
      const row = await this.#db
        .selectFrom('clients')
        .select(sql<number>`count(*)`.as('n'))
        .executeTakeFirstOrThrow();
      return Number(row.n);
    });
  }

  getOrCreateSigningSecret(candidate: string): Promise<string> {
    return this.#getOrCreateSetting(SIGNING_SECRET, candidate);
  }

  getOrCreateClientSecretKey(candidate: string): Promise<string> {
    return this.#getOrCreateSetting(CLIENT_SECRET_KEY, candidate);
  }

  replaceClientSecretHash(clientId: string, from: string, to: string): Promise<boolean> {
    return this.#write(async (db) => {
      const res = await db
        .updateTable('clients')
        .set({ secret_hash: to })
        .where('client_id', '=', clientId)
        .where('secret_hash', '=', from)
        .executeTakeFirst();
      return Number(res.numUpdatedRows) > 0;
    });
  }

  #getOrCreateSetting(name: string, candidate: string): Promise<string> {
    return this.#write(async (db) => {
      // First writer wins: a racing node's insert is a no-op, and both then read the same row.
      await db
        .insertInto('settings')
        .values({ name, value: candidate })
        .onConflict((oc) => oc.column('name').doNothing())
        .execute();
      const row = await db
        .selectFrom('settings')
        .select('value')
        .where('name', '=', name)
        .executeTakeFirstOrThrow();
      return row.value;
    });
  }

  ping(): Promise<void> {
    return atSeam(async () => {
      await sql`select 1`.execute(this.#db);
    });
  }

  async close(): Promise<void> {
    await this.#checkpointer?.close();
    await this.#db.destroy();
    this.#onClose?.();
  }

  /**
   * Runs a write outside a caller's transaction. SQLite: inside a transaction of its own, so that it
   * waits for the write lock the non-blocking way (sqlite-dialect.ts) rather than in SQLite's busy
   * handler. PostgreSQL: as one autocommit statement, no extra round trips.
   */
  #write<T>(op: (db: Kysely<Database>) => Promise<T>): Promise<T> {
    if (this.#dialect === 'postgres') return atSeam(() => op(this.#db));
    return atSeam(() => this.#db.transaction().execute(op));
  }
}
