import type { SwaggerOptions } from '@fastify/swagger';

// The OpenAPI document (@fastify/swagger, from the routes' TypeBox schemas). What the schemas cannot
// say is added here, for the document only (nothing below changes what a request must carry):
// the VCC Accept header of the versioned routes, the raw body of uploads. The document passes
// `redocly lint` with the recommended rules (test/http/openapi-lint.test.ts, redocly.yaml).

declare module 'fastify' {
  interface FastifyContextConfig {
    /** The OpenAPI requestBody of a route whose handler reads the raw body (uploads); document only. */
    rawBody?: { description: string; content: Record<string, { schema: object }> };
  }
}

const vendorType = (v: number) => `application/vnd.newvoicemedia.v${v}+json`;

/** The Accept header a versioned route requires, as a header parameter. */
function acceptHeader(versions: readonly number[]) {
  const newest = Math.max(...versions);
  const listed = [...versions]
    .sort((a, b) => b - a)
    .map((v) => `\`${vendorType(v)}\``)
    .join(' or ');
  return {
    type: 'object',
    required: ['accept'],
    properties: {
      accept: {
        type: 'string',
        description: `The API version: ${listed} (other media ranges may accompany it). Without one: 400 invalid_api_version.`,
        examples: [vendorType(newest)],
      },
    },
  };
}

/** The plugin's options; the metrics token's scheme is there when GET /metrics asks for one. */
export const swaggerOptions = (opts: { metricsToken: boolean }): SwaggerOptions => ({
  openapi: {
    openapi: '3.1.0',
    info: {
      title: 'ICS — Interaction Content API',
      version: '3',
      description: 'VCC-compatible Interaction Content API with ingestion, legal holds and an audit ledger.',
      license: { name: 'Apache-2.0', identifier: 'Apache-2.0' },
    },
    // Relative: the server that serves this document (its origin, whatever the deployment's name).
    servers: [{ url: '/', description: 'The server that serves this document' }],
    components: {
      securitySchemes: {
        bearer: {
          type: 'http',
          scheme: 'bearer',
          bearerFormat: 'JWT',
          description: 'A token from POST /Auth/connect/token (or from the configured OIDC issuer)',
        },
        clientBasic: {
          type: 'http',
          scheme: 'basic',
          description: 'The client id and secret; or, instead, the client_id and client_secret form fields',
        },
        ...(opts.metricsToken && {
          metricsToken: { type: 'http', scheme: 'bearer', description: 'ICS_METRICS_TOKEN' },
        }),
      },
    },
    security: [{ bearer: [] }],
  },
  exposeHeadRoutes: true,
  refResolver: { buildLocalReference: (json, _baseUri, _fragment, i) => String(json.$id ?? `def-${i}`) },
  transform: ({ schema, url, route }) => {
    const config = route.config ?? {};
    if (!schema || (!config.versioned && !config.rawBody)) return { schema, url };
    return {
      schema: {
        ...schema,
        ...(config.versioned && { headers: acceptHeader(config.acceptVersions ?? [2, 3]) }),
        ...(config.rawBody && { body: config.rawBody }),
      },
      url,
    };
  },
});
