import type { Migration, MigrationProvider } from 'kysely';
import * as m0001 from './0001-initial.js';

// A static list rather than Kysely's FileMigrationProvider: the code runs both from src (tsx) and
// from dist, and a bundler-proof import list works the same in both. Names sort in apply order.
const migrations: Record<string, Migration> = {
  '0001-initial': m0001,
};

export const migrationProvider: MigrationProvider = {
  getMigrations: async () => migrations,
};
