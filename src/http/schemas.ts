import { Type } from 'typebox';
import { CONTENT_TYPES, SCOPES } from '../core/types.js';

// Wire schemas: they validate requests, serialise responses (fast-json-stringify) and generate the
// OpenAPI document, so the three cannot drift apart.

export const ErrorBody = Type.Object(
  { message: Type.String(), code: Type.Optional(Type.String()) },
  { $id: 'Error', description: 'Every error: a message, and a stable machine-readable code beside it' },
);

const Ref = (id: string) => Type.Unsafe({ $ref: `${id}#` });
export const errorRef = Ref('Error');

/** The error responses every authenticated route can give. */
export const commonErrors = { 400: errorRef, 401: errorRef, 403: errorRef, 404: errorRef };

export const ContentItem = Type.Object(
  {
    contentKey: Type.String(),
    type: Type.String({ enum: [...CONTENT_TYPES] }),
    contentType: Type.String(),
    contentLength: Type.Integer(),
    lastModified: Type.String({ format: 'date-time' }),
    owningAgent: Type.Optional(Type.Object({ id: Type.String() })),
    owningInteractionPlan: Type.Optional(Type.Object({ id: Type.String() })),
    properties: Type.Object({}, { additionalProperties: true }),
  },
  { $id: 'ContentItem' },
);

export const LegalHoldBody = Type.Object(
  {
    reason: Type.String(),
    caseId: Type.Union([Type.String(), Type.Null()]),
    placedAt: Type.String({ format: 'date-time' }),
    placedBy: Type.String(),
  },
  { $id: 'LegalHold' },
);

export const Interaction = Type.Object(
  {
    guid: Type.String({ format: 'uuid' }),
    start: Type.String({ format: 'date-time' }),
    connectFrom: Type.String(),
    connectTo: Type.String(),
    direction: Type.String({ enum: ['inbound', 'outbound'] }),
    handlingAgents: Type.Array(Type.Object({ id: Type.String() })),
    content: Type.Array(Ref('ContentItem')),
    legalHold: Type.Optional(
      Type.Union([Ref('LegalHold'), Type.Null()], {
        description: '[ext] only with ?include=legalHold and the admin scope',
      }),
    ),
  },
  { $id: 'Interaction' },
);

export const GuidParams = Type.Object({
  guid: Type.String({ description: 'Interaction GUID (36 characters)' }),
});
export const ContentParams = Type.Object({
  guid: Type.String({ description: 'Interaction GUID (36 characters)' }),
  contentKey: Type.String({
    description:
      "Named key, unique id, legacy voicemail-<agentId> (its literal item, else that agent's voicemails), or a type name",
  }),
});

export const SearchQuery = Type.Object({
  start: Type.String({ description: 'Inclusive ISO 8601 date-time' }),
  end: Type.String({ description: 'Exclusive ISO 8601 date-time' }),
  handlingAgentId: Type.Optional(Type.String({ minLength: 1, maxLength: 100 })),
  connectFrom: Type.Optional(Type.String({ minLength: 1, maxLength: 50, description: 'Prefix match' })),
  connectTo: Type.Optional(Type.String({ minLength: 1, maxLength: 50, description: 'Prefix match' })),
  direction: Type.Optional(
    Type.String({ pattern: '^([iI][nN][bB][oO][uU][nN][dD]|[oO][uU][tT][bB][oO][uU][nN][dD])$' }),
  ),
  limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 1000, default: 100 })),
  continuationToken: Type.Optional(Type.String({ maxLength: 1000, description: 'v3 paging' })),
  page: Type.Optional(Type.Integer({ minimum: 1, maximum: 1_000_000, description: 'v2 paging, 1-based' })),
});

export const SearchV3 = Type.Object({
  items: Type.Array(Ref('Interaction')),
  meta: Type.Object({ nextContinuationToken: Type.Union([Type.String(), Type.Null()]) }),
});

export const SearchV2 = Type.Object({
  items: Type.Array(Ref('Interaction')),
  meta: Type.Object({
    page: Type.Integer(),
    count: Type.Integer(),
    pageCount: Type.Integer(),
    totalCount: Type.Integer(),
  }),
});

export const CreateInteractionBody = Type.Object(
  {
    guid: Type.Optional(Type.String()),
    start: Type.String(),
    connectFrom: Type.String({ minLength: 1, maxLength: 255 }),
    connectTo: Type.String({ minLength: 1, maxLength: 255 }),
    direction: Type.String({ pattern: '^([iI][nN][bB][oO][uU][nN][dD]|[oO][uU][tT][bB][oO][uU][nN][dD])$' }),
    handlingAgents: Type.Array(
      Type.Object({ id: Type.String({ minLength: 1, maxLength: 100 }) }, { additionalProperties: false }),
      { maxItems: 100, default: [] },
    ),
  },
  { additionalProperties: false },
);

export const UploadQuery = Type.Object({
  type: Type.Optional(Type.String({ description: 'Content type; required for unique-id keys' })),
  owningAgentId: Type.Optional(Type.String({ minLength: 1, maxLength: 100 })),
  owningInteractionPlanId: Type.Optional(Type.String({ minLength: 1, maxLength: 100 })),
});

export const BatchBody = Type.Object({ guids: Type.Array(Type.Unknown()) });
export const BatchResponse = Type.Object({
  failures: Type.Array(
    Type.Object({ guid: Type.String(), message: Type.String(), statusCode: Type.Integer() }),
  ),
});

export const HoldRequest = Type.Object(
  {
    reason: Type.String({ minLength: 1, maxLength: 500 }),
    caseId: Type.Optional(Type.String({ minLength: 1, maxLength: 100 })),
  },
  { additionalProperties: false },
);

export const AuditQuery = Type.Object({
  start: Type.Optional(Type.String()),
  end: Type.Optional(Type.String()),
  guid: Type.Optional(Type.String()),
  action: Type.Optional(Type.String({ minLength: 1, maxLength: 64 })),
  limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 1000, default: 100 })),
  continuationToken: Type.Optional(Type.String({ maxLength: 20 })),
});

export const AuditEntryBody = Type.Object({
  seq: Type.Integer(),
  at: Type.String({ format: 'date-time' }),
  atMs: Type.Integer({ description: 'The exact time (epoch ms) the entry hash covers' }),
  actor: Type.Object({
    clientId: Type.Union([Type.String(), Type.Null()]),
    subject: Type.Union([Type.String(), Type.Null()]),
  }),
  action: Type.String(),
  guid: Type.String(),
  contentKey: Type.Union([Type.String(), Type.Null()]),
  type: Type.Union([Type.String(), Type.Null()]),
  contentLength: Type.Union([Type.Integer(), Type.Null()]),
  sha256: Type.Union([Type.String(), Type.Null()]),
  reason: Type.String(),
  requestId: Type.Union([Type.String(), Type.Null()]),
  details: Type.Union([Type.Object({}, { additionalProperties: true }), Type.Null()]),
  prevHash: Type.String(),
  hash: Type.String(),
});

export const TokenResponse = Type.Object({
  access_token: Type.String(),
  expires_in: Type.Integer(),
  token_type: Type.String(),
  scope: Type.String(),
});

export const ScopeNames = SCOPES;
