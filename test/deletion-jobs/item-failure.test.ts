import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { promisify } from 'node:util';
import {
  DeleteBucketCommand,
  DeleteObjectsCommand,
  ListObjectsV2Command,
  S3Client,
} from '@aws-sdk/client-s3';
import { decodeJwt } from 'jose';
import { buildTestApp } from '../helpers/app.js';
import { createTestDatabase } from '../helpers/postgres.js';
import { startS3 } from '../helpers/s3.js';
import { allItems, JOBS, waitForJob } from './helpers.js';

// A deletion job whose storage refuses to erase an item's bytes: the item ends `failed` with the
// reason, the rest are deleted, the job completes and its counts add up. The refusals are real: an
// immutable blob file (chattr +i: not even root may unlink it) and an S3 bucket that was removed.

const run = promisify(execFile);

/** Whether chattr +i works here (ext4 and friends, with CAP_LINUX_IMMUTABLE): a reason to skip, or false. */
async function immutableSkip(dir: string): Promise<string | false> {
  const probe = join(dir, 'chattr-probe');
  try {
    await run('touch', [probe]);
    await run('chattr', ['+i', probe]);
    await run('chattr', ['-i', probe]);
    await run('rm', [probe]);
    return false;
  } catch (err) {
    return `chattr +i is not available here (${(err as Error).message.split('\n')[0]})`;
  }
}

const interactionStatus = async (
  app: Awaited<ReturnType<typeof buildTestApp>>,
  token: string,
  guid: string,
) => (await app.api({ method: 'GET', url: `/interaction-content/interactions/${guid}`, token })).statusCode;

describe('deletion job items that storage will not erase', () => {
  it('an undeletable blob file: that item ends failed with the reason, the others are deleted', async (t) => {
    const app = await buildTestApp(t, { env: { ICS_DELETION_JOB_BATCH_SIZE: '2' } });
    const skip = await immutableSkip(app.dataDir);
    if (skip) return t.skip(skip);
    app.deps.runner.start();
    const token = await app.token();
    const guids = [
      await app.seed(token, { connectFrom: '+44 20 7946 0100' }),
      await app.seed(token, { connectFrom: '+442079460100' }),
      await app.seed(token, { connectTo: '+44 (20) 7946-0100', direction: 'outbound' }),
    ];
    const stuck = guids[1];
    const dir = join(app.dataDir, 'blobs', 'acme', stuck);
    const [blob] = await readdir(dir);
    const path = join(dir, blob);
    await run('chattr', ['+i', path]);
    // So that the data directory can be removed even when an assertion failed first.
    t.after(() =>
      run('chattr', ['-i', path]).then(
        () => undefined,
        () => undefined,
      ),
    );

    const res = await app.api({
      method: 'POST',
      url: JOBS,
      token,
      body: { match: { addresses: ['+442079460100'] }, reason: 'GDPR Art. 17' },
    });
    assert.equal(res.statusCode, 202, res.body);
    const job = await waitForJob(app, token, res.json().id);
    assert.equal(job.status, 'completed');
    assert.deepEqual(job.counts, { matched: 3, deleted: 2, held: 0, failed: 1 });

    const items = await allItems(app, token, job.id as string);
    const byGuid = new Map(items.map((i) => [i.guid, i]));
    for (const g of guids) {
      const item = byGuid.get(g) as (typeof items)[number] & { message: string | null };
      if (g === stuck) {
        assert.equal(item.outcome, 'failed');
        assert.match(String(item.message), /storage did not confirm erasing its content/);
        assert.match(String(item.message), /EPERM|not permitted/i, 'the reason names the storage error');
        assert.ok(item.entries.length > 0, 'its rows were deleted and recorded: the receipts stay');
      } else {
        assert.equal(item.outcome, 'deleted');
        assert.equal(item.message, null);
      }
      assert.equal(await interactionStatus(app, token, g), 404, 'the rows are gone either way');
    }

    // The certificate names the deleted items only.
    const cert = await app.api({ method: 'GET', url: `${JOBS}/${job.id}/certificate`, token });
    assert.equal(cert.statusCode, 200, cert.body);
    const payload = decodeJwt(cert.body) as { counts: unknown; deleted: { guid: string }[] };
    assert.deepEqual(payload.counts, { matched: 3, deleted: 2, held: 0, failed: 1 });
    assert.deepEqual(payload.deleted.map((d) => d.guid).sort(), guids.filter((g) => g !== stuck).sort());

    // Its purge entry stays queued: once storage lets go, the purge queue erases the file.
    await run('chattr', ['-i', path]);
    await app.deps.purger.drain(Date.now() + 3_600_000);
    assert.deepEqual(await readdir(join(app.dataDir, 'blobs', 'acme')).catch(() => []), []);
  });

  it('an S3 bucket that was removed: every item ends failed with the reason, the job completes', async (t) => {
    const db = await createTestDatabase();
    if ('skip' in db) {
      if (process.env.CI === 'true') throw new Error(db.skip);
      return t.skip(db.skip);
    }
    const s3 = await startS3();
    t.after(async () => {
      await s3.stop();
      await db.drop();
    });
    const app = await buildTestApp(t, {
      env: { ICS_DATABASE_URL: db.url, ...s3.env, ICS_BLOB_URL: s3.url, ICS_DELETION_JOB_BATCH_SIZE: '2' },
    });
    app.deps.runner.start();
    const token = await app.token();
    const guids = [
      await app.seed(token, { connectFrom: 'subject@example.com' }),
      await app.seed(token, { connectTo: 'Subject@Example.com', direction: 'outbound' }),
      await app.seed(token, { connectFrom: 'SUBJECT@example.com' }),
    ];
    const other = await app.seed(token, { connectFrom: 'someone@example.com' });

    // An operator removes the bucket (emptied first, as S3 requires).
    const client = new S3Client({
      endpoint: s3.config.endpoint,
      region: s3.config.region,
      forcePathStyle: true,
      credentials: s3.credentials,
    });
    t.after(() => client.destroy());
    const listed = await client.send(new ListObjectsV2Command({ Bucket: s3.config.bucket }));
    const keys = (listed.Contents ?? []).map((o) => ({ Key: o.Key as string }));
    assert.equal(keys.length, 4);
    await client.send(new DeleteObjectsCommand({ Bucket: s3.config.bucket, Delete: { Objects: keys } }));
    await client.send(new DeleteBucketCommand({ Bucket: s3.config.bucket }));

    const res = await app.api({
      method: 'POST',
      url: JOBS,
      token,
      body: { match: { addresses: ['subject@example.com'] }, reason: 'GDPR Art. 17' },
    });
    assert.equal(res.statusCode, 202, res.body);
    const job = await waitForJob(app, token, res.json().id);
    assert.equal(job.status, 'completed');
    assert.deepEqual(job.counts, { matched: 3, deleted: 0, held: 0, failed: 3 });
    const items = (await allItems(app, token, job.id as string)) as (Awaited<
      ReturnType<typeof allItems>
    >[number] & { message: string | null })[];
    assert.deepEqual(items.map((i) => i.guid).sort(), [...guids].sort());
    for (const item of items) {
      assert.equal(item.outcome, 'failed');
      assert.match(String(item.message), /storage did not confirm erasing its content/);
      assert.match(String(item.message), /bucket/i, 'the reason names the storage error');
      assert.equal(await interactionStatus(app, token, item.guid), 404);
    }
    assert.equal(await interactionStatus(app, token, other), 200);
  });
});
