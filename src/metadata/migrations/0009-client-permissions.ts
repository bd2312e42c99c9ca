import type { Kysely } from 'kysely';

// A client's content permissions (core/permissions.ts): a JSON object, or null for none. Existing
// clients keep null, so nothing an existing client could do changes.
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable('clients').addColumn('permissions', 'text').execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable('clients').dropColumn('permissions').execute();
}
