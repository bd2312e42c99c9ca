import assert from 'node:assert/strict';
import { statSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { openMetadataStore } from '../../src/metadata/open-metadata-store.js';

// The store's connection runs with wal_autocheckpoint = 0; its checkpointer thread checkpoints the
// WAL once it passes 4 MiB (SqliteCheckpointer.walGrew). Without that, the WAL would grow with every
// commit until the next deletion's scrub.

test('SQLite: the WAL stays bounded by checkpoints off the event loop while commits keep coming', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'ics-walsize-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const path = join(dir, 'ics.sqlite');
  const store = await openMetadataStore({ kind: 'sqlite', path });
  t.after(() => store.close());
  await store.migrate();
  const key = 'k'.repeat(2000);
  // 200 commits of ~100 KiB of rows each: ~20 MiB written through the WAL.
  let largest = 0;
  for (let i = 0; i < 200; i++) {
    await store.transaction((tx) =>
      tx.enqueuePurge(
        Array.from({ length: 50 }, (_, j) => ({
          account: 'acct',
          blobKey: `${i}/${j}/${key}`,
          notBefore: 0,
          reason: 'replace' as const,
        })),
      ),
    );
    largest = Math.max(largest, statSync(`${path}-wal`).size);
  }
  assert.ok(largest < 12 * 1024 * 1024, `the WAL reached ${(largest / 2 ** 20).toFixed(1)} MiB`);
});
