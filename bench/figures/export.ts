import { randomUUID } from 'node:crypto';
import { createReadStream, rmSync } from 'node:fs';
import { join } from 'node:path';
import { PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { type BenchContext, MiB, makeFile } from '../lib/context.js';
import { blobKeyOf, createInteraction, type IcsServer, ROOT, uploadFile } from '../lib/ics.js';
import { freePort, startBackground } from '../lib/proc.js';
import { type Figure, ratioRow } from '../lib/report.js';

// The export job against the AWS SDK copying the same files to the same bucket directly:
//   ICS        POST …/schedule-batch-export over a window of N interactions with one file each, timed
//              until the jobs list says Completed (so it includes the runner picking the job up, the
//              metadata reads, a HEAD per file, the SHA-256 check and one interaction.json each)
//   yardstick  the bench process PUTs the same blob files (read from ICS's blob directory) with
//              PutObject streams of known length, as many at once as the export job's concurrency
// Both write to one s3rver in its own process; each round writes under a fresh prefix, so nothing
// is ever skipped. Throughput is content bytes per second.

const V1 = 'application/vnd.newvoicemedia.v1+json';
const X = '/interaction-content-export/interactions';
/** ICS_EXPORT_CONCURRENCY's default: the yardstick gets the same number of transfers in flight. */
const CONCURRENCY = 4;

export async function exportFigure(ctx: BenchContext, ics: IcsServer): Promise<Figure> {
  const { params } = ctx;
  const count = params.mode === 'quick' ? 32 : 64;
  const fileMiB = params.mode === 'quick' ? 2 : 4;
  const bytes = fileMiB * MiB;
  const total = (count * bytes) / 1e6;

  const port = await freePort();
  const bucket = `export-bench-${randomUUID().slice(0, 8)}`;
  const endpoint = `http://127.0.0.1:${port}`;
  const s3rver = await startBackground(
    process.execPath,
    ['--import', 'tsx', 'bench/servers/s3-target.ts', String(port), bucket],
    { cwd: ROOT, ready: async () => (await fetch(endpoint).catch(() => undefined)) !== undefined },
  );
  const client = new S3Client({
    region: 'us-east-1',
    endpoint,
    forcePathStyle: true,
    credentials: { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' },
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
  });
  const json = { ...ics.headers, accept: V1, 'content-type': 'application/json' };
  try {
    ctx.log(`  export: seeding ${count} interactions with a ${fileMiB} MiB file each …`);
    const windowStart = new Date(Date.now() - 1000);
    const files: string[] = [];
    const source = join(ctx.workDir, 'export-source.bin');
    for (let i = 0; i < count; i++) {
      makeFile(source, bytes);
      const guid = randomUUID();
      await createInteraction(ics, guid);
      await uploadFile(ics, guid, source);
      files.push(join(ics.blobsRoot, blobKeyOf(ics, guid)));
    }
    rmSync(source);
    const windowEnd = new Date(Date.now() + 1000);

    const icsSide = async (round: number) => {
      const storage = await fetch(`${ics.url}${X}/external-storage`, {
        method: 'POST',
        headers: json,
        body: JSON.stringify({
          name: `bench ${round}`,
          storageProvider: 'AWS_S3',
          credentials: {
            bucketName: bucket,
            region: 'us-east-1',
            accessKeyId: 'S3RVER',
            secretAccessKey: 'S3RVER',
            endpoint,
            forcePathStyle: true,
            prefix: `ics-${round}-${randomUUID().slice(0, 8)}`,
          },
        }),
      });
      if (storage.status !== 201) throw new Error(`storage: ${storage.status} ${await storage.text()}`);
      const { id } = (await storage.json()) as { id: string };
      const started = process.hrtime.bigint();
      const res = await fetch(`${ics.url}${X}/jobs/schedule-batch-export`, {
        method: 'POST',
        headers: json,
        body: JSON.stringify({
          startDate: windowStart.toISOString(),
          endDate: windowEnd.toISOString(),
          externalStorageId: id,
        }),
      });
      if (res.status !== 201) throw new Error(`schedule: ${res.status} ${await res.text()}`);
      const { jobId } = (await res.json()) as { jobId: string };
      for (;;) {
        const list = await fetch(`${ics.url}${X}/jobs?limit=1000`, { headers: json });
        const job = (
          (await list.json()) as { jobs: { jobId: string; status: string; exported: number }[] }
        ).jobs.find((j) => j.jobId === jobId);
        if (job?.status === 'Completed') {
          if (job.exported !== count) throw new Error(`export job exported ${job.exported} of ${count}`);
          break;
        }
        if (job && job.status !== 'Scheduled' && job.status !== 'Running')
          throw new Error(`export job ended ${job.status}`);
        await new Promise((r) => setTimeout(r, 20));
      }
      return Number(process.hrtime.bigint() - started) / 1e9;
    };

    const sdkSide = async (round: number) => {
      const prefix = `sdk-${round}-${randomUUID().slice(0, 8)}/`;
      const started = process.hrtime.bigint();
      let next = 0;
      const worker = async () => {
        for (let i = next++; i < files.length; i = next++) {
          await client.send(
            new PutObjectCommand({
              Bucket: bucket,
              Key: `${prefix}${i}.wav`,
              Body: createReadStream(files[i]),
              ContentLength: bytes,
              ContentType: 'audio/wav',
            }),
          );
        }
      };
      await Promise.all(Array.from({ length: CONCURRENCY }, worker));
      return Number(process.hrtime.bigint() - started) / 1e9;
    };

    const icsMBs: number[] = [];
    const sdkMBs: number[] = [];
    for (let r = 0; r < params.rounds; r++) {
      const sides = r % 2 === 0 ? (['ics', 'sdk'] as const) : (['sdk', 'ics'] as const);
      for (const side of sides) {
        ctx.log(`  export round ${r + 1}/${params.rounds}: ${count} × ${fileMiB} MiB, ${side}`);
        const seconds = side === 'ics' ? await icsSide(r) : await sdkSide(r);
        (side === 'ics' ? icsMBs : sdkMBs).push(total / seconds);
      }
    }
    return {
      id: 'export',
      title: 'Export: a batch export job to S3 (s3rver)',
      yardstick: `the AWS SDK's PutObject streaming the same blob files to the same bucket, ${CONCURRENCY} at once`,
      labels: ['ICS export job', 'AWS SDK copy'],
      rows: [
        ratioRow({
          measure: `${count} files of ${fileMiB} MiB`,
          unit: 'MB/s',
          ics: icsMBs,
          yardstick: sdkMBs,
          min: 0.7,
          note: 'ICS: from POST schedule-batch-export until the jobs list shows Completed (SHA-256 check and an interaction.json per file, HEADs until 8 files in a row are missing, included)',
        }),
      ],
      notes: [`s3rver in its own process on 127.0.0.1; ICS_EXPORT_CONCURRENCY=${CONCURRENCY} (the default)`],
    };
  } finally {
    client.destroy();
    await s3rver.stop();
  }
}
