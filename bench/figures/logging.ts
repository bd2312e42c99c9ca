import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import type { BenchContext } from '../lib/context.js';
import { API, contentPath, createInteraction, type IcsServer, startIcs } from '../lib/ics.js';
import { cannon } from '../lib/load.js';
import { cpuSeconds } from '../lib/proc.js';
import { type Figure, median, ratioRow } from '../lib/report.js';

// What the default log level costs: two ICS servers of the same build, one at ICS_LOG_LEVEL=info
// (the default, one line per request) and one at warn (no per-request line), each on its own data
// directory with the same interaction, serve GET /interactions/{guid} with a bearer token in turns.
// Their stdout is a pipe the bench process reads, as a log shipper would; that reading happens on
// the load generator's side, so if anything the info side is measured low.

export async function loggingFigure(ctx: BenchContext, root?: string): Promise<Figure> {
  const { params } = ctx;
  const guid = randomUUID();
  const path = `${API}/interactions/${guid}`;
  const start = (level: string) =>
    startIcs({ dataDir: join(ctx.workDir, `log-${level}`), env: { ICS_LOG_LEVEL: level }, root });
  const servers: Record<'info' | 'warn', IcsServer> = {
    info: await start('info'),
    warn: await start('warn'),
  };
  const rps = { info: [] as number[], warn: [] as number[] };
  const cpuUs = { info: [] as number[], warn: [] as number[] };
  const rounds = params.rounds * 2;
  let failed = 0;
  try {
    for (const s of Object.values(servers)) {
      await createInteraction(s, guid);
      const put = await fetch(`${s.url}${contentPath(guid)}`, {
        method: 'PUT',
        headers: { ...s.headers, 'content-type': 'audio/wav' },
        body: Buffer.alloc(4096, 1),
      });
      if (!put.ok) throw new Error(`upload: ${put.status}`);
    }
    const run = (side: 'info' | 'warn', seconds = params.metaSeconds) =>
      cannon({
        url: `${servers[side].url}${path}`,
        connections: params.metaConnections,
        duration: seconds,
        headers: servers[side].headers,
      });
    for (const side of ['info', 'warn'] as const) await run(side, 1);
    for (let r = 0; r < rounds; r++) {
      for (const side of r % 2 === 0 ? (['info', 'warn'] as const) : (['warn', 'info'] as const)) {
        ctx.log(`  logging round ${r + 1}/${rounds}: ICS_LOG_LEVEL=${side}`);
        const cpu0 = cpuSeconds(servers[side].pid);
        const out = await run(side);
        cpuUs[side].push(((cpuSeconds(servers[side].pid) - cpu0) * 1e6) / out.ok);
        rps[side].push(out.rps);
        failed += out.failed;
      }
    }
  } finally {
    await servers.info.stop();
    await servers.warn.stop();
  }
  const perRequest = (xs: number[]) => `${median(xs).toFixed(0)} µs`;
  return {
    id: 'logging',
    title: 'Logging: metadata throughput at the default ICS_LOG_LEVEL=info ÷ at warn',
    yardstick: 'the same build at ICS_LOG_LEVEL=warn, its own data directory, in turns',
    labels: ['info', 'warn'],
    rows: [
      ratioRow({
        measure: 'GET /interactions/{guid}',
        unit: 'req/s',
        ics: rps.info,
        yardstick: rps.warn,
        min: 0.95,
      }),
      ratioRow({
        measure: 'server CPU per request (lower is better)',
        unit: 'µs',
        ics: cpuUs.info,
        yardstick: cpuUs.warn,
      }),
    ],
    notes: [
      `autocannon, ${params.metaConnections} connections, ${params.metaSeconds} s per run, ${rounds} interleaved rounds after a warm-up; server CPU per request info ${perRequest(cpuUs.info)}, warn ${perRequest(cpuUs.warn)}`,
      ...(failed > 0 ? [`${failed} non-2xx or failed requests`] : []),
    ],
  };
}
