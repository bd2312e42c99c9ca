import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { formatTime } from '../../core/time.js';
import type { Delivery, Subscription } from '../../webhooks/types.js';
import { commonErrors, errorRef } from '../schemas.js';
import type { AppServices } from '../services.js';

// VCC's Webhooks API, registered under /webhooks (docs/webhooks.md). The v1 media type; admin:read
// for GETs and admin:write for changes, as in VCC (interaction-content:admin grants both).
export const WEBHOOKS_BASE = '/webhooks';

const read = { scope: 'admin:read' as const, versioned: true, acceptVersions: [1] };
const write = { scope: 'admin:write' as const, versioned: true, acceptVersions: [1] };
const errors = commonErrors;
const Id = Type.Object({ subscriptionId: Type.String({ description: 'Subscription id (UUID)' }) });
const NoContent = Type.Unsafe({ description: 'Deleted' });

const Events = Type.Array(Type.String({ maxLength: 128 }), {
  description: 'Event type names or wildcards (`interaction.*`, `*`)',
});
const Secret = Type.String({
  maxLength: 1024,
  description: 'Base64 of at least 32 bytes; generated when absent. Stored sealed, never returned again',
});
const NewBody = Type.Object(
  {
    name: Type.String({ description: '3-128 characters, unique in the account' }),
    url: Type.String({ description: 'Absolute http or https URL' }),
    events: Events,
    enabled: Type.Optional(Type.Boolean({ default: true })),
    secret: Type.Optional(Secret),
  },
  { additionalProperties: false },
);
const PatchBody = Type.Object(
  {
    name: Type.Optional(Type.String()),
    url: Type.Optional(Type.String()),
    events: Type.Optional(Events),
    enabled: Type.Optional(Type.Boolean()),
    secret: Type.Optional(Secret),
  },
  { additionalProperties: false },
);
const RotateBody = Type.Union([
  Type.Object({ secret: Type.Optional(Secret) }, { additionalProperties: false }),
  Type.Null(),
]);

const SubscriptionView = Type.Object(
  {
    subscriptionId: Type.String({ format: 'uuid' }),
    name: Type.String(),
    url: Type.String(),
    events: Type.Array(Type.String()),
    enabled: Type.Boolean(),
    createdAt: Type.String({ format: 'date-time', description: '[ext]' }),
    updatedAt: Type.String({ format: 'date-time', description: '[ext]' }),
  },
  { $id: 'WebhookSubscription' },
);
const WithSecret = Type.Intersect([
  Type.Unsafe({ $ref: 'WebhookSubscription#' }),
  Type.Object({ secret: Type.String() }),
]);
const nullable = <T extends ReturnType<typeof Type.String>>(t: T) => Type.Union([t, Type.Null()]);
const DeliveryView = Type.Object({
  deliveryId: Type.String({ format: 'uuid' }),
  eventId: Type.String({ description: 'The CloudEvent id, the same on every attempt' }),
  eventType: Type.String(),
  subject: nullable(Type.String()),
  status: Type.String({ enum: ['pending', 'delivered', 'failed'] }),
  attempts: Type.Integer(),
  createdAt: Type.String({ format: 'date-time' }),
  lastAttemptAt: nullable(Type.String({ format: 'date-time' })),
  nextAttemptAt: nullable(Type.String({ format: 'date-time' })),
  lastStatusCode: Type.Union([Type.Integer(), Type.Null()]),
  lastError: nullable(Type.String()),
  finishedAt: nullable(Type.String({ format: 'date-time' })),
});

export const subscriptionView = (s: Subscription) => ({
  subscriptionId: s.id,
  name: s.name,
  url: s.url,
  events: s.events,
  enabled: s.enabled,
  createdAt: formatTime(s.createdAt),
  updatedAt: formatTime(s.updatedAt),
});

const time = (ms: number | null) => (ms === null ? null : formatTime(ms));
const deliveryView = (d: Delivery) => ({
  deliveryId: d.id,
  eventId: d.eventId,
  eventType: d.eventType,
  subject: d.subject,
  status: d.status,
  attempts: d.attempts,
  createdAt: formatTime(d.createdAt),
  lastAttemptAt: time(d.lastAttemptAt),
  nextAttemptAt: d.status === 'pending' ? formatTime(d.nextAttemptAt) : null,
  lastStatusCode: d.lastStatus,
  lastError: d.lastError,
  finishedAt: time(d.finishedAt),
});

