import type { MetadataTx } from '../metadata/metadata-store.js';
import type { AuditEntry } from './types.js';

// The events ICS raises, as the core knows them. They are recorded inside the same metadata
// transaction as the change they report (EventRecorder), into the outbox (src/events/), from where
// webhook delivery takes them: a crash between the commit and the delivery cannot lose one.

export const EVENT_TYPES = [
  { name: 'interaction-content.added.v1', description: 'A content item was uploaded (new or replacing one)' },
  {
    name: 'interaction-content.deleted.v1',
    description: 'A content item was deleted (API, cascade, batch, retention, deletion job)',
  },
  { name: 'interaction.deleted.v1', description: 'An interaction was deleted with all its content' },
  { name: 'interaction.legal-hold-placed.v1', description: 'A legal hold was placed on an interaction' },
  { name: 'interaction.legal-hold-released.v1', description: 'A legal hold was released' },
  { name: 'deletion-job.completed.v1', description: 'A deletion job finished' },
  { name: 'retention.sweep-completed.v1', description: 'A retention sweep of an account finished' },
] as const;

export type EventType = (typeof EVENT_TYPES)[number]['name'];

export interface DomainEvent {
  type: EventType;
  account: string;
  /** The interaction GUID, where the event is about one. */
  subject: string | null;
  /** When the change happened (epoch ms). */
  at: number;
  data: Record<string, unknown>;
}

/** Records events in the transaction of the change they report. */
export interface EventRecorder {
  record(tx: MetadataTx, events: readonly DomainEvent[]): Promise<void>;
}

/** For processes that raise no events (none exist yet in tests of the core alone). */
export const noEvents: EventRecorder = { record: async () => undefined };

/** A ledger entry's receipt: `<account>:<seq>:<hash>`, as in the x-deletion-receipt header. */
export const receiptOf = (e: AuditEntry): string => `${e.account}:${e.seq}:${e.hash}`;

/**
 * The receipt of a ledger entry appended in the same transaction whose seq and hash the store has
 * not answered yet (AuditAppend.receipt). Put it into an event's data where the receipt string
 * goes: the EventRecorder writes `<account>:<seq>:<hash>` in its place within the transaction (on
 * PostgreSQL the database fills it in, so recording the event waits for nothing). Not JSON itself.
 */
export class PendingReceipt {
  constructor(readonly account: string) {}

  toJSON(): never {
    throw new Error('a pending ledger receipt must be recorded through an EventRecorder that fills it in');
  }
}
