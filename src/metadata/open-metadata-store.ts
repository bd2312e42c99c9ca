import { closeSync, mkdirSync, openSync } from 'node:fs';
import { dirname } from 'node:path';
import Sqlite from 'better-sqlite3';
import { Kysely, PostgresDialect } from 'kysely';
import pg from 'pg';
import type { DatabaseConfig } from '../config.js';
import { StoreUnavailableError } from '../core/errors.js';
import type { Database, MetadataLogger } from './db-schema.js';
import { KyselyMetadataStore } from './kysely-metadata-store.js';
import type { MetadataStore } from './metadata-store.js';
import { IcsPgClient } from './pg-client.js';
import { registerDirectReader } from './prepared-query.js';
import { SqliteCheckpointer } from './sqlite-checkpointer.js';
import { BUSY_TIMEOUT_MS, IcsSqliteDialect, isBusy } from './sqlite-dialect.js';
import { optimiseStatements } from './sqlite-statements.js';
import { WalSync } from './wal-sync.js';

export type { MetadataLogger };

const PG_INT8_OID = 20;
/** SQLite's page cache bound per connection, in KiB. */
const SQLITE_CACHE_KIB = 16_000;

/**
 * Opens (but does not migrate) the metadata store the config names. SQLite opens the file at once,
 * creating its directory; PostgreSQL connects lazily, so a database that is down surfaces as
 * StoreUnavailableError from the first call (migrate() or ping()), not from here.
 */
export async function openMetadataStore(
  config: DatabaseConfig,
  opts: {
    logger?: MetadataLogger;
  } = {},
): Promise<MetadataStore> {
  if (config.kind === 'sqlite') {
    let db: Sqlite.Database;
    let checkpointer: SqliteCheckpointer;
    let walSync: WalSync | undefined;
    try {
      db = openSqlite(config.path, opts.logger);
      checkpointer = new SqliteCheckpointer(config.path);
      // Commits are made durable with an fdatasync of the WAL in the thread pool (WalSync), not inside
      // COMMIT on the event loop: every write still resolves only once it is durable, but requests
      // and streams keep moving while the disk syncs (a deletion job's commits held GETs for the
      // fsync's length: docs/performance.md), and commits that arrive during a sync share the next.
      // NORMAL in WAL mode: COMMIT writes its frames without an fsync; WalSync does that after.
      if (String(db.pragma('journal_mode', { simple: true })).toLowerCase() === 'wal') {
        db.pragma('synchronous = NORMAL');
        // The automatic checkpoint runs on the checkpointer's thread (SqliteCheckpointer.walGrew).
        const conn = db;
        db.pragma('wal_autocheckpoint = 0');
        walSync = new WalSync(`${config.path}-wal`, (bytes) =>
          checkpointer.walGrew(bytes, () => {
            if (conn.open) conn.pragma('wal_autocheckpoint = 1000');
          }),
        );
      }
    } catch (err) {
      // Whatever the cause (a directory that cannot be created, SQLITE_CANTOPEN, a locked file), the
      // store cannot be used: the operator needs the path, the core needs one error type.
      throw new StoreUnavailableError(`SQLite database ${config.path}`, err);
    }
    const kysely = new Kysely<Database>({ dialect: new IcsSqliteDialect({ database: db }, { walSync }) });
    // Prepared reads skip Kysely's executor (its connection lock and a chain of promises):
    // better-sqlite3 is synchronous, so such a read runs as one autocommit statement that nothing
    // can interleave with. While a transaction is open on the store's connection (a deletion job's
    // batch, an upload's commit), the read goes to a second, read-only connection instead, which in
    // WAL mode sees the last committed state: it never sees the transaction's uncommitted rows and
    // never waits for its commit. When SQLite answers busy (a checkpoint may have set busy_timeout
    // to 0 for a moment), the read queues behind Kysely's lock as before.
    const sqlite = db;
    let reader: Sqlite.Database | undefined;
    const readerOf = () => {
      if (!reader) {
        reader = new Sqlite(config.path, { readonly: true, timeout: BUSY_TIMEOUT_MS });
        reader.pragma(`cache_size = -${SQLITE_CACHE_KIB}`);
        optimiseStatements(reader, 100);
      }
      return reader;
    };
    registerDirectReader(kysely, (sql, parameters, inTransaction) => {
      // A read of the transaction itself runs in it, through Kysely.
      if (inTransaction) return undefined;
      const conn = sqlite.inTransaction ? readerOf() : sqlite;
      try {
        return (conn.prepare(sql) as unknown as { all(p: readonly unknown[]): unknown[] }).all(parameters);
      } catch (err) {
        if (isBusy(err)) return undefined;
        throw err;
      }
    });
    return new KyselyMetadataStore(kysely, 'sqlite', opts.logger, checkpointer, () => reader?.close());
  }
  return new KyselyMetadataStore(
    new Kysely<Database>({ dialect: new PostgresDialect({ pool: createPool(config, opts.logger) }) }),
    'postgres',
    opts.logger,
  );
}

