import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { insufficientScope } from '../../core/errors.js';
import type { Direction } from '../../core/types.js';
import { timeParam } from '../params.js';
import {
  CreateInteractionBody,
  commonErrors,
  errorRef,
  GuidParams,
  SearchQuery,
  SearchV2,
  SearchV3,
} from '../schemas.js';
import * as wire from '../serialize.js';
import type { AppServices } from '../services.js';

const errors = commonErrors;
const time = timeParam;

export const interactionRoutes =
  (services: AppServices): FastifyPluginAsyncTypebox =>
  async (app) => {
    app.get(
      '/interactions',
      {
        config: { scope: 'interaction-content:read', versioned: true },
        schema: {
          operationId: 'searchInteractions',
          summary: 'Search interactions that have content [VCC]',
          querystring: SearchQuery,
          response: { 200: Type.Union([SearchV3, SearchV2]), ...errors },
        },
      },
      async (request, reply) => {
        const q = request.query;
        const result = await services.interactions.search(request.ctx, request.apiVersion, {
          start: time('start', q.start),
          end: time('end', q.end),
          handlingAgentId: q.handlingAgentId,
          connectFrom: q.connectFrom,
          connectTo: q.connectTo,
          direction: q.direction?.toLowerCase() as Direction | undefined,
          limit: q.limit ?? 100,
          continuationToken: q.continuationToken,
          page: q.page,
        });
        const items = wire.interactions(result.items);
        if (result.kind === 'v3')
          return reply.send({ items, meta: { nextContinuationToken: result.nextContinuationToken } });
        return reply.send({
          items,
          meta: {
            page: result.page,
            count: items.length,
            pageCount: result.pageCount,
            totalCount: result.totalCount,
          },
        });
      },
    );

    app.get(
      '/interactions/:guid',
      {
        config: { scope: 'interaction-content:read', versioned: true },
        schema: {
          operationId: 'getInteraction',
          summary: 'One interaction with its content list [VCC]',
          params: GuidParams,
          querystring: Type.Object({
            include: Type.Optional(Type.String({ enum: ['legalHold'], description: '[ext] admin only' })),
          }),
          response: { 200: Type.Unsafe({ $ref: 'Interaction#' }), ...errors },
        },
      },
      async (request) => {
        const withHold = request.query.include === 'legalHold';
        if (withHold && !request.actor.scopes.has('interaction-content:admin'))
          throw insufficientScope('interaction-content:admin');
        const found = await services.interactions.get(request.ctx, request.params.guid);
        return wire.interaction(found, { withHold });
      },
    );

    app.post(
      '/interactions',
      {
        config: { scope: 'interaction-content:write', versioned: true },
        schema: {
          operationId: 'createInteraction',
          summary: 'Create an interaction (metadata only) [ext]',
          body: CreateInteractionBody,
          response: { 201: Type.Unsafe({ $ref: 'Interaction#' }), ...errors, 409: errorRef },
        },
      },
      async (request, reply) => {
        const b = request.body;
        const created = await services.interactions.create(request.ctx, {
          guid: b.guid,
          start: time('start', b.start),
          connectFrom: b.connectFrom,
          connectTo: b.connectTo,
          direction: b.direction.toLowerCase() as Direction,
          handlingAgents: (b.handlingAgents ?? []).map((a) => a.id),
        });
        return reply
          .code(201)
          .header('location', `/interaction-content/interactions/${created.guid}`)
          .send(wire.interaction(created));
      },
    );
  };
