import { timingSafeEqual } from 'node:crypto';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client';
import { Type } from 'typebox';
import { errorRef } from '../http/schemas.js';
import type { PurgeQueueStats } from './purge-queue-stats.js';

// GET /metrics in the Prometheus text format (prom-client). Everything is counted at the HTTP seam,
// from the route pattern, the method and the status, so no service carries metrics code; the purge
// queue is read when scraped.

export interface MetricsOptions {
  /** ICS_METRICS_TOKEN: when set, a scrape must send `Authorization: Bearer <token>`. */
  token: string | undefined;
  purgeQueue: () => Promise<PurgeQueueStats>;
}

const UPLOAD = /\/content\/:contentKey$/;
const DELETIONS = [/\/interactions\/:guid$/, /\/content\/:contentKey$/, /\/interactions\/delete-batch$/];

export function installMetrics(app: FastifyInstance, opts: MetricsOptions): Registry {
  const register = new Registry();
  collectDefaultMetrics({ register });
  const labels = ['method', 'route', 'status'] as const;
  const requests = new Counter({
    name: 'ics_http_requests_total',
    help: 'HTTP requests answered, by method, route pattern and status',
    labelNames: labels,
    registers: [register],
  });
  const duration = new Histogram({
    name: 'ics_http_request_duration_seconds',
    help: 'Time from request to the end of the answer, by method, route pattern and status',
    labelNames: labels,
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300],
    registers: [register],
  });
  const sent = new Counter({
    name: 'ics_http_sent_bytes_total',
    help: 'Bytes written to clients (headers included, measured on the socket), by route pattern',
    labelNames: ['route'],
    registers: [register],
  });
  const received = new Counter({
    name: 'ics_http_received_bytes_total',
    help: 'Bytes read from clients (headers included, measured on the socket), by route pattern',
    labelNames: ['route'],
    registers: [register],
  });
  const uploads = new Counter({
    name: 'ics_uploads_total',
    help: 'Content uploads by outcome: created, replaced, refused (4xx), failed (5xx)',
    labelNames: ['outcome'],
    registers: [register],
  });
  const deletions = new Counter({
    name: 'ics_deletions_total',
    help: 'Deletion requests (content, interaction, batch) by outcome: deleted, held (409), refused (other 4xx), failed (5xx)',
    labelNames: ['kind', 'outcome'],
    registers: [register],
  });
  const unavailable = new Counter({
    name: 'ics_dependency_errors_total',
    help: 'Requests answered 503 because a dependency failed, by dependency (database, storage)',
    labelNames: ['dependency'],
    registers: [register],
  });
  const limited = new Counter({
    name: 'ics_rate_limit_refusals_total',
    help: 'Requests refused with 429 (rate limits and the per-account upload cap), by route pattern',
    labelNames: ['route'],
    registers: [register],
  });
  new Gauge({
    name: 'ics_purge_queue_depth',
    help: 'Blobs of deletions waiting to be erased (quarantined entries excluded)',
    registers: [register],
    async collect() {
      const stats = await opts.purgeQueue().catch(() => undefined);
      this.set(stats?.depth ?? Number.NaN);
      quarantined.set(stats?.quarantined ?? Number.NaN);
      oldest.set(
        stats === undefined
          ? Number.NaN
          : stats.oldestDueMs === undefined
            ? 0
            : Math.max(0, (Date.now() - stats.oldestDueMs) / 1000),
      );
    },
  });
  const quarantined = new Gauge({
    name: 'ics_purge_queue_quarantined',
    help: 'Purge entries that failed for good and wait for ics verify --repair',
    registers: [register],
  });
  const oldest = new Gauge({
    name: 'ics_purge_queue_oldest_age_seconds',
    help: 'How long the oldest waiting purge entry has been due (0 when none waits)',
    registers: [register],
  });

  app.addHook('onRequest', (request, _reply, done) => {
    const socket = request.raw.socket;
    request.metricsStart = {
      at: process.hrtime.bigint(),
      read: socket?.bytesRead ?? 0,
      written: socket?.bytesWritten ?? 0,
    };
    done();
  });
  app.addHook('onResponse', (request, reply, done) => {
    const start = request.metricsStart;
    const route = request.routeOptions.url ?? 'unmatched';
    const status = reply.statusCode;
    const l = { method: request.method, route, status: String(status) };
    requests.inc(l);
    if (start) {
      duration.observe(l, Number(process.hrtime.bigint() - start.at) / 1e9);
      const socket = request.raw.socket;
      if (typeof socket?.bytesWritten === 'number')
        sent.inc({ route }, Math.max(0, socket.bytesWritten - start.written));
      if (typeof socket?.bytesRead === 'number')
        received.inc({ route }, Math.max(0, socket.bytesRead - start.read));
    }
    if (status === 429) limited.inc({ route });
    if (status === 503 && request.dependencyFailed) unavailable.inc({ dependency: request.dependencyFailed });
    if (request.method === 'PUT' && UPLOAD.test(route))
      uploads.inc({
        outcome:
          status === 201 ? 'created' : status === 200 ? 'replaced' : status < 500 ? 'refused' : 'failed',
      });
    if (
      (request.method === 'DELETE' || request.method === 'POST') &&
      DELETIONS.some((r) => r.test(route)) &&
      !(request.method === 'POST' && !route.endsWith('delete-batch')) &&
      !(request.method === 'DELETE' && route.endsWith('delete-batch'))
    ) {
      const kind = route.endsWith('delete-batch')
        ? 'batch'
        : route.endsWith(':contentKey')
          ? 'content'
          : 'interaction';
      const outcome =
        status < 300 ? 'deleted' : status === 409 ? 'held' : status < 500 ? 'refused' : 'failed';
      deletions.inc({ kind, outcome });
    }
    done();
  });

  const expected = opts.token === undefined ? undefined : Buffer.from(`Bearer ${opts.token}`);
  app.get(
    '/metrics',
    {
      schema: {
        summary:
          'Prometheus metrics (text format 0.0.4); with ICS_METRICS_TOKEN set, a bearer token is needed',
        operationId: 'metrics',
        tags: ['operations'],
        security: opts.token === undefined ? [] : [{ metricsToken: [] }],
        response: {
          200: {
            description: 'The Prometheus text exposition format, version 0.0.4',
            content: { 'text/plain': { schema: Type.String() } },
          },
          ...(opts.token !== undefined && { 401: errorRef }),
          429: errorRef,
        },
      },
    },
    async (request: FastifyRequest, reply: FastifyReply) => {
      if (expected) {
        const given = Buffer.from(request.headers.authorization ?? '');
        if (given.length !== expected.length || !timingSafeEqual(given, expected))
          return reply
            .code(401)
            .header('www-authenticate', 'Bearer realm="metrics"')
            .send({ message: 'The metrics token is missing or wrong', code: 'invalid_token' });
      }
      return reply.header('content-type', register.contentType).send(await register.metrics());
    },
  );
  return register;
}

declare module 'fastify' {
  interface FastifyRequest {
    metricsStart?: { at: bigint; read: number; written: number };
    /** Set by the error handler when a 503 comes from the database or the storage. */
    dependencyFailed?: 'database' | 'storage';
  }
}
