import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { createServer } from 'node:net';
import { Readable } from 'node:stream';
import { after, before, describe, it } from 'node:test';
import {
  CreateMultipartUploadCommand,
  ListMultipartUploadsCommand,
  S3Client,
  UploadPartCommand,
} from '@aws-sdk/client-s3';
import { openBlobStore } from '../../src/blobs/open-blob-store.js';
import { type S3BlobConfig, S3BlobStore } from '../../src/blobs/s3-blob-store.js';
import { loadConfig } from '../../src/config.js';
import { StoreUnavailableError } from '../../src/core/errors.js';
import { describeBlobStore, listAll, randomBody } from '../contract/blob-store.contract.js';
import { startS3, type TestS3 } from '../helpers/s3.js';

let s3: TestS3;
before(async () => {
  s3 = await startS3();
});
after(() => s3?.stop());

// Each contract test gets its own key prefix in the shared bucket, which also exercises prefixes.
describeBlobStore('S3BlobStore on s3rver', async () => {
  const store = new S3BlobStore({
    config: { ...s3.config, prefix: `t-${randomUUID()}/` },
    credentials: s3.credentials,
  });
  return { store, cleanup: () => store.close() };
});

function rawClient(): S3Client {
  return new S3Client({
    region: s3.config.region,
    endpoint: s3.config.endpoint,
    forcePathStyle: true,
    credentials: s3.credentials,
    requestChecksumCalculation: 'WHEN_REQUIRED',
  });
}

async function pendingUploads(client: S3Client, prefix: string): Promise<string[]> {
  const out = await client.send(
    new ListMultipartUploadsCommand({ Bucket: s3.config.bucket, Prefix: prefix }),
  );
  return (out.Uploads ?? []).map((u) => u.Key ?? '');
}

/** A port nothing listens on: bind an ephemeral port, then release it. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/** Runs `fn` with process.env extended by `vars` (the S3 store's production credential path). */
async function withEnv<T>(vars: Record<string, string | undefined>, fn: () => Promise<T>): Promise<T> {
  const saved = { ...process.env };
  for (const [k, v] of Object.entries(vars)) {
    if (v === undefined) delete process.env[k];
    else process.env[k] = v;
  }
  try {
    return await fn();
  } finally {
    process.env = saved;
  }
}

async function assertUnavailable(opening: Promise<unknown>, message: RegExp): Promise<void> {
  await assert.rejects(opening, (err: Error) => {
    assert.ok(err instanceof StoreUnavailableError, `${err.name}: ${err.message}`);
    assert.match(err.message, message);
    return true;
  });
}

describe('S3BlobStore multipart uploads', () => {
  it('aborts a failed large upload: no object and no incomplete multipart upload remain', async () => {
    const prefix = `abort-${randomUUID()}/`;
    const store = new S3BlobStore({ config: { ...s3.config, prefix }, credentials: s3.credentials });
    const boom = new Error('client disconnected');
    // 20 MiB in: two 8 MiB parts are uploaded before the body fails.
    const body = randomBody(40 * 1024 * 1024, { failAfter: 20 * 1024 * 1024, error: boom });
    await assert.rejects(store.put('acct/guid/big', body.stream), (err) => err === boom);
    assert.equal(await store.stat('acct/guid/big'), undefined);
    const client = rawClient();
    assert.deepEqual(await pendingUploads(client, prefix), []);
    client.destroy();
    await store.close();
  });

  it('sweepTemporary aborts stale multipart uploads under its prefix', async () => {
    const prefix = `sweep-${randomUUID()}/`;
    const store = new S3BlobStore({ config: { ...s3.config, prefix }, credentials: s3.credentials });
    const client = rawClient();
    const { UploadId } = await client.send(
      new CreateMultipartUploadCommand({ Bucket: s3.config.bucket, Key: `${prefix}a/b/c` }),
    );
    await client.send(
      new UploadPartCommand({
        Bucket: s3.config.bucket,
        Key: `${prefix}a/b/c`,
        UploadId,
        PartNumber: 1,
        Body: Buffer.alloc(1024),
      }),
    );
    assert.deepEqual(await pendingUploads(client, prefix), [`${prefix}a/b/c`]);
    assert.equal(await store.sweepTemporary(3600_000), 0, 'a fresh upload is left alone');
    assert.equal(await store.sweepTemporary(0), 1);
    assert.deepEqual(await pendingUploads(client, prefix), []);
    client.destroy();
    await store.close();
  });
});

