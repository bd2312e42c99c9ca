import type { Kysely } from 'kysely';
import type { Database, WebhookDeliveryRow, WebhookSubscriptionRow } from '../metadata/db-schema.js';
import type { MetadataTx } from '../metadata/metadata-store.js';
import { type SqlHandle, sqlOf } from '../metadata/sql-handle.js';
import { atSeam, isUniqueViolation } from '../metadata/store-errors.js';
import type { OutboxEvent } from './cloud-event.js';
import type { Delivery, DeliveryStatus, Subscription } from './types.js';
import type { AttemptRecord, SubscriptionPatch, WebhookStore } from './webhook-store.js';

/** WebhookStore on the metadata database (SQLite or PostgreSQL), through the store's SQL handle. */
export class KyselyWebhookStore implements WebhookStore {
  constructor(private readonly sql: SqlHandle) {}

  insertSubscription(tx: MetadataTx, sub: Subscription): Promise<boolean> {
    return atSeam(async () => {
      const db = sqlOf(tx);
      // Checked first rather than caught: on PostgreSQL a failed statement aborts the transaction.
      if (await nameTaken(db, sub.account, sub.name, undefined)) return false;
      await db.insertInto('webhook_subscriptions').values(fromSubscription(sub)).execute();
      return true;
    });
  }

  listSubscriptions(account: string): Promise<Subscription[]> {
    return this.sql.read(async (db) => {
      const rows = await db
        .selectFrom('webhook_subscriptions')
        .selectAll()
        .where('account', '=', account)
        .orderBy('created_ms')
        .orderBy('id')
        .execute();
      return rows.map(toSubscription);
    });
  }

  getSubscription(account: string, id: string): Promise<Subscription | undefined> {
    return this.sql.read(async (db) => {
      const row = await db
        .selectFrom('webhook_subscriptions')
        .selectAll()
        .where('account', '=', account)
        .where('id', '=', id)
        .executeTakeFirst();
      return row && toSubscription(row);
    });
  }

  updateSubscription(account: string, id: string, patch: SubscriptionPatch, now: number) {
    return this.sql.write(async (db): Promise<Subscription | undefined | 'name_taken'> => {
      if (patch.name !== undefined && (await nameTaken(db, account, patch.name, id))) return 'name_taken';
      const set: Partial<WebhookSubscriptionRow> = { updated_ms: now };
      if (patch.name !== undefined) set.name = patch.name;
      if (patch.url !== undefined) set.url = patch.url;
      if (patch.events !== undefined) set.events = JSON.stringify(patch.events);
      if (patch.enabled !== undefined) set.enabled = patch.enabled ? 1 : 0;
      if (patch.sealedSecret !== undefined) set.sealed_secret = patch.sealedSecret;
      try {
        const row = await db
          .updateTable('webhook_subscriptions')
          .set(set)
          .where('account', '=', account)
          .where('id', '=', id)
          .returningAll()
          .executeTakeFirst();
        return row && toSubscription(row);
      } catch (err) {
        // Two renames to one name at once on PostgreSQL: the unique constraint decides.
        if (isUniqueViolation(err)) return 'name_taken';
        throw err;
      }
    });
  }

  deleteSubscription(account: string, id: string): Promise<boolean> {
    return this.sql.write(async (db) => {
      const res = await db
        .deleteFrom('webhook_subscriptions')
        .where('account', '=', account)
        .where('id', '=', id)
        .executeTakeFirst();
      await db
        .deleteFrom('webhook_deliveries')
        .where('account', '=', account)
        .where('subscription_id', '=', id)
        .execute();
      return Number(res.numDeletedRows) > 0;
    });
  }

  readOutbox(tx: MetadataTx, limit: number) {
    return atSeam(async () => {
      const rows = await sqlOf(tx)
        .selectFrom('outbox')
        .selectAll()
        .orderBy('at_ms')
        .orderBy('id')
        .limit(limit)
        .execute();
      return rows.map((r): OutboxEvent & { account: string } => ({
        account: r.account,
        id: r.id,
        type: r.type,
        subject: r.subject,
        at: Number(r.at_ms),
        data: JSON.parse(r.data) as Record<string, unknown>,
      }));
    });
  }

  removeOutbox(tx: MetadataTx, events: readonly { account: string; id: string }[]) {
    return atSeam(async () => {
      if (events.length === 0) return;
      await sqlOf(tx)
        .deleteFrom('outbox')
        .where(({ eb, refTuple, tuple }) =>
          eb(
            refTuple('account', 'id'),
            'in',
            events.map((e) => tuple(e.account, e.id)),
          ),
        )
        .execute();
    });
  }

  enabledSubscriptions(tx: MetadataTx, accounts: readonly string[]) {
    return atSeam(async () => {
      if (accounts.length === 0) return [];
      const rows = await sqlOf(tx)
        .selectFrom('webhook_subscriptions')
        .selectAll()
        .where('account', 'in', [...accounts])
        .where('enabled', '=', 1)
        .orderBy('account')
        .orderBy('id')
        .execute();
      return rows.map(toSubscription);
    });
  }

  addDeliveries(tx: MetadataTx, deliveries: readonly Delivery[]) {
    return atSeam(async () => {
      const db = sqlOf(tx);
      // In chunks: SQLite allows 32766 bound values per statement, PostgreSQL 65535.
      for (let i = 0; i < deliveries.length; i += 500) {
        await db
          .insertInto('webhook_deliveries')
          .values(deliveries.slice(i, i + 500).map(fromDelivery))
          .onConflict((oc) => oc.columns(['account', 'subscription_id', 'event_id']).doNothing())
          .execute();
      }
    });
  }

