import type { IncomingMessage } from 'node:http';
import { Transform, type TransformCallback } from 'node:stream';
import { type HttpClient, type HttpResponse, toSourceError } from './http-request.js';
import type { RateLimiter } from './rate-limiter.js';
import { type RetryContext, retrying } from './retry.js';
import { isRetryableStatus, parseRetryAfter, SourceError } from './source-error.js';
import { type ParsedInteraction, parseInteraction } from './source-records.js';

/** What the importer needs from an Interaction Content API server. */
export interface ContentSource {
  /** One page of interactions starting in [start, end); `next` is null on the last page. */
  search(
    window: { start: number; end: number },
    continuationToken: string | undefined,
    signal?: AbortSignal,
  ): Promise<{ items: ParsedInteraction[]; next: string | null }>;
  /** One interaction with its current content list; undefined when the source answers 404. */
  get(guid: string, signal?: AbortSignal): Promise<ParsedInteraction | undefined>;
  /**
   * Opens one content file (one attempt; the caller retries the whole copy). A 404 is a
   * SourceError with status 404. The body's errors are SourceErrors too.
   */
  download(
    guid: string,
    contentKey: string,
    opts: { signal?: AbortSignal; onBytes?: (n: number) => void },
  ): Promise<SourceDownload>;
}

export interface SourceDownload {
  body: NodeJS.ReadableStream & { destroy(err?: Error): void };
  /** The answer's Content-Length, when it sent one. */
  contentLength: number | undefined;
}

const V3 = 'application/vnd.newvoicemedia.v3+json';
/** The largest JSON answer read (a page of 1000 interactions is well under 10 MB). */
const MAX_JSON_BYTES = 64 * 1024 * 1024;
/** VCC's largest search page. */
export const MAX_PAGE_SIZE = 1000;

/**
 * A client of VCC's Interaction Content API (and of ICS, which speaks it): client-credentials
 * tokens (refreshed before they expire, and once on a 401), search with v3 continuation tokens,
 * get, and streamed downloads. Every request waits for the rate limiter; a 429 pauses it for
 * everyone until Retry-After. Searches, gets and token requests are retried here.
 */
export class VccSourceClient implements ContentSource {
  #token: { value: string; refreshAt: number } | undefined;
  #tokenRequest: Promise<string> | undefined;

  constructor(
    private readonly deps: {
      http: HttpClient;
      limiter: RateLimiter;
      retry: RetryContext;
    },
    private readonly opts: {
      /** The API root: the URL under which `/interactions` lives. */
      apiBase: URL;
      tokenUrl: URL;
      clientId: string;
      clientSecret: string;
      scope: string;
      /** Interactions per search page, 1 to MAX_PAGE_SIZE. */
      pageSize: number;
    },
  ) {}

  async search(
    window: { start: number; end: number },
    continuationToken: string | undefined,
    signal?: AbortSignal,
  ) {
    const url = this.#url('interactions');
    url.searchParams.set('start', iso(window.start));
    url.searchParams.set('end', iso(window.end));
    url.searchParams.set('limit', String(this.opts.pageSize));
    if (continuationToken) url.searchParams.set('continuationToken', continuationToken);
    const page = (await this.#json('search', url, signal)) as {
      items?: unknown;
      meta?: { nextContinuationToken?: unknown };
    };
    if (!page || !Array.isArray(page.items))
      throw protocol(`the search answer has no 'items' list (${url.pathname})`);
    const next = page.meta?.nextContinuationToken;
    if (next !== null && next !== undefined && typeof next !== 'string')
      throw protocol("the search answer's 'meta.nextContinuationToken' is not a string");
    return { items: page.items.map(parseInteraction), next: next ?? null };
  }

  async get(guid: string, signal?: AbortSignal) {
    const found = await this.#json('get', this.#url(`interactions/${guid}`), signal, { notFound: true });
    return found === undefined ? undefined : parseInteraction(found);
  }

  async download(
    guid: string,
    contentKey: string,
    opts: { signal?: AbortSignal; onBytes?: (n: number) => void },
  ): Promise<SourceDownload> {
    const url = this.#url(`interactions/${guid}/content/${encodeURIComponent(contentKey)}`);
    const res = await this.#authorized(url, opts.signal);
    if (res.status !== 200) throw await statusError(res, `download of ${contentKey}`);
    const header = res.headers['content-length'];
    return {
      body: countedBody(res.body, opts.signal, opts.onBytes),
      contentLength: header === undefined ? undefined : Number(header),
    };
  }

