import type { Kysely } from 'kysely';
import { keyText } from './dialect.js';

// The outbox (src/events/): every event ICS raises, written in the transaction of the change it
// reports. Delivery (webhooks) reads it from there. Ids are uuid v7, so within an account the primary
// key is in time order.
export async function up(db: Kysely<unknown>): Promise<void> {
  const key = keyText(db);
  await db.schema
    .createTable('outbox')
    .addColumn('account', key, (c) => c.notNull())
    .addColumn('id', key, (c) => c.notNull())
    .addColumn('type', 'text', (c) => c.notNull())
    .addColumn('subject', key)
    .addColumn('at_ms', 'bigint', (c) => c.notNull())
    .addColumn('data', 'text', (c) => c.notNull()) // JSON object
    .addPrimaryKeyConstraint('outbox_pk', ['account', 'id'])
    .execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropTable('outbox').execute();
}
