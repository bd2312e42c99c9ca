import { type Kysely, sql } from 'kysely';
import type { PurgeEntry } from '../core/types.js';
import type { Database, Dialect } from './db-schema.js';
import { parsePurgeId, toPurge } from './mappers.js';

// The durable purge queue: blobs to delete once their rows are gone, and upload intents that reserve
// a fresh blob key until notBefore (so a crash mid-upload leaves no orphan blob).

/**
 * Claims due rows and leases them in ONE statement: the rows' notBefore moves to now + leaseMs, so
 * other workers skip them until the lease runs out (and retry if this worker dies). On PostgreSQL the
 * inner SELECT takes FOR UPDATE SKIP LOCKED, so concurrent claimers on other nodes pass over rows
 * being claimed instead of waiting or double-claiming; an UPDATE committed meanwhile is rechecked
 * against `not_before_ms <= now` by READ COMMITTED and drops out. SQLite runs one writer at a time.
 */
export async function claimPurge(
  db: Kysely<Database>,
  dialect: Dialect,
  opts: { limit: number; now: number; leaseMs: number },
): Promise<PurgeEntry[]> {
  if (opts.limit <= 0) return [];
  let due = db
    .selectFrom('purge_queue')
    .select(['account', 'id'])
    .where('not_before_ms', '<=', opts.now)
    .orderBy('not_before_ms')
    .limit(opts.limit);
  if (dialect === 'postgres') due = due.forUpdate().skipLocked();
  const rows = await db
    .updateTable('purge_queue')
    .set({ not_before_ms: opts.now + opts.leaseMs })
    .where(({ eb, refTuple }) => eb(refTuple('account', 'id'), 'in', due.$asTuple('account', 'id')))
    .returningAll()
    .execute();
  // Oldest first: the row ids are time-ordered UUIDs.
  return rows.sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0)).map(toPurge);
}

/** Deletes rows by public id through the (account, id) primary key; ids not issued here are ignored. */
export async function deletePurge(db: Kysely<Database>, ids: readonly string[]): Promise<void> {
  const byAccount = new Map<string, string[]>();
  for (const key of ids.map(parsePurgeId)) {
    if (key) byAccount.set(key.account, [...(byAccount.get(key.account) ?? []), key.id]);
  }
  if (byAccount.size === 0) return;
  // Grouped per account: SQLite accepts row values only against a subquery, not a literal list.
  await db
    .deleteFrom('purge_queue')
    .where(({ eb, and, or }) =>
      or(
        [...byAccount].map(([account, rowIds]) => and([eb('account', '=', account), eb('id', 'in', rowIds)])),
      ),
    )
    .execute();
}

/** A quarantined entry keeps a notBefore that no claim reaches (claims pass real times). */
export const QUARANTINED_NOT_BEFORE = Number.MAX_SAFE_INTEGER;

export async function failPurge(
  db: Kysely<Database>,
  f: { id: string; error: string; retryAt: number; quarantine: boolean; now: number },
): Promise<void> {
  const key = parsePurgeId(f.id);
  if (!key) return;
  await db
    .updateTable('purge_queue')
    .set((eb) => ({
      attempts: eb('attempts', '+', 1),
      last_error: f.error.slice(0, 1000),
      not_before_ms: f.quarantine ? QUARANTINED_NOT_BEFORE : f.retryAt,
      quarantined_ms: f.quarantine ? f.now : null,
    }))
    .where('account', '=', key.account)
    .where('id', '=', key.id)
    .execute();
}

export async function releaseUploadIntents(
  db: Kysely<Database>,
  nodes: readonly string[],
  now: number,
): Promise<number> {
  if (nodes.length === 0) return 0;
  const res = await db
    .updateTable('purge_queue')
    .set({ not_before_ms: now })
    .where('owner_node', 'in', [...nodes])
    .where('owner_node', 'is not', null)
    .where('reason', '=', 'upload-intent')
    .where('quarantined_ms', 'is', null)
    .where('not_before_ms', '>', now)
    .executeTakeFirst();
  return Number(res.numUpdatedRows);
}

/** Deletes the intent only if its notBefore is still the one its upload wrote (see MetadataTx). */
export async function takeUploadIntent(db: Kysely<Database>, intent: PurgeEntry): Promise<boolean> {
  const query = takeUploadIntentQuery(db, intent);
  if (!query) return false;
  const res = await query.executeTakeFirst();
  return Number(res.numDeletedRows) === 1;
}

/** The DELETE behind takeUploadIntent; undefined for an id not issued here. */
export function takeUploadIntentQuery(db: Kysely<Database>, intent: PurgeEntry) {
  const key = parsePurgeId(intent.id);
  if (!key) return undefined;
  return db
    .deleteFrom('purge_queue')
    .where('account', '=', key.account)
    .where('id', '=', key.id)
    .where('reason', '=', 'upload-intent')
    .where('not_before_ms', '=', intent.notBefore);
}

export async function listPurge(
  db: Kysely<Database>,
  opts: { kind: 'quarantined' | 'upload-intent'; limit: number },
): Promise<PurgeEntry[]> {
  let q = db.selectFrom('purge_queue').selectAll();
  q =
    opts.kind === 'quarantined'
      ? q.where('quarantined_ms', 'is not', null)
      : q.where('reason', '=', 'upload-intent').where('quarantined_ms', 'is', null);
  const rows = await q.orderBy('id').limit(opts.limit).execute();
  return rows.map(toPurge);
}

export async function countPurge(db: Kysely<Database>): Promise<number> {
  const row = await db
    .selectFrom('purge_queue')
    .select(sql<number>`count(*)`.as('n'))
    .executeTakeFirstOrThrow();
  return Number(row.n);
}

export async function listPurgeBlobKeys(db: Kysely<Database>): Promise<string[]> {
  const rows = await db.selectFrom('purge_queue').select('blob_key').orderBy('blob_key').execute();
  return rows.map((r) => r.blob_key);
}
