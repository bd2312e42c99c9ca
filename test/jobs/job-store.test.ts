import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openMetadataStore } from '../../src/metadata/open-metadata-store.js';
import { describeJobStore } from '../contract/job-store.contract.js';
import { createTestDatabase } from '../helpers/postgres.js';

describeJobStore('sqlite', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'ics-jobs-'));
  const store = await openMetadataStore({ kind: 'sqlite', path: join(dir, 'ics.sqlite') });
  return {
    store,
    cleanup: async () => {
      await store.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
});

// Skips, with the reason, where PostgreSQL is not reachable (never under CI: see helpers/postgres.ts).
const probe = await createTestDatabase();
describeJobStore(
  'postgres',
  async () => {
    if ('skip' in probe) throw new Error(probe.skip);
    const store = await openMetadataStore({ kind: 'postgres', url: probe.url, poolSize: 5 });
    return {
      store,
      cleanup: async () => {
        await store.close();
        await probe.drop();
      },
    };
  },
  { skip: 'skip' in probe ? probe.skip : false },
);
