import type { Kysely } from 'kysely';
import { keyText } from './dialect.js';

// The Interaction Content Export API (src/export/).
//  - export_storage: an account's external storage items (S3 buckets). The credentials are one
//    sealed value (secrets/sealed-box.ts: AES-256-GCM under a key kept outside the database); the
//    columns in clear are what the API shows. Export jobs are rows of the one job runner (jobs).
//  - contents_modified_idx: a recurring export takes the content that changed since its last run,
//    in (last_modified_ms, guid, content_key) order within one account.
export async function up(db: Kysely<unknown>): Promise<void> {
  const key = keyText(db);
  await db.schema
    .createTable('export_storage')
    .addColumn('account', key, (c) => c.notNull())
    .addColumn('id', key, (c) => c.notNull())
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('provider', 'text', (c) => c.notNull())
    .addColumn('bucket', 'text', (c) => c.notNull())
    .addColumn('region', 'text', (c) => c.notNull())
    .addColumn('endpoint', 'text')
    .addColumn('force_path_style', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('prefix', 'text', (c) => c.notNull())
    .addColumn('access_key_hint', 'text')
    .addColumn('sealed_credentials', 'text', (c) => c.notNull())
    .addColumn('created_ms', 'bigint', (c) => c.notNull())
    .addPrimaryKeyConstraint('export_storage_pk', ['account', 'id'])
    .execute();
  await db.schema
    .createIndex('contents_modified_idx')
    .on('contents')
    .columns(['account', 'last_modified_ms', 'guid', 'content_key'])
    .execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropIndex('contents_modified_idx').execute();
  await db.schema.dropTable('export_storage').execute();
}
