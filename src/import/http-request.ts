import http, { type IncomingHttpHeaders, type IncomingMessage } from 'node:http';
import https from 'node:https';
import { SourceError } from './source-error.js';

// The importer's HTTP seam: node:http(s) with keep-alive agents. Node's fetch would do, but its web
// streams moved bytes at about 60 % of node:http's speed on the bench machine, and downloads are
// the importer's whole job. Socket errors become SourceErrors here, so nothing above sees them raw.

export interface HttpResponse {
  status: number;
  headers: IncomingHttpHeaders;
  /** The body as it arrives; read it, or call `discard()`. */
  body: IncomingMessage;
  discard(): void;
}

export interface HttpClient {
  request(opts: {
    method: 'GET' | 'POST';
    url: URL;
    headers: Record<string, string>;
    body?: string;
    signal?: AbortSignal;
  }): Promise<HttpResponse>;
  close(): void;
}

/** An idle socket for this long (no bytes either way) fails the request as a network error. */
const IDLE_TIMEOUT_MS = 120_000;

export function createHttpClient(opts: { maxSockets: number }): HttpClient {
  const agents = {
    'http:': new http.Agent({ keepAlive: true, maxSockets: opts.maxSockets }),
    'https:': new https.Agent({ keepAlive: true, maxSockets: opts.maxSockets }),
  };
  return {
    request({ method, url, headers, body, signal }) {
      const protocol = url.protocol === 'https:' ? 'https:' : 'http:';
      const lib = protocol === 'https:' ? https : http;
      return new Promise((resolve, reject) => {
        if (signal?.aborted) return reject(aborted());
        const req = lib.request(url, {
          method,
          agent: agents[protocol],
          headers: body === undefined ? headers : { ...headers, 'content-length': Buffer.byteLength(body) },
          signal,
          timeout: IDLE_TIMEOUT_MS,
        });
        req.once('timeout', () =>
          req.destroy(
            new SourceError({ kind: 'network', message: 'the source stopped answering', retryable: true }),
          ),
        );
        req.once('error', (err) => reject(toSourceError(err, signal)));
        req.once('response', (res) => {
          resolve({
            status: res.statusCode ?? 0,
            headers: res.headers,
            body: res,
            discard: () => {
              res.resume();
              res.once('error', () => undefined);
            },
          });
        });
        req.end(body);
      });
    },
    close() {
      agents['http:'].destroy();
      agents['https:'].destroy();
    },
  };
}

const aborted = () => new SourceError({ kind: 'aborted', message: 'interrupted', retryable: false });

/** Any error on the way to the source, as a SourceError (abort: not retryable; the rest: retryable). */
export function toSourceError(err: unknown, signal?: AbortSignal): SourceError {
  if (err instanceof SourceError) return err;
  if (signal?.aborted) return aborted();
  const e = err as NodeJS.ErrnoException;
  const what = e.code ? `${e.code}: ${e.message}` : (e.message ?? String(err));
  return new SourceError({
    kind: 'network',
    message: `connection to the source failed (${what})`,
    retryable: true,
    cause: err,
  });
}
