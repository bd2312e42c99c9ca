import {
  CompiledQuery,
  type DatabaseConnection,
  type Driver,
  type Kysely,
  SqliteDialect,
  type SqliteDialectConfig,
  SqliteDriver,
  sql,
} from 'kysely';
import type { CheckpointResult } from './sqlite-checkpointer.js';
import type { WalSync } from './wal-sync.js';

// Several processes (the server and the `ics` CLI) and even several stores in one process share one
// SQLite file. Two things make that work besides WAL:
//
// 1. Write transactions start with BEGIN IMMEDIATE, not BEGIN (DEFERRED). A deferred transaction that
//    reads first and writes later must upgrade its lock; in WAL mode, if another connection committed
//    in between, the upgrade fails at once with SQLITE_BUSY_SNAPSHOT, which no busy timeout helps.
//    IMMEDIATE takes the write lock up front, so two writers queue instead of failing. Every
//    MetadataStore.transaction writes, so nothing is lost by it. It lives in the driver (instead of
//    `sql\`begin immediate\`` on a reserved connection) so that Kysely's transaction() and
//    controlled transactions all get it.
// 2. The wait for the write lock is an async retry loop, not SQLite's busy handler. better-sqlite3 is
//    synchronous: its busy handler would sleep on the event loop, freezing the server while the CLI
//    holds the lock, and deadlocking outright when the holder is another store in the same process
//    (it cannot reach its COMMIT while the loop sleeps). busy_timeout is dropped to 0 just for the
//    BEGIN; other statements keep the 5 s busy timeout (in WAL mode readers do not normally wait).

export const BUSY_TIMEOUT_MS = 5000;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export function isBusy(err: unknown): boolean {
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === 'string' && code.startsWith('SQLITE_BUSY');
}

/** BEGIN IMMEDIATE, retried without blocking the event loop for up to BUSY_TIMEOUT_MS. */
export async function beginImmediate(run: (statement: string) => Promise<unknown>): Promise<void> {
  await run('pragma busy_timeout = 0');
  try {
    const deadline = Date.now() + BUSY_TIMEOUT_MS;
    for (let delay = 1; ; delay = Math.min(delay * 2, 50)) {
      try {
        await run('begin immediate');
        return;
      } catch (err) {
        if (!isBusy(err) || Date.now() >= deadline) throw err;
      }
      await sleep(delay / 2 + Math.random() * delay);
    }
  } finally {
    await run(`pragma busy_timeout = ${BUSY_TIMEOUT_MS}`);
  }
}

class ImmediateSqliteDriver extends SqliteDriver {
  readonly #walSync: WalSync | undefined;
  /** The one connection, wrapped (with walSync) to notice statements that write. */
  #connection: DatabaseConnection | undefined;
  #wrote = false;

  constructor(config: SqliteDialectConfig, walSync: WalSync | undefined) {
    super(config);
    this.#walSync = walSync;
  }

  override async acquireConnection(): Promise<DatabaseConnection> {
    const inner = await super.acquireConnection();
    if (!this.#walSync) return inner;
    const connection: DatabaseConnection = this.#connection ?? {
      executeQuery: async <R>(query: CompiledQuery) => {
        const result = await inner.executeQuery<R>(query);
        // Readers (SELECT, and pragmas that answer) report no affected rows; everything else may have
        // written (a statement of a transaction, the COMMIT, an autocommit write, DDL).
        if (result.numAffectedRows !== undefined) this.#wrote = true;
        return result;
      },
      streamQuery: (query, chunkSize) => inner.streamQuery(query, chunkSize),
    };
    this.#connection = connection;
    return connection;
  }

  override async beginTransaction(connection: DatabaseConnection): Promise<void> {
    await beginImmediate((statement) => connection.executeQuery(CompiledQuery.raw(statement)));
  }

  /**
   * With walSync, the connection is free for the next caller at once, and this caller waits for the
   * fdatasync of what it wrote: a transaction (or write) resolves only once it is durable, and the
   * commits made while one sync runs share the next one (group commit).
   */
  override async releaseConnection(): Promise<void> {
    const wrote = this.#wrote;
    this.#wrote = false;
    await super.releaseConnection();
    if (wrote && this.#walSync) await this.#walSync.sync();
  }

  override async destroy(): Promise<void> {
    await this.#walSync?.close();
    await super.destroy();
  }
}

/**
 * Kysely's SqliteDialect whose transactions begin with a non-blocking BEGIN IMMEDIATE; with a
 * WalSync (the connection then runs `synchronous = NORMAL`), writes are made durable off the event
 * loop before they resolve.
 */
export class IcsSqliteDialect extends SqliteDialect {
  readonly #config: SqliteDialectConfig;
  readonly #walSync: WalSync | undefined;

  constructor(config: SqliteDialectConfig, opts: { walSync?: WalSync } = {}) {
    super(config);
    this.#config = config;
    this.#walSync = opts.walSync;
  }

  override createDriver(): Driver {
    return new ImmediateSqliteDriver(this.#config, this.#walSync);
  }
}

/**
 * Scrubs deleted rows out of the WAL file. secure_delete zeroes deleted content in the database
 * file, but the WAL keeps earlier images of the pages (with the deleted rows) until it is reset;
 * deleted metadata such as an address must not linger there. A TRUNCATE checkpoint copies the WAL
 * into the database file and truncates the WAL to zero bytes. It needs every reader (other
 * processes) off old snapshots and no writer in the middle of a transaction, so it is retried like
 * BEGIN, without blocking the event loop: first on the worker thread (a write of this process in
 * the way is usually over within milliseconds); if writes keep it busy for WORKER_TRIES_MS, or there
 * is no worker, on the store's own connection, which no transaction of this process can hold (it
 * queues behind them) but which holds the event loop for the copy and its fsync.
 * Returns false if readers kept it from completing within the busy timeout.
 */
const WORKER_TRIES_MS = 250;

export async function truncateWal<DB>(
  db: Kysely<DB>,
  offThread?: () => Promise<CheckpointResult>,
): Promise<boolean> {
  const began = Date.now();
  const deadline = began + BUSY_TIMEOUT_MS;
  let worker = offThread !== undefined;
  for (let delay = 1; ; delay = Math.min(delay * 2, 50)) {
    let done = false;
    if (worker && offThread && Date.now() - began < WORKER_TRIES_MS) {
      const result = await offThread();
      done = result === 'done';
      worker = result !== 'unavailable';
    } else done = await checkpointHere(db);
    if (done) return true;
    if (Date.now() >= deadline) return false;
    await sleep(delay / 2 + Math.random() * delay);
  }
}

/** One TRUNCATE checkpoint attempt on the store's own connection (waits for its transactions). */
function checkpointHere<DB>(db: Kysely<DB>): Promise<boolean> {
  return db.connection().execute(async (conn) => {
    await sql`pragma busy_timeout = 0`.execute(conn);
    try {
      const { rows } = await sql<{ busy: number }>`pragma wal_checkpoint(truncate)`.execute(conn);
      return rows[0]?.busy === 0;
    } catch (err) {
      if (isBusy(err)) return false;
      throw err;
    } finally {
      await sql.raw(`pragma busy_timeout = ${BUSY_TIMEOUT_MS}`).execute(conn);
    }
  });
}
