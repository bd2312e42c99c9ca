import type { MetadataTx } from '../metadata/metadata-store.js';
import type { OutboxEvent } from './cloud-event.js';
import type { Delivery, Subscription } from './types.js';

export interface SubscriptionPatch {
  name?: string;
  url?: string;
  events?: string[];
  enabled?: boolean;
  sealedSecret?: string;
}

/** An attempt's outcome, as the delivery job records it. */
export interface AttemptRecord {
  status: Delivery['status'];
  attempts: number;
  nextAttemptAt: number;
  at: number;
  lastStatus: number | null;
  lastError: string | null;
  node: string | null;
}

/**
 * The webhooks feature's rows in the metadata database. Reads and writes of the API are scoped to
 * one account; the dispatcher's reads (the outbox) span accounts, and it only ever pairs an event
 * with subscriptions of the event's own account.
 */
export interface WebhookStore {
  /** Inserts a subscription in the caller's transaction; false when the account already has the name. */
  insertSubscription(tx: MetadataTx, sub: Subscription): Promise<boolean>;
  /** The account's subscriptions, oldest first. */
  listSubscriptions(account: string): Promise<Subscription[]>;
  /** One subscription; undefined when absent or another account's. */
  getSubscription(account: string, id: string): Promise<Subscription | undefined>;
  /**
   * Applies the patch; the subscription after, undefined when absent, 'name_taken' when another
   * subscription of the account has the new name (and nothing changed).
   */
  updateSubscription(
    account: string,
    id: string,
    patch: SubscriptionPatch,
    now: number,
  ): Promise<Subscription | undefined | 'name_taken'>;
  /** Removes the subscription and all its deliveries in one transaction; false when absent. */
  deleteSubscription(account: string, id: string): Promise<boolean>;

  /** The oldest outbox events (by time, then id), at most `limit`, in the caller's transaction. */
  readOutbox(tx: MetadataTx, limit: number): Promise<(OutboxEvent & { account: string })[]>;
  /** Removes dispatched events from the outbox. */
  removeOutbox(tx: MetadataTx, events: readonly { account: string; id: string }[]): Promise<void>;
  /** The enabled subscriptions of these accounts. */
  enabledSubscriptions(tx: MetadataTx, accounts: readonly string[]): Promise<Subscription[]>;
  /** Adds deliveries; one that exists for the same (subscription, event) is left as it is. */
  addDeliveries(tx: MetadataTx, deliveries: readonly Delivery[]): Promise<void>;

  /** Pending deliveries of a subscription due at `now`, oldest first (dispatch order), at most `limit`. */
  dueDeliveries(account: string, subscriptionId: string, now: number, limit: number): Promise<Delivery[]>;
  /** When the subscription's next pending delivery is due; undefined when none is pending. */
  nextDue(account: string, subscriptionId: string): Promise<number | undefined>;
  /** Whether the delivery is still pending (not finished, its subscription not deleted). */
  isPending(account: string, id: string): Promise<boolean>;
  /** Records an attempt's outcome on a pending delivery (nothing when it is gone or finished). */
  recordAttempt(account: string, id: string, attempt: AttemptRecord): Promise<void>;
  /** A subscription's most recent deliveries, newest first. */
  recentDeliveries(account: string, subscriptionId: string, limit: number): Promise<Delivery[]>;
  /** Removes finished deliveries that finished before `before`; how many. */
  pruneDeliveries(before: number): Promise<number>;
}
