// The records of webhooks (spec section 3): subscriptions of an account and the deliveries of events
// to them. Secrets never appear here in clear: a subscription record carries its sealed secret only.

export interface Subscription {
  account: string;
  id: string;
  name: string;
  url: string;
  /** Event type names and wildcards (`interaction.*`, `*`). */
  events: string[];
  enabled: boolean;
  /** The signing secret, sealed (secrets/sealed-box.ts) under the context of this subscription. */
  sealedSecret: string;
  createdAt: number;
  updatedAt: number;
}

export type DeliveryStatus = 'pending' | 'delivered' | 'failed';

export interface Delivery {
  account: string;
  id: string;
  subscriptionId: string;
  eventId: string;
  eventType: string;
  subject: string | null;
  /** The exact CloudEvent JSON, the same bytes on every attempt. */
  body: string;
  status: DeliveryStatus;
  attempts: number;
  nextAttemptAt: number;
  createdAt: number;
  lastAttemptAt: number | null;
  /** The HTTP status of the last answer; null when there was none (timeout, refused, denied). */
  lastStatus: number | null;
  lastError: string | null;
  /** The node that made the last attempt. */
  lastNode: string | null;
  finishedAt: number | null;
}

/** The job kinds of webhooks on the one runner. */
export const DISPATCH_KIND = 'webhook-dispatch';
export const DELIVERY_KIND = 'webhook-delivery';

/** The system job that fans the outbox out into deliveries: one row, run by one node at a time. */
export const DISPATCH_JOB = {
  account: '',
  id: 'webhook-dispatch',
  kind: DISPATCH_KIND,
  payload: {},
} as const;

/** Each subscription has one delivery job, so its deliveries are worked by one node at a time. */
export const deliveryJobId = (subscriptionId: string) => `webhook-delivery:${subscriptionId}`;

export interface DeliveryPayload {
  subscriptionId: string;
}

/** How deliveries behave (config.webhooks). */
export interface WebhookSettings {
  /** Per-request timeout. */
  timeoutMs: number;
  /** Deliveries of one subscription in flight at once. */
  concurrency: number;
  /** Subscriptions whose deliveries one node works at once. */
  workers: number;
  /** First retry delay; doubled on each failure (with jitter) up to an hour. */
  retryBaseMs: number;
  /** How long a delivery is retried, from its creation, before it is marked failed. */
  retryBudgetMs: number;
  /** How often the dispatcher looks at the outbox. */
  pollMs: number;
  /** Address ranges that notifications must never reach (checked after DNS resolution). */
  denyCidrs: string[];
}
