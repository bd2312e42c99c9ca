import { Agent as HttpAgent } from 'node:http';
import { Agent as HttpsAgent } from 'node:https';
import type { Readable } from 'node:stream';
import { HeadObjectCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { Upload } from '@aws-sdk/lib-storage';
import { networkCode, type SdkLikeError } from '../blobs/s3-errors.js';
import { StoreUnavailableError } from '../core/errors.js';
import { type ExportTarget, type TargetObject, TargetRejectedError } from './export-target.js';
import type { ExportDestination } from './types.js';

/** Above this a file goes up in parts (bounded memory, part-level retries); below, in one streamed PUT. */
const MULTIPART_ABOVE = 64 * 1024 * 1024;
const PART_SIZE = 16 * 1024 * 1024;
export const TEST_OBJECT = '.ics-write-test';
const SILENT = { trace() {}, debug() {}, info() {}, warn() {}, error() {} };

/** An export target on S3 or an S3-compatible store, with the storage item's own credentials. */
export class S3ExportTarget implements ExportTarget {
  readonly #client: S3Client;
  readonly #agents: { http: HttpAgent; https: HttpsAgent };
  readonly #bucket: string;
  readonly #prefix: string;
  readonly #where: string;

  constructor(dest: ExportDestination, opts: { sockets: number }) {
    this.#bucket = dest.bucket;
    this.#prefix = dest.prefix;
    this.#where = `bucket '${dest.bucket}' at ${dest.endpoint ?? `https://s3.${dest.region}.amazonaws.com`}`;
    this.#agents = {
      http: new HttpAgent({ keepAlive: true, maxSockets: opts.sockets }),
      https: new HttpsAgent({ keepAlive: true, maxSockets: opts.sockets }),
    };
    this.#client = new S3Client({
      region: dest.region,
      endpoint: dest.endpoint,
      forcePathStyle: dest.forcePathStyle,
      credentials: { ...dest.credentials },
      // As in S3BlobStore: S3-compatible servers may reject the SDK's default CRC32 checksums.
      requestChecksumCalculation: 'WHEN_REQUIRED',
      responseChecksumValidation: 'WHEN_REQUIRED',
      // Without a logger the SDK warns on the console when a streamed PUT fails; the exporter
      // records its failures itself.
      logger: SILENT,
      // Bodies come from ICS's own storage, never from a slow client: a minute of silence is a fault.
      requestHandler: {
        httpAgent: this.#agents.http,
        httpsAgent: this.#agents.https,
        connectionTimeout: 5000,
        requestTimeout: 60_000,
      },
    });
  }

  async testWrite(): Promise<void> {
    try {
      await this.#client.send(
        new PutObjectCommand({
          Bucket: this.#bucket,
          Key: this.#prefix + TEST_OBJECT,
          Body: Buffer.alloc(0),
          ContentLength: 0,
        }),
        { abortSignal: AbortSignal.timeout(15_000) },
      );
    } catch (err) {
      throw this.#translate(err);
    }
  }

  async head(key: string, signal?: AbortSignal): Promise<TargetObject | undefined> {
    try {
      const out = await this.#client.send(
        new HeadObjectCommand({ Bucket: this.#bucket, Key: this.#prefix + key }),
        { abortSignal: signal },
      );
      return { length: out.ContentLength ?? 0, sha256: out.Metadata?.sha256 };
    } catch (err) {
      const status = (err as SdkLikeError).$metadata?.httpStatusCode;
      // 404, or 403 where the credentials may write but not read: either way, write it.
      if (status === 404 || status === 403) return undefined;
      throw this.#translate(err);
    }
  }

  async put(
    key: string,
    body: Readable | Buffer,
    opts: { length: number; contentType: string; sha256: string; signal?: AbortSignal },
  ): Promise<void> {
    // The SDK pipes the body without listening for its errors: keep the body's own error (a source
    // that failed, a file that did not match its hash) to report it instead of the SDK's abort.
    // The request is aborted with it (else it would wait for the missing bytes).
    let bodyError: unknown;
    const controller = new AbortController();
    const stop = () => controller.abort(opts.signal?.reason);
    opts.signal?.addEventListener('abort', stop, { once: true });
    if (!Buffer.isBuffer(body))
      body.on('error', (err) => {
        bodyError ??= err;
        controller.abort(err);
      });
    const params = {
      Bucket: this.#bucket,
      Key: this.#prefix + key,
      Body: body,
      ContentType: opts.contentType,
      Metadata: { sha256: opts.sha256 },
    };
    try {
      if (opts.length <= MULTIPART_ABOVE) {
        // One streamed PUT: nothing is buffered, and an interrupted PUT stores nothing.
        await this.#client.send(new PutObjectCommand({ ...params, ContentLength: opts.length }), {
          abortSignal: controller.signal,
        });
        return;
      }
      const upload = new Upload({
        client: this.#client,
        params,
        partSize: PART_SIZE,
        queueSize: 2,
        leavePartsOnError: false,
      });
      const abort = () => void upload.abort().catch(() => undefined);
      controller.signal.addEventListener('abort', abort, { once: true });
      await upload.done();
    } catch (err) {
      if (!Buffer.isBuffer(body)) body.destroy();
      if (opts.signal?.aborted) throw opts.signal.reason;
      if (bodyError !== undefined) throw bodyError;
      throw this.#translate(err);
    } finally {
      opts.signal?.removeEventListener('abort', stop);
    }
  }

  async close(): Promise<void> {
    this.#client.destroy();
    this.#agents.http.destroy();
    this.#agents.https.destroy();
  }

  /**
   * The seam: transient trouble becomes StoreUnavailableError, a refusal TargetRejectedError with
   * the storage's own words, so the core never sees SDK types. A body's own error passes through.
   */
  #translate(err: unknown): unknown {
    const e = (err ?? {}) as SdkLikeError;
    if (!e.$metadata && !networkCode(e) && err instanceof Error && e.name !== 'TimeoutError') return err;
    const code = networkCode(e);
    if (code) return unavailable(`cannot reach ${this.#where} (${code})`, err);
    const status = e.$metadata?.httpStatusCode;
    const name = e.name && e.name !== 'Unknown' ? e.name : `HTTP ${status}`;
    if (e.$fault === 'server' || (status !== undefined && (status >= 500 || status === 429))) {
      return unavailable(`${this.#where} answered ${name}`, err);
    }
    return new TargetRejectedError(`${name}: ${e.message || 'no message'}`, { cause: err });
  }
}

function unavailable(reason: string, cause: unknown): StoreUnavailableError {
  const err = new StoreUnavailableError('export storage', cause);
  err.message = `export storage is unavailable: ${reason}`;
  return err;
}
