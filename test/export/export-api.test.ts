import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { test } from 'node:test';
import { buildTestApp, type TestApp } from '../helpers/app.js';
import { type Backend, describeBackends } from '../helpers/backends.js';
import { startS3, type TestS3 } from '../helpers/s3.js';
import { exportApi, getObject, type JobWire, listBucket, storageBody, waitForJob, X } from './helpers.js';

// The Interaction Content Export API over app.inject(), with the job runner started, against a
// second s3rver as the export target. ICS's own storage is SQLite + files or PostgreSQL + s3rver.

const sha256 = (b: Buffer | string) => createHash('sha256').update(b).digest('hex');
const ENV = { ICS_EXPORT_BATCH_SIZE: '2', ICS_EXPORT_SETTLE_SECONDS: '0', ICS_EXPORT_INTERVAL_SECONDS: '1' };

async function setup(t: Parameters<typeof buildTestApp>[0], { backend }: { backend: Backend }) {
  const target = await startS3();
  t.after(() => target.stop());
  const app = await buildTestApp(t, { backend, env: ENV });
  app.deps.runner.start();
  const bearer = await app.token();
  return { app, target, bearer };
}

async function addStorage(app: TestApp, bearer: string, target: TestS3, extra: Record<string, unknown> = {}) {
  const res = await exportApi(app, {
    method: 'POST',
    url: `${X}/external-storage`,
    token: bearer,
    body: storageBody(target, extra),
  });
  assert.equal(res.statusCode, 201, res.body);
  return res.json().id as string;
}

const file = (key: string, body: string, contentType: string, type?: string) => ({
  key,
  body: Buffer.from(body),
  contentType,
  type,
});

