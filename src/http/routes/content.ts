import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { Type } from 'typebox';
import { badRequest, rangeNotSatisfiable } from '../../core/errors.js';
import { parseRange } from '../../core/range.js';
import { downloadHeaders, ifRangeHolds, isValidMediaType, noneMatch } from '../download-headers.js';
import { ContentParams, commonErrors, errorRef, UploadQuery } from '../schemas.js';
import * as wire from '../serialize.js';
import type { AppServices } from '../services.js';

const errors = commonErrors;

export const contentRoutes =
  (services: AppServices): FastifyPluginAsyncTypebox =>
  async (app) => {
    type Req = FastifyRequest<{ Params: { guid: string; contentKey: string } }>;

    /** GET and HEAD share everything but the body. */
    const serve = (withBody: boolean) => async (request: Req, reply: FastifyReply) => {
      const item = await services.content.find(request.ctx, request.params.guid, request.params.contentKey);
      reply.headers(downloadHeaders(item));
      if (noneMatch(request.headers['if-none-match'] as string | undefined, `"${item.sha256}"`))
        return reply.code(304).send();
      let range = parseRange(request.headers.range, item.length);
      if (range.kind !== 'full' && !ifRangeHolds(request.headers['if-range'] as string | undefined, item))
        range = { kind: 'full' };
      if (range.kind === 'unsatisfiable') throw rangeNotSatisfiable(item.length);
      const slice = range.kind === 'partial' ? { start: range.start, end: range.end } : undefined;
      if (slice) reply.code(206).header('content-range', `bytes ${slice.start}-${slice.end}/${item.length}`);
      reply.header('content-length', slice ? slice.end - slice.start + 1 : item.length);
      if (!withBody) return reply.send();
      if (item.length === 0) return reply.send('');
      return reply.send(await services.content.read(item, slice));
    };

    const download = {
      config: { scope: 'interaction-content:read' as const, streams: true },
      schema: {
        operationId: 'getContent',
        summary: 'Download one content file; Range, If-None-Match and If-Range supported [VCC]',
        params: ContentParams,
        response: {
          200: Type.Unsafe({
            description: 'The file',
            type: 'string',
            contentMediaType: 'application/octet-stream',
          }),
          206: Type.Unsafe({ description: 'Part of the file', type: 'string' }),
          304: Type.Unsafe({ description: 'Not modified' }),
          ...errors,
          416: errorRef,
        },
      },
    };
    app.get('/interactions/:guid/content/:contentKey', { ...download, exposeHeadRoute: false }, serve(true));
    app.head('/interactions/:guid/content/:contentKey', download, serve(false));

    app.delete(
      '/interactions/:guid/content/:contentKey',
      {
        config: { scope: 'interaction-content:delete', versioned: true },
        schema: {
          operationId: 'deleteContent',
          summary: 'Delete one content file (the call recording also deletes screen recordings) [VCC]',
          params: ContentParams,
          response: {
            204: Type.Unsafe({ description: 'Deleted; x-deletion-receipt names the ledger entries' }),
            ...errors,
            409: errorRef,
          },
        },
      },
      async (request, reply) => {
        const entries = await services.deletion.deleteContent(
          request.ctx,
          request.params.guid,
          request.params.contentKey,
        );
        return reply.code(204).header('x-deletion-receipt', wire.deletionReceipt(entries)).send();
      },
    );

    // Uploads stream the raw request body to storage: no body parser may buffer it.
    await app.register(async (upload) => {
      upload.removeAllContentTypeParsers();
      upload.addContentTypeParser('*', (_request, _payload, done) => done(null, undefined));
      upload.withTypeProvider().put(
        '/interactions/:guid/content/:contentKey',
        {
          config: {
            scope: 'interaction-content:write',
            versioned: true,
            streams: true,
            rawBody: {
              description: 'The file itself; its Content-Type is stored as the media type',
              content: { '*/*': { schema: { type: 'string', format: 'binary' } } },
            },
          },
          schema: {
            operationId: 'uploadContent',
            summary: 'Upload or replace one content file; the raw body is the file [ext]',
            params: ContentParams,
            querystring: UploadQuery,
            response: {
              200: Type.Unsafe({ $ref: 'ContentItem#' }),
              201: Type.Unsafe({ $ref: 'ContentItem#' }),
              ...errors,
              409: errorRef,
              413: errorRef,
              429: errorRef,
            },
          },
        },
        async (
          request: FastifyRequest<{
            Params: { guid: string; contentKey: string };
            Querystring: { type?: string; owningAgentId?: string; owningInteractionPlanId?: string };
          }>,
          reply,
        ) => {
          const mediaType = request.headers['content-type'] ?? 'application/octet-stream';
          if (!isValidMediaType(mediaType))
            throw badRequest('Content-Type is not a valid media type', 'invalid_media_type');
          const lengthHeader = request.headers['content-length'];
          const { item, created } = await services.content.upload(
            request.ctx,
            request.params.guid,
            request.params.contentKey,
            {
              body: request.raw,
              mediaType,
              expectedLength: lengthHeader === undefined ? undefined : Number(lengthHeader),
              type: request.query.type,
              owningAgentId: request.query.owningAgentId,
              owningInteractionPlanId: request.query.owningInteractionPlanId,
            },
          );
          return reply.code(created ? 201 : 200).send(wire.contentItem(item));
        },
      );
    });
  };
