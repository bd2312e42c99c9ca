import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { findChainBreak } from '../../src/core/audit-chain.js';
import { StoreUnavailableError } from '../../src/core/errors.js';
import type { MetadataStore } from '../../src/metadata/metadata-store.js';
import { openMetadataStore } from '../../src/metadata/open-metadata-store.js';
import { describeMetadataStore } from '../contract/metadata-store.contract.js';
import { auditDraft, interaction, newAccount, seed, T0 } from './fixtures.js';
import { explainSqliteSearchPlans } from './search-plans.js';

async function tempDir(): Promise<{ dir: string; remove: () => Promise<void> }> {
  const dir = await mkdtemp(join(tmpdir(), 'ics-sqlite-'));
  return { dir, remove: () => rm(dir, { recursive: true, force: true }) };
}

describeMetadataStore('sqlite', async () => {
  const { dir, remove } = await tempDir();
  // A nested path: the factory creates the directory.
  const store = await openMetadataStore({ kind: 'sqlite', path: join(dir, 'nested', 'ics.sqlite') });
  return {
    store,
    cleanup: async () => {
      await store.close();
      await remove();
    },
  };
});

describe('SQLite file shared by several stores (server + CLI)', () => {
  let dir: string;
  let remove: () => Promise<void>;
  let path: string;
  const stores: MetadataStore[] = [];
  before(async () => {
    ({ dir, remove } = await tempDir());
    path = join(dir, 'ics.sqlite');
  });
  after(async () => {
    for (const s of stores) await s.close();
    await remove();
  });

  test('two stores on one file both migrate and write, and see each other', async () => {
    const a = await openMetadataStore({ kind: 'sqlite', path });
    const b = await openMetadataStore({ kind: 'sqlite', path });
    stores.push(a, b);
    await Promise.all([a.migrate(), b.migrate()]);
    const account = newAccount();
    const recA = interaction(account);
    const recB = interaction(account);
    await seed(a, [{ rec: recA, contents: 1 }]);
    await seed(b, [{ rec: recB, contents: 1 }]);
    await a.transaction((tx) => tx.appendAudit(account, auditDraft()).entry);
    await b.transaction((tx) => tx.appendAudit(account, auditDraft()).entry);
    await a.transaction((tx) => tx.appendAudit(account, auditDraft()).entry);
    assert.equal(await a.count({ account, start: T0, end: T0 + 1 }), 2);
    assert.equal(await b.count({ account, start: T0, end: T0 + 1 }), 2);
    const ledger = await b.listAudit({ account, limit: 10 });
    assert.deepEqual(
      ledger.map((e) => e.seq),
      [1, 2, 3],
    );
    assert.equal(findChainBreak(ledger), undefined);
  });

  test('another process appends to the same ledger at the same time without a gap or a busy error', async () => {
    const store = stores[0];
    const account = newAccount();
    const perProcess = 40;
    const child = runWriter(path, account, perProcess);
    for (let i = 0; i < perProcess; i++) {
      await store.transaction(
        (tx) => tx.appendAudit(account, auditDraft({ at: T0 + i, reason: 'parent' })).entry,
      );
    }
    assert.equal(await child, 0);
    const ledger = await store.listAudit({ account, limit: 1000 });
    assert.equal(ledger.length, 2 * perProcess);
    assert.equal(findChainBreak(ledger), undefined);
    assert.equal(ledger.filter((e) => e.reason === 'child').length, perProcess);
  });
});

/** Runs sqlite-writer.ts in a child process: it migrates, then appends `count` entries to the ledger. */
function runWriter(path: string, account: string, count: number): Promise<number | null> {
  const script = fileURLToPath(new URL('./sqlite-writer.ts', import.meta.url));
  const child = spawn(process.execPath, ['--import', 'tsx', script, path, account, String(count)], {
    stdio: ['ignore', 'inherit', 'inherit'],
  });
  return new Promise((resolve, reject) => {
    child.on('error', reject);
    child.on('exit', (code) => resolve(code));
  });
}

