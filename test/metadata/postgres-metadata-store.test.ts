import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import pg from 'pg';
import { StoreUnavailableError } from '../../src/core/errors.js';
import { migrationProvider } from '../../src/metadata/migrations/index.js';
import { openMetadataStore } from '../../src/metadata/open-metadata-store.js';
import { sqlOf, writeLater } from '../../src/metadata/sql-handle.js';
import { describeMetadataStore } from '../contract/metadata-store.contract.js';
import { createTestDatabase } from '../helpers/postgres.js';
import { content, interaction, newAccount } from './fixtures.js';
import { explainSearchPlans } from './search-plans.js';

// Skips, with the reason, where PostgreSQL is not reachable (never under CI: see helpers/postgres.ts).
const probe = await createTestDatabase();
const skip = 'skip' in probe ? probe.skip : false;

describeMetadataStore(
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
  { skip },
);

/** A fresh database for one test, dropped afterwards. */
async function withDatabase(fn: (url: string) => Promise<void>): Promise<void> {
  const db = await createTestDatabase();
  if ('skip' in db) throw new Error(db.skip);
  try {
    await fn(db.url);
  } finally {
    await db.drop();
  }
}

describe('PostgreSQL specifics', { skip }, () => {
  test('three nodes migrating one fresh database at once all succeed', async () => {
    await withDatabase(async (url) => {
      const stores = await Promise.all(
        [1, 2, 3].map(() => openMetadataStore({ kind: 'postgres', url, poolSize: 2 })),
      );
      try {
        await Promise.all(stores.map((s) => s.migrate()));
        await stores[0].ping();
        const client = new pg.Client({ connectionString: url });
        await client.connect();
        try {
          // Each migration applied exactly once, whichever node ran it.
          const { rows } = await client.query('select name from kysely_migration order by name');
          assert.deepEqual(
            rows.map((r) => r.name),
            Object.keys(await migrationProvider.getMigrations()).sort(),
          );
        } finally {
          await client.end();
        }
      } finally {
        await Promise.all(stores.map((s) => s.close()));
      }
    });
  });

  test('the search shapes are served by their indexes (EXPLAIN)', async () => {
    await withDatabase(async (url) => {
      const plans = await explainSearchPlans(url);
      const usesIndex = (plan: string, index: string) =>
        new RegExp(`(Index Scan|Index Only Scan|Bitmap Index Scan)( Backward)? (using|on) ${index}\\b`).test(
          plan,
        );
      assert.ok(usesIndex(plans.window, 'interactions_window_idx'), plans.window);
      assert.ok(usesIndex(plans.agent, 'interaction_agents_pk'), plans.agent);
      assert.ok(usesIndex(plans.connectFrom, 'interactions_from_idx'), plans.connectFrom);
      // A read restriction keeps the ordered window walk (no sort, no hash of the account's items):
      // each row's items are probed through contents_pk, and the walk stops at the page's limit.
      assert.ok(usesIndex(plans.restricted, 'interactions_window_idx'), plans.restricted);
      assert.match(
        plans.restricted,
        /Index Scan using contents_pk[^\n]*\n\s*Index Cond: \(\(account = i\.account\) AND \(guid = i\.guid\)\)/,
      );
      assert.doesNotMatch(plans.restricted, /Sort|Hash|Bitmap/, plans.restricted);
      for (const plan of Object.values(plans)) assert.doesNotMatch(plan, /Seq Scan/, plan);
    });
  });

  test('an unreachable server or a missing database is StoreUnavailableError', async () => {
    const refused = await openMetadataStore({
      kind: 'postgres',
      url: 'postgres://postgres@127.0.0.1:1/ics',
      poolSize: 1,
    });
    await assert.rejects(refused.ping(), StoreUnavailableError);
    await assert.rejects(refused.migrate(), StoreUnavailableError);
    await refused.close();
    const base = new URL(process.env.ICS_TEST_PG_URL || 'postgres://postgres@127.0.0.1:5432/postgres');
    base.pathname = '/ics_no_such_database';
    const missing = await openMetadataStore({ kind: 'postgres', url: base.toString(), poolSize: 1 });
    await assert.rejects(missing.ping(), StoreUnavailableError);
    await assert.rejects(
      missing.transaction(async () => undefined),
      StoreUnavailableError,
    );
    await missing.close();
  });

  test('a pipelined write that fails rolls the whole transaction back, and the transaction rejects', async () => {
    await withDatabase(async (url) => {
      const store = await openMetadataStore({ kind: 'postgres', url, poolSize: 2 });
      try {
        await store.migrate();
        const rec = interaction(newAccount());
        await store.transaction((tx) => tx.insertInteraction(rec));
        const name = `pipelined-${rec.guid}`;
        await assert.rejects(
          store.transaction(async (tx) => {
            await tx.putContent(content(rec));
            // Neither is waited for; the second violates the primary key.
            await writeLater(tx, sqlOf(tx).insertInto('settings').values({ name, value: 'a' }));
            await writeLater(tx, sqlOf(tx).insertInto('settings').values({ name, value: 'b' }));
          }),
          /duplicate key/,
        );
        assert.deepEqual(
          await store.listContent(rec.account, rec.guid),
          [],
          'the awaited write is rolled back too',
        );
        assert.equal((await store.getInteraction(rec.account, rec.guid))?.contentCount, 0);
        // The connection is usable afterwards (the pool hands it out again).
        await store.transaction((tx) => tx.putContent(content(rec)));
        assert.equal((await store.listContent(rec.account, rec.guid)).length, 1);
      } finally {
        await store.close();
      }
    });
  });

  test('the listing pipelined behind a row lock sees what the previous holder committed', async () => {
    await withDatabase(async (url) => {
      const store = await openMetadataStore({ kind: 'postgres', url, poolSize: 3 });
      const admin = new pg.Client({ connectionString: url });
      await admin.connect();
      try {
        await store.migrate();
        const rec = interaction(newAccount());
        await store.transaction((tx) => tx.insertInteraction(rec));
        let locked!: () => void;
        const isLocked = new Promise<void>((resolve) => (locked = resolve));
        let release!: () => void;
        const released = new Promise<void>((resolve) => (release = resolve));
        const holder = store.transaction(async (tx) => {
          await tx.lockInteraction(rec.account, rec.guid);
          locked();
          await released;
          await tx.putContent(content(rec));
        });
        await isLocked;
        const waiter = store.transaction((tx) => tx.lockInteractionWithContent(rec.account, rec.guid));
        // Until the second transaction is seen waiting for the row lock (no timing involved).
        for (;;) {
          const { rows } = await admin.query(
            "select count(*)::int as n from pg_stat_activity where datname = current_database() and wait_event_type = 'Lock'",
          );
          if (rows[0].n > 0) break;
          await new Promise((resolve) => setImmediate(resolve));
        }
        release();
        await holder;
        const seen = await waiter;
        assert.equal(seen.interaction?.guid, rec.guid);
        assert.deepEqual(
          seen.content.map((c) => c.contentKey),
          ['callRecording'],
          'the listing ran after the lock was granted',
        );
      } finally {
        await admin.end();
        await store.close();
      }
    });
  });
});
