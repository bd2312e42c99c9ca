import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { badRequest } from '../../core/errors.js';
import { commonErrors, errorRef } from '../schemas.js';
import type { AppServices } from '../services.js';
import {
  BatchBody,
  JobsPage,
  JobsQuery,
  JobView,
  jobView,
  NewStorageBody,
  RecurringBody,
  StorageView,
  storageView,
} from './export-schemas.js';

// The Interaction Content Export API [VCC], registered under /interaction-content-export. VCC asks
// for interaction-content:read on every route, creating storage items and jobs included: an export
// writes only what the same token could download anyway (docs/export.md).
export const EXPORT_BASE = '/interaction-content-export';

const read = { scope: 'interaction-content:read' as const, versioned: true, acceptVersions: [1] };
const errors = commonErrors;
const Id = Type.Object({ id: Type.String({ description: 'External storage item id (UUID)' }) });
const JobId = Type.Object({ jobId: Type.String({ description: 'Job id (UUID)' }) });
const Created = (field: string) => Type.Object({ [field]: Type.String({ format: 'uuid' }) });
const NoContent = Type.Unsafe({ description: 'Done' });

export const exportRoutes =
  (services: AppServices): FastifyPluginAsyncTypebox =>
  async (app) => {
    app.addSchema(StorageView);
    app.addSchema(JobView);

    for (const [path, hide] of [
      ['/interactions/external-storage', false],
      // VCC's examples call these without /interactions; both work, the documented one is above.
      ['/external-storage', true],
    ] as const) {
      app.post(
        path,
        {
          config: read,
          schema: {
            hide,
            operationId: hide ? undefined : 'createExternalStorage',
            summary: 'Add an external storage item (an S3 bucket), after a zero-byte test write [VCC]',
            body: NewStorageBody,
            response: { 201: Created('id'), ...errors },
          },
        },
        async (request, reply) => {
          const item = await services.exports.createStorage(request.ctx, request.body);
          return reply.code(201).send({ id: item.id });
        },
      );
      app.get(
        path,
        {
          config: read,
          schema: {
            hide,
            operationId: hide ? undefined : 'listExternalStorage',
            summary: "The account's external storage items; secrets are never returned [VCC]",
            response: {
              200: Type.Object({ items: Type.Array(Type.Unsafe({ $ref: 'ExternalStorage#' })) }),
              ...errors,
            },
          },
        },
        async (request) => ({ items: (await services.exports.listStorage(request.ctx)).map(storageView) }),
      );
      app.delete(
        `${path}/:id`,
        {
          config: read,
          schema: {
            hide,
            operationId: hide ? undefined : 'deleteExternalStorage',
            summary: 'Delete an external storage item; 409 while an unfinished job uses it [VCC]',
            params: Id,
            response: { 204: NoContent, ...errors, 409: errorRef },
          },
        },
        async (request, reply) => {
          await services.exports.deleteStorage(request.ctx, request.params.id);
          return reply.code(204).send();
        },
      );
    }

    app.post(
      '/interactions/jobs/schedule-batch-export',
      {
        config: read,
        schema: {
          operationId: 'scheduleBatchExport',
          summary: 'Export the interactions that start in [startDate, endDate] once [VCC]',
          body: BatchBody,
          response: { 201: Created('jobId'), ...errors },
        },
      },
      async (request, reply) =>
        reply.code(201).send({ jobId: await services.exports.scheduleBatch(request.ctx, request.body) }),
    );

    app.post(
      '/interactions/jobs/schedule-recurring-export',
      {
        config: read,
        schema: {
          operationId: 'scheduleRecurringExport',
          summary: 'Export, every hour, what changed since the last run [VCC]',
          body: RecurringBody,
          response: { 201: Created('jobId'), ...errors },
        },
      },
      async (request, reply) =>
        reply.code(201).send({ jobId: await services.exports.scheduleRecurring(request.ctx, request.body) }),
    );

    app.get(
      '/interactions/jobs',
      {
        config: read,
        schema: {
          operationId: 'listExportJobs',
          summary: "The account's export jobs, newest first, with VCC's page numbers [VCC]",
          querystring: JobsQuery,
          response: { 200: JobsPage, ...errors },
        },
      },
      async (request) => {
        const page = request.query.page ?? 1;
        const limit = request.query.limit ?? 100;
        const result = await services.exports.listJobs(request.ctx, { page, limit });
        return { ...result, jobs: result.jobs.map(jobView), count: result.jobs.length };
      },
    );

    app.delete(
      '/interactions/jobs/:jobId',
      {
        config: read,
        schema: {
          operationId: 'cancelExportJob',
          summary: 'Stop a job (a running one stops at its next checkpoint) [ext]',
          params: JobId,
          response: { 204: NoContent, ...errors },
        },
      },
      async (request, reply) => {
        await services.exports.cancelJob(request.ctx, request.params.jobId);
        return reply.code(204).send();
      },
    );

    app.post(
      '/interactions/jobs/:jobId/:action',
      {
        config: read,
        schema: {
          operationId: 'changeExportJobStatus',
          summary: "VCC's job actions: cancel (pause and restart are not supported) [VCC]",
          params: Type.Object({ jobId: Type.String(), action: Type.String() }),
          response: { 204: NoContent, ...errors },
        },
      },
      async (request, reply) => {
        if (request.params.action !== 'cancel')
          throw badRequest(
            `Action '${request.params.action}' is not supported; supported: cancel`,
            'unsupported_action',
          );
        await services.exports.cancelJob(request.ctx, request.params.jobId);
        return reply.code(204).send();
      },
    );
  };
