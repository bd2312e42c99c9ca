import type { ContentTypeName, Direction } from '../core/types.js';
import type { ExportStorageRow } from '../metadata/db-schema.js';
import type { SqlHandle } from '../metadata/sql-handle.js';
import type { ChangedContent, ExportStore } from './export-store.js';
import type { StorageItem } from './types.js';

/** ExportStore on the metadata database (SQLite or PostgreSQL), through the store's SQL handle. */
export class KyselyExportStore implements ExportStore {
  constructor(private readonly sql: SqlHandle) {}

  createStorage(item: StorageItem, sealedCredentials: string): Promise<void> {
    return this.sql.write(async (db) => {
      await db
        .insertInto('export_storage')
        .values({
          account: item.account,
          id: item.id,
          name: item.name,
          provider: item.provider,
          bucket: item.bucket,
          region: item.region,
          endpoint: item.endpoint ?? null,
          force_path_style: item.forcePathStyle ? 1 : 0,
          prefix: item.prefix,
          access_key_hint: item.accessKeyHint,
          sealed_credentials: sealedCredentials,
          created_ms: item.createdAt,
        })
        .execute();
    });
  }

  listStorage(account: string): Promise<StorageItem[]> {
    return this.sql.read(async (db) => {
      const rows = await db
        .selectFrom('export_storage')
        .selectAll()
        .where('account', '=', account)
        .orderBy('created_ms')
        .orderBy('id')
        .execute();
      return rows.map(toItem);
    });
  }

  getStorage(account: string, id: string) {
    return this.sql.read(async (db) => {
      const row = await db
        .selectFrom('export_storage')
        .selectAll()
        .where('account', '=', account)
        .where('id', '=', id)
        .executeTakeFirst();
      return row && { item: toItem(row), sealed: row.sealed_credentials };
    });
  }

  deleteStorage(account: string, id: string): Promise<boolean> {
    return this.sql.write(async (db) => {
      const res = await db
        .deleteFrom('export_storage')
        .where('account', '=', account)
        .where('id', '=', id)
        .executeTakeFirst();
      return Number(res.numDeletedRows) > 0;
    });
  }

  listChangedContent(query: {
    account: string;
    from: number;
    to: number;
    startFrom: number;
    directions: readonly Direction[];
    types: readonly ContentTypeName[];
    after?: { lastModified: number; guid: string; contentKey: string };
    limit: number;
  }): Promise<ChangedContent[]> {
    return this.sql.read(async (db) => {
      // contents_modified_idx serves the range and the order; the interaction is one primary-key
      // lookup per row.
      let q = db
        .selectFrom('contents as c')
        .innerJoin('interactions as i', (j) =>
          j.onRef('i.account', '=', 'c.account').onRef('i.guid', '=', 'c.guid'),
        )
        .select(['c.guid', 'c.content_key', 'c.last_modified_ms'])
        .where('c.account', '=', query.account)
        .where('c.last_modified_ms', '>=', query.from)
        .where('c.last_modified_ms', '<', query.to)
        .where('i.start_ms', '>=', query.startFrom);
      if (query.directions.length > 0) q = q.where('i.direction', 'in', [...query.directions]);
      if (query.types.length > 0) q = q.where('c.type', 'in', [...query.types]);
      const after = query.after;
      if (after)
        q = q.where(({ eb, refTuple, tuple }) =>
          eb(
            refTuple('c.last_modified_ms', 'c.guid', 'c.content_key'),
            '>',
            tuple(after.lastModified, after.guid, after.contentKey),
          ),
        );
      const rows = await q
        .orderBy('c.last_modified_ms')
        .orderBy('c.guid')
        .orderBy('c.content_key')
        .limit(query.limit)
        .execute();
      return rows.map((r) => ({
        guid: r.guid,
        contentKey: r.content_key,
        lastModified: Number(r.last_modified_ms),
      }));
    });
  }
}

function toItem(r: ExportStorageRow): StorageItem {
  return {
    account: r.account,
    id: r.id,
    name: r.name,
    provider: 'AWS_S3',
    bucket: r.bucket,
    region: r.region,
    endpoint: r.endpoint ?? undefined,
    forcePathStyle: Number(r.force_path_style) === 1,
    prefix: r.prefix,
    accessKeyHint: r.access_key_hint,
    createdAt: Number(r.created_ms),
  };
}
