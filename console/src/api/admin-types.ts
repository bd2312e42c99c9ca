// Shapes of the platform APIs the admin pages use (docs/api.md, /work spec platform-api.md).

export interface ApiClient {
  clientId: string;
  name: string | null;
  scopes: string[];
  createdAt: string;
  revokedAt: string | null;
  /** Per-client content permissions, where the server has them. */
  permissions?: Record<string, unknown> | null;
}

export interface CreatedApiClient extends ApiClient {
  clientSecret: string;
}

export const SCOPE_HELP: Record<string, string> = {
  'interaction-content:read': 'search, read and download',
  'interaction-content:write': 'ingest interactions and content',
  'interaction-content:delete': 'delete content and interactions',
  'interaction-content:admin': 'legal holds, ledger, retention, deletion jobs, clients, webhooks',
  'admin:read': 'read webhook subscriptions',
  'admin:write': 'change webhook subscriptions',
};

export interface RetentionRule {
  id?: string;
  name: string;
  contentTypes?: string[] | null;
  direction?: 'inbound' | 'outbound' | null;
  keepDays: number;
}

export interface RetentionPolicy {
  status: 'on' | 'paused' | 'pending' | 'off';
  pendingUntil: string | null;
  rules: RetentionRule[];
  pendingRules: RetentionRule[] | null;
  lastSweep: { at: string; deleted: number } | null;
}

export interface RetentionPreview {
  at: string;
  total: number;
  byRule: { ruleId: string; count: number }[];
  byType: Record<string, number>;
  sample: { guid: string; contentKey: string; type: string; deleteAfter: string; ruleId: string }[];
}

export interface JobMatch {
  addresses?: string[];
  handlingAgentId?: string;
  start?: string;
  end?: string;
  direction?: 'inbound' | 'outbound';
  contentTypes?: string[];
}

export type JobStatus = 'queued' | 'running' | 'waiting' | 'completed' | 'cancelled' | 'failed';

export interface DeletionJob {
  id: string;
  status: JobStatus;
  dryRun: boolean;
  match: JobMatch;
  reason: string;
  reference: string | null;
  createdAt: string;
  startedAt: string | null;
  finishedAt: string | null;
  counts: { matched: number; deleted: number; held: number; failed: number };
  cancelRequested?: boolean;
  error?: string | null;
}

export interface JobItem {
  guid: string;
  outcome: 'deleted' | 'held' | 'failed' | 'matched' | 'pending';
  /** The last ledger entry of its deletion, as x-deletion-receipt. */
  receipt: string | null;
  /** Every ledger entry its deletion appended. */
  entries?: { seq: number; hash: string }[];
  message?: string | null;
}

export const ACTIVE_JOB: ReadonlySet<JobStatus> = new Set(['queued', 'running', 'waiting']);

export const V1 = 'application/vnd.newvoicemedia.v1+json';

export interface EventType {
  name: string;
  version?: string;
  source?: string;
  description?: string;
}

export interface Subscription {
  subscriptionId: string;
  name: string;
  url: string;
  events: string[];
  enabled: boolean;
  createdAt?: string;
  updatedAt?: string;
}

export interface Delivery {
  deliveryId: string;
  /** The CloudEvent id, the same on every attempt. */
  eventId: string;
  eventType: string;
  subject: string | null;
  status: 'pending' | 'delivered' | 'failed';
  attempts: number;
  createdAt: string;
  lastAttemptAt: string | null;
  nextAttemptAt: string | null;
  lastStatusCode: number | null;
  lastError: string | null;
  finishedAt: string | null;
}
