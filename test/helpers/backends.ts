import { describe } from 'node:test';
import { createTestDatabase } from './postgres.js';
import { startS3 } from './s3.js';

// The storage pairs the HTTP suite runs against: the embedded default (SQLite + files) and the
// scale-out pair (PostgreSQL + S3). Each app gets its own fresh database and bucket, removed after.

export type Backend = 'sqlite-fs' | 'postgres-s3';

export async function backendEnv(
  backend: Backend,
): Promise<{ env: Record<string, string>; cleanup(): Promise<void> }> {
  if (backend === 'sqlite-fs') return { env: {}, cleanup: async () => {} };
  const db = await createTestDatabase();
  if ('skip' in db) throw new Error(db.skip);
  const s3 = await startS3();
  return {
    env: { ICS_DATABASE_URL: db.url, ...s3.env, ICS_BLOB_URL: s3.url },
    async cleanup() {
      await s3.stop();
      await db.drop();
    },
  };
}

let pgSkip: Promise<string | false> | undefined;

/** Whether the PostgreSQL pair can run here: a reason to skip, or false. Under CI=true it must run. */
function postgresSkipReason(): Promise<string | false> {
  pgSkip ??= createTestDatabase().then(async (db): Promise<string | false> => {
    if ('skip' in db) return db.skip;
    await db.drop();
    return false;
  });
  return pgSkip;
}

/** Declares the suite once per backend; the PostgreSQL + S3 run skips with its reason where unavailable. */
export function describeBackends(name: string, fn: (backend: Backend) => void) {
  describe(`${name} [sqlite-fs]`, () => fn('sqlite-fs'));
  describe(`${name} [postgres-s3]`, async () => {
    const skip = await postgresSkipReason();
    if (skip) {
      describe('skipped', { skip }, () => {});
      return;
    }
    fn('postgres-s3');
  });
}
