import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { deletionJobFigure } from './figures/deletion-jobs.js';
import { downloadFigures } from './figures/download.js';
import { exportFigure } from './figures/export.js';
import { importFigure } from './figures/import.js';
import { largeUploadRows } from './figures/large-upload.js';
import { loggingFigure } from './figures/logging.js';
import { memoryFigure } from './figures/memory-rounds.js';
import { metadataFigure } from './figures/metadata.js';
import { postgresWriteFigure } from './figures/postgres-writes.js';
import { retentionFigure } from './figures/retention.js';
import { searchFigure } from './figures/search.js';
import { smallFileFigures } from './figures/small-files.js';
import { subjectMatchFigure } from './figures/subject-match.js';
import { webhooksFigure } from './figures/webhooks.js';
import { type BenchContext, FULL, QUICK } from './lib/context.js';
import { type IcsServer, ROOT, startIcs } from './lib/ics.js';
import { run } from './lib/proc.js';
import { type Figure, formatFigure, summaryLine } from './lib/report.js';
import { seedDataset } from './seed-dataset.js';

// `npm run bench [-- --quick] [-- --only download,search] [-- --profile] [-- --keep] [-- --ics-root DIR]`
// --ics-root runs the server from another checkout (with node_modules), e.g. a `git worktree` of the
// commit before a change, for before/after figures.
// Every figure is measured side by side with its yardstick in the same run, in interleaved rounds,
// and reported as medians and ratios. Results: the tables on stdout and bench/.work/results.json.

const GROUPS = [
  'metadata',
  'search',
  'download',
  'small-files',
  'postgres',
  'logging',
  'memory',
  'large-upload',
  'import',
  'export',
  'webhooks',
  'deletion-jobs',
  'retention',
  'subject-match',
] as const;

const { values } = parseArgs({
  options: {
    quick: { type: 'boolean', default: false },
    only: { type: 'string' },
    profile: { type: 'boolean', default: false },
    keep: { type: 'boolean', default: false },
    'ics-root': { type: 'string' },
    // Interactions per side of the deletion-jobs figure (default 100,000; 10,000 with --quick).
    'deletion-items': { type: 'string' },
  },
});
const params = values.quick ? QUICK : FULL;
const only = new Set(values.only ? values.only.split(',') : GROUPS);
for (const o of only)
  if (!(GROUPS as readonly string[]).includes(o)) throw new Error(`--only takes ${GROUPS.join(', ')}`);

const benchWork = join(ROOT, 'bench', '.work');
const workDir = join(benchWork, `run-${process.pid}`);
mkdirSync(workDir, { recursive: true });
const t0 = Date.now();
const ctx: BenchContext = {
  params,
  workDir,
  profileDir: values.profile ? join(benchWork, 'profiles') : undefined,
  log: (m) => process.stderr.write(`[${((Date.now() - t0) / 1000).toFixed(0).padStart(4)} s] ${m}\n`),
};

async function machine() {
  const df = await run('df', ['-hT', workDir]).catch(() => '');
  const [, line] = df.trim().split('\n');
  const [device, fsType, size] = (line ?? '').split(/\s+/);
  return {
    nproc: cpus().length,
    cpu: cpus()[0]?.model ?? 'unknown',
    memoryGiB: Math.round(totalmem() / 1024 ** 3),
    node: process.version,
    kernel: (await run('uname', ['-r']).catch(() => '')).trim(),
    disk: `${device} ${fsType} ${size}`,
  };
}

async function withIcs<T>(dataDir: string, body: (ics: IcsServer) => Promise<T>): Promise<T> {
  const ics = await startIcs({ dataDir, profileDir: ctx.profileDir, root: values['ics-root'] });
  try {
    return await body(ics);
  } finally {
    await ics.stop();
  }
}

