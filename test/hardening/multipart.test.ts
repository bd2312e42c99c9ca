// Issue 9, item 5: an upload interrupted on S3 leaves an incomplete multipart upload; `ics verify`
// reports it (and the dead intent), and the next start of any node aborts it. Real server processes,
// PostgreSQL and s3rver (with the test shim that lists and aborts multipart uploads).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ListMultipartUploadsCommand, S3Client } from '@aws-sdk/client-s3';
import { Api, dataDirFor, serve, waitFor } from '../deletion/helpers.js';
import { runCli } from '../helpers/cli.js';
import { createTestDatabase } from '../helpers/postgres.js';
import { startS3, type TestS3 } from '../helpers/s3.js';

const pg = await createTestDatabase();

/** An SDK client of the test's own, to look at the bucket the way an operator would. */
function clientFor(t: { after(fn: () => void): void }, s3: TestS3): S3Client {
  const client = new S3Client({
    region: s3.config.region,
    endpoint: s3.config.endpoint,
    forcePathStyle: true,
    credentials: s3.credentials,
  });
  t.after(() => client.destroy());
  return client;
}

test('a killed upload leaves no multipart parts once another node starts', {
  skip: 'skip' in pg ? pg.skip : false,
}, async (t) => {
  if ('skip' in pg) return;
  t.after(() => pg.drop());
  const s3 = await startS3();
  t.after(() => s3.stop());
  const client = clientFor(t, s3);
  const uploads = async () =>
    (await client.send(new ListMultipartUploadsCommand({ Bucket: s3.config.bucket }))).Uploads ?? [];

  const dataDir = await dataDirFor(t);
  const env = { ...s3.env, ICS_DATABASE_URL: pg.url, ICS_NODE_TIMEOUT_SECONDS: '3' };
  const a = await serve(t, dataDir, env);
  const api = await Api.connect(a.url, dataDir);
  const guid = await api.createInteraction();
  // More than one 8 MiB part, then the body stalls: the first part is uploaded, the rest never comes.
  const slow = api.slowPut(guid, 'callRecording', {
    declaredLength: 64 * 1024 * 1024,
    chunk: Buffer.alloc(1024 * 1024, 1),
    everyMs: 5,
  });
  await waitFor(
    'a multipart upload with a part',
    async () => slow.sent() > 10 * 1024 * 1024 && (await uploads()).length === 1,
    60_000,
  );
  slow.stop();
  a.child.kill('SIGKILL');
  await a.exited;
  await slow.done;

  const cliEnv = { ...env, ICS_DATA_DIR: dataDir };
  const before = await runCli(['verify', '--json'], cliEnv);
  assert.equal(before.code, 1, before.stdout + before.stderr);
  const report = JSON.parse(before.stdout);
  assert.equal(report.leftovers.abandonedIntents, 1, before.stdout);
  assert.deepEqual(
    report.findings.map((f: { kind: string }) => f.kind),
    ['abandoned-intent'],
  );

  await serve(t, dataDir, env);
  assert.deepEqual(await uploads(), [], 'the parts were aborted at start-up');
  const after = await runCli(['verify', '--json'], cliEnv);
  assert.equal(after.code, 0, after.stdout + after.stderr);
  assert.equal(JSON.parse(after.stdout).leftovers.incompleteUploads, 0);
});

test('verify reports an incomplete multipart upload that no intent owns, and --repair aborts it', {
  skip: 'skip' in pg ? pg.skip : false,
}, async (t) => {
  const db = await createTestDatabase();
  if ('skip' in db) return;
  t.after(() => db.drop());
  const s3 = await startS3();
  t.after(() => s3.stop());
  const client = clientFor(t, s3);
  const { CreateMultipartUploadCommand, UploadPartCommand } = await import('@aws-sdk/client-s3');
  const Key = 'acme/01234567-89ab-cdef-0123-456789abcdef/stray';
  const { UploadId } = await client.send(new CreateMultipartUploadCommand({ Bucket: s3.config.bucket, Key }));
  await client.send(
    new UploadPartCommand({
      Bucket: s3.config.bucket,
      Key,
      UploadId,
      PartNumber: 1,
      Body: Buffer.alloc(1000),
    }),
  );
  const dataDir = await dataDirFor(t);
  const cliEnv = { ...s3.env, ICS_DATABASE_URL: db.url, ICS_DATA_DIR: dataDir };
  const found = await runCli(['verify', '--json'], cliEnv);
  assert.equal(found.code, 1, found.stdout + found.stderr);
  const report = JSON.parse(found.stdout);
  assert.equal(report.leftovers.incompleteUploads, 1);
  assert.match(report.findings[0].detail, new RegExp(`incomplete upload ${UploadId} for blob ${Key}`));
  const repaired = await runCli(['verify', '--json', '--repair'], cliEnv);
  assert.equal(repaired.code, 0, repaired.stdout);
  assert.equal(
    ((await client.send(new ListMultipartUploadsCommand({ Bucket: s3.config.bucket }))).Uploads ?? []).length,
    0,
  );
});
