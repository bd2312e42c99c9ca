import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
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
    await a.transaction((tx) => tx.appendAudit(account, auditDraft()));
    await b.transaction((tx) => tx.appendAudit(account, auditDraft()));
    await a.transaction((tx) => tx.appendAudit(account, auditDraft()));
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
      await store.transaction((tx) => tx.appendAudit(account, auditDraft({ at: T0 + i, reason: 'parent' })));
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
  test('a database file that cannot be opened is StoreUnavailableError', async () => {
    await assert.rejects(
      openMetadataStore({ kind: 'sqlite', path: '/proc/ics-cannot-exist/ics.sqlite' }),
      StoreUnavailableError,
    );
  });
});
