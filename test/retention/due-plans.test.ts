import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { createTestDatabase } from '../helpers/postgres.js';
import { explainPostgresDuePlans, explainSqliteDuePlans } from './due-plans.js';

// Retention finds due items through contents_retention_idx, never by a scan of the account's
// contents or interactions (docs/scaling.md prints these plans).

describe('retention due-item queries are index-served (EXPLAIN)', () => {
  test('SQLite', async (t) => {
    const dir = await mkdtemp(join(tmpdir(), 'ics-due-plans-'));
    t.after(() => rm(dir, { recursive: true, force: true }));
    const plans = await explainSqliteDuePlans(join(dir, 'plans.sqlite'));
    for (const plan of Object.values(plans)) {
      assert.match(
        plan,
        /SEARCH c USING (COVERING )?INDEX contents_retention_idx \(account=\? AND type=\? AND direction=\? AND /,
        plan,
      );
      assert.match(
        plan,
        /SEARCH i USING INDEX sqlite_autoindex_interactions_1 \(account=\? AND guid=\?\)/,
        plan,
      );
    }
    assert.doesNotMatch(plans.page, /TEMP B-TREE/, 'the index yields (start, guid, contentKey) order');
  });

  test('PostgreSQL', async (t) => {
    const db = await createTestDatabase();
    if ('skip' in db) return t.skip(db.skip);
    try {
      const plans = await explainPostgresDuePlans(db.url);
      for (const plan of Object.values(plans)) {
        assert.match(
          plan,
          /(Index Scan|Index Only Scan|Bitmap Index Scan) (using|on) contents_retention_idx/,
          plan,
        );
        assert.doesNotMatch(plan, /Seq Scan/, plan);
      }
      assert.doesNotMatch(plans.page, /\bSort\b/, 'the index yields (start, guid, contentKey) order');
    } finally {
      await db.drop();
    }
  });
});
