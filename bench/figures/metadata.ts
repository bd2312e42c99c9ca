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

  const port = await freePort();
  const bareUrl = `http://127.0.0.1:${port}`;
  const bare = await startBackground(
    process.execPath,
    ['--import', 'tsx', 'bench/servers/bare.ts', jsonFile, String(port)],
    {
      cwd: ROOT,
      ready: async () => (await fetch(`${bareUrl}/healthz`)).ok,
    },
  );
  const check = await (await fetch(`${bareUrl}${path}`)).text();
  if (check !== json) throw new Error('the bare route does not answer the same JSON');

  const run = (url: string, headers?: Record<string, string>, seconds = params.metaSeconds) =>
    cannon({ url: `${url}${path}`, connections: params.metaConnections, duration: seconds, headers });
  // Server CPU per request: a client-independent view (the load generator shares the two cores).
  const cpuUs = { ics: [] as number[], bare: [] as number[] };
  const icsRps: number[] = [];
  const bareRps: number[] = [];
  const icsP99: number[] = [];
  const bareP99: number[] = [];
  let failed = 0;
  try {
    // Warm-up: JIT, caches, the token verifier's first verification.
    await run(ics.url, ics.headers, 1);
    await run(bareUrl, undefined, 1);
    for (let r = 0; r < params.rounds; r++) {
      const order = r % 2 === 0 ? ['ics', 'bare'] : ['bare', 'ics'];
      for (const side of order) {
        ctx.log(`  metadata round ${r + 1}/${params.rounds}: ${side}`);
        const pid = side === 'ics' ? ics.pid : bare.pid;
        const cpu0 = cpuSeconds(pid);
        const out = side === 'ics' ? await run(ics.url, ics.headers) : await run(bareUrl);
        cpuUs[side as 'ics' | 'bare'].push(((cpuSeconds(pid) - cpu0) * 1e6) / out.ok);
        failed += out.failed;
        (side === 'ics' ? icsRps : bareRps).push(out.rps);
        (side === 'ics' ? icsP99 : bareP99).push(percentile(out.latenciesMs, 99));
      }
    }
  } finally {
    await bare.stop();
  }
  return {
    id: 'metadata',
    title: 'Metadata: GET /interactions/{guid} with token verification',
    yardstick: 'bare Fastify route, same path, same JSON from memory, no auth (own process)',
    rows: [
      ratioRow({ measure: 'requests/s', unit: 'req/s', ics: icsRps, yardstick: bareRps, min: 0.6 }),
      ratioRow({ measure: 'p99 latency', unit: 'ms', ics: icsP99, yardstick: bareP99 }),
    ],
    notes: [
      `autocannon, ${params.metaConnections} connections, ${params.metaSeconds} s per run, ${params.rounds} interleaved rounds after a warm-up; ${json.length} B body`,
      `server CPU per request (user+sys, all threads): ICS ${median(cpuUs.ics).toFixed(0)} µs, bare ${median(cpuUs.bare).toFixed(0)} µs`,
      ...(failed > 0 ? [`${failed} non-2xx or failed requests`] : []),
    ],
  };
}
