// The storage pairs the HTTP suite runs against: the embedded default (SQLite + files) and the
// scale-out pair (PostgreSQL + S3). PostgreSQL and S3 environments are created per app and removed after.

export type Backend = 'sqlite-fs' | 'postgres-s3';

export async function backendEnv(backend: Backend): Promise<{ env: Record<string, string>; cleanup(): Promise<void> }> {
  if (backend === 'sqlite-fs') return { env: {}, cleanup: async () => {} };
  throw new Error(`backend ${backend} is not wired yet`);
}
