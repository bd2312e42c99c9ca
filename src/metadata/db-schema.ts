import type { ColumnType } from 'kysely';

// Row types of the tables created by migrations/, as Kysely sees them. Times are epoch ms; bigint
// columns arrive as numbers (pg's int8 parser is overridden per pool; SQLite integers are numbers).

export interface InteractionRow {
  account: string;
  guid: string;
  start_ms: number;
  connect_from: string;
  connect_to: string;
  direction: string;
  /** JSON array of agent ids. */
  handling_agents: string;
  content_count: number;
  hold_reason: string | null;
  hold_case_id: string | null;
  hold_placed_ms: number | null;
  hold_placed_by: string | null;
  created_ms: number;
}

/**
 * The interactions table as written: the row plus the normal forms of its addresses
 * (core/addresses.ts), which only deletion-job matching reads. Null only in rows written before
 * migration 0008 and not yet backfilled (the migration backfills every row).
 */
export interface InteractionTableRow extends InteractionRow {
  connect_from_norm: string | null;
  connect_to_norm: string | null;
}

/**
 * A row type's columns as a list that the compiler checks is complete. Hot reads name their columns
 * instead of `select *`: the SQLite driver fetches such rows as arrays (sqlite-statements.ts).
 */
const columnsOf =
  <Row>() =>
  <const C extends readonly (keyof Row & string)[]>(
    columns: C & ([Exclude<keyof Row, C[number]>] extends [never] ? unknown : 'a column is missing'),
  ) =>
    columns;

export const INTERACTION_COLUMNS = columnsOf<InteractionRow>()([
  'account',
  'guid',
  'start_ms',
  'connect_from',
  'connect_to',
  'direction',
  'handling_agents',
  'content_count',
  'hold_reason',
  'hold_case_id',
  'hold_placed_ms',
  'hold_placed_by',
  'created_ms',
]);

export interface InteractionAgentRow {
  account: string;
  agent_id: string;
  start_ms: number;
  guid: string;
}

export interface ContentRow {
  account: string;
  guid: string;
  content_key: string;
  type: string;
  media_type: string;
  length: number;
  sha256: string;
  blob_key: string;
  last_modified_ms: number;
  owning_agent_id: string | null;
  owning_interaction_plan_id: string | null;
  /** JSON object. */
  properties: string;
}

export const CONTENT_COLUMNS = columnsOf<ContentRow>()([
  'account',
  'guid',
  'content_key',
  'type',
  'media_type',
  'length',
  'sha256',
  'blob_key',
  'last_modified_ms',
  'owning_agent_id',
  'owning_interaction_plan_id',
  'properties',
]);

/**
 * Columns of the contents table beside ContentRow: the interaction's start and direction, copied on
 * insert for retention's index (migration 0007). Not part of a content record; null only on rows
 * written by a version before 0007 and not yet backfilled (the migration backfills them).
 */
export interface ContentRetentionColumns {
  start_ms: ColumnType<number | null, number | null | undefined, number | null>;
  direction: ColumnType<string | null, string | null | undefined, string | null>;
}

/** Those columns' names: content reads leave them out on purpose (they are not part of a record). */
export const CONTENT_RETENTION_COLUMNS = ['start_ms', 'direction'] as const;

export interface RetentionPolicyRow {
  account: string;
  /** 'on' or 'paused'. */
  status: string;
  /** JSON array of rules in force. */
  rules: string;
  /** JSON array of rules waiting out the grace period, or null. */
  pending_rules: string | null;
  pending_until_ms: number | null;
  version: number;
  updated_ms: number;
  sweep_requested_ms: number | null;
  last_sweep_ms: number | null;
  last_sweep_deleted: number | null;
}

export interface PurgeRow {
  account: string;
  id: string;
  blob_key: string;
  not_before_ms: number;
  reason: string;
  /** The node whose upload reserved the key (upload intents only). */
  owner_node: string | null;
  attempts: number;
  last_error: string | null;
  /** Set when the entry failed for good: never claimed again until `ics verify --repair`. */
  quarantined_ms: number | null;
}

export interface AuditRow {
  account: string;
  seq: number;
  at_ms: number;
  actor_client_id: string | null;
  actor_subject: string | null;
  action: string;
  guid: string;
  content_key: string | null;
  type: string | null;
  content_length: number | null;
  sha256: string | null;
  reason: string;
  request_id: string | null;
  /** JSON object or null. */
  details: string | null;
  prev_hash: string;
  hash: string;
}

