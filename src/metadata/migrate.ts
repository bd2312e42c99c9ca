import { type Kysely, Migrator, sql } from 'kysely';
import type { Database, Dialect } from './db-schema.js';
import { migrationProvider } from './migrations/index.js';
import { beginImmediate } from './sqlite-dialect.js';

/**
 * Applies pending migrations; safe when several nodes or processes run it at once.
 *
 * PostgreSQL: Kysely's Migrator does the locking. PostgresAdapter.acquireMigrationLock (kysely 0.28,
 * dist/esm/dialect/postgres/postgres-adapter.js) takes a session-level
 * `pg_advisory_lock(3853314791062309107)` (with a 1 h lock_timeout) on the one connection that then
 * runs every pending migration in a single transaction; a concurrent caller waits for the lock, then
 * reads the migration table and finds nothing pending.
 *
 * Unordered migrations are allowed: features land from parallel branches, each with its own reserved
 * number, so a database may have a later-numbered migration before an earlier one arrives. Every
 * migration only adds its own tables, columns and indexes, so the order between them does not matter.
 *
 * SQLite: Kysely's SQLite migration lock is a no-op (it guards a single connection only), and the
 * Migrator's set-up (creating its own tables) runs outside its transaction. So the whole run,
 * set-up included, goes inside one BEGIN IMMEDIATE on the store's connection: a second process or
 * store waits for the write lock, then sees the migrations applied.
 */
export async function runMigrations(db: Kysely<Database>, dialect: Dialect): Promise<string[]> {
  if (dialect === 'postgres')
    return check(
      await new Migrator({
        db,
        provider: migrationProvider,
        allowUnorderedMigrations: true,
      }).migrateToLatest(),
    );
  return db.connection().execute(async (conn) => {
    await beginImmediate((statement) => sql.raw(statement).execute(conn));
    try {
      // disableTransactions: we already are in one; SQLite has transactional DDL.
      const applied = check(
        await new Migrator({
          db: conn,
          provider: migrationProvider,
          disableTransactions: true,
          allowUnorderedMigrations: true,
        }).migrateToLatest(),
      );
      await sql`commit`.execute(conn);
      return applied;
    } catch (err) {
      await sql`rollback`.execute(conn);
      throw err;
    }
  });
}

/** The names of the migrations applied, or the failure as one Error. */
function check(result: Awaited<ReturnType<Migrator['migrateToLatest']>>): string[] {
  if (result.error === undefined)
    return (result.results ?? []).filter((r) => r.status === 'Success').map((r) => r.migrationName);
  const failed = result.results?.find((r) => r.status === 'Error')?.migrationName;
  const message = result.error instanceof Error ? result.error.message : String(result.error);
  throw new Error(`metadata migration${failed ? ` ${failed}` : ''} failed: ${message}`, {
    cause: result.error,
  });
}
