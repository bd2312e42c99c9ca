import type { Kysely } from 'kysely';
import type {
  AuditEntry,
  AuditQuery,
  ContentRecord,
  InteractionRecord,
  InteractionWithContent,
  SearchQuery,
} from '../core/types.js';
import { CONTENT_COLUMNS, type ContentRow, type Database, INTERACTION_COLUMNS } from './db-schema.js';
import { compareContent, toAudit, toContent, toInteraction, toInteractionWithContent } from './mappers.js';
import { PreparedQuery } from './prepared-query.js';
import { searchPageQuery } from './search-query.js';

// Reads shared by the store (autocommit) and the transaction object: both hand in a Kysely, which
// for a transaction is its Transaction. The fixed-shape reads on hot paths are prepared once.

const interactionQuery = new PreparedQuery(2, (db, account: string, guid: string) =>
  db
    .selectFrom('interactions')
    .select(INTERACTION_COLUMNS)
    .where('account', '=', account)
    .where('guid', '=', guid),
);

const interactionWithContentQuery = new PreparedQuery(2, (db, account: string, guid: string) =>
  db
    .selectFrom('interactions as i')
    .leftJoin('contents as c', (join) =>
      join.onRef('c.account', '=', 'i.account').onRef('c.guid', '=', 'i.guid'),
    )
    .select(INTERACTION_COLUMNS.map((c) => `i.${c}` as const))
    .select([
      'c.content_key as c_content_key',
      'c.type as c_type',
      'c.media_type as c_media_type',
      'c.length as c_length',
      'c.sha256 as c_sha256',
      'c.blob_key as c_blob_key',
      'c.last_modified_ms as c_last_modified_ms',
      'c.owning_agent_id as c_owning_agent_id',
      'c.owning_interaction_plan_id as c_owning_interaction_plan_id',
      'c.properties as c_properties',
    ])
    .where('i.account', '=', account)
    .where('i.guid', '=', guid),
);

/** The interaction, row-locked until the transaction ends (PostgreSQL only). */
export const lockInteractionQuery = new PreparedQuery(2, (db, account: string, guid: string) =>
  db
    .selectFrom('interactions')
    .select(INTERACTION_COLUMNS)
    .where('account', '=', account)
    .where('guid', '=', guid)
    .forUpdate(),
);

export const listContentQuery = new PreparedQuery(2, (db, account: string, guid: string) =>
  db
    .selectFrom('contents')
    .select(CONTENT_COLUMNS)
    .where('account', '=', account)
    .where('guid', '=', guid)
    .orderBy('last_modified_ms')
    .orderBy('content_key'),
);

export async function getInteraction(
  db: Kysely<Database>,
  account: string,
  guid: string,
): Promise<InteractionRecord | undefined> {
  const [row] = await interactionQuery.execute(db, account, guid);
  return row && toInteraction(row);
}

/**
 * The interaction and its content in one statement (a LEFT JOIN): the hot path of GET
 * /interactions/{guid}, where a second round trip through the query builder and driver was a
 * measurable share of each request.
 */
export async function getInteractionWithContent(
  db: Kysely<Database>,
  account: string,
  guid: string,
): Promise<InteractionWithContent | undefined> {
  const rows = await interactionWithContentQuery.execute(db, account, guid);
  if (rows.length === 0) return undefined;
  const content: ContentRecord[] = [];
  for (const r of rows) {
    if (r.c_content_key === null) continue;
    content.push(
      toContent({
        account,
        guid: r.guid,
        content_key: r.c_content_key,
        type: r.c_type as string,
        media_type: r.c_media_type as string,
        length: r.c_length as number,
        sha256: r.c_sha256 as string,
        blob_key: r.c_blob_key as string,
        last_modified_ms: r.c_last_modified_ms as number,
        owning_agent_id: r.c_owning_agent_id,
        owning_interaction_plan_id: r.c_owning_interaction_plan_id,
        properties: r.c_properties as string,
      }),
    );
  }
  return toInteractionWithContent(rows[0], content.sort(compareContent));
}

export async function listContent(
  db: Kysely<Database>,
  account: string,
  guid: string,
): Promise<ContentRecord[]> {
  return toContentList(await listContentQuery.execute(db, account, guid));
}

/** Rows of listContentQuery as records (already in order). */
export function toContentList(rows: readonly ContentRow[]): ContentRecord[] {
  return rows.map(toContent);
}

export async function search(db: Kysely<Database>, query: SearchQuery): Promise<InteractionWithContent[]> {
  const rows = await searchPageQuery(db, query).execute();
  if (rows.length === 0) return [];
  // The whole page's content in one query, never one per interaction.
  const contentRows = await db
    .selectFrom('contents')
    .select(CONTENT_COLUMNS)
    .where('account', '=', query.account)
    .where(
      'guid',
      'in',
      rows.map((r) => r.guid),
    )
    .execute();
  const byGuid = new Map<string, ContentRecord[]>();
  for (const r of contentRows) {
    const list = byGuid.get(r.guid) ?? [];
    list.push(toContent(r));
    byGuid.set(r.guid, list);
  }
  return rows.map((r) => toInteractionWithContent(r, (byGuid.get(r.guid) ?? []).sort(compareContent)));
}

export async function listAudit(db: Kysely<Database>, q: AuditQuery): Promise<AuditEntry[]> {
  // Served by audit_log_pk (account, seq), audit_log_at_idx (account, at_ms, seq) for time ranges
  // and audit_log_guid_idx (account, guid, seq) for one interaction's history.
  let s = db.selectFrom('audit_log').selectAll().where('account', '=', q.account);
  if (q.start !== undefined) s = s.where('at_ms', '>=', q.start);
  if (q.end !== undefined) s = s.where('at_ms', '<', q.end);
  if (q.guid !== undefined) s = s.where('guid', '=', q.guid);
  if (q.action !== undefined) s = s.where('action', '=', q.action);
  if (q.afterSeq !== undefined) s = s.where('seq', '>', q.afterSeq);
  const rows = await s.orderBy('seq').limit(q.limit).execute();
  return rows.map(toAudit);
}

export async function listAllContent(
  db: Kysely<Database>,
  opts: { limit: number; after?: { account: string; guid: string; contentKey: string } },
): Promise<ContentRecord[]> {
  let s = db.selectFrom('contents').selectAll();
  const a = opts.after;
  if (a !== undefined) {
    // (account, guid, content_key) > (a, g, k), portably; `account >= a` gives the index range start.
    s = s
      .where('account', '>=', a.account)
      .where(({ eb, or, and }) =>
        or([
          eb('account', '>', a.account),
          and([eb('account', '=', a.account), eb('guid', '>', a.guid)]),
          and([eb('account', '=', a.account), eb('guid', '=', a.guid), eb('content_key', '>', a.contentKey)]),
        ]),
      );
  }
  const rows = await s.orderBy('account').orderBy('guid').orderBy('content_key').limit(opts.limit).execute();
  return rows.map(toContent);
}
