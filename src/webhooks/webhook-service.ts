import { randomUUID } from 'node:crypto';
import type { RequestContext } from '../core/context.js';
import { isGuid } from '../core/guid.js';
import type { JobStore } from '../jobs/job-store.js';
import type { MetadataStore } from '../metadata/metadata-store.js';
import type { SealedBox } from '../secrets/sealed-box.js';
import { AddressPolicy } from './address-policy.js';
import { eventTypeCatalogue } from './cloud-event.js';
import { IDLE_MS } from './delivery-job.js';
import { invalidField, subscriptionNameTaken, subscriptionNotFound } from './errors.js';
import { patternProblem } from './event-match.js';
import { generateSecret, secretContext, secretProblem } from './secrets.js';
import {
  DELIVERY_KIND,
  type Delivery,
  type DeliveryPayload,
  deliveryJobId,
  type Subscription,
} from './types.js';
import type { SubscriptionPatch, WebhookStore } from './webhook-store.js';

export interface SubscriptionInput {
  name?: unknown;
  url?: unknown;
  events?: unknown;
  enabled?: unknown;
  secret?: unknown;
}

const MAX_EVENTS = 50;
const MAX_URL = 2048;

/**
 * The Webhooks API's use-cases: the event catalogue, subscriptions (with their sealed secrets and
 * their delivery jobs) and the recent deliveries of each. Every input is checked before anything is
 * written; a refused request changes nothing.
 */
export class WebhookService {
  readonly #policy: AddressPolicy;

  constructor(
    private readonly deps: {
      store: MetadataStore;
      webhooks: WebhookStore;
      jobs: JobStore;
      box: SealedBox;
      poke: () => void;
    },
    opts: { denyCidrs: readonly string[] },
  ) {
    this.#policy = new AddressPolicy(opts.denyCidrs);
  }

  eventTypes() {
    return eventTypeCatalogue();
  }

  /** Creates a subscription and its delivery job; the secret is in the result, and never again. */
  async create(
    ctx: RequestContext,
    input: SubscriptionInput,
  ): Promise<{ sub: Subscription; secret: string }> {
    const name = this.#name(input.name);
    const url = this.#url(input.url);
    const events = this.#events(input.events);
    if (input.enabled !== undefined && typeof input.enabled !== 'boolean')
      throw invalidField('enabled', 'must be true or false');
    const secret = input.secret === undefined ? generateSecret() : this.#secret(input.secret);
    const now = Date.now();
    const id = randomUUID();
    const account = ctx.actor.account;
    const sub: Subscription = {
      account,
      id,
      name,
      url,
      events,
      enabled: input.enabled ?? true,
      sealedSecret: this.deps.box.seal(secret, secretContext({ account, id })),
      createdAt: now,
      updatedAt: now,
    };
    const created = await this.deps.store.transaction(async (tx) => {
      if (!(await this.deps.webhooks.insertSubscription(tx, sub))) return false;
      // Its delivery job commits with the row, and sleeps until the dispatcher wakes it.
      await this.deps.jobs.createJobIn(
        tx,
        {
          account,
          id: deliveryJobId(id),
          kind: DELIVERY_KIND,
          payload: { subscriptionId: id } satisfies DeliveryPayload,
          runAt: now + IDLE_MS,
        },
        now,
      );
      return true;
    });
    if (!created) throw subscriptionNameTaken(name);
    return { sub, secret };
  }

  list(ctx: RequestContext): Promise<Subscription[]> {
    return this.deps.webhooks.listSubscriptions(ctx.actor.account);
  }

  async get(ctx: RequestContext, id: string): Promise<Subscription> {
    const sub = isGuid(id)
      ? await this.deps.webhooks.getSubscription(ctx.actor.account, id.toLowerCase())
      : undefined;
    if (!sub) throw subscriptionNotFound(id);
    return sub;
  }

