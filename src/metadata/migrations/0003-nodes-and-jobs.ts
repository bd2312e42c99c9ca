import { type Kysely, sql } from 'kysely';
import { keyText } from './dialect.js';

// Node liveness and the one durable job runner (src/jobs/).
//
//  - nodes: every process that writes (servers, and CLI commands such as `ics seed`) registers a row
//    and heart-beats it. Work a process owns (upload intents, leases, job claims) names its node, so a
//    node only recovers the work of nodes that provably stopped: a clean stop sets stopped_ms, a crash
//    stops the heartbeat. A reference table keyed by node id (an exception to the account-first rule,
//    like clients and settings: it is not account data).
//  - jobs: background work of every kind. System jobs (the purge sweep) have account ''. The due
//    index serves the runner's claim across accounts in run_at order (the same exception as
//    purge_queue_due_idx); its predicate is repeated literally by the claim query.
//  - purge_queue: upload intents name the node whose upload reserved the key; entries that fail
//    for good are quarantined (never claimed again, shown by `ics verify`, cleared by --repair)
//    instead of stopping start-up or the purge loop.
//  - leases: the holder's node, so a lease held by a dead node is free at once.
export async function up(db: Kysely<unknown>): Promise<void> {
  const key = keyText(db);

  await db.schema
    .createTable('nodes')
    .addColumn('id', key, (c) => c.notNull().primaryKey())
    .addColumn('role', 'text', (c) => c.notNull())
    .addColumn('host', 'text', (c) => c.notNull())
    .addColumn('pid', 'integer', (c) => c.notNull())
    .addColumn('started_ms', 'bigint', (c) => c.notNull())
    .addColumn('heartbeat_ms', 'bigint', (c) => c.notNull())
    .addColumn('stopped_ms', 'bigint')
    .execute();

  await db.schema
    .createTable('jobs')
    .addColumn('account', key, (c) => c.notNull())
    .addColumn('id', key, (c) => c.notNull())
    .addColumn('kind', key, (c) => c.notNull())
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('payload', 'text', (c) => c.notNull()) // JSON
    .addColumn('state', 'text') // JSON checkpoint, the handler's own
    .addColumn('progress', 'text') // JSON object of counts
    .addColumn('run_at_ms', 'bigint', (c) => c.notNull())
    .addColumn('lease_node', 'text')
    .addColumn('lease_until_ms', 'bigint')
    .addColumn('attempts', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('failures', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('last_error', 'text')
    .addColumn('cancel_requested', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('created_ms', 'bigint', (c) => c.notNull())
    .addColumn('started_ms', 'bigint')
    .addColumn('finished_ms', 'bigint')
    .addColumn('updated_ms', 'bigint', (c) => c.notNull())
    .addPrimaryKeyConstraint('jobs_pk', ['account', 'id'])
    .execute();
  await db.schema
    .createIndex('jobs_due_idx')
    .on('jobs')
    .columns(['run_at_ms'])
    .where(sql<boolean>`status in ('queued', 'running', 'waiting')`)
    .execute();
  // The heartbeat extends, and a reaper frees, the claims of one node.
  await db.schema
    .createIndex('jobs_lease_idx')
    .on('jobs')
    .columns(['lease_node'])
    .where(sql<boolean>`lease_node is not null`)
    .execute();
  await db.schema
    .createIndex('jobs_kind_idx')
    .on('jobs')
    .columns(['account', 'kind', 'created_ms', 'id'])
    .execute();

  await db.schema.alterTable('purge_queue').addColumn('owner_node', 'text').execute();
  await db.schema
    .alterTable('purge_queue')
    .addColumn('attempts', 'integer', (c) => c.notNull().defaultTo(0))
    .execute();
  await db.schema.alterTable('purge_queue').addColumn('last_error', 'text').execute();
  await db.schema.alterTable('purge_queue').addColumn('quarantined_ms', 'bigint').execute();
  await db.schema
    .createIndex('purge_queue_owner_idx')
    .on('purge_queue')
    .columns(['owner_node'])
    .where(sql<boolean>`owner_node is not null`)
    .execute();

  await db.schema.alterTable('leases').addColumn('holder_node', 'text').execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable('leases').dropColumn('holder_node').execute();
  await db.schema.dropIndex('purge_queue_owner_idx').execute();
  for (const column of ['quarantined_ms', 'last_error', 'attempts', 'owner_node'])
    await db.schema.alterTable('purge_queue').dropColumn(column).execute();
  await db.schema.dropTable('jobs').execute();
  await db.schema.dropTable('nodes').execute();
}
