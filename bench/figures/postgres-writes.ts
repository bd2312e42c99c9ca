import { randomUUID } from 'node:crypto';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { createTestDatabase } from '../../test/helpers/postgres.js';
import type { BenchContext } from '../lib/context.js';
import { API, contentPath, type IcsServer, interactionBody, ROOT, startIcs } from '../lib/ics.js';
import { cannon } from '../lib/load.js';
import { cpuSeconds, sleep } from '../lib/proc.js';
import { type Figure, median, ratioRow } from '../lib/report.js';

// ICS on PostgreSQL (+ file blobs) against ICS on SQLite, the same load on both, in one run:
// 64 KiB uploads into interactions created beforehand (untimed), then DELETE of those items, with
// `writeConnections` concurrent clients. The SQLite side is the run's shared server. Sides take turns,
// in reverse order every other round. In the Supabase Storage comparison of issue 14, the peer ran at
// about 0.84 × (deletes) and 0.78 × (uploads) ICS-on-SQLite's rate, so ≥ 1.0 × here is ahead of it.
// The PostgreSQL server loads bench/lib/pg-query-counter.mjs, which counts statements and round
// trips; the figure reports them per request of each phase.

const BODY = Buffer.alloc(64 * 1024, 0x5a);
const COUNTER = join(ROOT, 'bench', 'lib', 'pg-query-counter.mjs');

interface Counts {
  statements: number;
  trips: number;
  kinds: Record<string, number>;
}

