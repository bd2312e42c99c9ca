import { execFileSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { createTestDatabase } from '../../test/helpers/postgres.js';
import type { BenchContext } from '../lib/context.js';
import { API, contentPath, type IcsServer, interactionBody, startIcs } from '../lib/ics.js';
import { cannon } from '../lib/load.js';
import { rssBytes, sleep } from '../lib/proc.js';
import type { Figure, Row } from '../lib/report.js';

// Memory over time: a fresh ICS server (SQLite, file blobs) runs 11 rounds of `pgWrites` interaction
// creates, 64 KiB uploads, downloads of those files and deletes, 8 connections. Round 1 warms up;
// the target is that round 11 ends within 20 MiB RSS of where round 2 ended. RSS is read 1 s after
// each round. ICS_BENCH_MEMORY_NODES runs it under other node binaries too: a comma-separated list of
// `binary[@checkout][+postgres]`: a checkout whose node_modules were built for that node (better-sqlite3
// is a native module), or `+postgres` to run that server on a fresh PostgreSQL database instead,
// which never loads the SQLite binding. The default is the bench's own node on SQLite.

const BODY = Buffer.alloc(64 * 1024, 0x5a);
const ROUNDS = 11;
const LIMIT_MIB = 20;
const MiB = 1024 * 1024;

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
    const ics = await startIcs({
      dataDir: join(ctx.workDir, `memory-${i}`),
      node,
      root: root ?? defaultRoot,
      ...(db && { env: { ICS_DATABASE_URL: db.url } }),
    });
    let rss: number[];
    try {
      rss = await rounds(ctx, ics, version);
    } finally {
      await ics.stop();
      await db?.drop().catch(() => undefined);
    }
    const growth = (rss[ROUNDS - 1] - rss[1]) / MiB;
    rows.push({
      measure: `Node ${version}: RSS after round 11 − after round 2`,
      unit: 'MiB',
      ics: growth,
      target: `≤ ${LIMIT_MIB} MiB`,
      verdict: growth <= LIMIT_MIB ? 'PASS' : 'MISS',
      rounds: { ics: rss.map((b) => b / MiB) },
    });
    notes.push(
      `Node ${version}, RSS after each round (MiB): ${rss.map((b) => (b / MiB).toFixed(0)).join(', ')}`,
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

async function rounds(ctx: BenchContext, ics: IcsServer, version: string): Promise<number[]> {
  const n = ctx.params.pgWrites;
  const c = ctx.params.writeConnections;
  const rss: number[] = [];
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
    rss.push(rssBytes(ics.pid));
    ctx.log(`    RSS ${(rss[r] / 1024 / 1024).toFixed(1)} MiB`);
  }
  return rss;
}
