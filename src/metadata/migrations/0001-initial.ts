import { type Kysely, sql } from 'kysely';
import { keyText } from './dialect.js';

// Schema rule: every table holding account data has `account` as the LEADING column of its primary
// key and of every index, so the tables can be distributed (and co-located) by account, e.g. with
// Citus, and every tenant query is a range scan within one account. Deliberate exceptions:
//  - clients: keyed by client_id alone, because the token endpoint looks a client up before it
//    knows the account; a small reference table.
//  - settings: a handful of service-wide rows (the token-signing secret); a small reference table.
//  - audit_heads: keyed by account alone (it IS the per-account row).
//  - purge_queue_due_idx: the purge worker claims due rows across all accounts in due order; an
//    index leading with account cannot serve that without a skip scan (PostgreSQL has none before
//    18). The queue's primary key still leads with account. Under Citus this internal work queue is
//    best left undistributed: a claim must see every account's rows.
// Partial indexes use the literal predicate `content_count > 0`; queries repeat it literally (not
// as a bound parameter) so that both planners can prove the index applies.

export async function up(db: Kysely<unknown>): Promise<void> {
  const key = keyText(db);

  await db.schema
    .createTable('interactions')
    .addColumn('account', key, (c) => c.notNull())
    .addColumn('guid', key, (c) => c.notNull())
    .addColumn('start_ms', 'bigint', (c) => c.notNull())
    .addColumn('connect_from', key, (c) => c.notNull())
    .addColumn('connect_to', key, (c) => c.notNull())
    .addColumn('direction', 'text', (c) => c.notNull())
    .addColumn('handling_agents', 'text', (c) => c.notNull()) // JSON array of agent ids, in order
    .addColumn('content_count', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('hold_reason', 'text') // legal hold: all four set, or all null
    .addColumn('hold_case_id', 'text')
    .addColumn('hold_placed_ms', 'bigint')
    .addColumn('hold_placed_by', 'text')
    .addColumn('created_ms', 'bigint', (c) => c.notNull())
    .addPrimaryKeyConstraint('interactions_pk', ['account', 'guid'])
    .execute();
  // The search hot path: window scans in (start, guid) order; the address indexes serve prefix ranges.
  const searchIndexes: [string, string[]][] = [
    ['interactions_window_idx', ['account', 'start_ms', 'guid']],
    ['interactions_from_idx', ['account', 'connect_from', 'start_ms', 'guid']],
    ['interactions_to_idx', ['account', 'connect_to', 'start_ms', 'guid']],
  ];
  for (const [name, columns] of searchIndexes) {
    await db.schema
      .createIndex(name)
      .on('interactions')
      .columns(columns)
      .where(sql<boolean>`content_count > 0`)
      .execute();
  }

  // One row per (interaction, distinct agent), for the handlingAgentId filter: its primary key is the
  // index that search walks in (start, guid) order. Rows are deleted through that key too (the core
  // knows the interaction's agents and start), so no (account, guid) index is needed.
  await db.schema
    .createTable('interaction_agents')
    .addColumn('account', key, (c) => c.notNull())
    .addColumn('agent_id', key, (c) => c.notNull())
    .addColumn('start_ms', 'bigint', (c) => c.notNull())
    .addColumn('guid', key, (c) => c.notNull())
    .addPrimaryKeyConstraint('interaction_agents_pk', ['account', 'agent_id', 'start_ms', 'guid'])
    .execute();

  await db.schema
    .createTable('contents')
    .addColumn('account', key, (c) => c.notNull())
    .addColumn('guid', key, (c) => c.notNull())
    .addColumn('content_key', key, (c) => c.notNull())
    .addColumn('type', 'text', (c) => c.notNull())
    .addColumn('media_type', 'text', (c) => c.notNull())
    .addColumn('length', 'bigint', (c) => c.notNull())
    .addColumn('sha256', 'text', (c) => c.notNull())
    .addColumn('blob_key', 'text', (c) => c.notNull())
    .addColumn('last_modified_ms', 'bigint', (c) => c.notNull())
    .addColumn('owning_agent_id', 'text')
    .addColumn('owning_interaction_plan_id', 'text')
    .addColumn('properties', 'text', (c) => c.notNull()) // JSON object
    .addPrimaryKeyConstraint('contents_pk', ['account', 'guid', 'content_key'])
    // A safety net: the store deletes content rows itself before their interaction.
    .addForeignKeyConstraint('contents_interaction_fk', ['account', 'guid'], 'interactions', [
      'account',
      'guid',
    ])
    .execute();

  await db.schema
    .createTable('purge_queue')
    .addColumn('account', key, (c) => c.notNull())
    .addColumn('id', key, (c) => c.notNull())
    .addColumn('blob_key', 'text', (c) => c.notNull())
    .addColumn('not_before_ms', 'bigint', (c) => c.notNull())
    .addColumn('reason', 'text', (c) => c.notNull())
    .addPrimaryKeyConstraint('purge_queue_pk', ['account', 'id'])
    .execute();
  await db.schema.createIndex('purge_queue_due_idx').on('purge_queue').column('not_before_ms').execute();

  await db.schema
    .createTable('audit_log')
    .addColumn('account', key, (c) => c.notNull())
    .addColumn('seq', 'bigint', (c) => c.notNull())
    .addColumn('at_ms', 'bigint', (c) => c.notNull())
    .addColumn('actor_client_id', 'text')
    .addColumn('actor_subject', 'text')
    .addColumn('action', 'text', (c) => c.notNull())
    .addColumn('guid', key, (c) => c.notNull())
    .addColumn('content_key', 'text')
    .addColumn('type', 'text')
    .addColumn('content_length', 'bigint')
    .addColumn('sha256', 'text')
    .addColumn('reason', 'text', (c) => c.notNull())
    .addColumn('request_id', 'text')
    .addColumn('details', 'text') // JSON object or null
    .addColumn('prev_hash', 'text', (c) => c.notNull())
    .addColumn('hash', 'text', (c) => c.notNull())
    .addPrimaryKeyConstraint('audit_log_pk', ['account', 'seq'])
    .execute();
  await db.schema
    .createIndex('audit_log_at_idx')
    .on('audit_log')
    .columns(['account', 'at_ms', 'seq'])
    .execute();
  await db.schema
    .createIndex('audit_log_guid_idx')
    .on('audit_log')
    .columns(['account', 'guid', 'seq'])
    .execute();

  // The ledger's head per account: appendAudit upserts this row first, which row-locks it until the
  // transaction ends, so appends of one account serialise across connections and nodes.
  await db.schema
    .createTable('audit_heads')
    .addColumn('account', key, (c) => c.notNull().primaryKey())
    .addColumn('last_seq', 'bigint', (c) => c.notNull())
    .addColumn('last_hash', 'text', (c) => c.notNull())
    .execute();

  await db.schema
    .createTable('clients')
    .addColumn('client_id', key, (c) => c.notNull().primaryKey())
    .addColumn('account', key, (c) => c.notNull())
    .addColumn('name', 'text')
    .addColumn('scopes', 'text', (c) => c.notNull()) // JSON array
    .addColumn('secret_hash', 'text', (c) => c.notNull())
    .addColumn('created_ms', 'bigint', (c) => c.notNull())
    .addColumn('revoked_ms', 'bigint')
    .execute();

  await db.schema
    .createTable('settings')
    .addColumn('name', key, (c) => c.notNull().primaryKey())
    .addColumn('value', 'text', (c) => c.notNull())
    .execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  for (const table of [
    'settings',
    'clients',
    'audit_heads',
    'audit_log',
    'purge_queue',
    'contents',
    'interaction_agents',
    'interactions',
  ]) {
    await db.schema.dropTable(table).ifExists().execute();
  }
}
