import { randomUUID } from 'node:crypto';
import type { BenchContext } from '../lib/context.js';
import { API, contentPath, type IcsServer, interactionBody } from '../lib/ics.js';
import { cannon } from '../lib/load.js';
import { startPlainStore } from '../lib/plain-store.js';
import { type Figure, type Row, ratioRow } from '../lib/report.js';

// Small files over HTTP, same client and concurrency on both sides:
//   ingest  PUT of 64 KiB bodies: ICS (into interactions created beforehand, untimed) against the
//           plain store (write + fsync the file, fsync its directory, one-row INSERT)
//   delete  DELETE of those same items: ICS (rows, purge queue, audit ledger, unlink + directory
//           fsync) against the plain store (unlink, directory fsync, one-row DELETE)
// Each round uploads a fresh set and then deletes it, so every delete hits a real 64 KiB file.

const BODY = Buffer.alloc(64 * 1024, 0x5a);

export async function smallFileFigures(
  ctx: BenchContext,
  ics: IcsServer,
): Promise<{ ingest: Row; delete: Figure }> {
  const { params } = ctx;
  const n = params.smallUploads;
  const c = params.writeConnections;
  const plain = await startPlainStore(ctx, 'plain-store');
  const plainUrl = plain.url;

  const putIcs: number[] = [];
  const putPlain: number[] = [];
  const delIcs: number[] = [];
  const delPlain: number[] = [];
  let failed = 0;
  const json = { ...ics.headers, 'content-type': 'application/json' };
  const sequence = (paths: string[]) => {
    let i = 0;
    return () => paths[i++ % paths.length];
  };

  try {
    for (let r = 0; r < params.rounds; r++) {
      const guids = Array.from({ length: n }, () => randomUUID());
      const names = Array.from({ length: n }, () => randomUUID());
      // Untimed set-up: the interactions the ICS uploads go into.
      const bodies = guids.map((g) => JSON.stringify(interactionBody(g)));
      let b = 0;
      const setup = await cannon({
        url: `${ics.url}${API}/interactions`,
        connections: c,
        amount: n,
        method: 'POST',
        headers: json,
        nextBody: () => bodies[b++ % n],
      });
      if (setup.failed > 0) throw new Error(`${setup.failed} of ${n} interaction creates failed`);

      const icsPaths = guids.map((g) => contentPath(g));
      const plainPaths = names.map((name) => `/f/${name}`);
      const put = (side: 'ics' | 'plain') =>
        side === 'ics'
          ? cannon({
              url: ics.url,
              connections: c,
              amount: n,
              method: 'PUT',
              headers: { ...ics.headers, 'content-type': 'audio/wav' },
              body: BODY,
              nextPath: sequence(icsPaths),
            })
          : cannon({
              url: plainUrl,
              connections: c,
              amount: n,
              method: 'PUT',
              body: BODY,
              nextPath: sequence(plainPaths),
            });
      const del = (side: 'ics' | 'plain') =>
        side === 'ics'
          ? cannon({
              url: ics.url,
              connections: c,
              amount: n,
              method: 'DELETE',
              headers: ics.headers,
              nextPath: sequence(icsPaths),
            })
          : cannon({
              url: plainUrl,
              connections: c,
              amount: n,
              method: 'DELETE',
              nextPath: sequence(plainPaths),
            });

      const order: ('ics' | 'plain')[] = r % 2 === 0 ? ['ics', 'plain'] : ['plain', 'ics'];
      for (const side of order) {
        ctx.log(`  small files round ${r + 1}/${params.rounds}: ${n} uploads, ${side}`);
        const out = await put(side);
        failed += out.failed;
        (side === 'ics' ? putIcs : putPlain).push(out.rps);
      }
      for (const side of order) {
        ctx.log(`  small files round ${r + 1}/${params.rounds}: ${n} deletes, ${side}`);
        const out = await del(side);
        failed += out.failed;
        (side === 'ics' ? delIcs : delPlain).push(out.rps);
      }
    }
  } finally {
    await plain.stop();
  }
  return {
    ingest: ratioRow({
      measure: '64 KiB uploads',
      unit: 'uploads/s',
      ics: putIcs,
      yardstick: putPlain,
      note: `yardstick: plain store PUT (file write + fsync, directory fsync, one-row INSERT); autocannon, ${c} connections, ${n} per round${failed > 0 ? `; ${failed} failed requests in this figure` : ''}`,
    }),
    delete: {
      id: 'delete',
      title: 'Delete: content deletes/s of 64 KiB files, durable',
      yardstick:
        'plain store over node:http: unlink + directory fsync + one-row DELETE in its own transaction (WAL, synchronous=FULL)',
      rows: [ratioRow({ measure: 'deletes', unit: 'deletes/s', ics: delIcs, yardstick: delPlain, min: 0.5 })],
      notes: [
        `HTTP on both sides, autocannon, ${c} connections, ${n} deletes per round, ${params.rounds} interleaved rounds`,
        'ICS: DELETE …/content/callRecording — one transaction (rows, purge queue, audit entry), then unlink + directory fsync; finished purge entries are removed in batches',
        ...(failed > 0 ? [`${failed} failed requests in the small-file runs`] : []),
      ],
    },
  };
}
