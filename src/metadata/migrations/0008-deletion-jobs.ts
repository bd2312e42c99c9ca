import { type Kysely, sql } from 'kysely';
import { normalizeAddress } from '../../core/addresses.js';
import { keyText } from './dialect.js';

// Deletion jobs and erasure certificates (src/deletion-jobs/, src/certificates/).
//  - interactions.connect_from_norm / connect_to_norm: the addresses' normal forms
//    (core/addresses.ts), written with every interaction and backfilled here, so that a subject
//    erasure is an index lookup per address, never a function over every row. Nullable only
//    because SQLite cannot add a NOT NULL column to a filled table; every row gets a value.
//  - interactions_from_norm_idx / _to_norm_idx: (account, address, start_ms, guid), the order a
//    job walks one address in. Not partial: an interaction whose content is all gone still holds
//    the subject's addresses, and an erasure must find it.
//  - interactions_start_idx: (account, start_ms, guid) over every interaction, for jobs that
//    match a time range alone (the search index is partial: content_count > 0).
//  - deletion_job_items: what a job matched and what became of each interaction (the job itself
//    is a row of the one job runner).
//  - signing_keys: the Ed25519 keys that sign erasure certificates; the private key sealed
//    (secrets/sealed-box.ts). Service-wide like `settings`, so keyed by kid alone.
export async function up(db: Kysely<unknown>): Promise<void> {
  const key = keyText(db);
  await db.schema.alterTable('interactions').addColumn('connect_from_norm', key).execute();
  await db.schema.alterTable('interactions').addColumn('connect_to_norm', key).execute();
  await backfill(db);
  for (const [name, columns] of [
    ['interactions_from_norm_idx', ['account', 'connect_from_norm', 'start_ms', 'guid']],
    ['interactions_to_norm_idx', ['account', 'connect_to_norm', 'start_ms', 'guid']],
    ['interactions_start_idx', ['account', 'start_ms', 'guid']],
  ] as const) {
    await db.schema
      .createIndex(name)
      .on('interactions')
      .columns([...columns])
      .execute();
  }

  await db.schema
    .createTable('deletion_job_items')
    .addColumn('account', key, (c) => c.notNull())
    .addColumn('job_id', key, (c) => c.notNull())
    .addColumn('guid', key, (c) => c.notNull())
    .addColumn('outcome', 'text', (c) => c.notNull())
    .addColumn('entries', 'text')
    .addColumn('message', 'text')
    .addColumn('updated_ms', 'bigint', (c) => c.notNull())
    .addPrimaryKeyConstraint('deletion_job_items_pk', ['account', 'job_id', 'guid'])
    .execute();

  await db.schema
    .createTable('signing_keys')
    .addColumn('kid', key, (c) => c.notNull().primaryKey())
    .addColumn('alg', 'text', (c) => c.notNull())
    .addColumn('public_jwk', 'text', (c) => c.notNull())
    .addColumn('sealed_private', 'text', (c) => c.notNull())
    .addColumn('created_ms', 'bigint', (c) => c.notNull())
    .execute();
}

/** Fills the normal forms of existing rows, 500 at a time in (account, guid) order. */
async function backfill(db: Kysely<unknown>): Promise<void> {
  let after: { account: string; guid: string } | undefined;
  for (;;) {
    const page = (
      await sql<{ account: string; guid: string; connect_from: string; connect_to: string }>`
        select account, guid, connect_from, connect_to from interactions
        ${after ? sql`where (account, guid) > (${after.account}, ${after.guid})` : sql``}
        order by account, guid limit 500`.execute(db)
    ).rows;
    if (page.length === 0) return;
    const values = sql.join(
      page.map(
        (r) =>
          sql`(${r.account}, ${r.guid}, ${normalizeAddress(r.connect_from)}, ${normalizeAddress(r.connect_to)})`,
      ),
    );
    // VALUES columns are column1… on both SQLite and PostgreSQL.
    await sql`
      update interactions set connect_from_norm = v.column3, connect_to_norm = v.column4
      from (values ${values}) as v
      where interactions.account = v.column1 and interactions.guid = v.column2`.execute(db);
    const last = page[page.length - 1];
    after = { account: last.account, guid: last.guid };
  }
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropTable('signing_keys').execute();
  await db.schema.dropTable('deletion_job_items').execute();
  for (const name of ['interactions_start_idx', 'interactions_to_norm_idx', 'interactions_from_norm_idx'])
    await db.schema.dropIndex(name).execute();
  await db.schema.alterTable('interactions').dropColumn('connect_to_norm').execute();
  await db.schema.alterTable('interactions').dropColumn('connect_from_norm').execute();
}