function openSqlite(path: string, logger: MetadataLogger | undefined): Sqlite.Database {
  mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
  // Created 0600 before SQLite opens it: SQLite gives its WAL and shared-memory files the database
  // file's permissions, so the metadata (and the token-signing secret) stays private whatever the umask.
  closeSync(openSync(path, 'a', 0o600));
  // The busy timeout is set first (`timeout` applies it at open): switching to WAL needs a lock that
  // another process opening the same file may hold for a moment.
  const db = new Sqlite(path, { timeout: BUSY_TIMEOUT_MS });
  try {
    db.pragma(`busy_timeout = ${BUSY_TIMEOUT_MS}`);
    // WAL: readers never block the writer, and the server and the CLI can share the file.
    const mode = db.pragma('journal_mode = WAL', { simple: true });
    if (String(mode).toLowerCase() !== 'wal')
      logger?.warn({ path, mode }, 'SQLite could not switch to WAL mode');
    // FULL: a commit survives power loss (NORMAL in WAL mode may lose the last commits).
    db.pragma('synchronous = FULL');
    db.pragma('foreign_keys = ON');
    // Deleted rows are overwritten with zeros, so erased metadata does not linger in free pages.
    db.pragma('secure_delete = ON');
    // The page cache: up to 16,000 KiB per connection (better-sqlite3's compiled default, stated here
    // so that the bound is ours); it fills as the database grows (docs/performance.md, memory).
    db.pragma(`cache_size = -${SQLITE_CACHE_KIB}`);
    // A crash between a deletion's commit and its WAL scrub leaves old page images in the WAL; a
    // TRUNCATE checkpoint at open finishes that scrub (a busy WAL, held by another process, is fine).
    db.pragma('wal_checkpoint(TRUNCATE)');
    // The handle is Kysely's alone from here: prepare() now returns the driver's statement shape.
    optimiseStatements(db, 500);
    return db;
  } catch (err) {
    db.close();
    throw err;
  }
}

function createPool(
  config: { url: string; poolSize: number; preparedStatements?: boolean },
  logger: MetadataLogger | undefined,
): pg.Pool {
  // bigint (int8) columns and count(*) as numbers. Set on this pool's own type table, not pg's
  // global one, so other pg users in the process are unaffected. Every int8 here is an epoch-ms time,
  // a byte length or a count, far below 2^53; anything above would be corruption, so it throws.
  const types = new pg.TypeOverrides();
  types.setTypeParser(PG_INT8_OID, (text: string) => {
    const n = Number(text);
    if (!Number.isSafeInteger(n)) throw new Error(`int8 value ${text} exceeds the safe integer range`);
    return n;
  });
  // pg-pool hands its options to each new client: icsPrepare reaches IcsPgClient's constructor.
  const pool = new pg.Pool({
    connectionString: config.url,
    max: config.poolSize,
    types,
    // Statements go on the wire without waiting for the previous answer; transactions use that to
    // send the writes they do not read back together with the next statement or COMMIT
    // (pg-pipeline.ts). A client that is not in a transaction still waits for each answer, as before.
    pipeline: true,
    // The statements issued together leave in one write; statements are prepared once (pg-client.ts).
    Client: IcsPgClient,
    icsPrepare: config.preparedStatements !== false,
    // Without it a connect to an unreachable host waits for the OS TCP timeout (minutes).
    connectionTimeoutMillis: 10_000,
  } as pg.PoolConfig);
  // An idle client losing its connection is emitted here; unhandled, it would crash the process.
  pool.on('error', (err) => logger?.warn({ err }, 'idle PostgreSQL connection failed'));
  // A checked-out client whose socket dies fails its query (which the caller sees) AND emits 'error'
  // on itself, where pg-pool has no listener while the client is in use: unhandled, that event
  // would crash the process on any database outage. The query's own error is what matters.
  pool.on('connect', (client) => client.on('error', () => undefined));
  return pool;
}
