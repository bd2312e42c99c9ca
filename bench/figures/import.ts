import { randomBytes, randomUUID } from 'node:crypto';
import { createWriteStream, mkdirSync, readFileSync, rmSync } from 'node:fs';
import { open } from 'node:fs/promises';
import http from 'node:http';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import type { BenchContext } from '../lib/context.js';
import { API, type IcsServer, ROOT } from '../lib/ics.js';
import { run } from '../lib/proc.js';
import { type Figure, median, ratioRow } from '../lib/report.js';

// `ics import` with no rate limit, from the bench's ICS server into a fresh data directory, against a
// plain download loop of the very same files from the same server: node:http GETs (keep-alive, the
// same 4 at a time as the importer's default) streamed into files on the same disk. The import also
// searches, creates the interactions, hashes every file, fsyncs it and commits its row, so a second
// loop that makes each file durable (fsync of the file and its directory) is measured as the floor.
//
// Each interaction looks like a contact-centre call: a 6-minute recording (8 kHz 16-bit mono WAV,
// about 5 MiB), a transcript (16 KiB) and an AI summary (2 KiB).
//
// The machine is shared and its speed changes from one second to the next, so the sides are
// compared round by round: after one untimed warm-up round of each (the source server's and the
// bench process's code optimised, the source's files in the page cache), each round runs the three
// sides one after another (in reverse order every other round), and the ratio is the median of the
// rounds' own ratios. `ics import` runs from --ics-root when given, like the server.

const WINDOW_START = Date.parse('2031-01-05T00:00:00Z');
const CONCURRENCY = 4;
type Side = 'import' | 'loop' | 'durable';

