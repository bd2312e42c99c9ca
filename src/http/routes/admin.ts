import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { badRequest } from '../../core/errors.js';
import { parseGuid } from '../../core/guid.js';
import { optionalTimeParam } from '../params.js';
import { AuditEntryBody, AuditQuery, commonErrors, GuidParams, HoldRequest } from '../schemas.js';
import * as wire from '../serialize.js';
import type { AppServices } from '../services.js';

const errors = commonErrors;
const admin = { scope: 'interaction-content:admin' as const, versioned: true };

export const adminRoutes =
  (services: AppServices): FastifyPluginAsyncTypebox =>
  async (app) => {
    app.get(
      '/interactions/:guid/legal-hold',
      {
        config: admin,
        schema: {
          operationId: 'getLegalHold',
          summary: "The interaction's legal hold; 404 legal_hold_not_found when it has none [ext]",
          params: GuidParams,
          response: { 200: Type.Unsafe({ $ref: 'LegalHold#' }), ...errors },
        },
      },
      async (request) => wire.legalHold(await services.holds.get(request.ctx, request.params.guid)),
    );

    app.put(
      '/interactions/:guid/legal-hold',
      {
        config: admin,
        schema: {
          operationId: 'placeLegalHold',
          summary: 'Place (or update) a legal hold: every deletion path refuses the interaction [ext]',
          params: GuidParams,
          body: HoldRequest,
          response: { 200: Type.Unsafe({ $ref: 'LegalHold#' }), ...errors },
        },
      },
      async (request) =>
        wire.legalHold(await services.holds.place(request.ctx, request.params.guid, request.body)),
    );

    app.delete(
      '/interactions/:guid/legal-hold',
      {
        config: admin,
        schema: {
          operationId: 'releaseLegalHold',
          summary: 'Release a legal hold [ext]',
          params: GuidParams,
          response: { 204: Type.Unsafe({ description: 'Released' }), ...errors },
        },
      },
      async (request, reply) => {
        await services.holds.release(request.ctx, request.params.guid);
        return reply.code(204).send();
      },
    );

    app.get(
      '/audit',
      {
        config: admin,
        schema: {
          operationId: 'listAuditEntries',
          summary: "The account's hash-chained audit ledger, in ledger order [ext]",
          querystring: AuditQuery,
          response: {
            200: Type.Object({
              items: Type.Array(AuditEntryBody),
              meta: Type.Object({ nextContinuationToken: Type.Union([Type.String(), Type.Null()]) }),
            }),
            ...errors,
          },
        },
      },
      async (request) => {
        const q = request.query;
        const start = optionalTimeParam('start', q.start);
        const end = optionalTimeParam('end', q.end);
        if (start !== undefined && end !== undefined && end <= start)
          throw badRequest("Parameter 'end' must be after 'start'", 'invalid_window');
        const page = await services.audit.list(request.ctx, {
          start,
          end,
          guid: q.guid === undefined ? undefined : parseGuid(q.guid),
          action: q.action,
          limit: q.limit ?? 100,
          continuationToken: q.continuationToken,
        });
        return {
          items: page.items.map(wire.auditEntry),
          meta: { nextContinuationToken: page.nextContinuationToken },
        };
      },
    );
  };