describeBackends('export API', (backend) => {
  test('storage items: a zero-byte test write, secrets never shown or stored in clear, 404 across accounts', async (t) => {
    const { app, target, bearer } = await setup(t, { backend });
    const id = await addStorage(app, bearer, target, { prefix: '/ics/export/' });
    assert.match(id, /^[0-9a-f-]{36}$/);
    const test = await getObject(target, 'ics/export/.ics-write-test');
    assert.equal(test.body.length, 0, 'the zero-byte test object, under the prefix');

    const list = await exportApi(app, { method: 'GET', url: `${X}/external-storage`, token: bearer });
    assert.equal(list.statusCode, 200);
    assert.deepEqual(list.json().items, [
      {
        id,
        name: 'Archive',
        storageProvider: 'AWS_S3',
        credentials: {
          bucketName: target.config.bucket,
          region: 'us-east-1',
          endpoint: target.config.endpoint,
          forcePathStyle: true,
          prefix: 'ics/export/',
          accessKeyId: '…RVER',
        },
        createdAt: list.json().items[0].createdAt,
      },
    ]);
    assert.doesNotMatch(list.body, /S3RVER/, 'neither the secret nor the whole key id');
    if (backend === 'sqlite-fs') {
      const db = await readFile(join(app.dataDir, 'ics.sqlite'));
      const wal = await readFile(join(app.dataDir, 'ics.sqlite-wal')).catch(() => Buffer.alloc(0));
      for (const bytes of [db, wal])
        assert.equal(bytes.indexOf('"secretAccessKey"'), -1, 'credentials are sealed in the database');
    }

    const other = await app.token({ account: 'other' });
    const otherList = await exportApi(app, { method: 'GET', url: `${X}/external-storage`, token: other });
    assert.deepEqual(otherList.json().items, []);
    const otherDelete = await exportApi(app, {
      method: 'DELETE',
      url: `${X}/external-storage/${id}`,
      token: other,
    });
    assert.equal(otherDelete.statusCode, 404);
    assert.equal(otherDelete.json().code, 'external_storage_not_found');

    // The v1 media type is the export API's; v3 (the content API's) is refused with VCC's message.
    const v3 = await app.api({ method: 'GET', url: `${X}/external-storage`, token: bearer });
    assert.equal(v3.statusCode, 400);
    assert.equal(
      v3.json().message,
      "Invalid api-version! Valid values: 'application/vnd.newvoicemedia.v1+json'",
    );
    const noRead = await app.token({ scopes: 'interaction-content:write' });
    assert.equal(
      (await exportApi(app, { method: 'GET', url: `${X}/external-storage`, token: noRead })).statusCode,
      403,
    );
    // VCC's examples leave /interactions out of the storage path: the same route.
    const alias = await exportApi(app, {
      method: 'GET',
      url: '/interaction-content-export/external-storage',
      token: bearer,
    });
    assert.equal(alias.json().items.length, 1);

    const del = await exportApi(app, { method: 'DELETE', url: `${X}/external-storage/${id}`, token: bearer });
    assert.equal(del.statusCode, 204);
    assert.equal(
      (await exportApi(app, { method: 'DELETE', url: `${X}/external-storage/${id}`, token: bearer }))
        .statusCode,
      404,
    );
  });

  test('storage items: bad input is a 400 naming the field (the S3 error for a failed test write), nothing kept', async (t) => {
    const { app, target, bearer } = await setup(t, { backend });
    const cases: [string, unknown, RegExp][] = [
      [
        'missing bucket',
        storageBody(target, { bucketName: 'no-such-bucket' }),
        /test write to bucket 'no-such-bucket' failed: NoSuchBucket: The specified bucket does not exist/,
      ],
      [
        'wrong key',
        storageBody(target, { accessKeyId: 'WRONGKEY' }),
        /InvalidAccessKeyId: The AWS Access Key Id you provided does not exist/,
      ],
      [
        'unreachable',
        storageBody(target, { endpoint: 'http://127.0.0.1:1' }),
        /failed: cannot reach .*ECONNREFUSED/,
      ],
      [
        'role',
        storageBody(target, { roleArn: 'arn:aws:iam::1:role/x' }),
        /'credentials.roleArn': this server does not assume IAM roles/,
      ],
      ['no key', storageBody(target, { accessKeyId: undefined }), /'credentials.accessKeyId': is required/],
      [
        'no secret',
        storageBody(target, { secretAccessKey: undefined }),
        /'credentials.secretAccessKey': is required/,
      ],
      [
        'provider',
        { ...storageBody(target), storageProvider: 'GCS' },
        /'storageProvider': 'GCS' is not supported/,
      ],
      ['bucket name', storageBody(target, { bucketName: 'Bad_Bucket' }), /'credentials.bucketName'/],
      ['region', storageBody(target, { region: 'Mars 1' }), /'credentials.region'/],
      ['endpoint', storageBody(target, { endpoint: 'ftp://x' }), /'credentials.endpoint'/],
      ['prefix', storageBody(target, { prefix: 'a/../b' }), /'credentials.prefix'/],
      ['typo', storageBody(target, { bucket: 'x' }), /Unknown field 'bucket'/],
      [
        'no name',
        { storageProvider: 'AWS_S3', credentials: storageBody(target).credentials },
        /Missing required field 'name'/,
      ],
    ];
    for (const [what, body, message] of cases) {
      const res = await exportApi(app, { method: 'POST', url: `${X}/external-storage`, token: bearer, body });
      assert.equal(res.statusCode, 400, `${what}: ${res.body}`);
      assert.match(res.json().message, message, what);
    }
    const list = await exportApi(app, { method: 'GET', url: `${X}/external-storage`, token: bearer });
    assert.deepEqual(list.json().items, [], 'nothing was kept');
  });

  test('batch export: content files and interaction.json per interaction under the documented keys; counts add up; a re-run adds nothing', async (t) => {
    const { app, target, bearer } = await setup(t, { backend });
    const storage = await addStorage(app, bearer, target, { prefix: 'exp' });
    const wav = 'RIFF-recording-bytes';
    const a = await app.seed(bearer, {
      start: '2024-03-01T10:00:00Z',
      files: [
        file('callRecording', wav, 'audio/wav'),
        file('transcript', '{"turns":[]}', 'application/json'),
        file('Chat-1', 'chat text', 'text/plain', 'chatTranscript'),
      ],
    });
    const b = await app.seed(bearer, {
      start: '2024-03-02T23:59:59Z',
      direction: 'outbound',
      files: [file('callRecording', 'second call', 'audio/mpeg')],
    });
    const c = await app.seed(bearer, {
      start: '2024-03-02T12:00:00Z',
      files: [file('att-1', 'pdf', 'application/pdf', 'attachment')],
    });
    await app.seed(bearer, { start: '2024-03-03T00:00:01Z' }); // after the window
    await app.seed(bearer, { start: '2024-02-29T23:59:59Z' }); // before it
    const other = await app.token({ account: 'other' });
    await app.seed(other, { start: '2024-03-01T11:00:00Z' }); // another account's

    const schedule = await exportApi(app, {
      method: 'POST',
      url: `${X}/jobs/schedule-batch-export`,
      token: bearer,
      body: {
        startDate: '2024-03-01T00:00:00Z',
        endDate: '2024-03-02T23:59:59Z', // inclusive
        filters: { contentTypes: [], initialDirection: [] },
        externalStorageId: storage,
      },
    });
    assert.equal(schedule.statusCode, 201, schedule.body);
    const { jobId } = schedule.json();
    const done = await waitForJob(app, bearer, jobId);
    assert.equal(done.status, 'Completed', JSON.stringify(done));
    assert.equal(done.type, 'export-batch');
    assert.equal(done.startDate, '2024-03-01T00:00:00Z');
    assert.equal(done.endDate, '2024-03-02T23:59:59Z');
    assert.deepEqual([done.exported, done.failed, done.skipped], [5, 0, 0]);

    const expected = new Map<string, Buffer>([
      [`exp/2024/03/01/${a}/content/callRecording.wav`, Buffer.from(wav)],
      [`exp/2024/03/01/${a}/content/transcript.json`, Buffer.from('{"turns":[]}')],
      [`exp/2024/03/01/${a}/content/chat-1.txt`, Buffer.from('chat text')],
      [`exp/2024/03/02/${b}/content/callRecording.mp3`, Buffer.from('second call')],
      [`exp/2024/03/02/${c}/content/att-1.pdf`, Buffer.from('pdf')],
    ]);
    const keys = await listBucket(target, 'exp/2024');
    assert.deepEqual(
      [...keys.keys()].sort(),
      [
        ...expected.keys(),
        `exp/2024/03/01/${a}/interaction.json`,
        `exp/2024/03/02/${b}/interaction.json`,
        `exp/2024/03/02/${c}/interaction.json`,
      ].sort(),
    );
    for (const [key, bytes] of expected) {
      const o = await getObject(target, key);
      assert.deepEqual(o.body, bytes, key);
      assert.equal(o.metadata.sha256, sha256(bytes), key);
    }
    assert.equal(
      (await getObject(target, `exp/2024/03/01/${a}/content/callRecording.wav`)).contentType,
      'audio/wav',
    );
    for (const guid of [a, b, c]) {
      const get = await app.api({
        method: 'GET',
        url: `/interaction-content/interactions/${guid}`,
        token: bearer,
      });
      const key = [...keys.keys()].find((k) => k.endsWith(`${guid}/interaction.json`))!;
      assert.deepEqual(
        JSON.parse((await getObject(target, key)).body.toString()),
        get.json(),
        'as GET returns it',
      );
    }

    // The same window again: every file is found in place (same key, same SHA-256) and skipped.
    const again = await exportApi(app, {
      method: 'POST',
      url: `${X}/jobs/schedule-batch-export`,
      token: bearer,
      body: {
        startDate: '2024-03-01T00:00:00Z',
        endDate: '2024-03-02T23:59:59Z',
        externalStorageId: storage,
      },
    });
    const second = await waitForJob(app, bearer, again.json().jobId);
    assert.deepEqual([second.status, second.exported, second.failed, second.skipped], ['Completed', 5, 0, 5]);
    assert.deepEqual(await listBucket(target, 'exp/2024'), keys, 'no duplicates, nothing rewritten');
  });

  test('batch export: filters by content type and initial direction; a damaged file counts as failed and writes nothing', async (t) => {
    const { app, target, bearer } = await setup(t, { backend });
    const storage = await addStorage(app, bearer, target);
    const inbound = await app.seed(bearer, {
      start: '2024-05-01T08:00:00Z',
      files: [file('callRecording', 'in-call', 'audio/wav'), file('transcript', '{}', 'application/json')],
    });
    const outbound = await app.seed(bearer, {
      start: '2024-05-01T09:00:00Z',
      direction: 'outbound',
      files: [file('callRecording', 'out-call', 'audio/wav')],
    });
    const body = (filters: unknown) => ({
      startDate: '2024-05-01T00:00:00Z',
      endDate: '2024-05-02T00:00:00Z',
      filters,
      externalStorageId: storage,
    });
    const schedule = async (filters: unknown) => {
      const res = await exportApi(app, {
        method: 'POST',
        url: `${X}/jobs/schedule-batch-export`,
        token: bearer,
        body: body(filters),
      });
      assert.equal(res.statusCode, 201, res.body);
      return waitForJob(app, bearer, res.json().jobId);
    };
    const recordings = await schedule({ contentTypes: ['callRecording'], initialDirection: ['INBOUND'] });
    assert.deepEqual([recordings.exported, recordings.failed], [1, 0]);
    assert.deepEqual([...(await listBucket(target, '2024')).keys()].sort(), [
      `2024/05/01/${inbound}/content/callRecording.wav`,
      `2024/05/01/${inbound}/interaction.json`,
    ]);

    // Damage ICS's copy of the outbound recording: same length, other bytes.
    const row = await app.deps.store.listContent('acme', outbound);
    if (backend === 'sqlite-fs') {
      await writeFile(join(app.dataDir, 'blobs', row[0].blobKey), 'OUT-CALL');
    } else {
      await app.deps.blobs.delete(row[0].blobKey);
      const { Readable } = await import('node:stream');
      await app.deps.blobs.put(row[0].blobKey, Readable.from([Buffer.from('OUT-CALL')]));
    }
    const all = await schedule({ initialDirection: ['outbound'] });
    assert.deepEqual([all.status, all.exported, all.failed], ['Completed', 0, 1]);
    assert.equal(
      (await listBucket(target, `2024/05/01/${outbound}/content/`)).size,
      0,
      'a file that does not match its SHA-256 is never written',
    );
    const jobRow = await app.deps.jobs.getJob('acme', (await waitForJob(app, bearer, all.jobId)).jobId);
    assert.match(JSON.stringify(jobRow?.state), /does not match its recorded SHA-256/);
  });

  test('scheduling: bad input is a 400 naming the field and creates no job; jobs list pages like VCC; DELETE stops a job', async (t) => {
    const { app, target, bearer } = await setup(t, { backend });
    const storage = await addStorage(app, bearer, target);
    const other = await app.token({ account: 'other' });
    const otherStorage = await addStorage(app, other, target);
    const ok = {
      startDate: '2030-01-01T00:00:00Z',
      endDate: '2030-01-02T00:00:00Z',
      externalStorageId: storage,
    };
    const cases: [string, string, unknown, RegExp][] = [
      [
        'window',
        'batch',
        { ...ok, endDate: '2029-12-31T23:59:59Z' },
        /'endDate' must not be before 'startDate'/,
      ],
      [
        'type',
        'batch',
        { ...ok, filters: { contentTypes: ['callRecording', 'hologram'] } },
        /'filters.contentTypes\[1\]': 'hologram' is not a content type/,
      ],
      [
        'direction',
        'batch',
        { ...ok, filters: { initialDirection: ['sideways'] } },
        /'filters.initialDirection\[0\]': 'sideways' is not a direction/,
      ],
      [
        'storage',
        'batch',
        { ...ok, externalStorageId: '00000000-0000-4000-8000-000000000000' },
        /'externalStorageId': .* names no external storage item/,
      ],
      ['foreign storage', 'batch', { ...ok, externalStorageId: otherStorage }, /'externalStorageId'/],
      ['date', 'batch', { ...ok, startDate: 'yesterday' }, /'startDate': expected an ISO 8601 date-time/],
      [
        'missing end',
        'batch',
        { startDate: ok.startDate, externalStorageId: storage },
        /Missing required field 'endDate'/,
      ],
      ['recurring end', 'recurring', ok, /Unknown field 'endDate'/],
      [
        'recurring type',
        'recurring',
        { startDate: ok.startDate, externalStorageId: storage, filters: { contentTypes: ['x'] } },
        /filters.contentTypes\[0\]/,
      ],
    ];
    for (const [what, kind, body, message] of cases) {
      const res = await exportApi(app, {
        method: 'POST',
        url: `${X}/jobs/schedule-${kind}-export`,
        token: bearer,
        body,
      });
      assert.equal(res.statusCode, 400, `${what}: ${res.body}`);
      assert.match(res.json().message, message, what);
    }
    const none = await exportApi(app, { method: 'GET', url: `${X}/jobs`, token: bearer });
    assert.deepEqual(none.json(), { jobs: [], page: 1, count: 0, pageCount: 0, totalCount: 0 });

    const ids: string[] = [];
    for (let i = 0; i < 3; i++) {
      const res = await exportApi(app, {
        method: 'POST',
        url: `${X}/jobs/schedule-batch-export`,
        token: bearer,
        body: ok,
      });
      ids.push(res.json().jobId);
    }
    const page1 = await exportApi(app, { method: 'GET', url: `${X}/jobs?page=1&limit=2`, token: bearer });
    assert.deepEqual(
      { ...(page1.json() as object), jobs: page1.json().jobs.map((j: JobWire) => j.jobId) },
      { jobs: [ids[2], ids[1]], page: 1, count: 2, pageCount: 2, totalCount: 3 },
    );
    const page2 = await exportApi(app, { method: 'GET', url: `${X}/jobs?page=2&limit=2`, token: bearer });
    assert.deepEqual(
      page2.json().jobs.map((j: JobWire) => j.jobId),
      [ids[0]],
    );
    assert.equal(
      (await exportApi(app, { method: 'GET', url: `${X}/jobs`, token: other })).json().totalCount,
      0,
    );

    // Another account's job is a 404; the owner's stops.
    assert.equal(
      (await exportApi(app, { method: 'DELETE', url: `${X}/jobs/${ids[0]}`, token: other })).statusCode,
      404,
    );
    assert.equal(
      (await exportApi(app, { method: 'DELETE', url: `${X}/jobs/not-a-uuid`, token: bearer })).statusCode,
      400,
    );
    const recurring = await exportApi(app, {
      method: 'POST',
      url: `${X}/jobs/schedule-recurring-export`,
      token: bearer,
      body: { startDate: '2030-01-01T00:00:00Z', externalStorageId: storage },
    });
    assert.equal(recurring.statusCode, 201);
    const rid = recurring.json().jobId;
    const inUse = await exportApi(app, {
      method: 'DELETE',
      url: `${X}/external-storage/${storage}`,
      token: bearer,
    });
    assert.equal(inUse.statusCode, 409);
    assert.match(inUse.json().message, new RegExp(rid));
    const stop = await exportApi(app, { method: 'POST', url: `${X}/jobs/${rid}/cancel`, token: bearer });
    assert.equal(stop.statusCode, 204);
    assert.equal((await waitForJob(app, bearer, rid)).status, 'Cancelled');
    assert.equal(
      (await exportApi(app, { method: 'POST', url: `${X}/jobs/${rid}/pause`, token: bearer })).statusCode,
      400,
    );
    for (const id of ids) await waitForJob(app, bearer, id);
    assert.equal(
      (await exportApi(app, { method: 'DELETE', url: `${X}/jobs/${ids[0]}`, token: bearer })).statusCode,
      204,
    );
    assert.equal(
      (await waitForJob(app, bearer, ids[0])).status,
      'Completed',
      'a finished job stays as it was',
    );
    assert.equal(
      (await exportApi(app, { method: 'DELETE', url: `${X}/external-storage/${storage}`, token: bearer }))
        .statusCode,
      204,
    );
  });

  test('recurring export: each run takes what changed since the last, late content included, and rewrites interaction.json', async (t) => {
    const { app, target, bearer } = await setup(t, { backend });
    const storage = await addStorage(app, bearer, target);
    const guid = await app.seed(bearer, {
      start: '2024-06-01T10:00:00Z',
      files: [file('callRecording', 'first', 'audio/wav')],
    });
    await app.seed(bearer, { start: '2024-05-31T23:00:00Z' }); // before startDate: never exported
    const res = await exportApi(app, {
      method: 'POST',
      url: `${X}/jobs/schedule-recurring-export`,
      token: bearer,
      body: {
        startDate: '2024-06-01T00:00:00Z',
        filters: { contentTypes: [], initialDirection: [] },
        externalStorageId: storage,
      },
    });
    assert.equal(res.statusCode, 201, res.body);
    const jobId = res.json().jobId;
    const first = await waitForJob(app, bearer, jobId, (j) => j.exportedUntil !== null);
    assert.equal(first.type, 'export-recurring');
    assert.equal(first.endDate, null);
    assert.equal(first.exported, 1);
    const folder = `2024/06/01/${guid}/`;
    assert.deepEqual([...(await listBucket(target, '2024')).keys()].sort(), [
      `${folder}content/callRecording.wav`,
      `${folder}interaction.json`,
    ]);

    // A transcript arrives later: the next run exports it, and only it, and the metadata file with it.
    await app.api({
      method: 'PUT',
      url: `/interaction-content/interactions/${guid}/content/transcript`,
      token: bearer,
      body: '{"late":true}',
    });
    // Between runs a recurring job is Scheduled.
    const second = await waitForJob(app, bearer, jobId, (j) => j.exported >= 2 && j.status === 'Scheduled');
    assert.deepEqual([second.exported, second.skipped, second.failed], [2, 0, 0]);
    const meta = JSON.parse((await getObject(target, `${folder}interaction.json`)).body.toString());
    assert.deepEqual(meta.content.map((c: { contentKey: string }) => c.contentKey).sort(), [
      'callRecording',
      'transcript',
    ]);
    assert.deepEqual(
      (await getObject(target, `${folder}content/transcript.json`)).body,
      Buffer.from('{"late":true}'),
    );
    const stop = await exportApi(app, { method: 'DELETE', url: `${X}/jobs/${jobId}`, token: bearer });
    assert.equal(stop.statusCode, 204);
    assert.equal((await waitForJob(app, bearer, jobId)).status, 'Cancelled');
  });
});

