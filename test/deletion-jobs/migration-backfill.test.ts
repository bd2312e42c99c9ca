import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import Sqlite from 'better-sqlite3';
import { Kysely, type Migration, Migrator, PostgresDialect, SqliteDialect, sql } from 'kysely';
import pg from 'pg';
import { normalizeAddress } from '../../src/core/addresses.js';
import { migrationProvider } from '../../src/metadata/migrations/index.js';
import { openMetadataStore } from '../../src/metadata/open-metadata-store.js';
import { createTestDatabase } from '../helpers/postgres.js';

// Migration 0008 on a database that already holds interactions: every row gets the normal forms of
// its addresses (in pages of 500), exactly as ingest computes them.

const ROWS = 1234;
const from = (i: number) => (i % 3 === 0 ? `+44 (20) 7946-${String(i).padStart(4, '0')}` : `+4420.7946.${i}`);
const to = (i: number) => (i % 2 ? `Caller${i}@Example.COM` : 'support queue');

async function before0008(db: Kysely<unknown>) {
  const all = await migrationProvider.getMigrations();
  const older: Record<string, Migration> = Object.fromEntries(
    Object.entries(all).filter(([name]) => name !== '0008-deletion-jobs'),
  );
  const { error } = await new Migrator({
    db,
    provider: { getMigrations: async () => older },
    allowUnorderedMigrations: true,
  }).migrateToLatest();
  if (error) throw error;
  for (let i = 0; i < ROWS; i++)
    await sql`insert into interactions (account, guid, start_ms, connect_from, connect_to, direction,
                handling_agents, content_count, created_ms)
              values (${`acct-${i % 3}`}, ${`g-${String(i).padStart(5, '0')}`}, ${i}, ${from(i)}, ${to(i)},
                      'inbound', '[]', 0, 0)`.execute(db);
}

async function check(db: Kysely<unknown>) {
  const rows = (
    await sql<{ guid: string; connect_from: string; connect_to: string; f: string; t: string }>`
      select guid, connect_from, connect_to, connect_from_norm as f, connect_to_norm as t from interactions`.execute(
      db,
    )
  ).rows;
  assert.equal(rows.length, ROWS);
  for (const r of rows) {
    assert.equal(r.f, normalizeAddress(r.connect_from), r.guid);
    assert.equal(r.t, normalizeAddress(r.connect_to), r.guid);
  }
  assert.ok(rows.some((r) => r.t.startsWith('caller') && r.t.endsWith('@example.com')));
}

describe('migration 0008 backfills the normal forms', () => {
  test('SQLite', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'ics-backfill-'));
    try {
      const path = join(dir, 'ics.sqlite');
      const raw = new Kysely<unknown>({ dialect: new SqliteDialect({ database: new Sqlite(path) }) });
      await before0008(raw);
      await raw.destroy();
      const store = await openMetadataStore({ kind: 'sqlite', path });
      await store.migrate();
      await store.close();
      const after = new Kysely<unknown>({ dialect: new SqliteDialect({ database: new Sqlite(path) }) });
      await check(after);
      await after.destroy();
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  test('PostgreSQL', async (t) => {
    const db = await createTestDatabase();
    if ('skip' in db) {
      if (process.env.CI === 'true') throw new Error(db.skip);
      t.skip(db.skip);
      return;
    }
    try {
      const raw = new Kysely<unknown>({
        dialect: new PostgresDialect({ pool: new pg.Pool({ connectionString: db.url, max: 1 }) }),
      });
      await before0008(raw);
      const store = await openMetadataStore({ kind: 'postgres', url: db.url, poolSize: 1 });
      await store.migrate();
      await store.close();
      await check(raw);
      await raw.destroy();
    } finally {
      await db.drop();
    }
  });
});