export const webhookRoutes =
  (services: AppServices): FastifyPluginAsyncTypebox =>
  async (app) => {
    app.addSchema(SubscriptionView);
    const one = Type.Unsafe({ $ref: 'WebhookSubscription#' });

    app.get(
      '/event-types',
      {
        config: read,
        schema: {
          operationId: 'listWebhookEventTypes',
          summary: 'The event types ICS raises [VCC]',
          response: {
            200: Type.Object({
              items: Type.Array(
                Type.Object({
                  name: Type.String(),
                  version: Type.String(),
                  source: Type.String(),
                  description: Type.String(),
                }),
              ),
            }),
            ...errors,
          },
        },
      },
      async () => ({ items: services.webhooks.eventTypes() }),
    );

    app.post(
      '/subscriptions',
      {
        config: write,
        schema: {
          operationId: 'createWebhookSubscription',
          summary: 'Subscribe a URL to events; the secret is returned here only [VCC]',
          body: NewBody,
          response: { 201: WithSecret, ...errors, 409: errorRef },
        },
      },
      async (request, reply) => {
        const { sub, secret } = await services.webhooks.create(request.ctx, request.body);
        return reply.code(201).send({ ...subscriptionView(sub), secret });
      },
    );

    app.get(
      '/subscriptions',
      {
        config: read,
        schema: {
          operationId: 'listWebhookSubscriptions',
          summary: "The account's subscriptions (without secrets) [VCC]",
          response: { 200: Type.Object({ items: Type.Array(one) }), ...errors },
        },
      },
      async (request) => ({ items: (await services.webhooks.list(request.ctx)).map(subscriptionView) }),
    );

    app.get(
      '/subscriptions/:subscriptionId',
      {
        config: read,
        schema: {
          operationId: 'getWebhookSubscription',
          summary: 'One subscription (without its secret) [VCC]',
          params: Id,
          response: { 200: one, ...errors },
        },
      },
      async (request) =>
        subscriptionView(await services.webhooks.get(request.ctx, request.params.subscriptionId)),
    );

    app.patch(
      '/subscriptions/:subscriptionId',
      {
        config: write,
        schema: {
          operationId: 'updateWebhookSubscription',
          summary:
            'Change name, url, events, enabled or secret; effective within seconds on every node [VCC]',
          params: Id,
          body: PatchBody,
          response: { 200: one, ...errors, 409: errorRef },
        },
      },
      async (request) =>
        subscriptionView(
          await services.webhooks.update(request.ctx, request.params.subscriptionId, request.body),
        ),
    );

    app.delete(
      '/subscriptions/:subscriptionId',
      {
        config: write,
        schema: {
          operationId: 'deleteWebhookSubscription',
          summary: 'Delete a subscription; its pending deliveries stop [VCC]',
          params: Id,
          response: { 204: NoContent, ...errors },
        },
      },
      async (request, reply) => {
        await services.webhooks.delete(request.ctx, request.params.subscriptionId);
        return reply.code(204).send();
      },
    );

    app.post(
      '/subscriptions/:subscriptionId/rotate-secret',
      {
        config: write,
        schema: {
          operationId: 'rotateWebhookSecret',
          summary: '[ext] A new secret (generated, or the one given), returned this once',
          params: Id,
          body: Type.Optional(RotateBody),
          response: { 200: WithSecret, ...errors },
        },
      },
      async (request) => {
        const { sub, secret } = await services.webhooks.rotateSecret(
          request.ctx,
          request.params.subscriptionId,
          request.body ?? undefined,
        );
        return { ...subscriptionView(sub), secret };
      },
    );

    app.get(
      '/subscriptions/:subscriptionId/deliveries',
      {
        config: read,
        schema: {
          operationId: 'listWebhookDeliveries',
          summary: "A subscription's most recent deliveries, newest first",
          params: Id,
          querystring: Type.Object(
            { limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 200, default: 50 })) },
            { additionalProperties: false },
          ),
          response: { 200: Type.Object({ items: Type.Array(DeliveryView) }), ...errors },
        },
      },
      async (request) => ({
        items: (
          await services.webhooks.deliveries(
            request.ctx,
            request.params.subscriptionId,
            request.query.limit ?? 50,
          )
        ).map(deliveryView),
      }),
    );
  };
