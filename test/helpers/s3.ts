import { randomUUID } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdtemp, readdir, readFile, rm, stat } from 'node:fs/promises';
import { createRequire } from 'node:module';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import type { BlobConfig } from '../../src/config.js';

// A real S3 API for tests: s3rver on 127.0.0.1, a free port, a temporary directory and a fresh
// bucket, all removed by stop(). s3rver accepts the fixed credentials S3RVER/S3RVER.

type S3BlobConfig = Extract<BlobConfig, { kind: 's3' }>;

export interface TestS3 {
  config: S3BlobConfig;
  /** What a server process needs to use this S3 through its normal configuration path. */
  env: Record<string, string>;
  /** The ICS_BLOB_URL that loadConfig turns into `config`. */
  url: string;
  credentials: { accessKeyId: string; secretAccessKey: string };
  stop(): Promise<void>;
}

interface KoaContext {
  method: string;
  path: string;
  query: Record<string, string | string[] | undefined>;
  status: number;
  type: string;
  body: unknown;
  get(field: string): string;
  set(field: string, value: string): void;
  response: { get(field: string): string };
}
type KoaMiddleware = (ctx: KoaContext, next: () => Promise<void>) => Promise<void>;

interface S3rverInstance {
  middleware: KoaMiddleware[];
  run(): Promise<AddressInfo>;
  close(): Promise<void>;
}

// s3rver ships CommonJS without type declarations.
const S3rver = createRequire(import.meta.url)('s3rver') as new (
  options: Record<string, unknown>,
) => S3rverInstance;

/** `port` and `bucket` for a server in its own process (the export bench's target). */
export async function startS3(opts: { port?: number; bucket?: string } = {}): Promise<TestS3> {
  const directory = await mkdtemp(join(tmpdir(), 'ics-s3rver-'));
  const bucket = opts.bucket ?? `ics-test-${randomUUID().slice(0, 8)}`;
  const server = new S3rver({
    address: '127.0.0.1',
    port: opts.port ?? 0,
    silent: true,
    directory,
    configureBuckets: [{ name: bucket }],
  });
  server.middleware.unshift(multipartUploadsShim(directory), firstByteRangeFix);
  const { port } = await server.run();
  const endpoint = `http://127.0.0.1:${port}`;
  const region = 'us-east-1';
  const url = `s3://${bucket}?endpoint=${encodeURIComponent(endpoint)}&region=${region}&forcePathStyle=true`;
  const credentials = { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' };
  return {
    config: {
      kind: 's3',
      bucket,
      prefix: '',
      endpoint,
      region,
      forcePathStyle: true,
      credentials: { ...credentials },
    },
    env: {
      AWS_ACCESS_KEY_ID: credentials.accessKeyId,
      AWS_SECRET_ACCESS_KEY: credentials.secretAccessKey,
      AWS_REGION: region,
      ICS_BLOB_URL: url,
    },
    url,
    credentials,
    async stop() {
      await server.close();
      await rm(directory, { recursive: true, force: true });
    },
  };
}

/**
 * s3rver 3.7 stores multipart uploads but answers AbortMultipartUpload with MethodNotAllowed and
 * ListMultipartUploads with NotImplemented. Without these two, a test cannot see whether a failed
 * upload left parts behind, so this shim serves them from s3rver's own upload directory
 * (`<dir>/<bucket>/._S3rver_uploads/<uploadId>/`). Test-only; real S3 and MinIO have both.
 */
function multipartUploadsShim(directory: string): KoaMiddleware {
  return async (ctx, next) => {
    const [bucket = '', ...keyParts] = ctx.path.slice(1).split('/');
    const uploads = join(directory, bucket, '._S3rver_uploads');
    const uploadId = ctx.query.uploadId;
    if (ctx.method === 'DELETE' && typeof uploadId === 'string' && keyParts.length > 0) {
      const dir = join(uploads, uploadId);
      if (!/^[0-9a-f]+$/.test(uploadId) || !existsSync(dir)) {
        ctx.status = 404;
        ctx.type = 'application/xml';
        ctx.body =
          '<?xml version="1.0" encoding="UTF-8"?><Error><Code>NoSuchUpload</Code><Message>The specified upload does not exist.</Message></Error>';
        return;
      }
      await rm(dir, { recursive: true, force: true });
      ctx.status = 204;
      return;
    }
    if (ctx.method === 'GET' && 'uploads' in ctx.query && keyParts.filter(Boolean).length === 0) {
      const prefix = typeof ctx.query.prefix === 'string' ? ctx.query.prefix : '';
      const entries = existsSync(uploads) ? await readdir(uploads) : [];
      const items: string[] = [];
      for (const id of entries.sort()) {
        const key = await readFile(join(uploads, id, 'key'), 'utf8').catch(() => undefined);
        if (key === undefined || !key.startsWith(prefix)) continue;
        const initiated = (await stat(join(uploads, id))).mtime.toISOString();
        items.push(
          `<Upload><Key>${xml(key)}</Key><UploadId>${id}</UploadId><Initiated>${initiated}</Initiated></Upload>`,
        );
      }
      ctx.status = 200;
      ctx.type = 'application/xml';
      ctx.body =
        '<?xml version="1.0" encoding="UTF-8"?><ListMultipartUploadsResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/">' +
        `<Bucket>${xml(bucket)}</Bucket><Prefix>${xml(prefix)}</Prefix><IsTruncated>false</IsTruncated>${items.join('')}` +
        '</ListMultipartUploadsResult>';
      return;
    }
    await next();
  };
}

/**
 * s3rver 3.7 reads `Range: bytes=0-0` as "from byte 0 to the end" (it tests the end with `||`), so
 * it answers with the whole object. Real S3 sends one byte; this trims s3rver's answer to match.
 */
const firstByteRangeFix: KoaMiddleware = async (ctx, next) => {
  await next();
  if (ctx.method !== 'GET' || ctx.get('range') !== 'bytes=0-0' || ctx.status !== 206) return;
  const size = /\/(\d+)$/.exec(ctx.response.get('content-range'))?.[1];
  const stream = ctx.body as Readable;
  const first: Buffer | undefined = (await stream[Symbol.asyncIterator]().next()).value;
  stream.destroy();
  ctx.body = first?.subarray(0, 1) ?? Buffer.alloc(0);
  ctx.set('Content-Range', `bytes 0-0/${size}`);
};

function xml(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}
