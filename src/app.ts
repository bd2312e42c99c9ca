import { randomUUID } from 'node:crypto';
import swagger from '@fastify/swagger';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import Fastify, {
  type FastifyBaseLogger,
  type FastifyInstance,
  type FastifyServerOptions,
  LogController,
} from 'fastify';
import { Type } from 'typebox';
import type { ClientCredentialsGrant } from './auth/client-credentials.js';
import type { Config } from './config.js';
import { authenticate, checkVersion, type TokenVerifierLike } from './http/auth-hooks.js';
import { type ConsoleOptions, consoleRoutes } from './http/console.js';
import {
  clientErrorHandler,
  formatSchemaErrors,
  frameworkErrors,
  installErrorHandling,
} from './http/error-handler.js';
import { installInFlight } from './http/in-flight.js';
import { swaggerOptions } from './http/openapi.js';
import { type RateLimitOptions, registerRateLimits } from './http/rate-limits.js';
import { type Readiness, readinessRoute } from './http/readiness.js';
import { installRequestLog } from './http/request-log.js';
import { adminRoutes } from './http/routes/admin.js';
import { clientRoutes } from './http/routes/clients.js';
import { contentRoutes } from './http/routes/content.js';
import { deletionRoutes } from './http/routes/deletion.js';
import { deletionJobRoutes } from './http/routes/deletion-jobs.js';
import { EXPORT_BASE, exportRoutes } from './http/routes/export.js';
import { interactionRoutes } from './http/routes/interactions.js';
import { retentionRoutes } from './http/routes/retention.js';
import { tokenRoutes } from './http/routes/token.js';
import { WEBHOOKS_BASE, webhookRoutes } from './http/routes/webhooks.js';
import { ContentItem, ErrorBody, errorRef, Interaction, LegalHoldBody } from './http/schemas.js';
import type { AppServices } from './http/services.js';
import { installBodyTimeout, serverTimeouts } from './http/timeouts.js';
import { strictBodyValidators } from './http/validation.js';
import { installMetrics, type MetricsOptions } from './metrics/metrics.js';

export interface AppDeps {
  services: AppServices;
  verifier: TokenVerifierLike;
  grant: ClientCredentialsGrant;
  /** Readiness of each dependency (database, storage); never throws. */
  ready: () => Promise<Readiness>;
  logger?: FastifyServerOptions['logger'];
  /** A ready logger (the process's one JSON log); takes precedence over `logger`. */
  loggerInstance?: FastifyBaseLogger;
  /** The web console at /console; absent, it is not served. */
  console?: ConsoleOptions;
  /** Token buckets per client and for the token endpoint; absent, nothing is limited. */
  rateLimits?: RateLimitOptions;
  /** Header, body, request, keep-alive and idle timeouts; absent, Node's and Fastify's defaults. */
  timeouts?: Config['timeouts'];
  /** GET /metrics and the counters behind it; absent, no metrics. */
  metrics?: MetricsOptions;
  /** Serve HTTPS with this certificate and key (ICS_TLS_*); absent, plain HTTP. */
  tls?: { cert: Buffer; key: Buffer };
  /** Which X-Forwarded-For hops to believe for request.ip (ICS_TRUST_PROXY); absent, none. */
  trustProxy?: Config['http']['trustProxy'];
}

const REQUEST_ID = /^[A-Za-z0-9._:-]{1,128}$/;
export const API_BASE = '/interaction-content';

/** A hop count trusts that many X-Forwarded-For entries, nearest first (what proxy-addr does). */
function trustedProxies(setting: AppDeps['trustProxy']) {
  return typeof setting === 'number' ? (_address: string, hop: number) => hop < setting : (setting ?? false);
}