describe('openBlobStore (s3)', () => {
  it('parses the helper URL into the same config', () => {
    assert.deepEqual(loadConfig({ ICS_BLOB_URL: s3.url, ...s3.env }).blobs, s3.config);
  });

  it("opens with credentials from the SDK's default chain when the config has none", async () => {
    const store = await withEnv(s3.env, () => openBlobStore({ ...s3.config, credentials: undefined }));
    await store.put(`env-${randomUUID()}/a/b`, Readable.from([Buffer.from('hi')]));
    await store.close();
  });

  it('fails start-up clearly when the bucket does not exist', async () => {
    const config: S3BlobConfig = { ...s3.config, bucket: 'no-such-bucket' };
    await assertUnavailable(
      withEnv(s3.env, () => openBlobStore(config)),
      /^blob storage is unavailable: bucket 'no-such-bucket' at http:\/\/127\.0\.0\.1:\d+ does not exist$/,
    );
  });

  it('fails start-up clearly when the endpoint is unreachable', async () => {
    const endpoint = `http://127.0.0.1:${await closedPort()}`;
    await assertUnavailable(
      withEnv(s3.env, () => openBlobStore({ ...s3.config, endpoint })),
      new RegExp(
        `^blob storage is unavailable: cannot reach S3 at ${endpoint.replace(/\./g, '\\.')} \\(ECONNREFUSED\\)$`,
      ),
    );
  });

  it('fails start-up clearly when the access key is unknown', async () => {
    await assertUnavailable(
      openBlobStore({ ...s3.config, credentials: { ...s3.credentials, accessKeyId: 'NOT-A-KEY' } }),
      /^blob storage is unavailable: S3 credentials were rejected or lack access to bucket '.+' at .+ \(HTTP 403\)$/,
    );
  });

  it('fails start-up clearly when no credentials are configured', async () => {
    const none = {
      AWS_ACCESS_KEY_ID: undefined,
      AWS_SECRET_ACCESS_KEY: undefined,
      AWS_SESSION_TOKEN: undefined,
      AWS_PROFILE: undefined,
      AWS_WEB_IDENTITY_TOKEN_FILE: undefined,
      AWS_CONTAINER_CREDENTIALS_RELATIVE_URI: undefined,
      AWS_CONTAINER_CREDENTIALS_FULL_URI: undefined,
      AWS_CONFIG_FILE: '/nonexistent/aws-config',
      AWS_SHARED_CREDENTIALS_FILE: '/nonexistent/aws-credentials',
      AWS_EC2_METADATA_DISABLED: 'true',
    };
    await assertUnavailable(
      withEnv(none, () => openBlobStore({ ...s3.config, credentials: undefined })),
      /no S3 credentials found/,
    );
  });

  it('rejects a wrong secret key', {
    skip: 's3rver 3.7 does not verify SigV4 signatures, so a wrong secret is accepted',
  }, () => {});

  it('translates errors after start-up too: reads from a vanished bucket are unavailable, not "not found"', async () => {
    const store = new S3BlobStore({
      config: { ...s3.config, bucket: 'gone-bucket' },
      credentials: s3.credentials,
    });
    await assertUnavailable(store.get('a/b/c'), /bucket 'gone-bucket' .* does not exist/);
    await assertUnavailable(store.delete('a/b/c'), /bucket 'gone-bucket' .* does not exist/);
    await assertUnavailable(listAll(store), /bucket 'gone-bucket' .* does not exist/);
    await store.close();
  });
});
