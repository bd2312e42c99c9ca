import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { type BenchContext, MiB, makeFile } from '../lib/context.js';
import { blobKeyOf, contentPath, createInteraction, type IcsServer, uploadFile } from '../lib/ics.js';
import { wrk } from '../lib/load.js';
import { startNginx } from '../lib/nginx.js';
import { startPlainStore } from '../lib/plain-store.js';
import { cpuSeconds, ensureDebianTool, rssBytes, sampleRss } from '../lib/proc.js';
import { type Figure, median, type Row, ratioRow } from '../lib/report.js';

// Download throughput of the very same files from ICS and from nginx (sendfile), with wrk; then
// ICS's peak RSS while 32 clients download the 256 MiB recording.

interface Case {
  name: string;
  connections: number;
  big: boolean;
  range?: number;
}

export async function downloadFigures(ctx: BenchContext, ics: IcsServer): Promise<Figure[]> {
  const { params } = ctx;
  // Both figures need wrk as the client (see lib/load.ts for why not autocannon).
  const noWrk = ensureDebianTool('wrk', 'wrk', ctx.log);
  if (noWrk) {
    ctx.log(`  SKIP download and memory figures: ${noWrk}`);
    const skipped = (id: string, title: string): Figure => ({
      id,
      title,
      yardstick: `skipped: ${noWrk}`,
      rows: [{ measure: title, unit: '', ics: Number.NaN, target: '', verdict: 'SKIP' }],
      notes: [],
    });
    return [
      skipped('download', 'Download throughput'),
      skipped('memory', 'Memory: peak RSS under downloads'),
    ];
  }
  ctx.log(`  uploading fixtures: 1 × ${params.bigMiB} MiB, ${params.smallFiles} × ${params.smallMiB} MiB`);
  const bigFile = join(ctx.workDir, 'big.bin');
  const smallFile = join(ctx.workDir, 'small.bin');
  makeFile(bigFile, params.bigMiB * MiB);
  makeFile(smallFile, params.smallMiB * MiB);
  const upload = async (file: string) => {
    const guid = randomUUID();
    await createInteraction(ics, guid);
    await uploadFile(ics, guid, file);
    return { icsPath: contentPath(guid), nginxPath: `/${blobKeyOf(ics, guid)}` };
  };
  const big = await upload(bigFile);
  const smalls: { icsPath: string; nginxPath: string }[] = [];
  for (let i = 0; i < params.smallFiles; i++) smalls.push(await upload(smallFile));

  const nginx = await startNginx(ics.blobsRoot, ctx.workDir, ctx.log);
  // The floor Node itself sets: node:http + a file stream, no auth, database or framework.
  const bare = await startPlainStore(ctx, 'bare-node', ics.blobsRoot);
  const skip = typeof nginx === 'string' ? nginx : undefined;
  if (skip) ctx.log(`  SKIP nginx yardstick: ${skip}`);

  const cases: Case[] = [
    { name: `1 client, ${params.bigMiB} MiB file`, connections: 1, big: true },
    { name: `32 clients, ${params.smallMiB} MiB files, full`, connections: 32, big: false },
    {
      name: `32 clients, ${params.smallMiB} MiB files, 1 MiB Range`,
      connections: 32,
      big: false,
      range: MiB,
    },
  ];
  type Side = 'ics' | 'nginx' | 'node';
  const results = cases.map(() => ({
    ics: [] as number[],
    nginx: [] as number[],
    node: [] as number[],
    icsCpu: [] as number[],
    nginxCpu: [] as number[],
    nodeCpu: [] as number[],
  }));
  let errors = 0;
  const measure = async (c: Case, side: Side, seconds = params.downloadSeconds) => {
    const server =
      side === 'ics'
        ? { url: ics.url, pid: ics.pid }
        : side === 'node'
          ? bare
          : typeof nginx === 'string'
            ? { url: '', pid: 0 }
            : nginx;
    const pathOf = (f: { icsPath: string; nginxPath: string }) =>
      side === 'ics' ? f.icsPath : side === 'node' ? `/b${f.nginxPath}` : f.nginxPath;
    const base = server.url;
    const pid = server.pid;
    const paths = c.big ? [pathOf(big)] : smalls.map(pathOf);
    const cpu0 = cpuSeconds(pid);
    const out = await wrk({
      base,
      paths,
      connections: c.connections,
      seconds,
      headers: side === 'ics' ? { authorization: ics.headers.authorization } : {},
      range: c.range ? { bytes: c.range, fileSize: params.smallMiB * MiB } : undefined,
      scriptFile: join(ctx.workDir, `wrk-${side}.lua`),
    });
    errors += out.errors;
    const gib = (out.bytesPerSec * out.seconds) / 1024 ** 3;
    return { mbs: out.bytesPerSec / 1e6, cpuPerGiB: (cpuSeconds(pid) - cpu0) / gib };
  };

  // Warm-up (page cache, JIT), then interleaved rounds.
  const sides: Side[] = skip ? ['ics', 'node'] : ['ics', 'nginx', 'node'];
  // Quick mode warms up ICS only (its JIT and caches matter most), to stay under two minutes.
  for (const c of cases)
    for (const side of sides) if (side === 'ics' || params.mode === 'full') await measure(c, side, 1);
  for (let r = 0; r < params.rounds; r++) {
    for (const [i, c] of cases.entries()) {
      const order = r % 2 === 0 ? sides : [...sides].reverse();
      for (const side of order) {
        ctx.log(`  download round ${r + 1}/${params.rounds}: ${c.name}, ${side}`);
        const m = await measure(c, side);
        results[i][side].push(m.mbs);
        results[i][`${side}Cpu`].push(m.cpuPerGiB);
      }
    }
  }
  await bare.stop();

  ctx.log(`  memory: 32 clients on the ${params.bigMiB} MiB file for ${params.memorySeconds} s`);
  const idleMiB = rssBytes(ics.pid) / MiB;
  const sampler = sampleRss(ics.pid);
  const memRun = await wrk({
    base: ics.url,
    paths: [big.icsPath],
    connections: 32,
    seconds: params.memorySeconds,
    headers: { authorization: ics.headers.authorization },
    scriptFile: join(ctx.workDir, 'wrk-mem.lua'),
  });
  const mem = sampler.stop();
  if (typeof nginx !== 'string') await nginx.stop();

  const rows: Row[] = [
    ...cases.map((c, i) =>
      ratioRow({
        measure: c.name,
        unit: 'MB/s',
        ics: results[i].ics,
        yardstick: skip ? undefined : results[i].nginx,
        min: 0.8,
      }),
    ),
    ...cases.map((c, i) =>
      ratioRow({
        measure: `${c.name}: vs bare Node (floor)`,
        unit: 'MB/s',
        ics: results[i].ics,
        yardstick: results[i].node,
      }),
    ),
  ];
  const cpuNotes = cases.map(
    (c, i) =>
      `server CPU per GiB served, ${c.name}: ICS ${median(results[i].icsCpu).toFixed(2)} s, nginx ${skip ? '—' : median(results[i].nginxCpu).toFixed(2)} s, bare Node ${median(results[i].nodeCpu).toFixed(2)} s`,
  );
  const peakMiB = mem.peakBytes / MiB;
  return [
    {
      id: 'download',
      title: 'Download throughput (same files, same client)',
      yardstick: skip
        ? `nginx — skipped: ${skip}`
        : 'nginx (Debian nginx-light), sendfile on, 1 worker, serving the ICS blob files',
      rows,
      notes: [
        `wrk, 1 thread, ${params.downloadSeconds} s per run, ${params.rounds} interleaved rounds after a warm-up; MB = 10^6 bytes; files in page cache`,
        'Range case: random 1 MiB ranges; 32-client cases rotate over the files',
        'bare Node (floor, informational): bench/servers/plain-store.ts serving the same files with node:http and fs.createReadStream, ICS read sizes, no auth, database or framework',
        ...cpuNotes,
        ...(errors > 0 ? [`${errors} wrk errors (non-2xx, timeouts, socket errors)`] : []),
      ],
    },
    {
      id: 'memory',
      title: `Memory: ICS peak RSS while 32 clients download the ${params.bigMiB} MiB recording`,
      yardstick: 'none (absolute target)',
      rows: [
        {
          measure: 'peak RSS',
          unit: 'MiB',
          ics: peakMiB,
          target: '< 200 MiB',
          verdict: peakMiB < 200 ? 'PASS' : 'MISS',
        },
      ],
      notes: [
        `RSS just before the load: ${idleMiB.toFixed(0)} MiB (the server runs the compiled build, as npm start does)`,
        `wrk, 32 connections, ${params.memorySeconds} s (${(memRun.bytesPerSec / 1e6).toFixed(0)} MB/s, ${memRun.requests} complete downloads); VmRSS sampled every 20 ms and VmHWM after resetting it through /proc/<pid>/clear_refs${mem.hwmBytes === undefined ? ' (reset unavailable: sampled only)' : ''}`,
      ],
    },
  ];
}
