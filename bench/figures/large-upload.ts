import { randomUUID } from 'node:crypto';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { type BenchContext, MiB, makeFile } from '../lib/context.js';
import { createInteraction, deleteInteraction, type IcsServer, uploadFile } from '../lib/ics.js';
import { startPlainStore } from '../lib/plain-store.js';
import { run } from '../lib/proc.js';
import { type Row, ratioRow } from '../lib/report.js';

// One large upload: curl streams the file to ICS (SHA-256 on the way, fsync before the answer)
// against `cp` of the same bytes to the same disk followed by `sync <file>` (fsync), so that both
// sides end with the bytes durable. The source file is in the page cache for both.

export async function largeUploadRows(ctx: BenchContext, ics: IcsServer): Promise<Row[]> {
  const { params } = ctx;
  const bytes = params.largeUploadMiB * MiB;
  const source = join(ctx.workDir, 'large.bin');
  makeFile(source, bytes);
  const target = join(ics.blobsRoot, '..', 'cp-target.bin'); // same filesystem as the blob store

  // The floor Node itself sets: node:http streaming the body into a file with fsync, one row.
  const bare = await startPlainStore(ctx, 'bare-upload');
  const icsMBs: number[] = [];
  const cpMBs: number[] = [];
  const nodeMBs: number[] = [];
  const once = async (side: 'ics' | 'cp' | 'node') => {
    if (side === 'node') {
      const url = `${bare.url}/f/${randomUUID()}`;
      const started = process.hrtime.bigint();
      await run('curl', ['-sS', '-f', '-o', '/dev/null', '-T', source, '-H', 'expect:', url]);
      const seconds = Number(process.hrtime.bigint() - started) / 1e9;
      await fetch(url, { method: 'DELETE' });
      return bytes / 1e6 / seconds;
    }
    if (side === 'ics') {
      const guid = randomUUID();
      await createInteraction(ics, guid);
      const started = process.hrtime.bigint();
      await uploadFile(ics, guid, source);
      const seconds = Number(process.hrtime.bigint() - started) / 1e9;
      await deleteInteraction(ics, guid);
      return bytes / 1e6 / seconds;
    }
    const started = process.hrtime.bigint();
    await run('cp', [source, target]);
    await run('sync', [target]);
    const seconds = Number(process.hrtime.bigint() - started) / 1e9;
    rmSync(target);
    return bytes / 1e6 / seconds;
  };
  for (let r = 0; r < params.rounds; r++) {
    const sides: ('ics' | 'cp' | 'node')[] = ['ics', 'cp', 'node'];
    for (const side of r % 2 === 0 ? sides : sides.reverse()) {
      ctx.log(`  large upload round ${r + 1}/${params.rounds}: ${params.largeUploadMiB} MiB, ${side}`);
      (side === 'ics' ? icsMBs : side === 'cp' ? cpMBs : nodeMBs).push(await once(side));
    }
  }
  await bare.stop();
  rmSync(source);
  const size =
    params.largeUploadMiB >= 1024 ? `${params.largeUploadMiB / 1024} GiB` : `${params.largeUploadMiB} MiB`;
  return [
    ratioRow({
      measure: `one ${size} upload`,
      unit: 'MB/s',
      ics: icsMBs,
      yardstick: cpMBs,
      min: 0.7,
      note: 'yardstick: `cp` + `sync <file>` (fsync) to the same filesystem; ICS time includes curl start-up and the commit',
    }),
    ratioRow({
      measure: `one ${size} upload: vs bare Node (floor)`,
      unit: 'MB/s',
      ics: icsMBs,
      yardstick: nodeMBs,
      note: 'yardstick: curl -T to bench/servers/plain-store.ts (node:http body piped to a file, fsync, one row; no hashing, auth or framework)',
    }),
  ];
}
