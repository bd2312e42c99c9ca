import { openBlobStore } from '../blobs/open-blob-store.js';
import { loadConfig } from '../config.js';
import { unresolved, verifyStorage } from '../core/verify.js';
import { KyselyJobStore } from '../jobs/kysely-job-store.js';
import { isNodeDead } from '../jobs/node-registry.js';
import { openMetadataStore } from '../metadata/open-metadata-store.js';
import { sqlHandle } from '../metadata/sql-handle.js';
import { ServerLock } from '../process/server-lock.js';
import { parse } from './args.js';

/**
 * `ics verify [--repair]`: every row against every blob and the reverse, plus the leftovers of
 * interrupted work. Exit 0: nothing unresolved; 1: damage found (and not repaired); 2: could not run.
 */
export async function verifyCommand(args: string[]): Promise<number> {
  const { values } = parse(args, {
    repair: { type: 'boolean', default: false },
    quick: { type: 'boolean', default: false },
    json: { type: 'boolean', default: false },
  });
  const config = loadConfig(process.env);
  try {
    const store = await openMetadataStore(config.database);
    try {
      await store.migrate();
      const blobs = await openBlobStore(config.blobs);
      try {
        const now = Date.now();
        const nodes = new Map((await new KyselyJobStore(sqlHandle(store)).listNodes()).map((n) => [n.id, n]));
        // On the embedded store a server's node is alive only while it holds the server lock.
        const serverUp = config.database.kind !== 'sqlite' || ServerLock.isHeld(config.database.path);
        const isLive = (id: string | null) => {
          const n = id === null ? undefined : nodes.get(id);
          if (!n || isNodeDead(n, { now, timeoutMs: config.nodes.timeoutMs })) return false;
          return n.role !== 'server' || serverUp;
        };
        const report = await verifyStorage(
          { store, blobs, isLive },
          { repair: values.repair, checksums: !values.quick },
        );
        if (values.json) process.stdout.write(`${JSON.stringify(report)}\n`);
        else printReport(report, values.repair);
        return unresolved(report) === 0 ? 0 : 1;
      } finally {
        await blobs.close();
      }
    } finally {
      await store.close();
    }
  } catch (err) {
    const cause = err instanceof Error && err.cause instanceof Error ? `: ${err.cause.message}` : '';
    process.stderr.write(
      `ics verify: could not run: ${err instanceof Error ? err.message : String(err)}${cause}\n`,
    );
    return 2;
  }
}

function printReport(report: Awaited<ReturnType<typeof verifyStorage>>, repair: boolean) {
  for (const f of report.findings) process.stdout.write(`${f.kind}: ${f.detail}\n`);
  const l = report.leftovers;
  process.stdout.write(
    `checked ${report.rows} rows and ${report.blobs} blobs: ${report.orphans} orphan(s), ${report.missing} missing, ${report.mismatches} checksum mismatch(es); ` +
      `leftovers: ${l.quarantined} quarantined purge entr(ies), ${l.abandonedIntents} abandoned upload intent(s), ` +
      `${l.incompleteUploads ?? 'unknown (this storage cannot list them)'} incomplete upload(s), ${l.inFlight} upload(s) in flight` +
      (repair ? `; repaired ${report.repaired}` : '') +
      '\n',
  );
}