describe('SQLite errors at the seam', () => {
  test('a database that cannot be opened is StoreUnavailableError', async () => {
    const { dir, remove } = await tempDir();
    try {
      const file = join(dir, 'a-file');
      await writeFile(file, 'not a directory');
      // The parent "directory" is a file: mkdir fails.
      await assert.rejects(
        openMetadataStore({ kind: 'sqlite', path: join(file, 'ics.sqlite') }),
        StoreUnavailableError,
      );
      // The path is a directory: SQLITE_CANTOPEN.
      await assert.rejects(openMetadataStore({ kind: 'sqlite', path: dir }), StoreUnavailableError);
    } finally {
      await remove();
    }
  });
});

describe('SQLite query plans', () => {
  test('the search shapes are served by their indexes (EXPLAIN QUERY PLAN)', async () => {
    const { dir, remove } = await tempDir();
    try {
      const plans = await explainSqliteSearchPlans(join(dir, 'plans.sqlite'));
      assert.match(
        plans.window,
        /SEARCH i USING INDEX interactions_window_idx \(account=\? AND start_ms>\? AND start_ms<\?\)/,
      );
      assert.doesNotMatch(plans.window, /TEMP B-TREE/, 'the window index yields (start, guid) order');
      // SQLite names a primary key's index sqlite_autoindex_<table>_1 whatever the constraint is called.
      assert.match(
        plans.agent,
        /SEARCH a USING COVERING INDEX sqlite_autoindex_interaction_agents_1 \(account=\? AND agent_id=\? AND start_ms>\?/,
      );
      assert.match(
        plans.agent,
        /SEARCH i USING INDEX sqlite_autoindex_interactions_1 \(account=\? AND guid=\?\)/,
      );
      assert.match(
        plans.connectFrom,
        /SEARCH i USING INDEX interactions_from_idx \(account=\? AND connect_from>\? AND connect_from<\?\)/,
      );
      // A read restriction walks the same window index in order, probing each row's items by key.
      assert.match(
        plans.restricted,
        /SEARCH i USING INDEX interactions_window_idx \(account=\? AND start_ms>\? AND start_ms<\?\)/,
      );
      assert.match(
        plans.restricted,
        /SEARCH c USING INDEX sqlite_autoindex_contents_1 \(account=\? AND guid=\?\)/,
      );
      assert.doesNotMatch(plans.restricted, /TEMP B-TREE/, plans.restricted);
      for (const plan of Object.values(plans)) assert.doesNotMatch(plan, /\bSCAN\b/, plan);
    } finally {
      await remove();
    }
  });
});

describe('SQLite erasure', () => {
  test('a deleted interaction leaves no trace in the database file or its WAL', async () => {
    const { dir, remove } = await tempDir();
    const store = await openMetadataStore({ kind: 'sqlite', path: join(dir, 'ics.sqlite') });
    const filesWith = async (needle: string) => {
      const hits: string[] = [];
      for (const name of await readdir(dir))
        if ((await readFile(join(dir, name))).includes(needle)) hits.push(name);
      return hits;
    };
    try {
      await store.migrate();
      const account = newAccount();
      const marker = `m${randomUUID().replaceAll('-', '')}`;
      const keep = interaction(account);
      const gone = interaction(account, { connectFrom: `+44${marker}`, connectTo: `${marker}@example.com` });
      await seed(store, [
        { rec: keep, contents: 1 },
        { rec: gone, contents: 2 },
      ]);
      assert.ok((await filesWith(marker)).length > 0, 'positive control: the marker is on disk');
      await store.transaction((tx) => tx.deleteInteraction(account, gone.guid));
      assert.deepEqual(await filesWith(marker), []);
      assert.ok(await store.getInteraction(account, keep.guid));
    } finally {
      await store.close();
      await remove();
    }
  });
});