/** The Fastify instance with every route; never listens (main.ts does). */
export async function buildApp(deps: AppDeps): Promise<FastifyInstance> {
  const app = Fastify({
    ...(deps.loggerInstance ? { loggerInstance: deps.loggerInstance } : { logger: deps.logger ?? false }),
    // One cheap line per request instead (http/request-log.ts).
    // (Through a LogController: the top-level disableRequestLogging is deprecated, FSTDEP023.)
    logController: new LogController({ disableRequestLogging: true }),
    // A caller's request id is kept when it is safe to echo; otherwise a fresh one is made.
    requestIdHeader: false,
    genReqId: (req) => {
      const given = req.headers['x-request-id'];
      return typeof given === 'string' && REQUEST_ID.test(given) ? given : randomUUID();
    },
    bodyLimit: 1024 * 1024,
    trustProxy: trustedProxies(deps.trustProxy),
    return503OnClosing: true,
    schemaErrorFormatter: formatSchemaErrors,
    frameworkErrors,
    clientErrorHandler,
    schemaController: strictBodyValidators(),
    ...(deps.timeouts && serverTimeouts(deps.timeouts)),
    // HTTPS: Fastify makes an https.Server; its requests and replies are the same Node types, so
    // the instance is typed as the HTTP one. main.ts swaps certificates with setSecureContext.
    ...(deps.tls && { https: { cert: deps.tls.cert, key: deps.tls.key } }),
  } as FastifyServerOptions).withTypeProvider<TypeBoxTypeProvider>();
  // First: the plugin sees the routes registered after it (GET /metrics among them).
  await app.register(swagger, swaggerOptions({ metricsToken: deps.metrics?.token !== undefined }));
  if (deps.metrics) installMetrics(app, deps.metrics);
  installInFlight(app, deps.timeouts?.requestMs);
  installRequestLog(app);
  if (deps.timeouts) installBodyTimeout(app, deps.timeouts);

  // An empty body with a JSON Content-Type (some clients send one on DELETE) is no body, not an error.
  const parseJson = app.getDefaultJsonParser('error', 'error');
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (request, body, done) => {
    if (body === '') return done(null, undefined);
    parseJson(request, body as string, done);
  });

  app.decorateRequest('ctx', {
    getter() {
      return { actor: this.actor, requestId: this.id };
    },
  });
  app.addHook('onRequest', (request, reply, done) => {
    reply.header('x-request-id', request.id).header('x-content-type-options', 'nosniff');
    done();
  });
  // JSON answers are per caller: never stored. Routes with a cache policy of their own (downloads,
  // the console's assets) keep it.
  app.addHook('onSend', (_request, reply, payload, done) => {
    if (
      !reply.hasHeader('cache-control') &&
      String(reply.getHeader('content-type')).startsWith('application/json')
    )
      reply.header('cache-control', 'no-store');
    done(null, payload);
  });
  app.addHook('onRequest', authenticate(deps.verifier));
  app.addHook('preValidation', checkVersion);
  installErrorHandling(app);

  for (const schema of [ErrorBody, ContentItem, LegalHoldBody, Interaction]) app.addSchema(schema);

  // After the auth hook (so buckets are per client) and before the routes (the plugin watches onRoute).
  const tokenLimits = deps.rateLimits ? await registerRateLimits(app, deps.rateLimits) : undefined;
  await app.register(tokenRoutes(deps.grant, tokenLimits));
  await app.register(
    async (api) => {
      await api.register(interactionRoutes(deps.services));
      await api.register(deletionRoutes(deps.services));
      await api.register(contentRoutes(deps.services));
      await api.register(adminRoutes(deps.services));
      await api.register(clientRoutes(deps.services));
      await api.register(retentionRoutes(deps.services));
      await api.register(deletionJobRoutes(deps.services));
      api.get('/openapi.json', { schema: { hide: true } }, async () => app.swagger());
    },
    { prefix: API_BASE },
  );
  await app.register(exportRoutes(deps.services), { prefix: EXPORT_BASE });
  await app.register(webhookRoutes(deps.services), { prefix: WEBHOOKS_BASE });

  if (deps.console) await app.register(consoleRoutes(deps.console));

  app.get(
    '/healthz',
    {
      schema: {
        operationId: 'health',
        summary: 'Liveness: the process is up (it checks no dependency; /readyz does)',
        tags: ['operations'],
        security: [],
        response: { 200: Type.Object({ status: Type.Literal('ok') }), 429: errorRef },
      },
    },
    async () => ({ status: 'ok' as const }),
  );
  readinessRoute(app, deps.ready);
  return app;
}
