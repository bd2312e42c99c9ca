import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { commonErrors, errorRef } from '../schemas.js';
import type { AppServices } from '../services.js';
import {
  DeletionJobBody,
  DeletionJobItemBody,
  deletionJobItemView,
  deletionJobView,
  Meta,
  NewDeletionJobBody,
  PageQuery,
} from './deletion-job-schemas.js';

// Deletion jobs [ext] (docs/retention.md): bulk and subject erasure in the background, with a dry
// run, progress, per-item results and a signed erasure certificate.

const admin = { scope: 'interaction-content:admin' as const, versioned: true };
const errors = commonErrors;
const Id = Type.Object({ id: Type.String({ description: 'Deletion job id (UUID)' }) });
const JobRef = Type.Unsafe({ $ref: 'DeletionJob#' });

export const deletionJobRoutes =
  (services: AppServices): FastifyPluginAsyncTypebox =>
  async (app) => {
    app.addSchema(DeletionJobBody);

    app.post(
      '/deletion-jobs',
      {
        config: admin,
        schema: {
          operationId: 'createDeletionJob',
          summary: 'Start a deletion job (bulk or subject erasure; dryRun first) [ext]',
          body: NewDeletionJobBody,
          response: { 202: JobRef, ...errors },
        },
      },
      async (request, reply) => {
        const job = await services.deletionJobs.create(request.ctx, request.body);
        return reply
          .code(202)
          .header('location', `/interaction-content/deletion-jobs/${job.id}`)
          .send(deletionJobView(job));
      },
    );

    app.get(
      '/deletion-jobs',
      {
        config: admin,
        schema: {
          operationId: 'listDeletionJobs',
          summary: "The account's deletion jobs, newest first [ext]",
          querystring: PageQuery,
          response: { 200: Type.Object({ items: Type.Array(JobRef), meta: Meta }), ...errors },
        },
      },
      async (request) => {
        const page = await services.deletionJobs.list(request.ctx, {
          limit: request.query.limit ?? 100,
          continuationToken: request.query.continuationToken,
        });
        return {
          items: page.items.map(deletionJobView),
          meta: { nextContinuationToken: page.nextContinuationToken },
        };
      },
    );

    app.get(
      '/deletion-jobs/:id',
      {
        config: admin,
        schema: {
          operationId: 'getDeletionJob',
          summary: 'A deletion job: status and counts [ext]',
          params: Id,
          response: { 200: JobRef, ...errors },
        },
      },
      async (request) => deletionJobView(await services.deletionJobs.get(request.ctx, request.params.id)),
    );

    app.get(
      '/deletion-jobs/:id/items',
      {
        config: admin,
        schema: {
          operationId: 'listDeletionJobItems',
          summary: 'What the job matched and what became of each interaction, with receipts [ext]',
          params: Id,
          querystring: PageQuery,
          response: { 200: Type.Object({ items: Type.Array(DeletionJobItemBody), meta: Meta }), ...errors },
        },
      },
      async (request) => {
        const page = await services.deletionJobs.items(request.ctx, request.params.id, {
          limit: request.query.limit ?? 100,
          continuationToken: request.query.continuationToken,
        });
        const account = request.ctx.actor.account;
        return {
          items: page.items.map((i) => deletionJobItemView(account, i)),
          meta: { nextContinuationToken: page.nextContinuationToken },
        };
      },
    );

    app.delete(
      '/deletion-jobs/:id',
      {
        config: admin,
        schema: {
          operationId: 'cancelDeletionJob',
          summary: 'Cancel a queued, running or waiting job; what it deleted stays deleted [ext]',
          params: Id,
          response: { 200: JobRef, ...errors, 409: errorRef },
        },
      },
      async (request) => deletionJobView(await services.deletionJobs.cancel(request.ctx, request.params.id)),
    );

    app.get(
      '/deletion-jobs/:id/certificate',
      {
        // Not JSON, so not under the VCC Accept rule: a client asks for application/jose.
        config: { scope: 'interaction-content:admin' },
        schema: {
          operationId: 'getErasureCertificate',
          summary:
            'The erasure certificate of a finished job: a compact JWS (Ed25519), checkable offline against the JWKS [ext]',
          params: Id,
          response: {
            200: {
              description: 'Compact JWS (Ed25519)',
              content: { 'application/jose': { schema: Type.String() } },
            },
            ...errors,
            409: errorRef,
          },
        },
      },
      async (request, reply) => {
        const jws = await services.certificates.certificate(request.ctx, request.params.id);
        return reply.type('application/jose').send(jws);
      },
    );

    app.get(
      '/.well-known/jwks.json',
      {
        schema: {
          operationId: 'getCertificateKeys',
          summary: 'The public keys that erasure certificates are signed with (JWK Set; no auth) [ext]',
          security: [],
          response: {
            200: Type.Object({ keys: Type.Array(Type.Object({}, { additionalProperties: true })) }),
            429: errorRef,
          },
        },
      },
      async (_request, reply) => {
        reply.header('cache-control', 'public, max-age=300');
        return services.certificates.jwks();
      },
    );
  };
