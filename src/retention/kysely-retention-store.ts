import type { ExpressionBuilder, Kysely } from 'kysely';
import type { ContentTypeName } from '../core/types.js';
import type { Database, RetentionPolicyRow } from '../metadata/db-schema.js';
import type { MetadataTx } from '../metadata/metadata-store.js';
import { type SqlHandle, sqlOf } from '../metadata/sql-handle.js';
import { atSeam } from '../metadata/store-errors.js';
import type { DueRange, RetentionStore } from './retention-store.js';
import type { DueItem, RetentionRule, StoredPolicy } from './types.js';

/** RetentionStore on the metadata database (SQLite or PostgreSQL), through the store's SQL handle. */
export class KyselyRetentionStore implements RetentionStore {
  constructor(private readonly sql: SqlHandle) {}

  getPolicy(account: string): Promise<StoredPolicy | undefined> {
    return this.sql.read(async (db) => {
      const row = await db
        .selectFrom('retention_policies')
        .selectAll()
        .where('account', '=', account)
        .executeTakeFirst();
      return row && toPolicy(row);
    });
  }

  lockPolicy(tx: MetadataTx, account: string, empty: StoredPolicy): Promise<StoredPolicy> {
    return atSeam(async () => {
      const db = sqlOf(tx);
      // Insert-if-absent first, so that there is a row to lock even for the first change.
      await db
        .insertInto('retention_policies')
        .values(fromPolicy(empty))
        .onConflict((oc) => oc.column('account').doNothing())
        .execute();
      let q = db.selectFrom('retention_policies').selectAll().where('account', '=', account);
      if (this.sql.dialect === 'postgres') q = q.forUpdate();
      return toPolicy(await q.executeTakeFirstOrThrow());
    });
  }

  savePolicy(tx: MetadataTx, p: StoredPolicy): Promise<void> {
    return atSeam(async () => {
      // Only the policy's own columns: sweep requests and results are written by others meanwhile.
      const { account, status, rules, pending_rules, pending_until_ms, version, updated_ms } = fromPolicy(p);
      await sqlOf(tx)
        .updateTable('retention_policies')
        .set({ status, rules, pending_rules, pending_until_ms, version, updated_ms })
        .where('account', '=', account)
        .execute();
    });
  }

  policyVersion(tx: MetadataTx, account: string): Promise<number | undefined> {
    return atSeam(async () => {
      const row = await sqlOf(tx)
        .selectFrom('retention_policies')
        .select('version')
        .where('account', '=', account)
        .executeTakeFirst();
      return row === undefined ? undefined : Number(row.version);
    });
  }

  requestSweep(account: string, at: number): Promise<boolean> {
    return this.sql.write(async (db) => {
      const res = await db
        .updateTable('retention_policies')
        .set({ sweep_requested_ms: at })
        .where('account', '=', account)
        .executeTakeFirst();
      return Number(res.numUpdatedRows) > 0;
    });
  }

  recordSweep(tx: MetadataTx, account: string, sweep: { at: number; deleted: number }): Promise<void> {
    return atSeam(async () => {
      await sqlOf(tx)
        .updateTable('retention_policies')
        .set({ last_sweep_ms: sweep.at, last_sweep_deleted: sweep.deleted })
        .where('account', '=', account)
        .execute();
    });
  }

  listDue(range: DueListQuery): Promise<DueItem[]> {
    return this.sql.read(async (db) => {
      const rows = await dueListQuery(db, range).execute();
      return rows.map((r) => ({
        guid: r.guid,
        contentKey: r.content_key,
        type: r.type as ContentTypeName,
        start: Number(r.start_ms),
        held: r.hold_reason !== null,
      }));
    });
  }

  countDue(range: DueRange): Promise<number> {
    return this.sql.read(async (db) => Number((await dueCountQuery(db, range).executeTakeFirstOrThrow()).n));
  }
}

export type DueListQuery = DueRange & {
  after?: { start: number; guid: string; contentKey: string };
  limit: number;
  withHeld: boolean;
};

/** listDue's query (exported for the plan tests, which EXPLAIN exactly what runs). */
export function dueListQuery(db: Kysely<Database>, range: DueListQuery) {
  let q = dueQuery(db, range).select((eb) => [
    'c.guid',
    'c.content_key',
    'c.type',
    'c.start_ms',
    holdOf(eb).as('hold_reason'),
  ]);
  if (!range.withHeld) q = q.where((eb) => eb(holdOf(eb), 'is', null));
  const after = range.after;
  if (after)
    q = q.where(({ eb, refTuple, tuple }) =>
      eb(
        refTuple('c.start_ms', 'c.guid', 'c.content_key'),
        '>',
        tuple(after.start, after.guid, after.contentKey),
      ),
    );
  return q.orderBy('c.start_ms').orderBy('c.guid').orderBy('c.content_key').limit(range.limit);
}

/** countDue's query. */
export function dueCountQuery(db: Kysely<Database>, range: DueRange) {
  return dueQuery(db, range)
    .where((eb) => eb(holdOf(eb), 'is', null))
    .select((eb) => eb.fn.countAll<number>().as('n'));
}

/**
 * One range of contents_retention_idx (account, type, direction, start_ms, guid, content_key). The
 * item's legal hold is a correlated lookup by the interactions' primary key, not a join: a join
 * lets PostgreSQL's planner hash all of the account's interactions (a scan of the account) where
 * the range is small; a scalar subquery is always one index probe per item in the range.
 */
function dueQuery(db: Kysely<Database>, range: DueRange) {
  return db
    .selectFrom('contents as c')
    .where('c.account', '=', range.account)
    .where('c.type', '=', range.type)
    .where('c.direction', '=', range.direction)
    .where('c.start_ms', '<=', range.startAtMost);
}

const holdOf = (eb: ExpressionBuilder<Database & { c: Database['contents'] }, 'c'>) =>
  eb
    .selectFrom('interactions as i')
    .select('i.hold_reason')
    .whereRef('i.account', '=', 'c.account')
    .whereRef('i.guid', '=', 'c.guid');

function toPolicy(r: RetentionPolicyRow): StoredPolicy {
  return {
    account: r.account,
    status: r.status === 'on' ? 'on' : 'paused',
    rules: JSON.parse(r.rules) as RetentionRule[],
    pendingRules: r.pending_rules === null ? null : (JSON.parse(r.pending_rules) as RetentionRule[]),
    pendingUntil: r.pending_until_ms === null ? null : Number(r.pending_until_ms),
    version: Number(r.version),
    updatedAt: Number(r.updated_ms),
    sweepRequestedAt: r.sweep_requested_ms === null ? null : Number(r.sweep_requested_ms),
    lastSweep:
      r.last_sweep_ms === null
        ? null
        : { at: Number(r.last_sweep_ms), deleted: Number(r.last_sweep_deleted ?? 0) },
  };
}

function fromPolicy(p: StoredPolicy): RetentionPolicyRow {
  return {
    account: p.account,
    status: p.status,
    rules: JSON.stringify(p.rules),
    pending_rules: p.pendingRules === null ? null : JSON.stringify(p.pendingRules),
    pending_until_ms: p.pendingUntil,
    version: p.version,
    updated_ms: p.updatedAt,
    sweep_requested_ms: p.sweepRequestedAt,
    last_sweep_ms: p.lastSweep?.at ?? null,
    last_sweep_deleted: p.lastSweep?.deleted ?? null,
  };
}
