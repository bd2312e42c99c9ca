import type { Kysely } from 'kysely';
import { keyText } from './dialect.js';

// Named, expiring leases per account: "one delete-batch per account at a time", across nodes. A
// holder that dies leaves a lease that simply expires.
export async function up(db: Kysely<unknown>): Promise<void> {
  const key = keyText(db);
  await db.schema
    .createTable('leases')
    .addColumn('account', key, (c) => c.notNull())
    .addColumn('name', key, (c) => c.notNull())
    .addColumn('holder', 'text', (c) => c.notNull())
    .addColumn('expires_ms', 'bigint', (c) => c.notNull())
    .addPrimaryKeyConstraint('leases_pk', ['account', 'name'])
    .execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropTable('leases').execute();
}