  /** Changes what the body names; takes effect at the next dispatch and delivery run (seconds). */
  async update(ctx: RequestContext, id: string, input: SubscriptionInput): Promise<Subscription> {
    const patch: SubscriptionPatch = {};
    if (input.name !== undefined) patch.name = this.#name(input.name);
    if (input.url !== undefined) patch.url = this.#url(input.url);
    if (input.events !== undefined) patch.events = this.#events(input.events);
    if (input.enabled !== undefined) {
      if (typeof input.enabled !== 'boolean') throw invalidField('enabled', 'must be true or false');
      patch.enabled = input.enabled;
    }
    const secret = input.secret === undefined ? undefined : this.#secret(input.secret);
    if (Object.keys(patch).length === 0 && secret === undefined)
      throw invalidField('body', 'name one of name, url, events, enabled, secret');
    const account = ctx.actor.account;
    if (secret !== undefined) patch.sealedSecret = this.deps.box.seal(secret, secretContext({ account, id }));
    const sub = await this.get(ctx, id);
    const after = await this.deps.webhooks.updateSubscription(account, sub.id, patch, Date.now());
    if (after === 'name_taken') throw subscriptionNameTaken(patch.name ?? '');
    if (!after) throw subscriptionNotFound(id);
    if (after.enabled) await this.#wake(after);
    return after;
  }

  /** A new secret (generated, or the one given), returned this once. */
  async rotateSecret(ctx: RequestContext, id: string, input: { secret?: unknown } | undefined) {
    const secret = input?.secret === undefined ? generateSecret() : this.#secret(input.secret);
    const sub = await this.get(ctx, id);
    const sealedSecret = this.deps.box.seal(secret, secretContext(sub));
    const after = await this.deps.webhooks.updateSubscription(
      sub.account,
      sub.id,
      { sealedSecret },
      Date.now(),
    );
    if (!after || after === 'name_taken') throw subscriptionNotFound(id);
    return { sub: after, secret };
  }

  /** Removes the subscription and its deliveries; its delivery job stops (at once, or at its next step). */
  async delete(ctx: RequestContext, id: string): Promise<void> {
    const sub = await this.get(ctx, id);
    if (!(await this.deps.webhooks.deleteSubscription(sub.account, sub.id))) throw subscriptionNotFound(id);
    await this.deps.jobs.requestCancel(sub.account, deliveryJobId(sub.id), Date.now());
  }

  async deliveries(ctx: RequestContext, id: string, limit: number): Promise<Delivery[]> {
    const sub = await this.get(ctx, id);
    return this.deps.webhooks.recentDeliveries(sub.account, sub.id, limit);
  }

  async #wake(sub: Subscription) {
    if (await this.deps.jobs.wakeJob(sub.account, deliveryJobId(sub.id), Date.now())) this.deps.poke();
  }

  #name(raw: unknown): string {
    if (typeof raw !== 'string') throw invalidField('name', 'must be a string of 3 to 128 characters');
    const length = [...raw].length;
    if (length < 3 || length > 128 || raw.trim() !== raw || /\p{Cc}/u.test(raw))
      throw invalidField('name', 'must be 3 to 128 characters, without control characters or outer spaces');
    return raw;
  }

  #url(raw: unknown): string {
    if (typeof raw !== 'string' || raw.length > MAX_URL)
      throw invalidField('url', `must be an absolute http or https URL of at most ${MAX_URL} characters`);
    let url: URL;
    try {
      url = new URL(raw);
    } catch {
      throw invalidField('url', 'must be an absolute http or https URL');
    }
    if (url.protocol !== 'http:' && url.protocol !== 'https:')
      throw invalidField('url', 'must be an absolute http or https URL');
    if (url.username || url.password) throw invalidField('url', 'must not carry a user name or password');
    try {
      this.#policy.checkLiteral(url.hostname);
    } catch (err) {
      throw invalidField('url', (err as Error).message);
    }
    return url.href;
  }

  #events(raw: unknown): string[] {
    if (!Array.isArray(raw) || raw.length < 1 || raw.length > MAX_EVENTS)
      throw invalidField('events', `must be a list of 1 to ${MAX_EVENTS} event types or wildcards`);
    raw.forEach((e, i) => {
      if (typeof e !== 'string') throw invalidField(`events[${i}]`, 'must be a string');
      const problem = patternProblem(e);
      if (problem) throw invalidField(`events[${i}]`, problem);
    });
    return [...new Set(raw as string[])];
  }

  #secret(raw: unknown): string {
    if (typeof raw !== 'string') throw invalidField('secret', 'must be a base64 string');
    const problem = secretProblem(raw);
    if (problem) throw invalidField('secret', problem);
    return raw;
  }
}
