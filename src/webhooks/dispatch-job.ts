import { v7 as uuidv7 } from 'uuid';
import type { JobStore } from '../jobs/job-store.js';
import type { JobHandler } from '../jobs/runner.js';
import type { MetadataStore } from '../metadata/metadata-store.js';
import { cloudEventBody } from './cloud-event.js';
import { subscribed } from './event-match.js';
import { type Delivery, DISPATCH_KIND, deliveryJobId, type WebhookSettings } from './types.js';
import type { WebhookStore } from './webhook-store.js';

/** Outbox events taken per transaction. */
const BATCH = 200;
/** Batches per run, so that a long backlog still lets the run end and the claim move on. */
const MAX_BATCHES = 25;
/** Finished deliveries are kept this long for GET …/deliveries, then removed. */
export const KEEP_FINISHED_MS = 7 * 86_400_000;
const PRUNE_EVERY_MS = 3600_000;

interface DispatchState {
  lastPruneAt?: number;
}

/**
 * The system job that fans the outbox out: in one transaction per batch it takes the oldest events,
 * adds one delivery row per (event, enabled subscription of the SAME account whose patterns match),
 * removes the events from the outbox and checkpoints (fenced: a run that lost its claim rolls back).
 * Then it wakes the delivery jobs of the subscriptions that got deliveries. It never sends anything
 * itself, so no endpoint can slow it down.
 */
export function dispatchJob(
  deps: { store: MetadataStore; webhooks: WebhookStore; jobs: JobStore; poke: () => void },
  settings: Pick<WebhookSettings, 'pollMs'>,
): JobHandler<unknown, DispatchState> {
  return {
    kind: DISPATCH_KIND,
    maxFailures: Number.POSITIVE_INFINITY,
    async run(ctx) {
      let dispatched = ctx.job.progress?.dispatched ?? 0;
      let deliveries = ctx.job.progress?.deliveries ?? 0;
      let more = false;
      for (let i = 0; i < MAX_BATCHES; i++) {
        const batch = await deps.store.transaction(async (tx) => {
          const events = await deps.webhooks.readOutbox(tx, BATCH);
          if (events.length === 0) return undefined;
          const subs = await deps.webhooks.enabledSubscriptions(tx, [
            ...new Set(events.map((e) => e.account)),
          ]);
          const now = Date.now();
          const made: Delivery[] = [];
          for (const e of events) {
            let body: string | undefined;
            for (const s of subs) {
              if (s.account !== e.account || !subscribed(s.events, e.type)) continue;
              body ??= cloudEventBody(e);
              made.push({
                account: e.account,
                id: uuidv7(),
                subscriptionId: s.id,
                eventId: e.id,
                eventType: e.type,
                subject: e.subject,
                body,
                status: 'pending',
                attempts: 0,
                nextAttemptAt: now,
                createdAt: now,
                lastAttemptAt: null,
                lastStatus: null,
                lastError: null,
                lastNode: null,
                finishedAt: null,
              });
            }
          }
          await deps.webhooks.addDeliveries(tx, made);
          await deps.webhooks.removeOutbox(tx, events);
          dispatched += events.length;
          deliveries += made.length;
          await ctx.checkpointIn(tx, { progress: { dispatched, deliveries } });
          return { events: events.length, made };
        });
        more = batch !== undefined && batch.events === BATCH;
        if (!batch) break;
        const woken = new Map(batch.made.map((d) => [`${d.account}\u0000${d.subscriptionId}`, d]));
        for (const d of woken.values())
          await deps.jobs.wakeJob(d.account, deliveryJobId(d.subscriptionId), Date.now());
        if (woken.size > 0) deps.poke();
        if (!more) break;
      }
      let state = ctx.job.state ?? {};
      const now = Date.now();
      if (state.lastPruneAt === undefined || now - state.lastPruneAt >= PRUNE_EVERY_MS) {
        await deps.webhooks.pruneDeliveries(now - KEEP_FINISHED_MS);
        state = { lastPruneAt: now };
      }
      // A backlog left over: straight on (the claim is given up in between, so another node may take it).
      const runAt = more ? Date.now() : Date.now() + settings.pollMs;
      return { status: 'queued', runAt, state, progress: { dispatched, deliveries } };
    },
  };
}
