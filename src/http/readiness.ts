import type { FastifyInstance } from 'fastify';
import { Type } from 'typebox';
import { errorRef } from './schemas.js';

const Checks = Type.Record(
  Type.String(),
  Type.Union([Type.Literal('ok'), Type.Literal('failed'), Type.Literal('timeout')]),
  {
    description: 'Each dependency (database, storage) and how it answered',
  },
);

/** Each dependency's state: `ok`, `failed` (it answered with an error) or `timeout`. */
export interface Readiness {
  ready: boolean;
  checks: Record<string, 'ok' | 'failed' | 'timeout'>;
  /** The errors behind failed checks, for the log only (they may name internal hosts). */
  errors: Record<string, string>;
}

const CHECK_TIMEOUT_MS = 5000;

/** Runs every check at once, each bounded by a timeout; never throws. */
export async function checkReadiness(checks: Record<string, () => Promise<unknown>>): Promise<Readiness> {
  const result: Readiness = { ready: true, checks: {}, errors: {} };
  await Promise.all(
    Object.entries(checks).map(async ([name, check]) => {
      let timer: NodeJS.Timeout | undefined;
      const timeout = new Promise<'timeout'>((resolve) => {
        timer = setTimeout(() => resolve('timeout'), CHECK_TIMEOUT_MS);
      });
      try {
        const outcome = await Promise.race([check().then(() => 'ok' as const), timeout]);
        result.checks[name] = outcome;
      } catch (err) {
        result.checks[name] = 'failed';
        result.errors[name] = err instanceof Error ? err.message : String(err);
      } finally {
        clearTimeout(timer);
      }
      if (result.checks[name] !== 'ok') result.ready = false;
    }),
  );
  return result;
}

/** GET /readyz: 200 when every dependency answers; else 503 naming the ones that did not. */
export function readinessRoute(app: FastifyInstance, ready: () => Promise<Readiness>) {
  app.get(
    '/readyz',
    {
      schema: {
        summary: 'Readiness: the database and storage answer (503 names the dependency that does not)',
        operationId: 'readiness',
        tags: ['operations'],
        security: [],
        response: {
          200: Type.Object({ status: Type.Literal('ready'), checks: Checks }),
          429: errorRef,
          503: Type.Object(
            {
              status: Type.Literal('unavailable'),
              code: Type.Literal('not_ready'),
              message: Type.String(),
              failed: Type.Array(Type.String(), { description: 'The dependencies that did not answer' }),
              checks: Checks,
            },
            { description: 'A dependency did not answer' },
          ),
        },
      },
    },
    async (request, reply) => {
      const r = await ready();
      if (r.ready) return { status: 'ready', checks: r.checks };
      const failed = Object.keys(r.checks).filter((name) => r.checks[name] !== 'ok');
      request.log.warn({ checks: r.checks, errors: r.errors }, 'not ready');
      return reply.code(503).send({
        status: 'unavailable',
        code: 'not_ready',
        message: `not ready: ${failed.map((name) => `${name} ${r.checks[name] === 'timeout' ? 'did not answer in time' : 'failed'}`).join(', ')}`,
        failed,
        checks: r.checks,
      });
    },
  );
}
