import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { BenchContext } from '../lib/context.js';
import { API, type IcsServer, ROOT } from '../lib/ics.js';
import { cannon } from '../lib/load.js';
import { cpuSeconds, freePort, startBackground } from '../lib/proc.js';
import { type Figure, median, percentile, ratioRow } from '../lib/report.js';

// GET /interactions/{guid} with a bearer token (verified on every request, through the verifier's
// cache as in production) against a bare Fastify route answering the same JSON from memory.

export async function metadataFigure(ctx: BenchContext, ics: IcsServer, guid: string): Promise<Figure> {
  const { params } = ctx;
  const path = `${API}/interactions/${guid}`;
  const res = await fetch(`${ics.url}${path}`, { headers: ics.headers });
  if (!res.ok) throw new Error(`GET ${path}: ${res.status}`);
  const json = await res.text();
  const jsonFile = join(ctx.workDir, 'metadata.json');
  writeFileSync(jsonFile, json);

  // Two bare processes: the yardstick (JSON from memory) and the floor, which also reads the same
  // rows from ICS's SQLite file on each request with a plain better-sqlite3 statement.
  const startBare = async (withRead: boolean) => {
    const port = await freePort();
    const url = `http://127.0.0.1:${port}`;
    const extra = withRead ? [join(ics.dataDir, 'ics.sqlite'), 'default', guid] : [];
    const proc = await startBackground(
      process.execPath,
      ['--import', 'tsx', 'bench/servers/bare.ts', jsonFile, String(port), ...extra],
      { cwd: ROOT, ready: async () => (await fetch(`${url}/healthz`)).ok },
    );
    const check = await (await fetch(`${url}${path}`)).text();
    if (check !== json) throw new Error('the bare route does not answer the same JSON');
    return { url, pid: proc.pid, stop: () => proc.stop() };
  };
  const bare = await startBare(false);
  const floor = await startBare(true);

  type Side = 'ics' | 'bare' | 'floor';
  const servers = { ics, bare, floor };
  const run = (side: Side, seconds = params.metaSeconds) =>
    cannon({
      url: `${servers[side].url}${path}`,
      connections: params.metaConnections,
      duration: seconds,
      headers: side === 'ics' ? ics.headers : undefined,
    });
  // Server CPU per request: a client-independent view (the load generator shares the two cores).
  const cpuUs: Record<Side, number[]> = { ics: [], bare: [], floor: [] };
  const rps: Record<Side, number[]> = { ics: [], bare: [], floor: [] };
  const p99: Record<Side, number[]> = { ics: [], bare: [], floor: [] };
  let failed = 0;
  try {
    // Warm-up: JIT, caches, the token verifier's first verification.
    for (const side of ['ics', 'bare', 'floor'] as const) await run(side, 1);
    for (let r = 0; r < params.rounds; r++) {
      const sides: Side[] = ['ics', 'bare', 'floor'];
      for (const side of r % 2 === 0 ? sides : sides.reverse()) {
        ctx.log(`  metadata round ${r + 1}/${params.rounds}: ${side}`);
        const pid = servers[side].pid;
        const cpu0 = cpuSeconds(pid);
        const out = await run(side);
        cpuUs[side].push(((cpuSeconds(pid) - cpu0) * 1e6) / out.ok);
        failed += out.failed;
        rps[side].push(out.rps);
        p99[side].push(percentile(out.latenciesMs, 99));
      }
    }
  } finally {
    await bare.stop();
    await floor.stop();
  }
  return {
    id: 'metadata',
    title: 'Metadata: GET /interactions/{guid} with token verification',
    yardstick: 'bare Fastify route, same path, same JSON from memory, no auth (own process)',
    rows: [
      ratioRow({ measure: 'requests/s', unit: 'req/s', ics: rps.ics, yardstick: rps.bare, min: 0.6 }),
      ratioRow({ measure: 'p99 latency', unit: 'ms', ics: p99.ics, yardstick: p99.bare }),
      ratioRow({
        measure: 'requests/s vs bare + SQLite read (floor)',
        unit: 'req/s',
        ics: rps.ics,
        yardstick: rps.floor,
      }),
    ],
    notes: [
      `autocannon, ${params.metaConnections} connections, ${params.metaSeconds} s per run, ${params.rounds} interleaved rounds after a warm-up; ${json.length} B body`,
      `server CPU per request (user+sys, all threads): ICS ${median(cpuUs.ics).toFixed(0)} µs, bare ${median(cpuUs.bare).toFixed(0)} µs, bare + SQLite read ${median(cpuUs.floor).toFixed(0)} µs`,
      'floor (informational): the bare route that also runs one better-sqlite3 statement per request reading the same interaction and content rows from the ICS database file (no auth, no Kysely, no schema)',
      ...(failed > 0 ? [`${failed} non-2xx or failed requests`] : []),
    ],
  };
}