test('export routes: every one in the OpenAPI document with an operationId; ICS_EXPORT_ENDPOINTS limits custom endpoints', async (t) => {
  const target = await startS3();
  t.after(() => target.stop());
  const app = await buildTestApp(t, { env: { ICS_EXPORT_ENDPOINTS: 'https://minio.example:9000' } });
  const bearer = await app.token();
  const doc = (await app.app.inject({ method: 'GET', url: '/interaction-content/openapi.json' })).json();
  const ops = Object.entries(doc.paths as Record<string, Record<string, { operationId?: string }>>)
    .filter(([path]) => path.startsWith('/interaction-content-export/'))
    .flatMap(([path, methods]) =>
      Object.entries(methods)
        .filter(([m]) => m !== 'head')
        .map(([m, op]) => `${m} ${path} ${op.operationId}`),
    )
    .sort();
  assert.deepEqual(ops, [
    'delete /interaction-content-export/interactions/external-storage/{id} deleteExternalStorage',
    'delete /interaction-content-export/interactions/jobs/{jobId} cancelExportJob',
    'get /interaction-content-export/interactions/external-storage listExternalStorage',
    'get /interaction-content-export/interactions/jobs listExportJobs',
    'post /interaction-content-export/interactions/external-storage createExternalStorage',
    'post /interaction-content-export/interactions/jobs/schedule-batch-export scheduleBatchExport',
    'post /interaction-content-export/interactions/jobs/schedule-recurring-export scheduleRecurringExport',
    'post /interaction-content-export/interactions/jobs/{jobId}/{action} changeExportJobStatus',
  ]);
  const refused = await exportApi(app, {
    method: 'POST',
    url: `${X}/external-storage`,
    token: bearer,
    body: storageBody(target),
  });
  assert.equal(refused.statusCode, 400);
  assert.match(
    refused.json().message,
    /'credentials.endpoint': 'http:\/\/127.0.0.1:\d+' is not an endpoint this server may write to/,
  );
  assert.equal((await listBucket(target)).size, 0, 'not even the test write was tried');
});
