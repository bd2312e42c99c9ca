import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import type { ClientCredentialsGrant } from '../../auth/client-credentials.js';
import type { TokenRateLimits } from '../rate-limits.js';
import { TokenResponse } from '../schemas.js';

const OAuthError = Type.Object({
  error: Type.String(),
  error_description: Type.Optional(Type.String()),
  message: Type.Optional(Type.String()),
  code: Type.Optional(Type.String()),
});

/** The body of a request that is not form-encoded: left unread, and refused as invalid_request. */
const NOT_FORM = Object.freeze({});

/** POST /Auth/connect/token: the OAuth 2.0 client-credentials grant, form-encoded [VCC]. */
export const tokenRoutes =
  (grant: ClientCredentialsGrant, limits?: TokenRateLimits): FastifyPluginAsyncTypebox =>
  async (app) => {
    // Only forms: a JSON (or any other) body is an OAuth invalid_request, not a 415 of Fastify's.
    app.removeAllContentTypeParsers();
    app.addContentTypeParser('*', (_req, _payload, done) => done(null, NOT_FORM));
    app.addContentTypeParser(
      'application/x-www-form-urlencoded',
      { parseAs: 'string', bodyLimit: 16 * 1024 },
      (_req, body, done) => {
        done(null, Object.fromEntries(new URLSearchParams(body as string)));
      },
    );

    app.post(
      '/Auth/connect/token',
      {
        ...(limits && { config: limits.config, preHandler: limits.preHandler }),
        schema: {
          operationId: 'issueToken',
          summary: 'Client-credentials token; client id and secret as form fields or HTTP Basic [VCC]',
          description:
            'The client authenticates with HTTP Basic (client id and secret) or with the client_id and client_secret form fields; no bearer token.',
          security: [{ clientBasic: [] }, {}],
          consumes: ['application/x-www-form-urlencoded'],
          body: Type.Object({
            grant_type: Type.Optional(Type.String()),
            scope: Type.Optional(Type.String()),
            client_id: Type.Optional(Type.String()),
            client_secret: Type.Optional(Type.String()),
          }),
          response: { 200: TokenResponse, 400: OAuthError, 401: OAuthError },
        },
      },
      async (request, reply) => {
        const form = request.body ?? {};
        const result = await grant.handle({
          notForm: request.body === NOT_FORM,
          grantType: form.grant_type,
          scope: form.scope,
          clientId: form.client_id,
          clientSecret: form.client_secret,
          authorizationHeader: request.headers.authorization,
        });
        return reply.code(result.status).headers(result.headers).send(result.body);
      },
    );
  };
