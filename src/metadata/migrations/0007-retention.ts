import { type Kysely, sql } from 'kysely';
import { keyText } from './dialect.js';

// Retention (src/retention/).
//  - retention_policies: one row per account with a policy: the rules in force, the rules waiting
//    out the grace period (pending_rules until pending_until_ms), a version that every change
//    bumps (a sweep stops when the rules it works under are no longer in force), and the last
//    sweep's outcome.
//  - contents.start_ms / contents.direction: the interaction's start and direction, copied onto its
//    content rows (both are immutable), so that "items of type T, direction D, started before C"
//    is one range of contents_retention_idx. A rule's due items are found by that index alone,
//    never by walking the account's interactions and their content.
export async function up(db: Kysely<unknown>): Promise<void> {
  const key = keyText(db);
  await db.schema
    .createTable('retention_policies')
    .addColumn('account', key, (c) => c.notNull().primaryKey())
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('rules', 'text', (c) => c.notNull()) // JSON array
    .addColumn('pending_rules', 'text') // JSON array or null
    .addColumn('pending_until_ms', 'bigint')
    .addColumn('version', 'integer', (c) => c.notNull())
    .addColumn('updated_ms', 'bigint', (c) => c.notNull())
    .addColumn('sweep_requested_ms', 'bigint')
    .addColumn('last_sweep_ms', 'bigint')
    .addColumn('last_sweep_deleted', 'integer')
    .execute();

  await db.schema.alterTable('contents').addColumn('start_ms', 'bigint').execute();
  await db.schema.alterTable('contents').addColumn('direction', 'text').execute();
  await sql`
    update contents set
      start_ms = (select i.start_ms from interactions i where i.account = contents.account and i.guid = contents.guid),
      direction = (select i.direction from interactions i where i.account = contents.account and i.guid = contents.guid)
  `.execute(db);
  await db.schema
    .createIndex('contents_retention_idx')
    .on('contents')
    .columns(['account', 'type', 'direction', 'start_ms', 'guid', 'content_key'])
    .execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropIndex('contents_retention_idx').execute();
  await db.schema.alterTable('contents').dropColumn('direction').execute();
  await db.schema.alterTable('contents').dropColumn('start_ms').execute();
  await db.schema.dropTable('retention_policies').execute();
}