export async function postgresWriteFigure(
  ctx: BenchContext,
  sqlite: IcsServer,
  root?: string,
): Promise<Figure> {
  const { params } = ctx;
  const n = params.pgWrites;
  const c = params.writeConnections;
  const db = await createTestDatabase();
  if ('skip' in db) {
    ctx.log(`  postgres figure skipped: ${db.skip}`);
    return {
      id: 'postgres-writes',
      title: 'ICS on PostgreSQL ÷ ICS on SQLite: 64 KiB uploads and deletes',
      yardstick: 'ICS on SQLite',
      rows: [],
      notes: [`skipped: ${db.skip}`],
    };
  }
  const countsFile = join(ctx.workDir, 'pg-counts.json');
  const pg = await startIcs({
    dataDir: join(ctx.workDir, 'pg-data'),
    // The same checkout as the SQLite side (--ics-root), so a before/after run compares one build.
    root,
    env: { ICS_DATABASE_URL: db.url, ICS_BENCH_PG_COUNTS: countsFile },
    nodeFlags: ['--import', COUNTER],
    profileDir: ctx.profileDir,
  });
  const snapshot = async (): Promise<Counts> => {
    const before = statSync(countsFile, { throwIfNoEntry: false })?.mtimeMs ?? 0;
    process.kill(pg.pid, 'SIGUSR2');
    for (let i = 0; i < 100; i++) {
      const at = statSync(countsFile, { throwIfNoEntry: false })?.mtimeMs ?? 0;
      if (at !== before) break;
      await sleep(20);
    }
    await sleep(20);
    return JSON.parse(readFileSync(countsFile, 'utf8')) as Counts;
  };
  const perPhase: Record<'upload' | 'delete', Counts[]> = { upload: [], delete: [] };
  const diff = (a: Counts, b: Counts): Counts => ({
    statements: b.statements - a.statements,
    trips: b.trips - a.trips,
    kinds: Object.fromEntries(
      Object.entries(b.kinds)
        .map(([k, v]) => [k, v - (a.kinds[k] ?? 0)] as const)
        .filter(([, v]) => v > 0),
    ),
  });

  // CPU seconds per timed phase (Linux /proc): each side's ICS server (both its threads), and the
  // PostgreSQL backends serving the bench database, which the PostgreSQL side pays on top.
  const dbName = new URL(db.url).pathname.slice(1);
  const backends = (): Map<number, number> => {
    const out = new Map<number, number>();
    let pids: string[] = [];
    try {
      pids = readdirSync('/proc').filter((d) => /^\d+$/.test(d));
    } catch {
      return out;
    }
    for (const d of pids) {
      try {
        const cmd = readFileSync(`/proc/${d}/cmdline`, 'utf8');
        if (cmd.startsWith('postgres: ') && cmd.includes(` ${dbName} `))
          out.set(Number(d), cpuSeconds(Number(d)));
      } catch {
        // gone meanwhile
      }
    }
    return out;
  };
  const cpu: Record<'upload' | 'delete', { sqlite: number[]; pg: number[]; backends: number[] }> = {
    upload: { sqlite: [], pg: [], backends: [] },
    delete: { sqlite: [], pg: [], backends: [] },
  };
  const sides = { sqlite, pg };
  const rates = {
    upload: { sqlite: [] as number[], pg: [] as number[] },
    delete: { sqlite: [] as number[], pg: [] as number[] },
  };
  let failed = 0;
  const sequence = (paths: string[]) => {
    let i = 0;
    return () => paths[i++ % paths.length];
  };
  try {
    for (let r = 0; r < params.rounds; r++) {
      const order: ('sqlite' | 'pg')[] = r % 2 === 0 ? ['pg', 'sqlite'] : ['sqlite', 'pg'];
      const paths: Record<string, string[]> = {};
      for (const side of order) {
        const ics = sides[side];
        const guids = Array.from({ length: n }, () => randomUUID());
        const bodies = guids.map((g) => JSON.stringify(interactionBody(g)));
        let b = 0;
        const setup = await cannon({
          url: `${ics.url}${API}/interactions`,
          connections: c,
          amount: n,
          method: 'POST',
          headers: { ...ics.headers, 'content-type': 'application/json' },
          nextBody: () => bodies[b++ % n],
        });
        if (setup.failed > 0) throw new Error(`${setup.failed} of ${n} interaction creates failed (${side})`);
        paths[side] = guids.map((g) => contentPath(g));
      }
      for (const phase of ['upload', 'delete'] as const) {
        for (const side of order) {
          const ics = sides[side];
          ctx.log(`  postgres round ${r + 1}/${params.rounds}: ${n} ${phase}s, ICS on ${side}`);
          const before = side === 'pg' ? await snapshot() : undefined;
          const cpu0 = cpuSeconds(ics.pid);
          const db0 = side === 'pg' ? backends() : undefined;
          const out = await cannon({
            url: ics.url,
            connections: c,
            amount: n,
            method: phase === 'upload' ? 'PUT' : 'DELETE',
            headers:
              phase === 'upload' ? { ...ics.headers, 'content-type': 'audio/wav' } : { ...ics.headers },
            ...(phase === 'upload' && { body: BODY }),
            nextPath: sequence(paths[side]),
          });
          cpu[phase][side].push(cpuSeconds(ics.pid) - cpu0);
          if (db0) {
            let used = 0;
            for (const [pid, t] of backends()) used += t - (db0.get(pid) ?? 0);
            cpu[phase].backends.push(used);
          }
          if (before) perPhase[phase].push(diff(before, await snapshot()));
          failed += out.failed;
          rates[phase][side].push(out.rps);
        }
      }
    }
  } finally {
    await pg.stop();
    await db.drop().catch(() => undefined);
  }
  const per = (phase: 'upload' | 'delete') => {
    // The last round's counts (the first may include connection set-up and cold statements).
    const last = perPhase[phase].at(-1);
    if (!last) return 'no counts';
    const each = (x: number) => (x / n).toFixed(2).replace(/\.00$/, '');
    const kinds = Object.entries(last.kinds)
      .sort((a, b) => b[1] - a[1])
      .map(([k, v]) => `${k} ${each(v)}`)
      .join(', ');
    return `per ${phase}: ${each(last.statements)} statements in ${each(last.trips)} round trips (${kinds})`;
  };
  const cpuPer = (phase: 'upload' | 'delete') => {
    const ms = (xs: number[]) => ((median(xs) * 1000) / n).toFixed(2);
    const c = cpu[phase];
    return `CPU per ${phase} (median of the rounds, ms): ICS on SQLite ${ms(c.sqlite)}; ICS on PostgreSQL ${ms(c.pg)} + its PostgreSQL backends ${ms(c.backends)}`;
  };
  return {
    id: 'postgres-writes',
    title: 'ICS on PostgreSQL (+ file blobs) ÷ ICS on SQLite: 64 KiB uploads and deletes',
    yardstick: 'ICS on SQLite (file blobs), the same server build, load and client in the same run',
    labels: ['ICS on PostgreSQL', 'ICS on SQLite'],
    rows: [
      ratioRow({
        measure: '64 KiB uploads',
        unit: 'uploads/s',
        ics: rates.upload.pg,
        yardstick: rates.upload.sqlite,
        min: 1,
      }),
      ratioRow({
        measure: 'deletes',
        unit: 'deletes/s',
        ics: rates.delete.pg,
        yardstick: rates.delete.sqlite,
        min: 1,
      }),
    ],
    notes: [
      `autocannon, ${c} connections, ${n} uploads then ${n} deletes per side per round, ${params.rounds} interleaved rounds; PostgreSQL at ${new URL(db.url).host}, pool ${process.env.ICS_DATABASE_POOL_SIZE ?? 'default'}`,
      per('upload'),
      per('delete'),
      cpuPer('upload'),
      cpuPer('delete'),
      ...(failed > 0 ? [`${failed} failed requests`] : []),
    ],
  };
}
