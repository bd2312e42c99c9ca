import type { FastifyError, FastifyInstance } from 'fastify';
import { isAppError, StoreUnavailableError } from '../core/errors.js';

/** The one place errors become responses: `{"message","code"}`, never internals. */
export function installErrorHandling(app: FastifyInstance) {
  app.setErrorHandler((err: FastifyError, request, reply) => {
    // A request whose body was not read to the end (a refused upload) cannot leave its connection
    // reusable: close it after the answer instead of reading gigabytes nobody wants.
    if (!request.raw.complete) reply.header('connection', 'close');
    if (isAppError(err)) {
      if (err.status >= 500) request.log.error({ err: err.cause ?? err }, err.message);
      return reply.code(err.status).headers(err.headers).send({ message: err.message, code: err.code });
    }
    if (err instanceof StoreUnavailableError) {
      request.log.error({ err }, 'storage unavailable');
      return reply
        .code(503)
        .header('retry-after', '5')
        .send({ message: 'The service is temporarily unavailable; try again shortly', code: 'unavailable' });
    }
    if (err.validation) {
      return reply.code(400).send({ message: err.message, code: 'invalid_request' });
    }
    const known = FASTIFY_CODES[err.code];
    if (known) return reply.code(known.status).send({ message: known.message, code: known.code });
    if (typeof err.statusCode === 'number' && err.statusCode >= 400 && err.statusCode < 500) {
      return reply.code(err.statusCode).send({ message: err.message, code: 'bad_request' });
    }
    request.log.error({ err }, 'unhandled error');
    return reply.code(500).send({ message: 'Internal server error', code: 'internal_error' });
  });

  app.setNotFoundHandler((request, reply) =>
    reply.code(404).send({
      message: `Route ${request.method} ${request.url.split('?')[0]} not found`,
      code: 'route_not_found',
    }),
  );
}

const FASTIFY_CODES: Record<string, { status: number; code: string; message: string }> = {
  FST_ERR_CTP_INVALID_JSON_BODY: { status: 400, code: 'invalid_json', message: 'Body is not valid JSON' },
  FST_ERR_CTP_EMPTY_JSON_BODY: {
    status: 400,
    code: 'invalid_json',
    message: 'Body is empty; a JSON object was expected',
  },
  FST_ERR_CTP_BODY_TOO_LARGE: { status: 413, code: 'payload_too_large', message: 'Body is too large' },
  FST_ERR_CTP_INVALID_MEDIA_TYPE: {
    status: 415,
    code: 'unsupported_media_type',
    message: 'Unsupported Content-Type',
  },
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: {
    status: 400,
    code: 'invalid_content_length',
    message: 'Content-Length does not match the body',
  },
};

/** Names the parameter or field a schema rejected: "Invalid parameter 'limit': must be <= 1000". */
export function formatSchemaErrors(
  errors: { instancePath: string; keyword: string; message?: string; params: Record<string, unknown> }[],
  dataVar: string,
) {
  const e = errors[0];
  const what = dataVar === 'querystring' ? 'parameter' : dataVar === 'body' ? 'field' : dataVar;
  const parent = e.instancePath.replace(/^\//, '').replace(/\//g, '.');
  if (e.keyword === 'required') {
    return new Error(
      `Missing required ${what} '${parent ? `${parent}.` : ''}${String(e.params.missingProperty)}'`,
    );
  }
  if (e.keyword === 'additionalProperties')
    return new Error(`Unknown ${what} '${String(e.params.additionalProperty)}'`);
  const name = e.instancePath.replace(/^\//, '').replace(/\//g, '.');
  if (!name) return new Error(`Invalid ${dataVar}: ${e.message}`);
  return new Error(`Invalid ${what} '${name}': ${e.message}`);
}
