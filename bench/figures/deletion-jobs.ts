import { createHash, randomBytes } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import Sqlite from 'better-sqlite3';
import { v7 as uuidv7 } from 'uuid';
import { resolveKeyPath } from '../../src/blobs/secure-path.js';
import { fromContent, fromInteraction } from '../../src/metadata/mappers.js';
import { getLoadFor, loadWhile } from '../lib/beside.js';
import type { BenchContext } from '../lib/context.js';
import { API, type IcsServer, startIcs } from '../lib/ics.js';
import { type Figure, median, percentile, type Row, ratioRow } from '../lib/report.js';
import { seedDataset } from '../seed-dataset.js';

// Deletion jobs (src/deletion-jobs/) against the same deletions through delete-batch, in one run:
//  - a subject erasure's dry run through the API on the seeded dataset (the match alone is the
//    subject-match figure);
//  - throughput: two equal sets of interactions (one 1 KiB call recording each, real blob files),
//    one deleted by POST …/delete-batch (200 a request, one after another), the other by one
//    deletion job that matches them by address; in interleaved halves; rate = interactions / s;
//  - the metadata GET p99 while the job runs, against the same GET idle (the load: lib/beside.ts).

// GUIDs per delete-batch request: 1000 a request can outlast the answer timeout on a loaded machine.
const BATCH = 200;
const iso = (ms: number) => new Date(ms).toISOString();

export async function deletionJobFigure(ctx: BenchContext, items: number): Promise<Figure> {
  const { params } = ctx;
  const dataDir = join(ctx.workDir, 'deletion-jobs');
  ctx.log(`deletion jobs: seeding ${params.seedCount.toLocaleString('en-US')} interactions …`);
  const seed = await seedDataset({ dataDir, count: params.seedCount });
  const half = Math.floor(items / 2);
  const sets = {
    batch: [seedVictims(dataDir, 'batch-a', half), seedVictims(dataDir, 'batch-b', half)],
    job: [seedVictims(dataDir, 'job-a', half), seedVictims(dataDir, 'job-b', half)],
  };
  ctx.log(`  seeded ${(4 * half).toLocaleString('en-US')} interactions to delete (with blob files)`);

  const ics = await startIcs({ dataDir, profileDir: ctx.profileDir });
  try {
    const guid = await someGuid(ics, seed.windowStart);
    const metaPath = `${ics.url}${API}/interactions/${guid}`;
    const load = await getLoadFor({ url: metaPath, headers: ics.headers });
    // At least 3 s: at a fixed rate the p99 of a short run rests on a handful of responses.
    const idleSeconds = Math.max(3, params.metaSeconds);
    const idle: number[] = [];
    for (let r = 0; r < params.rounds; r++)
      idle.push(percentile((await load.run(idleSeconds)).latenciesMs, 99));

    // A subject erasure end to end: a dry-run job for one seeded address, POST to completed.
    const dryMs: number[] = [];
    for (let i = 0; i < 5; i++) {
      const t0 = performance.now();
      const job = await postJob(ics, {
        match: { addresses: [seededAddress(1000 + i * 7919)] },
        reason: 'bench',
        dryRun: true,
      });
      await waitJob(ics, job);
      dryMs.push(performance.now() - t0);
    }

    const rates = { batch: [] as number[], job: [] as number[] };
    const during: number[] = [];
    const idleBeforeJob: number[] = [];
    const idleBeforeBatch: number[] = [];
    const batchDuring: number[] = [];
    for (let r = 0; r < 2; r++) {
      for (const side of r === 0 ? (['batch', 'job'] as const) : (['job', 'batch'] as const)) {
        const set = sets[side][r];
        ctx.log(
          `  deletion round ${r + 1}/2: ${side} (${set.guids.length.toLocaleString('en-US')} interactions)`,
        );
        // Idle just before each side, so the idle value follows the machine's load through the run;
        // each side's p99 is compared with the idle one just before it.
        const idleNow = percentile((await load.run(idleSeconds)).latenciesMs, 99);
        idle.push(idleNow);
        (side === 'job' ? idleBeforeJob : idleBeforeBatch).push(idleNow);
        const beside = loadWhile(load);
        const t0 = performance.now();
        if (side === 'batch') {
          for (let i = 0; i < set.guids.length; i += BATCH) {
            const res = await fetch(`${ics.url}${API}/interactions/delete-batch`, {
              method: 'POST',
              headers: { ...ics.headers, 'content-type': 'application/json' },
              body: JSON.stringify({ guids: set.guids.slice(i, i + BATCH) }),
            });
            const body = (await res.json()) as { failures?: unknown[] };
            if (!res.ok || (body.failures?.length ?? 0) > 0) throw new Error(`delete-batch: ${res.status}`);
          }
        } else {
          const job = await postJob(ics, { match: { addresses: [set.address] }, reason: 'bench erasure' });
          const done = await waitJob(ics, job);
          if (done.counts.deleted !== set.guids.length)
            throw new Error(`the job deleted ${done.counts.deleted} of ${set.guids.length}`);
        }
        const seconds = (performance.now() - t0) / 1000;
        const p99 = await beside.stop();
        rates[side].push(set.guids.length / seconds);
        (side === 'job' ? during : batchDuring).push(p99);
      }
    }
    const m = median;
    const jobRatio = m(during.map((d, i) => d / idleBeforeJob[i]));
    const rows: Row[] = [
      ratioRow({
        measure: 'deletion rate: job ÷ delete-batch (same-shaped items)',
        unit: 'interactions/s',
        ics: rates.job,
        yardstick: rates.batch,
        min: 0.8,
      }),
      {
        measure: 'metadata GET p99 during the job ÷ idle',
        unit: 'ms',
        ics: m(during),
        yardstick: m(idleBeforeJob),
        ratio: jobRatio,
        target: '≤ 2 ×',
        verdict: jobRatio <= 2 ? 'PASS' : 'MISS',
        rounds: { ics: during, yardstick: idleBeforeJob },
        note: `ratio: the median of each round's p99 ÷ the idle p99 just before it; every idle p99: ${idle.map((x) => x.toFixed(1)).join(', ')} ms; GET load: ${load.describe}`,
      },
      {
        measure: 'metadata GET p99 during delete-batch ÷ idle',
        unit: 'ms',
        ics: m(batchDuring),
        yardstick: m(idleBeforeBatch),
        ratio: m(batchDuring.map((d, i) => d / idleBeforeBatch[i])),
        target: '—',
        verdict: 'INFO',
        rounds: { ics: batchDuring, yardstick: idleBeforeBatch },
      },
      {
        measure: 'subject erasure dry run, POST to completed (API, job runner)',
        unit: 'ms',
        ics: m(dryMs),
        target: '—',
        verdict: 'INFO',
        rounds: { ics: dryMs },
      },
    ];
    return {
      id: 'deletion-jobs',
      title: 'Deletion jobs: rate against delete-batch, GET p99 while one runs, a subject dry run',
      yardstick: 'the same deletions through POST …/delete-batch; the same GET with no job running',
      labels: ['ICS (job)', 'Yardstick'],
      rows,
      notes: [
        `${(2 * half).toLocaleString('en-US')} interactions per side, deleted in two interleaved halves; the job's time includes its match phase`,
      ],
    };
  } finally {
    await ics.stop();
  }
}

