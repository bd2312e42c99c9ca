import Sqlite from 'better-sqlite3';
import pg from 'pg';
import { StoreUnavailableError } from '../core/errors.js';

// The seam where driver errors stop: the core sees StoreUnavailableError (the database cannot be
// reached or used right now; worth a 503 and a retry), plain Errors, or its own errors passed through.

const NETWORK_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ECONNABORTED',
  'ETIMEDOUT',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'EPIPE',
]);

// SQLite result codes meaning "cannot use the file now" rather than "this statement is wrong".
const SQLITE_UNAVAILABLE = /^SQLITE_(CANTOPEN|BUSY|LOCKED|IOERR|FULL|READONLY|NOTADB|CORRUPT|PROTOCOL)/;

// PostgreSQL SQLSTATEs: 08 connection exception, 28 invalid authorization, 3D000 database does not
// exist, 53 insufficient resources (disk full, too many connections), 57P0x shutdown / cannot connect now.
const PG_UNAVAILABLE = /^(08|28|3D000|53|57P0)/;

// node-postgres reports pool and socket trouble as plain Errors, recognisable only by message.
const PG_MESSAGES =
  /Connection terminated|timeout exceeded when trying to connect|Cannot use a pool after calling end|Client has encountered a connection error|Connection is not open|driver has already been destroyed|database connection is not open/i;

export function isUnavailable(err: unknown, depth = 0): boolean {
  if (!(err instanceof Error) || depth > 4) return false;
  if (err instanceof StoreUnavailableError) return true;
  const code = (err as { code?: unknown }).code;
  if (typeof code === 'string') {
    if (NETWORK_CODES.has(code) || SQLITE_UNAVAILABLE.test(code)) return true;
    if (err instanceof pg.DatabaseError && PG_UNAVAILABLE.test(code)) return true;
  }
  if (PG_MESSAGES.test(err.message)) return true;
  // Happy-eyeballs connects fail with an AggregateError of the per-address errors.
  if (err instanceof AggregateError && err.errors.some((e) => isUnavailable(e, depth + 1))) return true;
  return err.cause !== undefined && isUnavailable(err.cause, depth + 1);
}

export function isUniqueViolation(err: unknown): boolean {
  const code = (err as { code?: unknown } | null)?.code;
  return code === '23505' || code === 'SQLITE_CONSTRAINT_PRIMARYKEY' || code === 'SQLITE_CONSTRAINT_UNIQUE';
}

export function isForeignKeyViolation(err: unknown): boolean {
  const code = (err as { code?: unknown } | null)?.code;
  return code === '23503' || code === 'SQLITE_CONSTRAINT_FOREIGNKEY';
}

function isDriverError(err: unknown): err is Error {
  return err instanceof pg.DatabaseError || err instanceof Sqlite.SqliteError;
}

/** The error the core may see in place of err. Errors that are not the driver's pass through. */
export function translateError(err: unknown): unknown {
  if (err instanceof StoreUnavailableError) return err;
  if (isUnavailable(err)) return new StoreUnavailableError('metadata store', err);
  if (isDriverError(err)) return new Error(`metadata store query failed: ${err.message}`, { cause: err });
  return err;
}

/** Runs op and translates whatever it throws. */
export async function atSeam<T>(op: () => Promise<T>): Promise<T> {
  try {
    return await op();
  } catch (err) {
    throw translateError(err);
  }
}

/** PostgreSQL's "current transaction is aborted" (25P02), as the driver or the seam reports it. */
export function isAbortedTransaction(err: unknown): boolean {
  const e = err as { code?: unknown; cause?: { code?: unknown } } | null;
  return e?.code === '25P02' || e?.cause?.code === '25P02';
}
