import type { Migration, MigrationProvider } from 'kysely';
import * as m0001 from './0001-initial.js';
import * as m0002 from './0002-leases.js';
import * as m0003 from './0003-nodes-and-jobs.js';
import * as m0006 from './0006-outbox.js';
import * as m0007 from './0007-retention.js';
import * as m0008 from './0008-deletion-jobs.js';
import * as m0009 from './0009-client-permissions.js';
import * as m0010 from './0010-webhooks.js';
import * as m0012 from './0012-export.js';
import * as m0013 from './0013-ledger-head-prev-hash.js';

// A static list rather than Kysely's FileMigrationProvider: the code runs both from src (tsx) and
// from dist, and a bundler-proof import list works the same in both. Names sort in apply order.
const migrations: Record<string, Migration> = {
  '0001-initial': m0001,
  '0002-leases': m0002,
  '0003-nodes-and-jobs': m0003,
  '0006-outbox': m0006,
  '0007-retention': m0007,
  '0008-deletion-jobs': m0008,
  '0009-client-permissions': m0009,
  '0010-webhooks': m0010,
  '0012-export': m0012,
  '0013-ledger-head-prev-hash': m0013,
};

export const migrationProvider: MigrationProvider = {
  getMigrations: async () => migrations,
};
