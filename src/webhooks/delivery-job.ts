import type { Faults } from '../core/faults.js';
import type { JobHandler } from '../jobs/runner.js';
import type { SealedBox } from '../secrets/sealed-box.js';
import { signatureHeader } from './cloud-event.js';
import { nextAttempt } from './retry-policy.js';
import { secretContext } from './secrets.js';
import { DELIVERY_KIND, type Delivery, type DeliveryPayload, type WebhookSettings } from './types.js';
import type { WebhookSender } from './webhook-sender.js';
import type { WebhookStore } from './webhook-store.js';

/** A run works due deliveries for about this long, then ends, so changes and other nodes get a turn. */
const SLICE_MS = 5000;
/** Due deliveries read at once. */
const PAGE = 100;
/** With nothing pending, the job sleeps this long; the dispatcher wakes it when deliveries arrive. */
export const IDLE_MS = 3600_000;

interface DeliveryProgress {
  delivered: number;
  retried: number;
  failed: number;
  [k: string]: number;
}

/**
 * The delivery job of one subscription (one job row per subscription, so its deliveries are worked
 * by one node at a time). A run re-reads the subscription (so a change or deletion takes effect at
 * the next run, within seconds), then sends what is due: up to `concurrency` at once, and the events
 * of one interaction one after the other, in dispatch order. Each outcome is recorded on its
 * delivery row: delivered, pending again at the next backoff time, or failed after the budget.
 */
export function deliveryJob(
  deps: { webhooks: WebhookStore; sender: WebhookSender; box: SealedBox; faults: Faults },
  settings: WebhookSettings,
): JobHandler<DeliveryPayload> {
  const policy = { baseMs: settings.retryBaseMs, budgetMs: settings.retryBudgetMs };
  return {
    kind: DELIVERY_KIND,
    concurrency: settings.workers,
    maxFailures: Number.POSITIVE_INFINITY,
    async run(ctx) {
      const { account } = ctx.job;
      const { subscriptionId } = ctx.job.payload;
      const progress: DeliveryProgress = { delivered: 0, retried: 0, failed: 0, ...ctx.job.progress };
      const sub = await deps.webhooks.getSubscription(account, subscriptionId);
      if (!sub) return { status: 'completed', progress };
      // Disabled: pending deliveries wait; enabling the subscription wakes the job.
      if (!sub.enabled) return { status: 'queued', runAt: Date.now() + IDLE_MS, progress };
      const secret = Buffer.from(deps.box.unseal(sub.sealedSecret, secretContext(sub)), 'base64');

      const attempt = async (d: Delivery) => {
        // Looked up just before sending: once a DELETE of the subscription has answered, nothing
        // more is sent for it, even by a run that read its due list before.
        if (!(await deps.webhooks.isPending(account, d.id))) return;
        deps.faults.hit('webhook.before-send');
        const outcome = await deps.sender.send({
          url: sub.url,
          body: d.body,
          signature: await signatureHeader(d.body, secret),
          signal: ctx.signal,
        });
        // Stopped (cancel, shutdown, lost claim): not an attempt; whoever runs the job next sends it.
        if (ctx.signal.aborted && !outcome.ok) return;
        const now = Date.now();
        const attempts = d.attempts + 1;
        if (outcome.ok) {
          progress.delivered++;
          return deps.webhooks.recordAttempt(account, d.id, {
            status: 'delivered',
            attempts,
            nextAttemptAt: d.nextAttemptAt,
            at: now,
            lastStatus: outcome.status,
            lastError: null,
            node: ctx.job.leaseNode,
          });
        }
        const next = nextAttempt(policy, { createdAt: d.createdAt, failures: attempts }, now);
        if (next === 'give-up') progress.failed++;
        else progress.retried++;
        await deps.webhooks.recordAttempt(account, d.id, {
          status: next === 'give-up' ? 'failed' : 'pending',
          attempts,
          nextAttemptAt: next === 'give-up' ? d.nextAttemptAt : next,
          at: now,
          lastStatus: outcome.status,
          lastError: outcome.error,
          node: ctx.job.leaseNode,
        });
      };

      const until = Date.now() + SLICE_MS;
      while (Date.now() < until) {
        ctx.throwIfStopped();
        const due = await deps.webhooks.dueDeliveries(account, subscriptionId, Date.now(), PAGE);
        if (due.length === 0) break;
        await sendAll(due, settings.concurrency, async (d) => {
          if (!ctx.signal.aborted) await attempt(d);
        });
      }
      ctx.throwIfStopped();
      const next = await deps.webhooks.nextDue(account, subscriptionId);
      return { status: 'queued', runAt: next === undefined ? Date.now() + IDLE_MS : next, progress };
    },
  };
}

/**
 * Sends with at most `limit` in flight. Deliveries about the same interaction (subject) go one after
 * another in the given order, so a consumer sees one interaction's events in the order they happened.
 */
async function sendAll(due: Delivery[], limit: number, send: (d: Delivery) => Promise<void>) {
  const groups = new Map<string, Delivery[]>();
  for (const d of due) {
    const key = d.subject ?? `\u0000${d.id}`;
    const group = groups.get(key);
    if (group) group.push(d);
    else groups.set(key, [d]);
  }
  const queue = [...groups.values()];
  const worker = async () => {
    for (let group = queue.shift(); group; group = queue.shift()) for (const d of group) await send(d);
  };
  await Promise.all(Array.from({ length: Math.min(limit, queue.length) }, worker));
}
