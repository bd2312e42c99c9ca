import { randomUUID } from 'node:crypto';
import { STATUS_CODES } from 'node:http';
import type { Socket } from 'node:net';
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { isAppError, StoreUnavailableError } from '../core/errors.js';

/** The one place errors become responses: `{"message","code"}`, never internals. */
export function installErrorHandling(app: FastifyInstance) {
  app.setErrorHandler((err: FastifyError, request, reply) => {
    // A request whose body was not read to the end (a refused upload) cannot leave its connection
    // reusable: close it after the answer instead of reading gigabytes nobody wants.
    if (!request.raw.complete) reply.header('connection', 'close');
    // A download that failed after choosing its headers answers JSON, not the file's type.
    if (reply.hasHeader('content-disposition')) {
      for (const h of ['content-disposition', 'content-length', 'etag', 'last-modified'])
        reply.removeHeader(h);
      reply.header('cache-control', 'no-store');
    }
    reply.header('content-type', 'application/json; charset=utf-8');
    if (clientGone(request, err)) {
      // Nobody is listening for the answer: an ordinary event, not a server fault.
      request.log.info({ reason: err.message }, 'client went away before the request was complete');
      return reply
        .code(isAppError(err) ? err.status : 400)
        .send({ message: err.message, code: 'client_gone' });
    }
    if (isAppError(err)) {
      if (err.status >= 500) request.log.error({ err: err.cause ?? err }, err.message);
      return reply.code(err.status).headers(err.headers).send({ message: err.message, code: err.code });
    }
    if (err instanceof StoreUnavailableError) {
      request.log.error({ err }, 'storage unavailable');
      // For /metrics: which dependency the 503 is about.
      request.dependencyFailed = /^(metadata store|SQLite database)/.test(err.message)
        ? 'database'
        : 'storage';
      const { message, code } = storageProblem(err);
      return reply.code(503).header('retry-after', '5').send({ message, code });
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

/** The client closed the connection (or it was cut for silence) before its request was complete. */
function clientGone(request: FastifyRequest, err: FastifyError): boolean {
  if (isAppError(err)) return err.code === 'upload_aborted' && request.raw.destroyed;
  return (err.code === 'ECONNRESET' || err.message === 'aborted') && request.raw.destroyed;
}

/** What a storage failure tells the client: full storage and exhausted file handles are named. */
function storageProblem(err: Error): { message: string; code: string } {
  const codes = new Set<string>();
  for (let e: unknown = err, depth = 0; e instanceof Error && depth < 5; e = e.cause, depth++) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === 'string') codes.add(code);
    const m = /\b(ENOSPC|EDQUOT|EMFILE|ENFILE|SQLITE_FULL)\b/.exec(e.message);
    if (m) codes.add(m[1]);
  }
  if (codes.has('ENOSPC') || codes.has('EDQUOT') || codes.has('SQLITE_FULL'))
    return {
      message: 'Storage is full; nothing was stored. Try again once space has been freed',
      code: 'storage_full',
    };
  if (codes.has('EMFILE') || codes.has('ENFILE'))
    return {
      message: 'The server has run out of file handles; try again shortly',
      code: 'too_many_open_files',
    };
  return { message: 'The service is temporarily unavailable; try again shortly', code: 'unavailable' };
}

/**
 * Fastify option frameworkErrors: a URL that is not validly percent-encoded never reaches a route,
 * so it is answered here, in the same shape as every other error.
 */
export function frameworkErrors(err: FastifyError, request: FastifyRequest, reply: FastifyReply) {
  reply
    .header('x-request-id', request.id)
    .header('cache-control', 'no-store')
    .header('x-content-type-options', 'nosniff');
  if (err.code === 'FST_ERR_BAD_URL')
    return reply.code(400).send({ message: 'The URL is not validly percent-encoded', code: 'invalid_url' });
  request.log.error({ err }, 'framework error');
  return reply.code(500).send({ message: 'Internal server error', code: 'internal_error' });
}

/**
 * Fastify option clientErrorHandler: requests Node's parser refuses before Fastify sees them
 * (oversized headers, Content-Length with chunked, headers too slow) get a house-shaped body too.
 */
export function clientErrorHandler(this: FastifyInstance, err: NodeJS.ErrnoException, socket: Socket) {
  if (err.code === 'ECONNRESET' || socket.destroyed) return;
  const [status, code, message] =
    err.code === 'HPE_HEADER_OVERFLOW'
      ? [431, 'headers_too_large', 'The request headers are too large']
      : err.code === 'ERR_HTTP_REQUEST_TIMEOUT'
        ? [408, 'request_timeout', 'The request headers did not arrive in time']
        : err.code === 'HPE_UNEXPECTED_CONTENT_LENGTH' || err.code === 'HPE_INVALID_TRANSFER_ENCODING'
          ? [400, 'invalid_framing', 'Content-Length and Transfer-Encoding: chunked cannot be used together']
          : [400, 'malformed_request', 'The request is not valid HTTP/1.1'];
  this.log.debug({ err: err.message, code: err.code }, 'refused a malformed request');
  const body = JSON.stringify({ message, code });
  if (socket.writable) {
    socket.write(
      `HTTP/1.1 ${status} ${STATUS_CODES[status]}\r\ncontent-type: application/json; charset=utf-8\r\n` +
        `content-length: ${Buffer.byteLength(body)}\r\ncache-control: no-store\r\nx-content-type-options: nosniff\r\n` +
        `x-request-id: ${randomUUID()}\r\nconnection: close\r\n\r\n${body}`,
    );
  }
  socket.destroy();
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