export async function importFigure(ctx: BenchContext, ics: IcsServer, icsRoot = ROOT): Promise<Figure> {
  const n = ctx.params.importInteractions;
  ctx.log(`  import: seeding ${n} interactions (5 MiB recording, transcript, summary) on the source`);
  const files: { path: string; bytes: number }[] = [];
  const windowEnd = WINDOW_START + n * 60_000;
  for (let i = 0; i < n; i++) {
    const guid = randomUUID();
    const create = await fetch(`${ics.url}${API}/interactions`, {
      method: 'POST',
      headers: { ...ics.headers, 'content-type': 'application/json' },
      body: JSON.stringify({
        guid,
        start: new Date(WINDOW_START + i * 60_000).toISOString(),
        connectFrom: '+441632960001',
        connectTo: '+441632960999',
        direction: 'inbound',
        handlingAgents: [{ id: 'agent-1' }],
      }),
    });
    if (create.status !== 201) throw new Error(`create: ${create.status} ${await create.text()}`);
    const parts: [string, Buffer, string][] = [
      ['callRecording', randomBytes(5 * 1024 * 1024), 'audio/wav'],
      ['transcript', randomBytes(16 * 1024), 'application/json'],
      [`${randomUUID()}?type=conversationSummary`, randomBytes(2 * 1024), 'application/json'],
    ];
    for (const [key, body, type] of parts) {
      const put = await fetch(`${ics.url}${API}/interactions/${guid}/content/${key}`, {
        method: 'PUT',
        headers: { ...ics.headers, 'content-type': type },
        body,
      });
      if (put.status !== 201) throw new Error(`put ${key}: ${put.status} ${await put.text()}`);
      files.push({ path: `${API}/interactions/${guid}/content/${key.split('?')[0]}`, bytes: body.length });
    }
  }
  const totalBytes = files.reduce((a, f) => a + f.bytes, 0);
  const creds = JSON.parse(readFileSync(join(ics.dataDir, 'bootstrap-client.json'), 'utf8')) as {
    clientId: string;
    clientSecret: string;
  };

  const mbs: Record<Side, number[]> = { import: [], loop: [], durable: [] };
  const importWall: number[] = [];
  const agent = new http.Agent({ keepAlive: true, maxSockets: CONCURRENCY });

  const importOnce = async (round: number) => {
    const dir = join(ctx.workDir, `import-target-${round}`);
    rmSync(dir, { recursive: true, force: true });
    const started = process.hrtime.bigint();
    const out = await run(
      process.execPath,
      [
        join(icsRoot, 'bin', 'ics.js'),
        'import',
        '--from',
        ics.url,
        '--client-id',
        creds.clientId,
        // One argument: a secret can start with '-', which parseArgs would take for an option.
        `--client-secret=${creds.clientSecret}`,
        '--start',
        new Date(WINDOW_START).toISOString(),
        '--end',
        new Date(windowEnd).toISOString(),
        '--concurrency',
        String(CONCURRENCY),
        '--json',
      ],
      { env: { ...process.env, ICS_DATA_DIR: dir, ICS_LOG_LEVEL: 'warn' } },
    );
    const wall = Number(process.hrtime.bigint() - started) / 1e9;
    const summary = JSON.parse(out.trim().split('\n').pop() ?? '{}') as {
      items: { copied: number; failed: number };
      seconds: number;
    };
    if (summary.items.copied !== files.length || summary.items.failed !== 0)
      throw new Error(`import copied ${summary.items.copied} of ${files.length}: ${out.slice(-2000)}`);
    rmSync(dir, { recursive: true, force: true });
    return { mbs: totalBytes / 1e6 / summary.seconds, wall };
  };

  const loopOnce = async (round: number, durable: boolean) => {
    const dir = join(ctx.workDir, `loop-target-${round}`);
    mkdirSync(dir, { recursive: true });
    const started = process.hrtime.bigint();
    let next = 0;
    const download = (i: number) =>
      new Promise<void>((resolve, reject) => {
        http
          .get(
            `${ics.url}${files[i].path}`,
            { agent, headers: { authorization: ics.headers.authorization } },
            (res) => {
              if (res.statusCode !== 200) reject(new Error(`GET ${files[i].path}: ${res.statusCode}`));
              pipeline(res, createWriteStream(join(dir, String(i)), { flush: durable })).then(
                resolve,
                reject,
              );
            },
          )
          .on('error', reject);
      });
    const worker = async () => {
      for (let i = next++; i < files.length; i = next++) {
        await download(i);
        if (durable) {
          const handle = await open(dir, 'r');
          await handle.sync();
          await handle.close();
        }
      }
    };
    await Promise.all(Array.from({ length: CONCURRENCY }, worker));
    const seconds = Number(process.hrtime.bigint() - started) / 1e9;
    rmSync(dir, { recursive: true, force: true });
    return totalBytes / 1e6 / seconds;
  };

  const sides: Side[] = ['import', 'loop', 'durable'];
  const rounds = ctx.params.importRounds;
  ctx.log(`  import warm-up: ${files.length} files, ${sides.join(', ')} (not counted)`);
  await importOnce(-1);
  await loopOnce(-1, false);
  await loopOnce(-1, true);
  for (let r = 0; r < rounds; r++) {
    for (const side of r % 2 === 0 ? sides : [...sides].reverse()) {
      ctx.log(`  import round ${r + 1}/${rounds}: ${files.length} files, ${side}`);
      if (side === 'import') {
        const { mbs: v, wall } = await importOnce(r);
        mbs.import.push(v);
        importWall.push(wall);
      } else mbs[side].push(await loopOnce(r, side === 'durable'));
    }
  }
  const perRound = (yard: number[]) => mbs.import.map((v, i) => (v / yard[i]).toFixed(2)).join(' / ');
  agent.destroy();
  const mib = (totalBytes / 1024 ** 2).toFixed(0);
  const what = `${n} interactions, ${files.length} files, ${mib} MiB`;
  return {
    id: 'import',
    title: '`ics import` from a local ICS, no rate limit',
    yardstick: `a plain download loop of the same files (node:http, keep-alive, ${CONCURRENCY} at a time, streamed into files on the same disk)`,
    labels: ['ics import', 'Download loop'],
    rows: [
      ratioRow({
        measure: what,
        unit: 'MB/s',
        ics: mbs.import,
        yardstick: mbs.loop,
        min: 0.5,
        paired: true,
        note: `ratio: median of the rounds' ratios (${perRound(mbs.loop)}); import timed from its own summary (count + copy); the whole command with process start and migration: median ${median(importWall).toFixed(2)} s`,
      }),
      ratioRow({
        measure: `${what}, against the loop with each file made durable (floor)`,
        unit: 'MB/s',
        ics: mbs.import,
        yardstick: mbs.durable,
        paired: true,
        note: `floor: the same loop, plus fsync of each file and of its directory; rounds' ratios ${perRound(mbs.durable)}`,
      }),
    ],
    notes: [
      `${CONCURRENCY} downloads at a time on every side (the importer's default); ${rounds} interleaved rounds after a warm-up round; import from ${icsRoot}`,
      'import: a counting search pass, then per interaction a create and per file download → SHA-256 → temporary file (1 MiB writes), fsync, link, directory fsync (shared by puts that finish together) → row commit (the ordinary ContentService upload: two SQLite commits per file, one per interaction, each made durable by an fdatasync of the WAL in the thread pool); 4 downloads in flight, 8 interactions worked on, the files of each at once',
    ],
  };
}