/** The connectFrom of seeded interaction i (bench/seed-dataset.ts). */
const seededAddress = (i: number) => `+4420${String(7_000_000 + (i % 900_000)).padStart(8, '0')}`;

/** Interactions to delete, each with a 1 KiB call recording whose blob file exists; one connectTo each set. */
function seedVictims(dataDir: string, name: string, count: number) {
  const address = `bench-erasure-${name}`;
  const db = new Sqlite(join(dataDir, 'ics.sqlite'));
  db.pragma('synchronous = OFF');
  const insert = (table: string, row: object) => {
    const cols = Object.keys(row);
    return db.prepare(
      `insert into ${table} (${cols.join(', ')}) values (${cols.map((c) => `@${c}`).join(', ')})`,
    );
  };
  const guids: string[] = [];
  const bytes = randomBytes(1024);
  const sha = createHash('sha256').update(bytes).digest('hex');
  const start = Date.now() - 30 * 86_400_000;
  let ins: Sqlite.Statement | undefined;
  let insContent: Sqlite.Statement | undefined;
  const agent = db.prepare(
    'insert into interaction_agents (account, agent_id, start_ms, guid) values (?, ?, ?, ?)',
  );
  db.transaction(() => {
    for (let i = 0; i < count; i++) {
      const guid = uuidv7();
      const blobKey = `default/${guid}/${uuidv7()}`;
      const row = {
        ...fromInteraction({
          account: 'default',
          guid,
          start: start + i,
          connectFrom: `+1555${String(i).padStart(7, '0')}`,
          connectTo: address,
          direction: 'inbound',
          handlingAgents: ['bench-agent'],
          createdAt: start,
        }),
        content_count: 1,
      };
      ins ??= insert('interactions', row);
      ins.run(row);
      agent.run('default', 'bench-agent', start + i, guid);
      const c = {
        ...fromContent({
          account: 'default',
          guid,
          contentKey: 'callRecording',
          type: 'callRecording',
          mediaType: 'audio/wav',
          length: bytes.length,
          sha256: sha,
          blobKey,
          lastModified: start,
          owningAgentId: null,
          owningInteractionPlanId: null,
          properties: {},
        }),
        start_ms: start + i,
        direction: 'inbound',
      };
      insContent ??= insert('contents', c);
      insContent.run(c);
      const path = resolveKeyPath(join(dataDir, 'blobs'), blobKey);
      mkdirSync(dirname(path), { recursive: true });
      writeFileSync(path, bytes);
      guids.push(guid);
    }
  })();
  db.close();
  return { address, guids };
}

async function someGuid(ics: IcsServer, windowStart: number): Promise<string> {
  const res = await fetch(
    `${ics.url}${API}/interactions?start=${iso(windowStart + 86_400_000)}&end=${iso(windowStart + 2 * 86_400_000)}&limit=1`,
    { headers: ics.headers },
  );
  return ((await res.json()) as { items: { guid: string }[] }).items[0].guid;
}

async function postJob(ics: IcsServer, body: unknown): Promise<string> {
  const res = await fetch(`${ics.url}${API}/deletion-jobs`, {
    method: 'POST',
    headers: { ...ics.headers, 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  if (res.status !== 202) throw new Error(`POST deletion-jobs: ${res.status} ${await res.text()}`);
  return ((await res.json()) as { id: string }).id;
}

async function waitJob(ics: IcsServer, id: string) {
  for (;;) {
    const res = await fetch(`${ics.url}${API}/deletion-jobs/${id}`, { headers: ics.headers });
    const job = (await res.json()) as { status: string; counts: { deleted: number } };
    if (job.status === 'completed') return job;
    if (job.status === 'failed' || job.status === 'cancelled') throw new Error(`job ${id} ${job.status}`);
    // A client's poll; every 5 ms (as before) was 200 requests a second beside the measured GETs.
    await new Promise((r) => setTimeout(r, 50));
  }
}
