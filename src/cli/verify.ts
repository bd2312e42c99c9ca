import { openBlobStore } from '../blobs/open-blob-store.js';
import { loadConfig } from '../config.js';
import { verifyStorage } from '../core/verify.js';
import { openMetadataStore } from '../metadata/open-metadata-store.js';
import { parse } from './args.js';

/** `ics verify [--repair]`: every row against every blob and the reverse; exit 1 on any finding. */
export async function verifyCommand(args: string[]): Promise<number> {
  const { values } = parse(args, {
    repair: { type: 'boolean', default: false },
    quick: { type: 'boolean', default: false },
    json: { type: 'boolean', default: false },
  });
  const config = loadConfig(process.env);
  const store = await openMetadataStore(config.database);
  try {
    await store.migrate();
    const blobs = await openBlobStore(config.blobs);
    try {
      const report = await verifyStorage(
        { store, blobs },
        { repair: values.repair, checksums: !values.quick },
      );
      if (values.json) process.stdout.write(`${JSON.stringify(report)}\n`);
      else {
        for (const f of report.findings) process.stdout.write(`${f.kind}: ${f.detail}\n`);
        process.stdout.write(
          `checked ${report.rows} rows and ${report.blobs} blobs: ${report.orphans} orphan(s), ${report.missing} missing, ${report.mismatches} checksum mismatch(es)` +
            (values.repair ? `; removed ${report.repaired} orphan(s)` : '') +
            '\n',
        );
      }
      const unresolved = report.missing + report.mismatches + (report.orphans - report.repaired);
      return unresolved === 0 ? 0 : 1;
    } finally {
      await blobs.close();
    }
  } finally {
    await store.close();
  }
}
