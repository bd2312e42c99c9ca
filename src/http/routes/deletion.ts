import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { BatchBody, BatchResponse, errorRef, GuidParams } from '../schemas.js';
import * as wire from '../serialize.js';
import type { AppServices } from '../services.js';

const errors = { 400: errorRef, 401: errorRef, 403: errorRef };

export const deletionRoutes =
  (services: AppServices): FastifyPluginAsyncTypebox =>
  async (app) => {
    app.delete(
      '/interactions/:guid',
      {
        config: { scope: 'interaction-content:delete', versioned: true },
        schema: {
          operationId: 'deleteInteraction',
          summary: 'Delete an interaction, all its content and its metadata [VCC]',
          params: GuidParams,
          response: { 200: Type.Object({}), ...errors, 404: errorRef, 409: errorRef },
        },
      },
      async (request, reply) => {
        const entries = await services.deletion.deleteInteraction(request.ctx, request.params.guid);
        return reply.header('x-deletion-receipt', wire.deletionReceipt(entries)).send({});
      },
    );

    app.post(
      '/interactions/delete-batch',
      {
        config: { scope: 'interaction-content:delete', versioned: true },
        schema: {
          operationId: 'deleteInteractionsBatch',
          summary: 'Delete up to 1000 interactions; unknown GUIDs are not failures [VCC]',
          body: BatchBody,
          response: { 200: BatchResponse, ...errors, 429: errorRef },
        },
      },
      async (request) => ({ failures: await services.deletion.deleteBatch(request.ctx, request.body) }),
    );
  };
