import { v7 as uuidv7 } from 'uuid';
import type { DomainEvent, EventRecorder } from '../core/events.js';
import type { MetadataTx } from '../metadata/metadata-store.js';
import { sqlOf, writeLater } from '../metadata/sql-handle.js';
import { atSeam } from '../metadata/store-errors.js';

/**
 * The outbox: the EventRecorder that writes every event into the `outbox` table inside the
 * transaction of the change it reports, so an event exists exactly when its change committed.
 * Delivery reads it from there; an event's id is its id on every delivery attempt.
 */
export class KyselyOutbox implements EventRecorder {
  record(tx: MetadataTx, events: readonly DomainEvent[]): Promise<void> {
    return atSeam(async () => {
      if (events.length === 0) return;
      // Pipelined on PostgreSQL: the event goes out with the transaction's COMMIT.
      await writeLater(
        tx,
        sqlOf(tx)
          .insertInto('outbox')
          .values(
            events.map((e) => ({
              account: e.account,
              id: uuidv7(),
              type: e.type,
              subject: e.subject,
              at_ms: e.at,
              data: JSON.stringify(e.data),
            })),
          ),
      );
    });
  }
}
