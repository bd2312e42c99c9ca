import type { Compilable, Kysely, RawBuilder } from 'kysely';
import type { PendingReceipt } from '../core/events.js';
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
const receiptSources = new WeakMap<object, ReceiptSource>();

/** A write whose result is not read (an INSERT, UPDATE or DELETE builder, not yet executed). */
export type LaterWrite = Compilable<unknown> & { execute(): Promise<unknown> };

/** Registers the handle behind a store (called by the store's constructor). */
export function registerSqlHandle(store: MetadataStore, handle: SqlHandle): void {
  handles.set(store, handle);
}

/**
 * How a statement of a transaction writes the receipt of a ledger entry appended earlier in it,
 * whose seq and hash ICS may not know yet (PendingReceipt).
 */
export interface ReceiptSource {
  /** Resolves once these receipts can be written (SQLite: their entries are written; PostgreSQL: at once). */
  ready(receipts: readonly PendingReceipt[]): Promise<void>;
  /**
   * The receipt's `<seq>:<hash>` as an SQL text expression, valid in the statement that the caller
   * builds and issues next, synchronously after this call (on PostgreSQL the statement reads it
   * from the ledger when it runs, so it depends on how many entries were appended before it).
   */
  seqAndHash(receipt: PendingReceipt): RawBuilder<string>;
}

/** Registers the Kysely transaction behind a MetadataTx (called by its constructor). */
export function registerSqlTransaction(
  tx: MetadataTx,
  trx: Kysely<Database>,
  opts: { later?: (query: LaterWrite) => Promise<void>; receipts?: ReceiptSource } = {},
): void {
  transactions.set(tx, trx);
  if (opts.later) laters.set(tx, opts.later);
  if (opts.receipts) receiptSources.set(tx, opts.receipts);
}

/** The ReceiptSource of a MetadataTx, for a feature's statement that carries a receipt (the outbox). */
export function receiptsOf(tx: MetadataTx): ReceiptSource {
  const source = receiptSources.get(tx);
  if (!source) throw new Error('this transaction cannot write pending receipts');
  return source;
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
