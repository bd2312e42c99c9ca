import { randomBytes } from 'node:crypto';
import pg from 'pg';

// Throwaway PostgreSQL databases for tests. The server is found at ICS_TEST_PG_URL (default: local
// trust auth as postgres). When it is not reachable the tests skip with the reason, except under CI
// (CI=true), where a missing database must fail the run rather than silently skip it.

const DEFAULT_URL = 'postgres://postgres@127.0.0.1:5432/postgres';

export function adminUrl(): string {
  return process.env.ICS_TEST_PG_URL || DEFAULT_URL;
}

export async function createTestDatabase(): Promise<
  { url: string; drop(): Promise<void> } | { skip: string }
> {
  const base = adminUrl();
  const admin = new pg.Client({
    connectionString: base,
    connectionTimeoutMillis: process.env.CI === 'true' ? 20000 : 3000,
  });
  try {
    await admin.connect();
  } catch (err) {
    const reason = `PostgreSQL not reachable at ${redact(base)} (${(err as Error).message || (err as Error).name}); set ICS_TEST_PG_URL`;
    await admin.end().catch(() => undefined);
    if (process.env.CI === 'true')
      throw new Error(`${reason}. Under CI the PostgreSQL tests must run.`, { cause: err });
    return { skip: reason };
  }
  const name = `ics_test_${process.pid}_${randomBytes(5).toString('hex')}`;
  try {
    await createDatabase(admin, name);
  } finally {
    await admin.end();
  }
  const url = new URL(base);
  url.pathname = `/${name}`;
  return { url: url.toString(), drop: () => dropDatabase(base, name) };
}

async function createDatabase(admin: pg.Client, name: string): Promise<void> {
  // CREATE DATABASE copies template1 and fails (55006) while another session is connected to it,
  // e.g. a parallel test file creating its own database at that instant: retry briefly.
  for (let attempt = 1; ; attempt++) {
    try {
      await admin.query(`create database "${name}"`);
      return;
    } catch (err) {
      if ((err as { code?: string }).code !== '55006' || attempt >= 10) throw err;
      await new Promise((resolve) => setTimeout(resolve, 100 * attempt));
    }
  }
}

async function dropDatabase(base: string, name: string): Promise<void> {
  const admin = new pg.Client({
    connectionString: base,
    connectionTimeoutMillis: process.env.CI === 'true' ? 20000 : 3000,
  });
  await admin.connect();
  try {
    // Connections a test left open (or a pool still closing) would make DROP DATABASE fail.
    await admin.query(
      'select pg_terminate_backend(pid) from pg_stat_activity where datname = $1 and pid <> pg_backend_pid()',
      [name],
    );
    await admin.query(`drop database if exists "${name}"`);
  } finally {
    await admin.end();
  }
}

function redact(url: string): string {
  return url.replace(/\/\/([^:@/]+):[^@/]+@/, '//$1:***@');
}
