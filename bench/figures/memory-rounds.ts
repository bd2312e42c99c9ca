import { execFileSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { createTestDatabase } from '../../test/helpers/postgres.js';
import type { BenchContext } from '../lib/context.js';
import { API, contentPath, type IcsServer, interactionBody, ROOT, startIcs } from '../lib/ics.js';
import { cannon } from '../lib/load.js';
import { rssBytes, sleep } from '../lib/proc.js';
import type { Figure, Row } from '../lib/report.js';

// Memory over time: a fresh ICS server (SQLite, file blobs) runs 11 rounds of `pgWrites` interaction
// creates, 64 KiB uploads, downloads of those files and deletes, 8 connections. Round 1 warms up;
// the target is that round 11 ends within 20 MiB RSS of where round 2 ended. 1 s after each round
// the bench reads RSS as it is, then asks bench/lib/memory-probe.mjs (loaded into the server with
// --expose-gc) for process.memoryUsage() before and after a forced full GC. The target is on RSS
// after the GC: what the server still holds, not when V8 last happened to collect (RSS as it is
// swung by ±30 MiB from round to round with GC timing, docs/performance.md); the reading without
// GC is reported beside it. ICS_BENCH_MEMORY_NODES runs it under other node binaries too: a comma-separated list of
// `binary[@checkout][+postgres]`: a checkout whose node_modules were built for that node (better-sqlite3
// is a native module), or `+postgres` to run that server on a fresh PostgreSQL database instead,
// which never loads the SQLite binding. The default is the bench's own node on SQLite.

const BODY = Buffer.alloc(64 * 1024, 0x5a);
const ROUNDS = 11;
const LIMIT_MIB = 20;
const MiB = 1024 * 1024;
const PROBE = join(ROOT, 'bench', 'lib', 'memory-probe.mjs');

interface Usage {
  rss: number;
  heapTotal: number;
  heapUsed: number;
  external: number;
  arrayBuffers: number;
}
interface Reading {
  /** VmRSS from /proc, before the probe runs. */
  rss: number;
  before: Usage;
  after: Usage;
  gc: boolean;
}

export async function memoryFigure(ctx: BenchContext, defaultRoot?: string): Promise<Figure> {
  const nodes = (process.env.ICS_BENCH_MEMORY_NODES ?? process.execPath).split(',').filter(Boolean);
  const rows: Row[] = [];
  const notes: string[] = [];
  for (const [i, entry] of nodes.entries()) {
    const onPg = entry.endsWith('+postgres');
    const [node, root] = entry.replace(/\+postgres$/, '').split('@');
    const version = `${execFileSync(node, ['--version'], { encoding: 'utf8' }).trim()}${onPg ? ' on PostgreSQL' : ''}`;
    const db = onPg ? await createTestDatabase() : undefined;
    if (db && 'skip' in db) {
      notes.push(`Node ${version}: skipped, ${db.skip}`);
      continue;
    }
    const probeFile = join(ctx.workDir, `memory-${i}.json`);
    const ics = await startIcs({
      dataDir: join(ctx.workDir, `memory-${i}`),
      node,
      root: root ?? defaultRoot,
      nodeFlags: ['--expose-gc', '--import', PROBE],
      env: { ICS_BENCH_MEMORY_PROBE: probeFile, ...(db && { ICS_DATABASE_URL: db.url }) },
    });
    let readings: Reading[];
    try {
      readings = await rounds(ctx, ics, version, probeFile);
    } finally {
      await ics.stop();
      await db?.drop().catch(() => undefined);
    }
    const series = (pick: (r: Reading) => number) => readings.map((r) => pick(r) / MiB);
    const row = (what: string, values: number[], target: boolean): Row => {
      const growth = values[ROUNDS - 1] - values[1];
      return {
        measure: `Node ${version}: ${what}, after round 11 − after round 2`,
        unit: 'MiB',
        ics: growth,
        target: target ? `≤ ${LIMIT_MIB} MiB` : '—',
        verdict: !target ? 'INFO' : growth <= LIMIT_MIB ? 'PASS' : 'MISS',
        rounds: { ics: values },
      };
    };
    const gcRss = series((r) => r.after.rss);
    rows.push(
      row(
        'RSS after a full GC',
        gcRss,
        readings.every((r) => r.gc),
      ),
    );
    rows.push(
      row(
        'RSS as it is (no GC)',
        series((r) => r.rss),
        false,
      ),
    );
    rows.push(
      row(
        'V8 heap used after GC',
        series((r) => r.after.heapUsed),
        false,
      ),
    );
    rows.push(
      row(
        'external (incl. ArrayBuffers) after GC',
        series((r) => r.after.external),
        false,
      ),
    );
    const list = (values: number[]) => values.map((v) => v.toFixed(0)).join(', ');
    notes.push(
      `Node ${version}, after each round (MiB): RSS as it is ${list(series((r) => r.rss))}; RSS after GC ${list(gcRss)}`,
      `Node ${version}, before GC: heap used ${list(series((r) => r.before.heapUsed))}; external ${list(series((r) => r.before.external))}; of it ArrayBuffers ${list(series((r) => r.before.arrayBuffers))}`,
      `Node ${version}, after GC: heap used ${list(series((r) => r.after.heapUsed))}; heap total ${list(series((r) => r.after.heapTotal))}; external ${list(series((r) => r.after.external))}; of it ArrayBuffers ${list(series((r) => r.after.arrayBuffers))}`,
    );
  }
  return {
    id: 'memory-rounds',
    title: `Memory: RSS over ${ROUNDS} rounds of uploads, downloads and deletes`,
    yardstick: 'the same server after round 2 (round 1 warms up)',
    rows,
    notes: [
      `each round: ${ctx.params.pgWrites} creates, ${ctx.params.pgWrites} × 64 KiB uploads, ${ctx.params.pgWrites} downloads, ${ctx.params.pgWrites} deletes; autocannon, ${ctx.params.writeConnections} connections; RSS read 1 s after the round`,
      ...notes,
    ],
  };
}

/** Asks the server's memory probe for a reading (SIGUSR2) and waits for its file to change. */
async function probe(pid: number, file: string): Promise<Omit<Reading, 'rss'>> {
  const before = statSync(file, { throwIfNoEntry: false })?.mtimeMs ?? 0;
  process.kill(pid, 'SIGUSR2');
  for (let i = 0; i < 500; i++) {
    await sleep(20);
    const at = statSync(file, { throwIfNoEntry: false })?.mtimeMs ?? 0;
    if (at !== before) break;
  }
  await sleep(20);
  return JSON.parse(readFileSync(file, 'utf8')) as Omit<Reading, 'rss'>;
}

async function rounds(
  ctx: BenchContext,
  ics: IcsServer,
  version: string,
  probeFile: string,
): Promise<Reading[]> {
  const n = ctx.params.pgWrites;
  const c = ctx.params.writeConnections;
  const readings: Reading[] = [];
  const sequence = (paths: string[]) => {
    let i = 0;
    return () => paths[i++ % paths.length];
  };
  for (let r = 0; r < ROUNDS; r++) {
    ctx.log(`  memory (Node ${version}) round ${r + 1}/${ROUNDS}`);
    const guids = Array.from({ length: n }, () => randomUUID());
    const bodies = guids.map((g) => JSON.stringify(interactionBody(g)));
    const paths = guids.map((g) => contentPath(g));
    let b = 0;
    const runs = [
      await cannon({
        url: `${ics.url}${API}/interactions`,
        connections: c,
        amount: n,
        method: 'POST',
        headers: { ...ics.headers, 'content-type': 'application/json' },
        nextBody: () => bodies[b++ % n],
      }),
      await cannon({
        url: ics.url,
        connections: c,
        amount: n,
        method: 'PUT',
        headers: { ...ics.headers, 'content-type': 'audio/wav' },
        body: BODY,
        nextPath: sequence(paths),
      }),
      await cannon({
        url: ics.url,
        connections: c,
        amount: n,
        headers: ics.headers,
        nextPath: sequence(paths),
      }),
      await cannon({
        url: ics.url,
        connections: c,
        amount: n,
        method: 'DELETE',
        headers: ics.headers,
        nextPath: sequence(paths),
      }),
    ];
    const failed = runs.reduce((sum, x) => sum + x.failed, 0);
    if (failed > 0) throw new Error(`memory round ${r + 1}: ${failed} requests failed`);
    await sleep(1000);
    const rss = rssBytes(ics.pid);
    const reading = { rss, ...(await probe(ics.pid, probeFile)) };
    readings.push(reading);
    const mib = (b: number) => (b / MiB).toFixed(1);
    ctx.log(
      `    RSS ${mib(rss)} MiB; after GC ${mib(reading.after.rss)} MiB (heap used ${mib(reading.before.heapUsed)} → ${mib(reading.after.heapUsed)}, external ${mib(reading.before.external)} → ${mib(reading.after.external)})`,
    );
  }
  return readings;
}
