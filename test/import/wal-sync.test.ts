import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { openMetadataStore } from '../../src/metadata/open-metadata-store.js';
import { WalSync } from '../../src/metadata/wal-sync.js';

// Every SQLite store makes its commits durable with an fdatasync of the WAL in the thread pool
// (src/metadata/wal-sync.ts), shared by the commits that arrive meanwhile.

test('WalSync: each caller waits for a flush that began after it; callers that arrive meanwhile share one', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'ics-walsync-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const store = await openMetadataStore({ kind: 'sqlite', path: join(dir, 'ics.sqlite') });
  await store.close();
  const sync = new WalSync(join(dir, 'ics.sqlite-wal'));
  t.after(() => sync.close());

  await sync.sync();
  assert.equal(sync.flushes, 1);
  // The first starts a flush at once; the nine behind it began after that flush did, so it cannot
  // cover them: they share the next one.
  await Promise.all(Array.from({ length: 10 }, () => sync.sync()));
  assert.equal(sync.flushes, 3);
});

test('a SQLite store: concurrent transactions all commit, and are there when the file is opened again', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'ics-walsync-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const path = join(dir, 'ics.sqlite');
  const store = await openMetadataStore({ kind: 'sqlite', path });
  await store.migrate();
  const blobKeys = Array.from({ length: 20 }, (_, i) => `acct/${i}`);
  await Promise.all(
    blobKeys.map((blobKey) =>
      store.transaction((tx) =>
        tx.enqueuePurge([{ account: 'acct', blobKey, notBefore: 0, reason: 'replace' }]),
      ),
    ),
  );
  await store.close();

  const again = await openMetadataStore({ kind: 'sqlite', path });
  t.after(() => again.close());
  const due = await again.claimPurge({ limit: 100, now: Date.now(), leaseMs: 1000 });
  assert.deepEqual(due.map((e) => e.blobKey).sort(), [...blobKeys].sort());
});