const machineInfo = await machine();
const figures: Figure[] = [];
const info: Record<string, unknown> = {};
try {
  ctx.log(
    `mode: ${params.mode}${values.quick ? '' : ' (use --quick for a run under two minutes)'}; work dir ${workDir}`,
  );
  // One server for every figure: the seeded database (when a figure needs it) is also where the
  // download, upload and delete figures put their interactions, as on a server in use.
  const dataDir = join(workDir, 'data');
  if (only.has('metadata') || only.has('search')) {
    ctx.log(`seeding ${params.seedCount.toLocaleString('en-US')} interactions over 7 days …`);
    const seed = await seedDataset({ dataDir, count: params.seedCount });
    info.seed = seed;
    ctx.log(`  seeded in ${seed.seconds.toFixed(1)} s (${seed.contentRows} content rows)`);
  }
  await withIcs(dataDir, async (ics) => {
    const seed = info.seed as Awaited<ReturnType<typeof seedDataset>> | undefined;
    if (seed) {
      const mid = new Date(seed.windowStart + 3.5 * 86_400_000).toISOString();
      const page = await fetch(
        `${ics.url}/interaction-content/interactions?start=${mid}&end=${new Date(seed.windowEnd).toISOString()}&limit=1`,
        { headers: ics.headers },
      );
      const guid = ((await page.json()) as { items: { guid: string }[] }).items[0].guid;
      if (only.has('metadata')) figures.push(await metadataFigure(ctx, ics, guid));
      if (only.has('search')) figures.push(await searchFigure(ctx, ics, seed.windowStart));
    }
    if (only.has('download')) figures.push(...(await downloadFigures(ctx, ics)));
    const ingestRows = [];
    let deleteFigure: Figure | undefined;
    if (only.has('small-files')) {
      const small = await smallFileFigures(ctx, ics);
      ingestRows.push(small.ingest);
      deleteFigure = small.delete;
    }
    if (only.has('large-upload')) ingestRows.push(...(await largeUploadRows(ctx, ics)));
    if (ingestRows.length > 0) {
      figures.push({
        id: 'ingest',
        title: 'Ingest: PUT …/content/{key}',
        yardstick: 'small files: plain durable store over HTTP; large file: cp + fsync to the same disk',
        rows: ingestRows,
        notes: [],
      });
    }
    if (deleteFigure) figures.push(deleteFigure);
    if (only.has('postgres')) figures.push(await postgresWriteFigure(ctx, ics, values['ics-root']));
    if (only.has('import')) figures.push(await importFigure(ctx, ics, values['ics-root']));
    if (only.has('logging')) figures.push(await loggingFigure(ctx, values['ics-root']));
    if (only.has('memory')) figures.push(await memoryFigure(ctx, values['ics-root']));
    if (only.has('export')) figures.push(await exportFigure(ctx, ics));
    if (only.has('webhooks')) figures.push(await webhooksFigure(ctx));
    // Its own server and data directory; ICS_BENCH_RETENTION_COUNT sets the size.
    if (only.has('retention')) {
      const count =
        Number(process.env.ICS_BENCH_RETENTION_COUNT) || (params.mode === 'quick' ? 20_000 : 100_000);
      figures.push(await retentionFigure(ctx, count));
    }
  });
  if (only.has('subject-match')) figures.push(await subjectMatchFigure(ctx));
  if (only.has('deletion-jobs')) {
    const items = Number(values['deletion-items'] ?? (values.quick ? 10_000 : 100_000));
    figures.push(await deletionJobFigure(ctx, items));
  }
} finally {
  if (!values.keep) rmSync(workDir, { recursive: true, force: true });
}

const result = {
  mode: params.mode,
  date: new Date().toISOString(),
  command: `npm run bench -- ${process.argv.slice(2).join(' ')}`.trim(),
  icsRoot: values['ics-root'] ?? ROOT,
  seconds: Math.round((Date.now() - t0) / 1000),
  machine: machineInfo,
  params,
  info,
  figures,
};
const out = [
  '',
  `ICS benchmark — ${params.mode} mode, ${result.date}, ${result.seconds} s`,
  `machine: ${result.machine.nproc} cores (${result.machine.cpu}), ${result.machine.memoryGiB} GiB, Node ${result.machine.node}, disk ${result.machine.disk}`,
  ...(info.seed
    ? [
        `dataset: ${params.seedCount.toLocaleString('en-US')} interactions seeded in ${(info.seed as { seconds: number }).seconds.toFixed(1)} s`,
      ]
    : []),
  '',
  ...figures.map(formatFigure),
  `summary: ${summaryLine(figures)}`,
  '',
];
process.stdout.write(out.join('\n'));
mkdirSync(benchWork, { recursive: true });
writeFileSync(join(benchWork, 'results.json'), `${JSON.stringify(result, null, 2)}\n`);
ctx.log(
  `results written to ${join(benchWork, 'results.json')}${ctx.profileDir ? `; CPU profiles in ${ctx.profileDir}` : ''}`,
);