export interface AuditHeadRow {
  account: string;
  last_seq: number;
  last_hash: string;
  /** The hash before last_hash (the previous hash of entry last_seq); null on heads not appended to since migration 0013. */
  prev_hash: string | null;
}

export interface ClientRow {
  client_id: string;
  account: string;
  name: string | null;
  /** JSON array. */
  scopes: string;
  secret_hash: string;
  created_ms: number;
  revoked_ms: number | null;
  /** JSON ContentPermissions, or null for none (migration 0009). */
  permissions: string | null;
}

export interface SettingRow {
  name: string;
  value: string;
}

export interface LeaseRow {
  account: string;
  name: string;
  holder: string;
  expires_ms: number;
  holder_node: string | null;
}

export interface NodeRow {
  id: string;
  role: string;
  host: string;
  pid: number;
  started_ms: number;
  heartbeat_ms: number;
  stopped_ms: number | null;
}

export interface JobRow {
  account: string;
  id: string;
  kind: string;
  status: string;
  /** JSON. */
  payload: string;
  /** JSON or null. */
  state: string | null;
  /** JSON object of counts, or null. */
  progress: string | null;
  run_at_ms: number;
  lease_node: string | null;
  lease_until_ms: number | null;
  attempts: number;
  failures: number;
  last_error: string | null;
  cancel_requested: number;
  created_ms: number;
  started_ms: number | null;
  finished_ms: number | null;
  updated_ms: number;
}

export interface OutboxRow {
  account: string;
  id: string;
  type: string;
  subject: string | null;
  at_ms: number;
  /** JSON object. */
  data: string;
}

export interface ExportStorageRow {
  account: string;
  id: string;
  name: string;
  provider: string;
  bucket: string;
  region: string;
  endpoint: string | null;
  force_path_style: number;
  /** '' or ending in '/'. */
  prefix: string;
  /** The access key id's last four characters, for lists; the key itself is sealed. */
  access_key_hint: string | null;
  /** secrets/sealed-box.ts: the JSON of the credentials, sealed. */
  sealed_credentials: string;
  created_ms: number;
}

/** One interaction a deletion job matched, and what became of it (src/deletion-jobs/). */
export interface DeletionJobItemRow {
  account: string;
  job_id: string;
  guid: string;
  /** pending (not yet worked), matched (dry run), deleted, held, failed. */
  outcome: string;
  /** JSON array of [seq, hash] of the ledger entries the deletion appended, or null. */
  entries: string | null;
  /** Why it failed, for failed items. */
  message: string | null;
  updated_ms: number;
}

/** A certificate-signing key (src/certificates/): the public JWK in clear, the private key sealed. */
export interface SigningKeyRow {
  kid: string;
  alg: string;
  /** JSON of the public JWK. */
  public_jwk: string;
  /** secrets/sealed-box.ts: the private key as PKCS#8 PEM, sealed. */
  sealed_private: string;
  created_ms: number;
}

export interface Database {
  interactions: InteractionTableRow;
  interaction_agents: InteractionAgentRow;
  contents: ContentRow & ContentRetentionColumns;
  purge_queue: PurgeRow;
  audit_log: AuditRow;
  audit_heads: AuditHeadRow;
  clients: ClientRow;
  settings: SettingRow;
  leases: LeaseRow;
  nodes: NodeRow;
  jobs: JobRow;
  outbox: OutboxRow;
  export_storage: ExportStorageRow;
  retention_policies: RetentionPolicyRow;
  deletion_job_items: DeletionJobItemRow;
  signing_keys: SigningKeyRow;
  webhook_subscriptions: WebhookSubscriptionRow;
  webhook_deliveries: WebhookDeliveryRow;
}

export interface WebhookSubscriptionRow {
  account: string;
  id: string;
  name: string;
  url: string;
  /** JSON array of event type names and wildcards. */
  events: string;
  enabled: number;
  sealed_secret: string;
  created_ms: number;
  updated_ms: number;
}

export interface WebhookDeliveryRow {
  account: string;
  id: string;
  subscription_id: string;
  event_id: string;
  event_type: string;
  subject: string | null;
  /** The exact CloudEvent JSON sent on every attempt. */
  body: string;
  status: string;
  attempts: number;
  next_attempt_ms: number;
  created_ms: number;
  last_attempt_ms: number | null;
  last_status: number | null;
  last_error: string | null;
  /** The node that made the last attempt. */
  last_node: string | null;
  finished_ms: number | null;
}

export type Dialect = 'sqlite' | 'postgres';

/** What the store logs: problems it can only observe, such as an idle pooled connection dying. */
export interface MetadataLogger {
  warn(obj: object, msg: string): void;
}
