import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import type { CreatedClient } from '../../auth/client-admin.js';
import { permissionsView } from '../../auth/permissions.js';
import type { ClientView } from '../../clients/client-service.js';
import { CONTENT_TYPES, DIRECTIONS, SCOPES, type Scope } from '../../core/types.js';
import { commonErrors, errorRef } from '../schemas.js';
import type { AppServices } from '../services.js';

// API-client administration over HTTP (admin scope, the caller's own account only): what
// `ics clients` does on the command line, for the console and for automation.

const admin = { scope: 'interaction-content:admin' as const, versioned: true };

const ScopeName = Type.Unsafe<Scope>(Type.String({ enum: [...SCOPES] }));

// Content permissions (docs/security.md "Content permissions"): shown with both sides and null for
// "any"; taken as an object that auth/permissions.ts checks, so that every mistake is a 400 naming
// the field and the expected names, not a schema message.
const AccessWire = Type.Object({
  types: Type.Union([Type.Array(Type.String({ enum: [...CONTENT_TYPES] })), Type.Null()]),
  directions: Type.Union([Type.Array(Type.String({ enum: [...DIRECTIONS] })), Type.Null()]),
});
const PermissionsWire = Type.Object(
  { read: AccessWire, delete: AccessWire },
  { $id: 'ContentPermissions', description: 'What the client may read and delete; null = any' },
);
const permissionsRef = Type.Unsafe<ReturnType<typeof permissionsView>>({ $ref: 'ContentPermissions#' });
const PermissionsInput = Type.Unsafe<unknown>({
  type: 'object',
  description:
    '{"read": {"types": [...], "directions": [...]}, "delete": {...}}: content types and directions ' +
    '(inbound, outbound) the client may read and delete; an absent or null side or list = any',
  examples: [{ read: { types: ['callRecording', 'transcript'], directions: ['inbound'] } }],
});

const ClientBody = Type.Object(
  {
    clientId: Type.String(),
    account: Type.String(),
    name: Type.Union([Type.String(), Type.Null()]),
    scopes: Type.Array(ScopeName),
    permissions: permissionsRef,
    createdAt: Type.String({ format: 'date-time' }),
    revokedAt: Type.Union([Type.String({ format: 'date-time' }), Type.Null()]),
  },
  { $id: 'Client' },
);

const ClientWithSecret = Type.Object(
  {
    clientId: Type.String(),
    clientSecret: Type.String({ description: 'Shown only in this response; store it safely' }),
    account: Type.String(),
    name: Type.Union([Type.String(), Type.Null()]),
    scopes: Type.Array(ScopeName),
    permissions: permissionsRef,
    createdAt: Type.String({ format: 'date-time' }),
  },
  { $id: 'ClientWithSecret' },
);

const NewClient = Type.Object(
  {
    scopes: Type.Array(ScopeName, {
      minItems: 1,
      uniqueItems: true,
      description: 'Scopes of the new client; each must be one the caller holds',
    }),
    name: Type.Optional(Type.String({ maxLength: 200 })),
    permissions: Type.Optional(PermissionsInput),
  },
  { additionalProperties: false },
);

const ClientParams = Type.Object({ clientId: Type.String({ minLength: 1, maxLength: 100 }) });

const clientRef = Type.Unsafe<ReturnType<typeof clientWire>>({ $ref: 'Client#' });
const withSecretRef = Type.Unsafe<ReturnType<typeof withSecretWire>>({ $ref: 'ClientWithSecret#' });

const withSecretWire = (c: CreatedClient) => ({ ...c, permissions: permissionsView(c.permissions) });

function clientWire(c: ClientView) {
  return {
    ...c,
    permissions: permissionsView(c.permissions),
    createdAt: new Date(c.createdAt).toISOString(),
    revokedAt: c.revokedAt === null ? null : new Date(c.revokedAt).toISOString(),
  };
}

export const clientRoutes =
  (services: AppServices): FastifyPluginAsyncTypebox =>
  async (app) => {
    app.addSchema(PermissionsWire);
    app.addSchema(ClientBody);
    app.addSchema(ClientWithSecret);

    app.get(
      '/clients',
      {
        config: admin,
        schema: {
          summary: "The account's API clients, revoked ones included (never their secrets) [ext]",
          operationId: 'listClients',
          response: { 200: Type.Object({ items: Type.Array(clientRef) }), ...commonErrors },
        },
      },
      async (request) => ({ items: (await services.clients.list(request.ctx)).map(clientWire) }),
    );

    app.post(
      '/clients',
      {
        config: admin,
        schema: {
          summary: "Create an API client in the caller's account; its secret is in this response only [ext]",
          operationId: 'createClient',
          body: NewClient,
          response: { 201: withSecretRef, ...commonErrors },
        },
      },
      async (request, reply) => {
        const created = await services.clients.create(request.ctx, request.body);
        return reply
          .code(201)
          .header('location', `/interaction-content/clients/${created.clientId}`)
          .send(withSecretWire(created));
      },
    );

    app.post(
      '/clients/:clientId/revoke',
      {
        config: admin,
        schema: {
          summary: 'Revoke a client: no new tokens, and its tokens stop working within seconds [ext]',
          operationId: 'revokeClient',
          params: ClientParams,
          response: { 200: clientRef, ...commonErrors },
        },
      },
      async (request) => clientWire(await services.clients.revoke(request.ctx, request.params.clientId)),
    );

    app.post(
      '/clients/:clientId/rotate',
      {
        config: admin,
        schema: {
          summary:
            'Give a client a new secret (the old one stops working; tokens already issued run out) [ext]',
          operationId: 'rotateClientSecret',
          params: ClientParams,
          response: { 200: withSecretRef, ...commonErrors, 409: errorRef },
        },
      },
      async (request) => withSecretWire(await services.clients.rotate(request.ctx, request.params.clientId)),
    );

    app.put(
      '/clients/:clientId/permissions',
      {
        config: admin,
        schema: {
          summary:
            "Replace a client's content permissions ({} lifts them); its tokens follow within seconds [ext]",
          operationId: 'setClientPermissions',
          params: ClientParams,
          body: PermissionsInput,
          response: { 200: clientRef, ...commonErrors },
        },
      },
      async (request) =>
        clientWire(await services.clients.setPermissions(request.ctx, request.params.clientId, request.body)),
    );
  };
