import { Agent as HttpAgent } from 'node:http';
import { Agent as HttpsAgent } from 'node:https';
import { Readable, Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import {
  AbortMultipartUploadCommand,
  DeleteObjectCommand,
  GetObjectCommand,
  HeadBucketCommand,
  HeadObjectCommand,
  ListMultipartUploadsCommand,
  paginateListObjectsV2,
  S3Client,
} from '@aws-sdk/client-s3';
import { Upload } from '@aws-sdk/lib-storage';
import type { BlobConfig } from '../config.js';
import { BlobExistsError, type BlobStore, type ByteRange, type IncompleteUpload } from './blob-store.js';
import { translateS3Error } from './s3-errors.js';
import { assertValidKey, keyProblem } from './secure-path.js';
import { assertValidRange, holdBodyErrors } from './store-errors.js';

export type S3BlobConfig = Extract<BlobConfig, { kind: 's3' }>;

export interface S3BlobStoreOptions {
  config: S3BlobConfig;
  /**
   * Explicit credentials, for tests and embedding. Production leaves this out and the SDK's
   * standard chain finds them (AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY, profiles, IMDS, ...).
   */
  credentials?: { accessKeyId: string; secretAccessKey: string; sessionToken?: string };
}

/** Multipart part size: memory per upload is about (QUEUE_SIZE + 1) parts, so ~32 MiB. */
const PART_SIZE = 8 * 1024 * 1024;
const QUEUE_SIZE = 3;
/** A download holds its socket until the client has read it all: room for 32 downloads and more. */
const MAX_SOCKETS = 64;
const CHUNK = 1024 * 1024;

/** Blobs as objects `<prefix><key>` in one bucket. */
export class S3BlobStore implements BlobStore {
  readonly #client: S3Client;
  readonly #agents: { http: HttpAgent; https: HttpsAgent };
  readonly #bucket: string;
  readonly #prefix: string;
  readonly #context: { bucket: string; region: string; endpoint: string };

  constructor({ config, credentials }: S3BlobStoreOptions) {
    this.#bucket = config.bucket;
    this.#prefix = config.prefix;
    this.#context = {
      bucket: config.bucket,
      region: config.region,
      endpoint: config.endpoint ?? `https://s3.${config.region}.amazonaws.com`,
    };
    this.#agents = {
      http: new HttpAgent({ keepAlive: true, maxSockets: MAX_SOCKETS }),
      https: new HttpsAgent({ keepAlive: true, maxSockets: MAX_SOCKETS }),
    };
    this.#client = new S3Client({
      region: config.region,
      endpoint: config.endpoint,
      forcePathStyle: config.forcePathStyle,
      // A copy: the SDK annotates the object it is given, and config objects are frozen.
      credentials: credentials && { ...credentials },
      // Recent SDKs add CRC32 checksums to every upload by default; S3-compatible servers (s3rver,
      // older MinIO, Ceph) may reject them. Checksums only where an operation requires them.
      requestChecksumCalculation: 'WHEN_REQUIRED',
      responseChecksumValidation: 'WHEN_REQUIRED',
      // No socket or request timeout: a download paused by a slow client must not be cut off.
      // A connect timeout still makes an unreachable endpoint fail fast.
      requestHandler: {
        httpAgent: this.#agents.http,
        httpsAgent: this.#agents.https,
        connectionTimeout: 5000,
      },
    });
  }

  async put(key: string, body: Readable): Promise<{ length: number }> {
    const Key = this.#objectKey(key);
    holdBodyErrors(body);
    // S3 has no portable "create only" PUT, so refuse an existing key before streaming; keys are
    // fresh UUIDs, so this guards against bugs, not against concurrent writers.
    const existing = await this.stat(key).catch((err) => {
      body.destroy();
      throw err;
    });
    if (existing) {
      body.destroy();
      throw new BlobExistsError(key);
    }

    let length = 0;
    let bodyError: unknown;
    const counter = new Transform({
      highWaterMark: CHUNK,
      transform(chunk: Buffer, _encoding, done) {
        length += chunk.length;
        done(null, chunk);
      },
      // pipeline() destroys the counter with the body's error as soon as the body fails; recording
      // it here is the only reliable way to tell that error from the SDK's abort errors later.
      destroy(err, done) {
        if (err) bodyError ??= err;
        done(err);
      },
    });
    const feeding = pipeline(body, counter).catch(() => undefined);
    // Upload buffers one part at a time (PutObject for small bodies, multipart above PART_SIZE) and
    // on failure aborts the multipart upload, so no parts are left behind.
    const upload = new Upload({
      client: this.#client,
      params: { Bucket: this.#bucket, Key, Body: counter },
      partSize: PART_SIZE,
      queueSize: QUEUE_SIZE,
      leavePartsOnError: false,
    });
    try {
      await upload.done();
      await feeding;
      return { length };
    } catch (err) {
      counter.destroy();
      body.destroy();
      if (bodyError !== undefined) throw bodyError;
      // The object may exist after all (e.g. the response to the last request was lost).
      await this.#client.send(new DeleteObjectCommand({ Bucket: this.#bucket, Key })).catch(() => undefined);
      throw this.#translate(err, 'Upload', key);
    }
  }

  async get(key: string, range?: ByteRange): Promise<Readable> {
    const Key = this.#objectKey(key);
    if (range) assertValidRange(range);
    try {
      const Range = range ? `bytes=${range.start}-${range.end}` : undefined;
      const out = await this.#client.send(new GetObjectCommand({ Bucket: this.#bucket, Key, Range }));
      if (!(out.Body instanceof Readable)) throw new Error('S3 GetObject returned no Node.js stream');
      // A server that ignores or widens Range would make the caller send wrong bytes under a 206.
      if (range && !coversExactly(out.ContentRange, range)) {
        out.Body.destroy();
        throw new Error(
          `S3 did not honour Range bytes=${range.start}-${range.end} (Content-Range: ${out.ContentRange ?? 'none'})`,
        );
      }
      return out.Body;
    } catch (err) {
      throw this.#translate(err, 'GetObject', key);
    }
  }

  async stat(key: string): Promise<{ length: number } | undefined> {
    const Key = this.#objectKey(key);
    try {
      const out = await this.#client.send(new HeadObjectCommand({ Bucket: this.#bucket, Key }));
      return { length: out.ContentLength ?? 0 };
    } catch (err) {
      if ((err as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode === 404)
        return undefined;
      throw this.#translate(err, 'HeadObject', key);
    }
  }

  async delete(key: string): Promise<void> {
    const Key = this.#objectKey(key);
    try {
      // DeleteObject succeeds on an absent key, which is the idempotence the interface asks for.
      await this.#client.send(new DeleteObjectCommand({ Bucket: this.#bucket, Key }));
    } catch (err) {
      throw this.#translate(err, 'DeleteObject', key);
    }
  }

  async *list(): AsyncIterable<{ key: string; length: number }> {
    const pages = paginateListObjectsV2(
      { client: this.#client },
      { Bucket: this.#bucket, Prefix: this.#prefix },
    );
    try {
      for await (const page of pages) {
        for (const object of page.Contents ?? []) {
          const key = object.Key?.slice(this.#prefix.length) ?? '';
          // Objects that are not valid keys (folder markers, foreign files) were not written here.
          if (keyProblem(key) === undefined) yield { key, length: object.Size ?? 0 };
        }
      }
    } catch (err) {
      throw this.#translate(err, 'ListObjectsV2');
    }
  }

  /** An interrupted put leaves an incomplete multipart upload under its key: abort it too. */
  async discard(key: string): Promise<void> {
    await this.delete(key);
    const Key = this.#objectKey(key);
    const uploads = await this.#listUploads(Key);
    for (const u of uploads ?? []) {
      if (u.key === Key) await this.#abort(u.key, u.id);
    }
  }

  async listIncomplete(): Promise<IncompleteUpload[] | undefined> {
    const uploads = await this.#listUploads(this.#prefix);
    return uploads?.map((u) => ({
      key: u.key.startsWith(this.#prefix) ? u.key.slice(this.#prefix.length) : undefined,
      id: u.id,
      startedAt: u.initiated,
    }));
  }

  /**
   * S3's temporary files are incomplete multipart uploads: a crash mid-upload leaves parts that
   * are billed until aborted. Stores without ListMultipartUploads (s3rver) report 0.
   */
  async sweepTemporary(olderThanMs: number): Promise<number> {
    const cutoff = Date.now() - olderThanMs;
    let removed = 0;
    for (const u of (await this.#listUploads(this.#prefix)) ?? []) {
      if (u.initiated > cutoff) continue;
      await this.#abort(u.key, u.id);
      removed++;
    }
    return removed;
  }

  /** Incomplete multipart uploads under a prefix; undefined when the store cannot list them. */
  async #listUploads(Prefix: string): Promise<{ key: string; id: string; initiated: number }[] | undefined> {
    const found: { key: string; id: string; initiated: number }[] = [];
    let KeyMarker: string | undefined;
    let UploadIdMarker: string | undefined;
    try {
      for (;;) {
        const page = await this.#client.send(
          new ListMultipartUploadsCommand({ Bucket: this.#bucket, Prefix, KeyMarker, UploadIdMarker }),
        );
        for (const u of page.Uploads ?? []) {
          if (u.Key && u.UploadId)
            found.push({ key: u.Key, id: u.UploadId, initiated: u.Initiated?.getTime() ?? 0 });
        }
        if (!page.IsTruncated) return found;
        KeyMarker = page.NextKeyMarker;
        UploadIdMarker = page.NextUploadIdMarker;
      }
    } catch (err) {
      if ((err as { name?: string }).name === 'NotImplemented') return undefined;
      throw this.#translate(err, 'ListMultipartUploads');
    }
  }

  async #abort(Key: string, UploadId: string): Promise<void> {
    try {
      await this.#client.send(new AbortMultipartUploadCommand({ Bucket: this.#bucket, Key, UploadId }));
    } catch (err) {
      if ((err as { name?: string }).name === 'NoSuchUpload') return;
      throw this.#translate(err, 'AbortMultipartUpload');
    }
  }

  async ping(): Promise<void> {
    try {
      await this.#client.send(new HeadBucketCommand({ Bucket: this.#bucket }));
    } catch (err) {
      throw this.#translate(err, 'HeadBucket');
    }
  }

  async close(): Promise<void> {
    this.#client.destroy();
    this.#agents.http.destroy();
    this.#agents.https.destroy();
  }

  #objectKey(key: string): string {
    assertValidKey(key);
    return this.#prefix + key;
  }

  #translate(err: unknown, op: string, key?: string): unknown {
    return translateS3Error(err, { ...this.#context, op, key });
  }
}

/** Whether `Content-Range: bytes a-b/size` is exactly the requested range, end clamped to the size. */
function coversExactly(contentRange: string | undefined, range: ByteRange): boolean {
  const m = /^bytes (\d+)-(\d+)\/(\d+)$/.exec(contentRange ?? '');
  if (!m) return false;
  const [start, end, size] = [Number(m[1]), Number(m[2]), Number(m[3])];
  return start === range.start && end === Math.min(range.end, size - 1);
}
