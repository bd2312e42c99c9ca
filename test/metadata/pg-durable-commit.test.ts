// On PostgreSQL a metadata transaction that takes the account's ledger head commits without waiting
// for its WAL flush (so the head's row lock is released before the disk is touched) and is made
// durable by the statement right behind its COMMIT (PgPipeline.commit); others commit synchronously. Whatever the route, when
// store.transaction() resolves its commit must already be flushed: PostgreSQL's own flush position
// (pg_current_wal_flush_lsn) must be past everything the transaction wrote. Without the flushing
// statement, the flush position lags behind async commits until the WAL writer's next round.
import assert from 'node:assert/strict';
import { after, describe, test } from 'node:test';
import { sql } from 'kysely';
import type { MetadataStore } from '../../src/metadata/metadata-store.js';
import { openMetadataStore } from '../../src/metadata/open-metadata-store.js';
import { sqlHandle, sqlOf } from '../../src/metadata/sql-handle.js';
import { createTestDatabase } from '../helpers/postgres.js';
import { auditDraft } from './fixtures.js';

const pg = await createTestDatabase();

describe('PostgreSQL transactions are durable when they resolve', {
  skip: 'skip' in pg ? pg.skip : false,
}, () => {
  let store: MetadataStore;
  after(async () => {
    await store?.close();
    if (!('skip' in pg)) await pg.drop();
  });

  test('the WAL is flushed past every write of the transaction, 30 times in a row', async () => {
    if ('skip' in pg) return;
    store = await openMetadataStore({ kind: 'postgres', url: pg.url, poolSize: 4 });
    await store.migrate();
    const db = sqlHandle(store).db;
    for (let i = 0; i < 30; i++) {
      // Odd rounds take the ledger head as a deletion does: those commit asynchronously and are
      // flushed behind COMMIT; even rounds hold no contended lock and commit synchronously.
      const appends = i % 2 === 1;
      const wrote = await store.transaction(async (tx) => {
        await tx.enqueuePurge([
          { account: 'durable', blobKey: `durable/${i}`, notBefore: Date.now(), reason: 'delete' },
        ]);
        if (appends) await tx.appendAudit('durable', auditDraft({ guid: `g-${i}` })).entry;
        const inTx = sqlOf(tx);
        const { rows } = await sql<{ async: string; lsn: string }>`
          select current_setting('synchronous_commit') as async, pg_current_wal_insert_lsn()::text as lsn
        `.execute(inTx);
        return rows[0];
      });
      assert.equal(
        wrote.async,
        appends ? 'off' : 'on',
        appends ? 'the ledger transaction commits without waiting for its own flush' : 'a plain commit waits',
      );
      const { rows } = await sql<{ flushed: boolean; at: string }>`
        select pg_current_wal_flush_lsn() >= ${wrote.lsn}::pg_lsn as flushed,
               pg_current_wal_flush_lsn()::text as at
      `.execute(db);
      assert.ok(
        rows[0].flushed,
        `round ${i}: flushed to ${rows[0].at}, the transaction wrote up to ${wrote.lsn}`,
      );
    }
    const { rows } = await sql<{ n: number }>`select count(*)::int as n from purge_queue`.execute(db);
    assert.equal(rows[0].n, 30, 'every transaction committed');
  });
});
