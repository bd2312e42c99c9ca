import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import pg from 'pg';
import { KyselyOutbox } from '../../src/events/outbox.js';
import type { MetadataStore } from '../../src/metadata/metadata-store.js';
import { openMetadataStore } from '../../src/metadata/open-metadata-store.js';
import { sqlHandle } from '../../src/metadata/sql-handle.js';
import { createTestDatabase } from '../helpers/postgres.js';
import { auditDraft, newAccount, T0 } from './fixtures.js';

// A deletion appends to its account's ledger and its event carries the entry's receipt. On
// PostgreSQL both are SQL over audit_heads and audit_log, and both must cost the same however long
// the account's ledger is: a plan that finds an entry by the account alone and filters on the seq
// reads every entry the account has, on every deletion (on a fresh database, with no statistics yet,
// the planner chose exactly that for the receipt, and the bench's deletes slowed round by round).
//
// The statements the store sends for an append and for events naming the latest and an earlier
// entry are captured and run again under EXPLAIN ANALYZE (in a transaction that is rolled back),
// with the account holding 5,000 entries and statistics from when the ledger was empty: no plan
// node may return more than a couple of rows or discard any by a filter, and no scan may read more
// than a few pages (an index scan that filters on the seq inside the index discards nothing visible,
// but reads all of the account's entries).

const ENTRIES = 5000;
const pgProbe = await createTestDatabase();

interface PlanNode {
  'Node Type': string;
  'Index Name'?: string;
  'Shared Hit Blocks': number;
  'Shared Read Blocks': number;
  'Relation Name'?: string;
  'Actual Rows': number;
  'Actual Loops': number;
  'Rows Removed by Filter'?: number;
  'Rows Removed by Join Filter'?: number;
  'Rows Removed by Index Recheck'?: number;
  Plans?: PlanNode[];
}

function* nodes(n: PlanNode): Generator<PlanNode> {
  yield n;
  for (const c of n.Plans ?? []) yield* nodes(c);
}

describe('the ledger on PostgreSQL: an append and its receipts cost the same at any length', {
  skip: 'skip' in pgProbe ? pgProbe.skip : false,
}, () => {
  let store: MetadataStore;
  let admin: pg.Client;
  before(async () => {
    if ('skip' in pgProbe) return;
    store = await openMetadataStore({ kind: 'postgres', url: pgProbe.url, poolSize: 2 });
    await store.migrate();
    admin = new pg.Client({ connectionString: pgProbe.url });
    await admin.connect();
  });
  after(async () => {
    if ('skip' in pgProbe) return;
    await admin?.end();
    await store?.close();
    await pgProbe.drop();
  });

  test(`with ${ENTRIES} entries, no plan reads the account's other entries`, async () => {
    const account = newAccount();
    // Statistics from when the ledger was all but empty, as on a new database: analysed with three
    // entries of another account, then autovacuum kept away while this account's ledger grows.
    for (const t of ['audit_log', 'audit_heads'])
      await admin.query(`alter table ${t} set (autovacuum_enabled = off)`);
    await admin.query(
      `insert into audit_log (account, seq, at_ms, action, guid, reason, prev_hash, hash)
       select 'other', g, g, 'content.delete', 'g' || g, 'api', 'p', 'h' from generate_series(1, 3) g`,
    );
    await admin.query('analyze audit_log');
    await admin.query('analyze audit_heads');
    // A long ledger, written directly (its hashes are not what this test is about), and its head.
    await admin.query(
      `insert into audit_log (account, seq, at_ms, action, guid, reason, prev_hash, hash)
       select $1, g, $2::bigint + g, 'content.delete', 'guid-' || g, 'api', 'p' || g, 'h' || g
       from generate_series(1, $3::int) g`,
      [account, T0, ENTRIES],
    );
    await admin.query(`insert into audit_heads (account, last_seq, last_hash) values ($1, $2, $3)`, [
      account,
      ENTRIES,
      `h${ENTRIES}`,
    ]);

    // Every statement this process sends while the transaction runs.
    const sent: { text: string; values: unknown[] }[] = [];
    const query = pg.Client.prototype.query;
    pg.Client.prototype.query = function capture(this: pg.Client, ...args: unknown[]) {
      const [text, values] = args;
      if (typeof text === 'string') sent.push({ text, values: Array.isArray(values) ? values : [] });
      else if (text && typeof text === 'object' && 'text' in text)
        sent.push(text as { text: string; values: unknown[] });
      return (query as (...a: unknown[]) => unknown).apply(this, args);
    } as typeof query;
    try {
      const outbox = new KyselyOutbox();
      await store.transaction(async (tx) => {
        const first = tx.appendAudit(account, auditDraft({ at: T0 + 1, guid: 'guid-7' }));
        const second = tx.appendAudit(account, auditDraft({ at: T0 + 2, guid: 'guid-7' }));
        // The latest entry (the head) and one behind it (a cascade's earlier entry).
        await outbox.record(tx, [
          {
            type: 'interaction-content.deleted.v1',
            account,
            subject: null,
            at: T0,
            data: { receipt: second.receipt },
          },
          {
            type: 'interaction-content.deleted.v1',
            account,
            subject: null,
            at: T0,
            data: { receipt: first.receipt },
          },
        ]);
      });
    } finally {
      pg.Client.prototype.query = query;
    }
    const ledger = sent.filter((s) => /audit_(log|heads)/.test(s.text) && !/^\s*explain/i.test(s.text));
    assert.ok(ledger.length >= 2, `the append and the outbox insert were captured (${ledger.length})`);

    for (const s of ledger) {
      await admin.query('begin');
      try {
        // The events were committed under these ids; in this rolled-back replay they go again.
        await admin.query('delete from outbox where account = $1', [account]);
        const res = await admin.query(`explain (analyze, buffers, format json) ${s.text}`, s.values);
        const plan = (res.rows[0]['QUERY PLAN'] as { Plan: PlanNode }[])[0].Plan;
        for (const n of nodes(plan)) {
          const what = `${n['Node Type']}${n['Relation Name'] ? ` on ${n['Relation Name']}` : ''} in: ${s.text}`;
          assert.ok(n['Actual Rows'] <= 2, `${n['Actual Rows']} rows from ${what}`);
          // A scan of one entry reads the index's few levels and a heap page; the account's 5,000
          // entries fill some 40 pages of each index, which a scan of them all would read.
          if (n['Relation Name'] === 'audit_log' && /Scan/.test(n['Node Type'])) {
            const blocks = n['Shared Hit Blocks'] + n['Shared Read Blocks'];
            assert.ok(blocks <= 8, `${blocks} blocks read by ${n['Index Name'] ?? ''} ${what}`);
          }
          for (const k of [
            'Rows Removed by Filter',
            'Rows Removed by Join Filter',
            'Rows Removed by Index Recheck',
          ] as const)
            assert.ok(!n[k], `${k}: ${n[k]} in ${what}`);
        }
      } finally {
        await admin.query('rollback');
      }
    }

    // And the chain went on from the head: entries ENTRIES + 1 and + 2, the second on the first.
    const rows = await sqlHandle(store).read((db) =>
      db
        .selectFrom('audit_log')
        .select(['seq', 'prev_hash', 'hash'])
        .where('account', '=', account)
        .where('seq', '>', ENTRIES)
        .orderBy('seq')
        .execute(),
    );
    assert.deepEqual(
      rows.map((r) => Number(r.seq)),
      [ENTRIES + 1, ENTRIES + 2],
    );
    assert.equal(rows[0].prev_hash, `h${ENTRIES}`);
    assert.equal(rows[1].prev_hash, rows[0].hash);
  });
});
