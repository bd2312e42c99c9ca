import { createHash } from 'node:crypto';
import type { BlobStore } from '../blobs/blob-store.js';
import type { MetadataStore } from '../metadata/metadata-store.js';
import type { ContentRecord } from './types.js';

export interface VerifyFinding {
  kind: 'orphan' | 'missing' | 'mismatch';
  detail: string;
}

export interface VerifyReport {
  rows: number;
  blobs: number;
  orphans: number;
  missing: number;
  mismatches: number;
  repaired: number;
  findings: VerifyFinding[];
}

/**
 * Checks that every content row has its blob (with the right size and, unless skipped, SHA-256) and
 * that every blob belongs to a row or a pending purge entry. It may run beside a live server: blobs
 * are listed before rows, and every finding is re-checked before it is reported, so work in flight
 * is not mistaken for damage.
 */
export async function verifyStorage(
  deps: { store: MetadataStore; blobs: BlobStore },
  opts: { repair: boolean; checksums: boolean },
): Promise<VerifyReport> {
  const { store, blobs } = deps;
  const report: VerifyReport = {
    rows: 0,
    blobs: 0,
    orphans: 0,
    missing: 0,
    mismatches: 0,
    repaired: 0,
    findings: [],
  };

  const listed = new Map<string, number>();
  for await (const b of blobs.list()) listed.set(b.key, b.length);
  report.blobs = listed.size;

  const referenced = new Set(await store.listPurgeBlobKeys());
  let after: { account: string; guid: string; contentKey: string } | undefined;
  for (;;) {
    const page = await store.listAllContent({ limit: 1000, after });
    if (page.length === 0) break;
    for (const row of page) {
      report.rows++;
      referenced.add(row.blobKey);
      const problem = await checkRow(blobs, row, listed.get(row.blobKey), opts.checksums);
      if (problem && (await stillPresent(store, row))) {
        report[problem.kind === 'missing' ? 'missing' : 'mismatches']++;
        report.findings.push(problem);
      }
    }
    const last = page[page.length - 1];
    after = { account: last.account, guid: last.guid, contentKey: last.contentKey };
  }

  const pending = new Set(await store.listPurgeBlobKeys());
  for (const key of listed.keys()) {
    if (referenced.has(key) || pending.has(key)) continue;
    if (!(await blobs.stat(key))) continue; // purged meanwhile
    report.orphans++;
    report.findings.push({ kind: 'orphan', detail: `blob ${key} belongs to no content row or purge entry` });
    if (opts.repair) {
      await blobs.delete(key);
      report.repaired++;
    }
  }
  return report;
}

async function checkRow(
  blobs: BlobStore,
  row: ContentRecord,
  listedLength: number | undefined,
  checksums: boolean,
): Promise<VerifyFinding | undefined> {
  const where = `${row.account}/${row.guid}/${row.contentKey}`;
  const length = listedLength ?? (await blobs.stat(row.blobKey))?.length;
  if (length === undefined)
    return { kind: 'missing', detail: `content ${where}: blob ${row.blobKey} is missing` };
  if (length !== row.length)
    return { kind: 'mismatch', detail: `content ${where}: blob has ${length} bytes, row says ${row.length}` };
  if (!checksums) return undefined;
  const hash = createHash('sha256');
  for await (const chunk of await blobs.get(row.blobKey)) hash.update(chunk as Buffer);
  const sha = hash.digest('hex');
  if (sha !== row.sha256)
    return {
      kind: 'mismatch',
      detail: `content ${where}: SHA-256 ${sha} differs from the row's ${row.sha256}`,
    };
  return undefined;
}

async function stillPresent(store: MetadataStore, row: ContentRecord) {
  const rows = await store.listContent(row.account, row.guid);
  return rows.some((r) => r.contentKey === row.contentKey && r.blobKey === row.blobKey);
}
