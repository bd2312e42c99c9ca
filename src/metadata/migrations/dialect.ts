import { type Kysely, PostgresAdapter, type RawBuilder, sql } from 'kysely';

// The migrations are shared by SQLite and PostgreSQL; these helpers are the only place they branch.

export function isPostgres(db: Kysely<unknown>): boolean {
  return db.getExecutor().adapter instanceof PostgresAdapter;
}

/**
 * Column type for text that is compared, ordered or prefix-scanned: keys (account, guid, agent id,
 * content key) and addresses. On PostgreSQL it carries `COLLATE "C"` so comparisons and btree order
 * are by code point (UTF-8 bytes), exactly like SQLite's default BINARY collation: keyset paging and
 * prefix ranges (`col >= p AND col < upper`) then mean the same on both, the ranges are index-served
 * whatever the database locale is, and a libc upgrade cannot silently reorder the indexes.
 */
export function keyText(db: Kysely<unknown>): 'text' | RawBuilder<unknown> {
  return isPostgres(db) ? sql`text collate "C"` : 'text';
}