  dueDeliveries(account: string, subscriptionId: string, now: number, limit: number) {
    return this.sql.read(async (db) => {
      const rows = await db
        .selectFrom('webhook_deliveries')
        .selectAll()
        .where('account', '=', account)
        .where('subscription_id', '=', subscriptionId)
        .where('status', '=', 'pending')
        .where('next_attempt_ms', '<=', now)
        .orderBy('id')
        .limit(limit)
        .execute();
      return rows.map(toDelivery);
    });
  }

  nextDue(account: string, subscriptionId: string) {
    return this.sql.read(async (db) => {
      const row = await db
        .selectFrom('webhook_deliveries')
        .select((eb) => eb.fn.min('next_attempt_ms').as('at'))
        .where('account', '=', account)
        .where('subscription_id', '=', subscriptionId)
        .where('status', '=', 'pending')
        .executeTakeFirst();
      return row?.at == null ? undefined : Number(row.at);
    });
  }

  isPending(account: string, id: string): Promise<boolean> {
    return this.sql.read(async (db) => {
      const row = await db
        .selectFrom('webhook_deliveries')
        .select('status')
        .where('account', '=', account)
        .where('id', '=', id)
        .executeTakeFirst();
      return row?.status === 'pending';
    });
  }

  recordAttempt(account: string, id: string, a: AttemptRecord) {
    return this.sql.write(async (db) => {
      await db
        .updateTable('webhook_deliveries')
        .set({
          status: a.status,
          attempts: a.attempts,
          next_attempt_ms: a.nextAttemptAt,
          last_attempt_ms: a.at,
          last_status: a.lastStatus,
          last_error: a.lastError,
          last_node: a.node,
          finished_ms: a.status === 'pending' ? null : a.at,
        })
        .where('account', '=', account)
        .where('id', '=', id)
        .where('status', '=', 'pending')
        .execute();
    });
  }

  recentDeliveries(account: string, subscriptionId: string, limit: number) {
    return this.sql.read(async (db) => {
      const rows = await db
        .selectFrom('webhook_deliveries')
        .selectAll()
        .where('account', '=', account)
        .where('subscription_id', '=', subscriptionId)
        .orderBy('id', 'desc')
        .limit(limit)
        .execute();
      return rows.map(toDelivery);
    });
  }

  pruneDeliveries(before: number) {
    return this.sql.write(async (db) => {
      const res = await db
        .deleteFrom('webhook_deliveries')
        .where('finished_ms', '<', before)
        .executeTakeFirst();
      return Number(res.numDeletedRows);
    });
  }
}

async function nameTaken(db: Kysely<Database>, account: string, name: string, except: string | undefined) {
  let q = db
    .selectFrom('webhook_subscriptions')
    .select('id')
    .where('account', '=', account)
    .where('name', '=', name);
  if (except !== undefined) q = q.where('id', '!=', except);
  return (await q.executeTakeFirst()) !== undefined;
}

function toSubscription(r: WebhookSubscriptionRow): Subscription {
  return {
    account: r.account,
    id: r.id,
    name: r.name,
    url: r.url,
    events: JSON.parse(r.events) as string[],
    enabled: Number(r.enabled) === 1,
    sealedSecret: r.sealed_secret,
    createdAt: Number(r.created_ms),
    updatedAt: Number(r.updated_ms),
  };
}

function fromSubscription(s: Subscription): WebhookSubscriptionRow {
  return {
    account: s.account,
    id: s.id,
    name: s.name,
    url: s.url,
    events: JSON.stringify(s.events),
    enabled: s.enabled ? 1 : 0,
    sealed_secret: s.sealedSecret,
    created_ms: s.createdAt,
    updated_ms: s.updatedAt,
  };
}

function toDelivery(r: WebhookDeliveryRow): Delivery {
  return {
    account: r.account,
    id: r.id,
    subscriptionId: r.subscription_id,
    eventId: r.event_id,
    eventType: r.event_type,
    subject: r.subject,
    body: r.body,
    status: r.status as DeliveryStatus,
    attempts: Number(r.attempts),
    nextAttemptAt: Number(r.next_attempt_ms),
    createdAt: Number(r.created_ms),
    lastAttemptAt: r.last_attempt_ms === null ? null : Number(r.last_attempt_ms),
    lastStatus: r.last_status === null ? null : Number(r.last_status),
    lastError: r.last_error,
    lastNode: r.last_node,
    finishedAt: r.finished_ms === null ? null : Number(r.finished_ms),
  };
}

function fromDelivery(d: Delivery): WebhookDeliveryRow {
  return {
    account: d.account,
    id: d.id,
    subscription_id: d.subscriptionId,
    event_id: d.eventId,
    event_type: d.eventType,
    subject: d.subject,
    body: d.body,
    status: d.status,
    attempts: d.attempts,
    next_attempt_ms: d.nextAttemptAt,
    created_ms: d.createdAt,
    last_attempt_ms: d.lastAttemptAt,
    last_status: d.lastStatus,
    last_error: d.lastError,
    last_node: d.lastNode,
    finished_ms: d.finishedAt,
  };
}
