import type { Kysely } from 'kysely';

// audit_heads.prev_hash: the hash before last_hash, i.e. the previous hash of the entry at last_seq.
// On PostgreSQL one statement moves the head on (seq + 1, the new entry's hash computed from the
// hash it held) and returns what the entry needs, so the ledger row is written from the head's
// RETURNING and nothing looks the entry up again (kysely-metadata-tx.ts #appendInSql). Heads
// written before this migration have none until their next append sets it.
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable('audit_heads').addColumn('prev_hash', 'text').execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable('audit_heads').dropColumn('prev_hash').execute();
}
