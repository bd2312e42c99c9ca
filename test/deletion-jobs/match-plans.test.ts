import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { createTestDatabase } from '../helpers/postgres.js';
import { explainPostgresMatchPlans, explainSqliteMatchPlans } from './match-plans.js';

// Deletion-job matching is served by indexes, never by a scan of the account: a subject erasure is
// one range of the stored normal form's index per (address, column); docs/scaling.md prints these.

describe('deletion-job match plans', () => {
  test('SQLite (EXPLAIN QUERY PLAN)', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'ics-match-plans-'));
    try {
      const plans = await explainSqliteMatchPlans(join(dir, 'plans.sqlite'));
      assert.match(
        plans.subjectFrom,
        /SEARCH i USING (COVERING )?INDEX interactions_from_norm_idx \(account=\? AND connect_from_norm=\?\)/,
      );
      assert.match(
        plans.subjectTo,
        /SEARCH i USING (COVERING )?INDEX interactions_to_norm_idx \(account=\? AND connect_to_norm=\?\)/,
      );
      assert.match(
        plans.subjectFiltered,
        /SEARCH i USING INDEX interactions_from_norm_idx \(account=\? AND connect_from_norm=\? AND start_ms>\?/,
      );
      assert.match(
        plans.window,
        /SEARCH i USING (COVERING )?INDEX interactions_start_idx \(account=\? AND start_ms>\? AND start_ms<\?\)/,
      );
      assert.match(
        plans.agent,
        /SEARCH a USING COVERING INDEX sqlite_autoindex_interaction_agents_1 \(account=\? AND agent_id=\? AND start_ms>\?/,
      );
      for (const [name, plan] of Object.entries(plans)) {
        assert.doesNotMatch(plan, /\bSCAN i\b|\bSCAN a\b/, `${name}: ${plan}`);
        if (name !== 'subjectFiltered')
          assert.doesNotMatch(plan, /TEMP B-TREE/, `${name} is walked in index order`);
      }
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  test('PostgreSQL (EXPLAIN)', async (t) => {
    const db = await createTestDatabase();
    if ('skip' in db) {
      if (process.env.CI === 'true') throw new Error(db.skip);
      t.skip(db.skip);
      return;
    }
    try {
      const plans = await explainPostgresMatchPlans(db.url);
      const usesIndex = (plan: string, index: string) =>
        new RegExp(`(Index Scan|Index Only Scan|Bitmap Index Scan)( Backward)? (using|on) ${index}\\b`).test(
          plan,
        );
      assert.ok(usesIndex(plans.subjectFrom, 'interactions_from_norm_idx'), plans.subjectFrom);
      assert.ok(usesIndex(plans.subjectTo, 'interactions_to_norm_idx'), plans.subjectTo);
      assert.ok(usesIndex(plans.subjectFiltered, 'interactions_from_norm_idx'), plans.subjectFiltered);
      assert.ok(usesIndex(plans.subjectFiltered, 'contents_pk'), plans.subjectFiltered);
      assert.ok(usesIndex(plans.window, 'interactions_start_idx'), plans.window);
      assert.ok(usesIndex(plans.agent, 'interaction_agents_pk'), plans.agent);
      for (const [name, plan] of Object.entries(plans))
        assert.doesNotMatch(plan, /Seq Scan/, `${name}: ${plan}`);
    } finally {
      await db.drop();
    }
  });
});
