import { existsSync } from 'node:fs';
import { join } from 'node:path';
import Sqlite from 'better-sqlite3';
import { Kysely, SqliteDialect } from 'kysely';
import { type MatchPageQuery, matchPageQuery } from '../../src/deletion-jobs/match-query.js';
import type { Database } from '../../src/metadata/db-schema.js';
import type { BenchContext } from '../lib/context.js';
import { type Figure, median, percentile, type Row } from '../lib/report.js';
import { seedDataset } from '../seed-dataset.js';

// Subject erasure's match: a deletion job for one address walks two indexes (connect_from_norm and
// connect_to_norm, src/deletion-jobs/match-query.ts). Timed on the seeded dataset (1,000,000
// interactions in full mode) with the job's own query builder, per address: build + compile the
// query, prepare it, run it, for both walks (what KyselyDeletionJobStore.matchPage does). Target:
// under 50 ms. Each time is also taken in CPU time (process.cpuUsage): a wall time far above its CPU
// time is the process waiting (for a core, or for the disk), not query work.
// ICS_BENCH_SEEDED_DIR reuses a directory seeded by `bench/seed-dataset.ts --dir DIR`.

const ADDRESSES = 1000;

/** The connectFrom of seeded interaction i (bench/seed-dataset.ts). */
const seededAddress = (i: number) => `+4420${String(7_000_000 + (i % 900_000)).padStart(8, '0')}`;

export async function subjectMatchFigure(ctx: BenchContext): Promise<Figure> {
  const seeded = process.env.ICS_BENCH_SEEDED_DIR;
  let dataDir = join(ctx.workDir, 'subject-match');
  let count = ctx.params.seedCount;
  if (seeded && existsSync(join(seeded, 'ics.sqlite'))) {
    dataDir = seeded;
    ctx.log(`subject match: the dataset in ${seeded}`);
  } else {
    ctx.log(`subject match: seeding ${count.toLocaleString('en-US')} interactions …`);
    await seedDataset({ dataDir, count });
  }
  const file = new Sqlite(join(dataDir, 'ics.sqlite'), { readonly: true });
  count = (file.prepare(`select count(*) as n from interactions`).get() as { n: number }).n;
  const db = new Kysely<Database>({ dialect: new SqliteDialect({ database: file }) });
  const addresses = Array.from({ length: ADDRESSES }, (_, i) =>
    seededAddress((i * 15_485_863) % Math.min(count, 900_000)),
  );
  const queryOf = (address: string, column: 'from' | 'to'): MatchPageQuery => ({
    account: 'default',
    match: { addresses: [address] },
    walk: { kind: 'address', column, address },
    limit: 500,
  });
  const pass = () => {
    const wall: number[] = [];
    const cpu: number[] = [];
    let found = 0;
    for (const address of addresses) {
      const c0 = process.cpuUsage();
      const t0 = performance.now();
      for (const column of ['from', 'to'] as const) {
        const c = matchPageQuery(db, queryOf(address, column)).compile();
        found += file.prepare(c.sql).all(...(c.parameters as unknown[])).length;
      }
      wall.push(performance.now() - t0);
      const used = process.cpuUsage(c0);
      cpu.push((used.user + used.system) / 1000);
    }
    if (found < addresses.length)
      throw new Error(`only ${found} interactions for ${addresses.length} addresses`);
    return { wall, cpu, found };
  };
  const cold = pass(); // a fresh connection: SQLite's page cache starts empty
  const warm = pass();
  const plans = (['from', 'to'] as const).map((column) => {
    const c = matchPageQuery(db, queryOf(addresses[0], column)).compile();
    return (
      file.prepare(`explain query plan ${c.sql}`).all(...(c.parameters as unknown[])) as { detail: string }[]
    )
      .map((r) => r.detail)
      .join('; ');
  });
  file.close();

  const row = (name: string, r: { wall: number[]; cpu: number[] }): Row => {
    const max = Math.max(...r.wall);
    const slow = r.wall.map((w, i) => ({ w, c: r.cpu[i] })).filter((x) => x.w >= 50);
    return {
      measure: `subject erasure, ${name}: find one address's interactions (both walks) of ${count.toLocaleString('en-US')}`,
      unit: 'ms (median; p99, max in note)',
      ics: median(r.wall),
      target: '< 50 ms',
      verdict: max < 50 ? 'PASS' : 'MISS',
      rounds: { ics: r.wall },
      note:
        `p99 ${percentile(r.wall, 99).toFixed(2)} ms, max ${max.toFixed(2)} ms over ${r.wall.length} addresses; ` +
        `CPU median ${median(r.cpu).toFixed(2)} ms, max ${Math.max(...r.cpu).toFixed(2)} ms` +
        (slow.length > 0
          ? `; ${slow.length} at ≥ 50 ms, their CPU ${slow.map((x) => x.c.toFixed(1)).join(', ')} ms`
          : ''),
    };
  };
  return {
    id: 'subject-match',
    title: 'Subject erasure: the match of one address (two index walks) on the seeded dataset',
    yardstick: '— (absolute target: under 50 ms)',
    rows: [row('first pass (fresh connection)', cold), row('second pass', warm)],
    notes: [
      `plans: from-walk: ${plans[0]} | to-walk: ${plans[1]}`,
      `${cold.found} interactions found per pass`,
    ],
  };
}
