import { createHash } from 'node:crypto';
import { BlobNotFoundError, type BlobStore } from '../blobs/blob-store.js';
import { keyProblem } from '../blobs/secure-path.js';
import type { MetadataStore } from '../metadata/metadata-store.js';
import type { ContentRecord, PurgeEntry } from './types.js';

export type FindingKind =
  | 'orphan'
  | 'missing'
  | 'mismatch'
  /** A purge entry that failed for good (see Purger): its blob may still exist. */
  | 'quarantined'
  /** An upload intent whose node is dead: its partial blob is erased at the next server start. */
  | 'abandoned-intent'
  /** A temporary file or incomplete multipart upload that no live upload owns. */
  | 'incomplete-upload';

export interface VerifyFinding {
  kind: FindingKind;
  detail: string;
}

export interface VerifyReport {
  rows: number;
  blobs: number;
  orphans: number;
  missing: number;
  mismatches: number;
  /** Leftovers of interrupted work; `inFlight` belongs to live processes and is not damage. */
  leftovers: {
    quarantined: number;
    abandonedIntents: number;
    /** null when the storage cannot list incomplete uploads (s3rver). */
    incompleteUploads: number | null;
    inFlight: number;
  };
  repaired: number;
  findings: VerifyFinding[];
}

export interface VerifyDeps {
  store: MetadataStore;
  blobs: BlobStore;
  /** Whether the node that owns an upload intent is alive (its upload may still be running). */
  isLive: (node: string | null) => boolean;
}

/**
 * Checks that every content row has its blob (with the right size and, unless skipped, SHA-256), that
 * every blob belongs to a row or a pending purge entry, and reports the leftovers of interrupted work.
 * It may run beside a live server: blobs are listed before rows, and every finding is re-checked
 * before it is reported, so work in flight is not mistaken for damage. `repair` removes orphans,
 * erases what dead processes' uploads left, and clears quarantined entries (erasing their blobs).
 */
export async function verifyStorage(
  deps: VerifyDeps,
  opts: { repair: boolean; checksums: boolean },
): Promise<VerifyReport> {
  const { store, blobs } = deps;
  const report: VerifyReport = {
    rows: 0,
    blobs: 0,
    orphans: 0,
    missing: 0,
    mismatches: 0,
    leftovers: { quarantined: 0, abandonedIntents: 0, incompleteUploads: 0, inFlight: 0 },
    repaired: 0,
    findings: [],
  };

  // Leftovers first: a temporary file listed now has an intent that is listed after it (or whose
  // upload finished meanwhile, which the re-check below sees).
  const incomplete = await blobs.listIncomplete();

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

  await checkLeftovers(deps, opts, report, incomplete);
  return report;
}

/** Exit status of `ics verify`: 0 when nothing unresolved remains, 1 when damage remains. */
export function unresolved(report: VerifyReport): number {
  const { quarantined, abandonedIntents, incompleteUploads } = report.leftovers;
  return (
    report.missing +
    report.mismatches +
    report.orphans +
    quarantined +
    abandonedIntents +
    (incompleteUploads ?? 0) -
    report.repaired
  );
}

async function checkLeftovers(
  deps: VerifyDeps,
  opts: { repair: boolean },
  report: VerifyReport,
  incomplete: Awaited<ReturnType<BlobStore['listIncomplete']>>,
) {
  const { store, blobs } = deps;
  const found = (kind: FindingKind, detail: string) => report.findings.push({ kind, detail });
  const erase = async (e: PurgeEntry) => {
    // An invalid key names no blob this store could hold: nothing to erase, the entry just goes.
    if (keyProblem(e.blobKey) === undefined) await blobs.discard(e.blobKey);
    await store.completePurge([e.id]);
    report.repaired++;
  };

  for (const e of await store.listPurge({ kind: 'quarantined', limit: 10_000 })) {
    report.leftovers.quarantined++;
    found(
      'quarantined',
      `purge entry ${e.id} for blob ${JSON.stringify(e.blobKey)} (${e.reason}) failed ${e.attempts} time(s): ${e.lastError ?? 'unknown error'}`,
    );
    if (opts.repair) await erase(e);
  }

  const intents = await store.listPurge({ kind: 'upload-intent', limit: 100_000 });
  const liveKeys = new Set<string>();
  for (const e of intents) {
    if (deps.isLive(e.ownerNode)) {
      report.leftovers.inFlight++;
      liveKeys.add(e.blobKey);
      continue;
    }
    report.leftovers.abandonedIntents++;
    found('abandoned-intent', `upload intent ${e.id} for blob ${e.blobKey} belongs to a stopped process`);
    if (opts.repair) await erase(e);
  }

  if (incomplete === undefined) {
    report.leftovers.incompleteUploads = null;
    return;
  }
  const intentKeys = new Set(intents.map((e) => e.blobKey));
  const stillThere = new Set(((await blobs.listIncomplete()) ?? []).map((u) => u.id));
  for (const u of incomplete) {
    if (u.key !== undefined && liveKeys.has(u.key)) continue; // a live upload's
    if (!stillThere.has(u.id)) continue; // finished or cleaned up meanwhile
    if (u.key !== undefined && intentKeys.has(u.key)) continue; // counted with its abandoned intent
    report.leftovers.incompleteUploads = (report.leftovers.incompleteUploads ?? 0) + 1;
    found(
      'incomplete-upload',
      `incomplete upload ${u.id}${u.key ? ` for blob ${u.key}` : ''} started ${new Date(u.startedAt).toISOString()}`,
    );
    if (opts.repair && u.key !== undefined) {
      await blobs.discard(u.key);
      report.repaired++;
    }
  }
}

async function checkRow(
  blobs: BlobStore,
  row: ContentRecord,
  listedLength: number | undefined,
  checksums: boolean,
): Promise<VerifyFinding | undefined> {
  const where = `${row.account}/${row.guid}/${row.contentKey}`;
  const missing = { kind: 'missing', detail: `content ${where}: blob ${row.blobKey} is missing` } as const;
  const length = listedLength ?? (await blobs.stat(row.blobKey))?.length;
  if (length === undefined) return missing;
  if (length !== row.length)
    return { kind: 'mismatch', detail: `content ${where}: blob has ${length} bytes, row says ${row.length}` };
  if (!checksums) return undefined;
  const hash = createHash('sha256');
  try {
    for await (const chunk of await blobs.get(row.blobKey)) hash.update(chunk as Buffer);
  } catch (err) {
    // Replaced or deleted since the listing: the caller re-checks the row before reporting.
    if (err instanceof BlobNotFoundError) return missing;
    throw err;
  }
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
