import { GetObjectCommand, HeadObjectCommand, paginateListObjectsV2, S3Client } from '@aws-sdk/client-s3';
import type { TestApp } from '../helpers/app.js';
import type { TestS3 } from '../helpers/s3.js';

// Shared by the export tests: requests to the export API, and looks into the target bucket.

export const V1 = 'application/vnd.newvoicemedia.v1+json';
export const X = '/interaction-content-export/interactions';

/** A JSON request to the export API with the v1 Accept header. */
export function exportApi(
  app: TestApp,
  opts: { method: string; url: string; token: string; body?: unknown },
) {
  return app.api({ ...opts, headers: { accept: V1 } });
}

export function storageBody(s3: TestS3, extra: Record<string, unknown> = {}) {
  return {
    name: 'Archive',
    storageProvider: 'AWS_S3',
    credentials: {
      bucketName: s3.config.bucket,
      region: s3.config.region,
      accessKeyId: s3.credentials.accessKeyId,
      secretAccessKey: s3.credentials.secretAccessKey,
      endpoint: s3.config.endpoint,
      forcePathStyle: true,
      ...extra,
    },
  };
}

export function s3Client(s3: TestS3): S3Client {
  return new S3Client({
    region: s3.config.region,
    endpoint: s3.config.endpoint,
    forcePathStyle: true,
    credentials: { ...s3.credentials },
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
  });
}

/** Every object in the bucket: key → length. */
export async function listBucket(s3: TestS3, prefix = ''): Promise<Map<string, number>> {
  const client = s3Client(s3);
  try {
    const out = new Map<string, number>();
    for await (const page of paginateListObjectsV2(
      { client },
      { Bucket: s3.config.bucket, Prefix: prefix },
    )) {
      for (const o of page.Contents ?? []) out.set(o.Key ?? '', o.Size ?? 0);
    }
    return out;
  } finally {
    client.destroy();
  }
}

export async function getObject(
  s3: TestS3,
  key: string,
): Promise<{ body: Buffer; contentType?: string; metadata: Record<string, string>; lastModified?: Date }> {
  const client = s3Client(s3);
  try {
    const out = await client.send(new GetObjectCommand({ Bucket: s3.config.bucket, Key: key }));
    return {
      body: Buffer.from(await out.Body!.transformToByteArray()),
      contentType: out.ContentType,
      metadata: out.Metadata ?? {},
      lastModified: out.LastModified,
    };
  } finally {
    client.destroy();
  }
}

export async function headObject(s3: TestS3, key: string) {
  const client = s3Client(s3);
  try {
    return await client.send(new HeadObjectCommand({ Bucket: s3.config.bucket, Key: key }));
  } finally {
    client.destroy();
  }
}

export interface JobWire {
  jobId: string;
  type: string;
  status: string;
  exported: number;
  failed: number;
  skipped: number;
  startDate: string;
  endDate: string | null;
  exportedUntil: string | null;
  error: string | null;
}

/** Polls the jobs list until the job is in one of `statuses` (or `until` holds). */
export async function waitForJob(
  app: TestApp,
  token: string,
  jobId: string,
  until: (j: JobWire) => boolean = (j) => ['Completed', 'Failed', 'Cancelled'].includes(j.status),
  ms = 60_000,
): Promise<JobWire> {
  const deadline = Date.now() + ms;
  for (;;) {
    const res = await exportApi(app, { method: 'GET', url: `${X}/jobs?limit=1000`, token });
    if (res.statusCode !== 200) throw new Error(`jobs list: ${res.statusCode} ${res.body}`);
    const job = (res.json().jobs as JobWire[]).find((j) => j.jobId === jobId);
    if (job && until(job)) return job;
    if (Date.now() > deadline) throw new Error(`timed out waiting for job ${jobId}: ${JSON.stringify(job)}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}
