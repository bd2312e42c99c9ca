// An export job killed with SIGKILL (ICS_TEST_FAULTS) in a real `ics serve` process, then a clean
// restart on the same data directory: the job resumes from its last checkpoint, writes every file
// exactly once under its key, and its counts add up with nothing counted twice.
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { describe, test } from 'node:test';
import { Api, dataDirFor, serve, waitFor, wav } from '../deletion/helpers.js';
import { startS3 } from '../helpers/s3.js';
import { getObject, type JobWire, listBucket, storageBody, V1, X } from './helpers.js';

const INTERACTIONS = 12;
const BATCH = 3; // interactions per checkpoint: 6 files

async function json(api: Api, path: string, init: { method?: string; body?: unknown } = {}) {
  const res = await api.fetch(path, {
    method: init.method ?? 'GET',
    headers: { accept: V1, ...(init.body !== undefined && { 'content-type': 'application/json' }) },
    body: init.body === undefined ? undefined : JSON.stringify(init.body),
  });
  return { status: res.status, body: (await res.json().catch(() => undefined)) as Record<string, unknown> };
}

async function jobOf(api: Api, jobId: string): Promise<JobWire | undefined> {
  const res = await json(api, `${X}/jobs?limit=1000`);
  return (res.body.jobs as JobWire[]).find((j) => j.jobId === jobId);
}

function scenario(name: string, fault: string, skipped: (n: number) => boolean) {
  test(name, { timeout: 240_000 }, async (t) => {
    const target = await startS3();
    t.after(() => target.stop());
    const dataDir = await dataDirFor(t);
    const env = { ICS_EXPORT_BATCH_SIZE: String(BATCH), ICS_EXPORT_CONCURRENCY: '2' };
    const first = await serve(t, dataDir, { ...env, ICS_TEST_FAULTS: fault });
    const api = await Api.connect(first.url, dataDir);

    const files = new Map<string, Buffer>();
    for (let i = 0; i < INTERACTIONS; i++) {
      const guid = await api.createInteraction();
      const recording = wav(randomBytes(2000 + i));
      const transcript = Buffer.from(JSON.stringify({ turn: randomBytes(8).toString('hex') }));
      await api.put(guid, 'callRecording', recording, { contentType: 'audio/wav' });
      await api.put(guid, 'transcript', transcript, { contentType: 'application/json' });
      files.set(`2024/03/01/${guid}/content/callRecording.wav`, recording);
      files.set(`2024/03/01/${guid}/content/transcript.json`, transcript);
    }
    const storage = await json(api, `${X}/external-storage`, { method: 'POST', body: storageBody(target) });
    assert.equal(storage.status, 201, JSON.stringify(storage.body));
    const scheduled = await json(api, `${X}/jobs/schedule-batch-export`, {
      method: 'POST',
      body: {
        startDate: '2024-03-01T00:00:00Z',
        endDate: '2024-03-01T23:59:59Z',
        filters: { contentTypes: [], initialDirection: [] },
        externalStorageId: storage.body.id,
      },
    });
    assert.equal(scheduled.status, 201);
    const jobId = scheduled.body.jobId as string;
    assert.equal(await first.exited, 'SIGKILL', `the fault ${fault} killed the server`);
    const written = (await listBucket(target, '2024/')).size;
    assert.ok(written > 0 && written < files.size + INTERACTIONS, `killed part-way (${written} objects)`);

    const second = await serve(t, dataDir, env);
    const again = api.at(second.url);
    let done: JobWire | undefined;
    await waitFor(
      'the resumed job to finish',
      async () => {
        done = await jobOf(again, jobId);
        return done?.status === 'Completed' || done?.status === 'Failed';
      },
      120_000,
    );
    assert.equal(done?.status, 'Completed', JSON.stringify(done));
    assert.equal(done?.exported, files.size, 'every file counted once');
    assert.equal(done?.failed, 0);
    assert.ok(skipped(done?.skipped ?? -1), `skipped ${done?.skipped}`);

    const keys = await listBucket(target, '2024/');
    const metadata = [...keys.keys()].filter((k) => k.endsWith('/interaction.json'));
    assert.equal(metadata.length, INTERACTIONS);
    assert.deepEqual(
      [...keys.keys()].filter((k) => !k.endsWith('/interaction.json')).sort(),
      [...files.keys()].sort(),
      'each file once, under its key',
    );
    for (const [key, bytes] of files) {
      const o = await getObject(target, key);
      assert.equal(
        createHash('sha256').update(o.body).digest('hex'),
        createHash('sha256').update(bytes).digest('hex'),
        key,
      );
    }
  });
}

describe('export job killed mid-run (SIGKILL), resumed by the next start', () => {
  // Killed right after the second checkpoint: the resumed run starts at page 3 and redoes nothing.
  scenario(
    'killed after a checkpoint → resumes after it; nothing redone',
    `export.after-checkpoint:2`,
    (n) => n === 0,
  );
  // Killed after the 8th file (2 files into page 2): page 2 is redone, its written files skipped.
  scenario(
    'killed in the middle of a page → the page is redone, what it wrote is skipped',
    'export.after-item:8',
    (n) => n >= 2 && n <= 3,
  );
});
