import type { Compilable, Kysely } from 'kysely';
import type { Database, Dialect } from './db-schema.js';
import type { MetadataStore, MetadataTx } from './metadata-store.js';

/**
 * What a feature's own store (src/jobs, src/retention, …) needs to run SQL on the one metadata
 * database: the Kysely handle, its dialect, and the two helpers that translate driver errors at the
 * seam. Features keep their SQL in their folder; only the metadata layer and store implementations
 * ever see this type — the core never does.
 */
export interface SqlHandle {
  readonly db: Kysely<Database>;
  readonly dialect: Dialect;
  /** A read outside any transaction. Driver errors become StoreUnavailableError or plain Errors. */
  read<T>(op: (db: Kysely<Database>) => Promise<T>): Promise<T>;
  /**
   * A write outside a caller's transaction: on SQLite inside a transaction of its own (so it waits
   * for the write lock the non-blocking way), on PostgreSQL as autocommit statements.
   */
  write<T>(op: (db: Kysely<Database>) => Promise<T>): Promise<T>;
}

const handles = new WeakMap<object, SqlHandle>();
const transactions = new WeakMap<object, Kysely<Database>>();
const laters = new WeakMap<object, (query: LaterWrite) => Promise<void>>();

/** A write whose result is not read (an INSERT, UPDATE or DELETE builder, not yet executed). */
export type LaterWrite = Compilable<unknown> & { execute(): Promise<unknown> };

/** Registers the handle behind a store (called by the store's constructor). */
export function registerSqlHandle(store: MetadataStore, handle: SqlHandle): void {
  handles.set(store, handle);
}

/** Registers the Kysely transaction behind a MetadataTx (called by its constructor). */
export function registerSqlTransaction(
  tx: MetadataTx,
  trx: Kysely<Database>,
  later?: (query: LaterWrite) => Promise<void>,
): void {
  transactions.set(tx, trx);
  if (later) laters.set(tx, later);
}

/** The SQL handle of a store opened by openMetadataStore. */
export function sqlHandle(store: MetadataStore): SqlHandle {
  const handle = handles.get(store);
  if (!handle) throw new Error('this metadata store has no SQL handle');
  return handle;
}

/**
 * The Kysely transaction behind a MetadataTx, so that a feature's write (a job checkpoint, an outbox
 * event) commits or rolls back together with the core's change.
 */
export function sqlOf(tx: MetadataTx): Kysely<Database> {
  const trx = transactions.get(tx);
  if (!trx) throw new Error('this transaction has no SQL handle');
  return trx;
}

/**
 * Runs a write of `tx` whose result nobody reads (an outbox row, a checkpoint): on PostgreSQL it is
 * pipelined and goes out with the transaction's next statement or its COMMIT, without a round trip
 * of its own; a failure then fails the transaction. Elsewhere it runs at once. Build it on sqlOf(tx).
 */
export function writeLater(tx: MetadataTx, query: LaterWrite): Promise<void> {
  const later = laters.get(tx);
  return later ? later(query) : query.execute().then(() => undefined);
}
