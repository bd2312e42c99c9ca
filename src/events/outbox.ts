import { randomUUID } from 'node:crypto';
import { type RawBuilder, sql } from 'kysely';
import { v7 as uuidv7 } from 'uuid';
import { type DomainEvent, type EventRecorder, PendingReceipt } from '../core/events.js';
import type { MetadataTx } from '../metadata/metadata-store.js';
import { type ReceiptSource, receiptsOf, sqlOf, writeLater } from '../metadata/sql-handle.js';
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
      const pending = events.map((e) => withMarkers(e.data));
      const receipts = receiptsOf(tx);
      await receipts.ready(pending.flatMap((p) => p.receipts));
      // From here to the send, nothing else may be issued in tx (ReceiptSource.seqAndHash).
      // Pipelined on PostgreSQL: the event goes out with the transaction's COMMIT.
      await writeLater(
        tx,
        sqlOf(tx)
          .insertInto('outbox')
          .values(
            events.map((e, i) => ({
              account: e.account,
              id: uuidv7(),
              type: e.type,
              subject: e.subject,
              at_ms: e.at,
              data: dataSql(pending[i], receipts),
            })),
          ),
      );
    });
  }
}

interface MarkedData {
  /** JSON of the data, each pending receipt replaced by the JSON string of `marker`. */
  json: string;
  marker: string;
  receipts: PendingReceipt[];
}

/** The data as JSON, with a marker where each pending receipt goes (in the order they occur). */
function withMarkers(data: Record<string, unknown>): MarkedData {
  const marker = `\u0000receipt ${randomUUID()}\u0000`;
  const receipts: PendingReceipt[] = [];
  const walk = (v: unknown): unknown => {
    if (v instanceof PendingReceipt) {
      receipts.push(v);
      return marker;
    }
    if (Array.isArray(v)) return v.map(walk);
    if (v && typeof v === 'object' && Object.getPrototypeOf(v) === Object.prototype)
      return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, walk(x)]));
    return v;
  };
  return { json: JSON.stringify(walk(data)), marker, receipts };
}

/**
 * The data column: the JSON itself, or, with pending receipts, SQL that joins its pieces around
 * each receipt's `<seq>:<hash>` (the database's, on PostgreSQL). The account part of the receipt is
 * escaped here, exactly as JSON.stringify of the whole receipt would escape it.
 */
function dataSql(m: MarkedData, source: ReceiptSource): string | RawBuilder<string> {
  if (m.receipts.length === 0) return m.json;
  const parts = m.json.split(JSON.stringify(m.marker));
  if (parts.length !== m.receipts.length + 1) throw new Error('event data holds its receipt marker');
  const pieces: RawBuilder<unknown>[] = [];
  let text = parts[0];
  m.receipts.forEach((r, i) => {
    pieces.push(sql`${text + JSON.stringify(`${r.account}:`).slice(0, -1)}`, source.seqAndHash(r));
    text = `"${parts[i + 1]}`;
  });
  pieces.push(sql`${text}`);
  return sql<string>`(${sql.join(pieces, sql` || `)})`;
}