  #url(path: string): URL {
    const base = this.opts.apiBase.href.endsWith('/') ? this.opts.apiBase.href : `${this.opts.apiBase.href}/`;
    return new URL(path, base);
  }

  /** A JSON GET, retried; undefined on 404 when `notFound` allows it. */
  async #json(op: string, url: URL, signal?: AbortSignal, o: { notFound?: boolean } = {}): Promise<unknown> {
    return retrying(op, { ...this.deps.retry, signal }, async () => {
      const res = await this.#authorized(url, signal);
      if (res.status === 404 && o.notFound) {
        res.discard();
        return undefined;
      }
      if (res.status !== 200) throw await statusError(res, op);
      const text = await readText(res.body, MAX_JSON_BYTES, signal);
      try {
        return JSON.parse(text) as unknown;
      } catch {
        throw protocol(`the ${op} answer is not JSON`);
      }
    });
  }

  /** A GET with a bearer token; one 401 drops the token and tries once more with a fresh one. */
  async #authorized(url: URL, signal?: AbortSignal): Promise<HttpResponse> {
    for (let attempt = 0; ; attempt++) {
      const token = await this.#bearer(signal);
      const res = await this.#send({
        method: 'GET',
        url,
        headers: { authorization: `Bearer ${token}`, accept: V3 },
        signal,
      });
      if (res.status !== 401 || attempt > 0) return res;
      res.discard();
      if (this.#token?.value === token) this.#token = undefined;
    }
  }

  /** Every request to the source goes through here: the rate limit, then the request; a 429 pauses everyone. */
  async #send(req: Parameters<HttpClient['request']>[0]): Promise<HttpResponse> {
    await this.deps.limiter.take(req.signal);
    const res = await this.deps.http.request(req);
    if (res.status === 429) {
      const wait = parseRetryAfter(
        res.headers['retry-after'] as string | undefined,
        this.deps.retry.timer.now(),
      );
      if (wait !== undefined) this.deps.limiter.pauseUntil(this.deps.retry.timer.now() + wait);
    }
    return res;
  }

  #bearer(signal?: AbortSignal): Promise<string> {
    const now = this.deps.retry.timer.now();
    if (this.#token && now < this.#token.refreshAt) return Promise.resolve(this.#token.value);
    // One token request at a time, shared by every worker that needs one.
    this.#tokenRequest ??= retrying('token', { ...this.deps.retry, signal }, () =>
      this.#requestToken(signal),
    ).finally(() => {
      this.#tokenRequest = undefined;
    });
    return this.#tokenRequest;
  }

  async #requestToken(signal?: AbortSignal): Promise<string> {
    const body = new URLSearchParams({
      grant_type: 'client_credentials',
      client_id: this.opts.clientId,
      client_secret: this.opts.clientSecret,
      scope: this.opts.scope,
    }).toString();
    const res = await this.#send({
      method: 'POST',
      url: this.opts.tokenUrl,
      headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' },
      body,
      signal,
    });
    if (res.status !== 200) throw await statusError(res, `token request to ${this.opts.tokenUrl.origin}`);
    let answer: { access_token?: unknown; expires_in?: unknown };
    try {
      answer = JSON.parse(await readText(res.body, 1024 * 1024, signal));
    } catch {
      throw protocol('the token answer is not JSON');
    }
    if (typeof answer.access_token !== 'string' || answer.access_token === '')
      throw protocol("the token answer has no 'access_token'");
    const ttl = typeof answer.expires_in === 'number' && answer.expires_in > 0 ? answer.expires_in : 3600;
    // Refresh a minute early (or halfway through a short lifetime), so no request carries a token that
    // expires on the way.
    const margin = Math.min(60, ttl / 2) * 1000;
    this.#token = {
      value: answer.access_token,
      refreshAt: this.deps.retry.timer.now() + ttl * 1000 - margin,
    };
    return answer.access_token;
  }
}

const iso = (ms: number) => new Date(ms).toISOString().replace(/\.000Z$/, 'Z');

const protocol = (message: string) => new SourceError({ kind: 'protocol', message, retryable: false });

/** A non-success answer as a SourceError, with the source's own `message` (or `error`) when it sent one. */
async function statusError(res: HttpResponse, what: string): Promise<SourceError> {
  let detail = '';
  try {
    const text = await readText(res.body, 64 * 1024);
    const parsed = JSON.parse(text) as { message?: unknown; error?: unknown; error_description?: unknown };
    // An OAuth error (the token endpoint) is named by its RFC 6749 code first.
    const said =
      typeof parsed.error === 'string' && typeof parsed.error_description === 'string'
        ? `${parsed.error} (${parsed.error_description})`
        : typeof parsed.message === 'string'
          ? parsed.message
          : parsed.error;
    if (typeof said === 'string') detail = `: ${said.slice(0, 300)}`;
  } catch {
    // No readable body: the status says enough.
  }
  return new SourceError({
    kind: 'http',
    status: res.status,
    retryable: isRetryableStatus(res.status),
    retryAfterMs: parseRetryAfter(res.headers['retry-after'] as string | undefined),
    message: `${what}: the source answered ${res.status}${detail}`,
  });
}

async function readText(body: IncomingMessage, max: number, signal?: AbortSignal): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  try {
    for await (const chunk of body as AsyncIterable<Buffer>) {
      size += chunk.length;
      if (size > max) {
        body.destroy();
        throw protocol(`the answer is larger than ${max} bytes`);
      }
      chunks.push(chunk);
    }
  } catch (err) {
    throw toSourceError(err, signal);
  }
  if (!body.complete) throw toSourceError(new Error('the connection closed before the answer ended'), signal);
  return Buffer.concat(chunks).toString('utf8');
}

/**
 * The download body as it streams: counts bytes for progress, and turns a dropped connection (an
 * error, or a close before the whole message arrived) into a retryable SourceError. Destroying it
 * (the upload failed) closes the connection too.
 */
function countedBody(res: IncomingMessage, signal: AbortSignal | undefined, onBytes?: (n: number) => void) {
  let received = 0;
  const out = new Transform({
    highWaterMark: 1024 * 1024,
    transform(chunk: Buffer, _enc: BufferEncoding, done: TransformCallback) {
      received += chunk.length;
      onBytes?.(chunk.length);
      done(null, chunk);
    },
  });
  const dropped = (cause?: unknown) =>
    out.destroy(
      toSourceError(
        cause ?? new Error(`the connection closed after ${received} bytes, before the body ended`),
        signal,
      ),
    );
  res.once('error', dropped);
  res.once('close', () => {
    if (!res.complete) dropped();
  });
  out.once('close', () => {
    if (!res.complete) res.destroy();
  });
  res.pipe(out);
  return out;
}
