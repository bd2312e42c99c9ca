import assert from 'node:assert/strict';
import { test } from 'node:test';
import { buildTestApp } from '../helpers/app.js';
import { describeBackends } from '../helpers/backends.js';
import { startS3 } from '../helpers/s3.js';
import { exportApi, getObject, listBucket, storageBody, waitForJob, X } from './helpers.js';

// A client restricted in what it may read (docs/security.md, "Content permissions") exports only
// that: the Export API must not be a way around the restriction.

const ENV = { ICS_EXPORT_BATCH_SIZE: '2', ICS_EXPORT_SETTLE_SECONDS: '0', ICS_EXPORT_INTERVAL_SECONDS: '1' };

describeBackends('export under content permissions', (backend) => {
  test("a restricted client's export holds only what it may read; filters outside it are 403 and make no job", async (t) => {
    const target = await startS3();
    t.after(() => target.stop());
    const app = await buildTestApp(t, { backend, env: ENV });
    app.deps.runner.start();
    const admin = await app.token();
    const bearer = await app.token({
      permissions: { read: { types: ['callRecording'], directions: ['inbound'] } },
    });
    const inbound = await app.seed(admin, {
      start: '2024-05-01T08:00:00Z',
      files: [
        { key: 'callRecording', body: 'in-call', contentType: 'audio/wav' },
        { key: 'vm-1', body: 'vm', contentType: 'audio/wav', type: 'voicemail' },
      ],
    });
    await app.seed(admin, {
      start: '2024-05-01T09:00:00Z',
      direction: 'outbound',
      files: [{ key: 'callRecording', body: 'out-call', contentType: 'audio/wav' }],
    });
    const created = await exportApi(app, {
      method: 'POST',
      url: `${X}/external-storage`,
      token: bearer,
      body: storageBody(target),
    });
    assert.equal(created.statusCode, 201, created.body);
    const schedule = (filters?: unknown) =>
      exportApi(app, {
        method: 'POST',
        url: `${X}/jobs/schedule-batch-export`,
        token: bearer,
        body: {
          startDate: '2024-05-01T00:00:00Z',
          endDate: '2024-05-02T00:00:00Z',
          ...(filters !== undefined && { filters }),
          externalStorageId: created.json().id,
        },
      });
    const jobs = async () =>
      (await exportApi(app, { method: 'GET', url: `${X}/jobs`, token: bearer })).json().jobs;

    for (const filters of [{ contentTypes: ['voicemail'] }, { initialDirection: ['outbound'] }]) {
      const refused = await schedule(filters);
      assert.equal(refused.statusCode, 403, refused.body);
      assert.equal(refused.json().code, 'not_authorized');
    }
    assert.deepEqual(await jobs(), [], 'no job was created');

    const res = await schedule();
    assert.equal(res.statusCode, 201, res.body);
    const job = await waitForJob(app, bearer, res.json().jobId);
    assert.deepEqual([job.status, job.exported, job.failed], ['Completed', 1, 0]);
    assert.deepEqual([...(await listBucket(target, '2024')).keys()].sort(), [
      `2024/05/01/${inbound}/content/callRecording.wav`,
      `2024/05/01/${inbound}/interaction.json`,
    ]);
    const meta = JSON.parse(
      (await getObject(target, `2024/05/01/${inbound}/interaction.json`)).body.toString(),
    );
    assert.deepEqual(
      meta.content.map((c: { contentKey: string }) => c.contentKey),
      ['callRecording'],
      'the metadata file names no forbidden item',
    );
  });
});
