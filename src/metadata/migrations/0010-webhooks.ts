import type { Kysely } from 'kysely';
import { keyText } from './dialect.js';

// Webhooks (src/webhooks/).
//  - webhook_subscriptions: an account's subscriptions. The signing secret is one sealed value
//    (secrets/sealed-box.ts: AES-256-GCM under a key kept outside the database), so a copy of the
//    database alone cannot sign a notification.
//  - webhook_deliveries: one row per (event, subscription), made by the dispatcher from the outbox.
//    `body` is the exact CloudEvent JSON, sent unchanged on every attempt (the same `id` each time).
//    Pending rows are worked by the subscription's delivery job of the one job runner.
//  - outbox_at_idx: the dispatcher reads the outbox oldest first.
export async function up(db: Kysely<unknown>): Promise<void> {
  const key = keyText(db);
  await db.schema
    .createTable('webhook_subscriptions')
    .addColumn('account', key, (c) => c.notNull())
    .addColumn('id', key, (c) => c.notNull())
    .addColumn('name', key, (c) => c.notNull())
    .addColumn('url', 'text', (c) => c.notNull())
    .addColumn('events', 'text', (c) => c.notNull()) // JSON array of names and wildcards
    .addColumn('enabled', 'integer', (c) => c.notNull())
    .addColumn('sealed_secret', 'text', (c) => c.notNull())
    .addColumn('created_ms', 'bigint', (c) => c.notNull())
    .addColumn('updated_ms', 'bigint', (c) => c.notNull())
    .addPrimaryKeyConstraint('webhook_subscriptions_pk', ['account', 'id'])
    .addUniqueConstraint('webhook_subscriptions_name_uq', ['account', 'name'])
    .execute();
  await db.schema
    .createTable('webhook_deliveries')
    .addColumn('account', key, (c) => c.notNull())
    .addColumn('id', key, (c) => c.notNull())
    .addColumn('subscription_id', key, (c) => c.notNull())
    .addColumn('event_id', key, (c) => c.notNull())
    .addColumn('event_type', 'text', (c) => c.notNull())
    .addColumn('subject', key)
    .addColumn('body', 'text', (c) => c.notNull())
    .addColumn('status', 'text', (c) => c.notNull()) // pending | delivered | failed
    .addColumn('attempts', 'integer', (c) => c.notNull())
    .addColumn('next_attempt_ms', 'bigint', (c) => c.notNull())
    .addColumn('created_ms', 'bigint', (c) => c.notNull())
    .addColumn('last_attempt_ms', 'bigint')
    .addColumn('last_status', 'integer')
    .addColumn('last_error', 'text')
    .addColumn('last_node', 'text') // the node that made the last attempt
    .addColumn('finished_ms', 'bigint')
    .addPrimaryKeyConstraint('webhook_deliveries_pk', ['account', 'id'])
    // The dispatcher may meet an event twice (a run that lost its claim): one delivery each.
    .addUniqueConstraint('webhook_deliveries_event_uq', ['account', 'subscription_id', 'event_id'])
    .execute();
  await db.schema
    .createIndex('webhook_deliveries_sub_idx')
    .on('webhook_deliveries')
    .columns(['account', 'subscription_id', 'id'])
    .execute();
  await db.schema
    .createIndex('webhook_deliveries_due_idx')
    .on('webhook_deliveries')
    .columns(['account', 'subscription_id', 'status', 'next_attempt_ms'])
    .execute();
  await db.schema
    .createIndex('webhook_deliveries_finished_idx')
    .on('webhook_deliveries')
    .column('finished_ms')
    .execute();
  // The dispatcher takes the oldest outbox events first, across accounts.
  await db.schema.createIndex('outbox_at_idx').on('outbox').columns(['at_ms', 'id']).execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropIndex('outbox_at_idx').execute();
  await db.schema.dropTable('webhook_deliveries').execute();
  await db.schema.dropTable('webhook_subscriptions').execute();
}
