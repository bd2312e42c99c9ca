// Issue 9, items 1 and 4: a second process never recovers work whose owner is alive, and a lock held
// by a dead process is free as soon as its death is known. Real server and CLI processes throughout.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { Api, cli, dataDirFor, START_TIMEOUT_MS, serve, verifyJson, waitFor } from '../deletion/helpers.js';
import { runCli, startServerProcess } from '../helpers/cli.js';
import { createTestDatabase } from '../helpers/postgres.js';

test('a second server on the same data directory refuses to start, naming the holder, and takes nothing', async (t) => {
  const dataDir = await dataDirFor(t);
  const first = await serve(t, dataDir);
  const api = await Api.connect(first.url, dataDir);
  const guid = await api.createInteraction();
  const bytes = randomBytes(200_000);
  await api.put(guid, 'callRecording', bytes, { contentType: 'audio/wav' });

  // While an upload is in flight on the first server, a second one is started on the same directory.
  const slow = api.slowPut(guid, 'transcript', {
    declaredLength: 1_000_000,
    chunk: Buffer.alloc(1000, 7),
    everyMs: 20,
    type: 'transcript',
  });
  await waitFor('the slow upload to be under way', () => slow.sent() > 5000);
  await assert.rejects(
    startServerProcess({ ICS_DATA_DIR: dataDir }, { timeoutMs: START_TIMEOUT_MS }),
    (err: Error) => {
      const pid = String(first.child.pid);
      assert.match(err.message, new RegExp(`in use by another ICS server \\(pid ${pid}`));
      return true;
    },
  );
  slow.stop();
  slow.done.catch(() => undefined);
  const got = await api.download(guid, 'callRecording');
  assert.equal(got.status, 200);
  assert.ok(got.bytes.equals(bytes), 'the committed upload kept its bytes');
  const { code, report } = await verifyJson(dataDir);
  assert.equal(report.missing, 0, JSON.stringify(report.findings));
  assert.equal(code, 0, JSON.stringify(report.findings));
});

test("restarting the server while `ics seed` runs loses none of the seed's uploads", async (t) => {
  const dataDir = await dataDirFor(t);
  let server = await serve(t, dataDir);
  const seeding = cli(dataDir, ['seed', '--demo', '--count', '60', '--json']);
  // Restart twice while the seed writes (its uploads reserve keys as upload intents of its own node).
  for (let i = 0; i < 2; i++) {
    await new Promise((r) => setTimeout(r, 700));
    await server.stop();
    server = await serve(t, dataDir);
  }
  const seeded = await seeding;
  assert.equal(seeded.code, 0, seeded.stderr);
  const { code, report } = await verifyJson(dataDir);
  assert.equal(report.missing, 0, JSON.stringify(report.findings));
  assert.equal(code, 0, JSON.stringify(report.findings));
  assert.ok(report.rows >= 60, `${report.rows} rows`);
});

test('a delete-batch lock held by a server that was killed is free as soon as it restarts', async (t) => {
  const dataDir = await dataDirFor(t);
  const first = await serve(t, dataDir, { ICS_TEST_FAULTS: 'batch.locked@pause=60000' });
  const api = await Api.connect(first.url, dataDir);
  const guid = await api.createInteraction();
  await api.put(guid, 'callRecording', randomBytes(1000), { contentType: 'audio/wav' });
  const held = api.deleteBatch([guid]).catch(() => undefined);
  await waitFor('the batch to hold its lock', async () => (await api.deleteBatch([guid])).status === 429);
  first.child.kill('SIGKILL');
  await first.exited;
  await held;
  const second = await serve(t, dataDir);
  const res = await api.at(second.url).deleteBatch([guid]);
  assert.equal(res.status, 200, await res.clone().text());
  assert.deepEqual(await res.json(), { failures: [] });
  assert.equal(await api.at(second.url).interactionStatus(guid), 404);
});

const pgDb = await createTestDatabase();
describe('on PostgreSQL', { skip: 'skip' in pgDb ? pgDb.skip : false }, () => {
  test("a killed node's delete-batch lock is free once its heartbeat times out; its intents are recovered", async (t) => {
    if ('skip' in pgDb) return;
    t.after(() => pgDb.drop());
    const dirs = [await mkdtemp(join(tmpdir(), 'ics-pg-a-')), await mkdtemp(join(tmpdir(), 'ics-pg-b-'))];
    t.after(async () => {
      for (const d of dirs) await rm(d, { recursive: true, force: true });
    });
    const env = { ICS_DATABASE_URL: pgDb.url, ICS_NODE_TIMEOUT_SECONDS: '3' };
    const a = await serve(t, dirs[0], { ...env, ICS_TEST_FAULTS: 'batch.locked@pause=60000' });
    const b = await serve(t, dirs[1], env);
    const api = await Api.connect(a.url, dirs[0]);
    const guid = await api.createInteraction();
    await api.put(guid, 'callRecording', randomBytes(1000), { contentType: 'audio/wav' });
    // An upload in flight on A, whose node will die with it.
    const slow = api.slowPut(guid, 'transcript', {
      declaredLength: 1_000_000,
      chunk: Buffer.alloc(1000, 7),
      everyMs: 20,
      type: 'transcript',
    });
    await waitFor('the slow upload to be under way', () => slow.sent() > 5000);
    void api.deleteBatch([guid]).catch(() => undefined);
    const onB = api.at(b.url);
    await waitFor(
      'the batch on A to hold the lock',
      async () => (await onB.deleteBatch([guid])).status === 429,
    );
    a.child.kill('SIGKILL');
    await a.exited;
    slow.stop();
    await slow.done;
    // B answers 429 until A's heartbeat is 3 s old, then takes the lock.
    const killedAt = Date.now();
    await waitFor('the lock to be free', async () => (await onB.deleteBatch([guid])).status === 200, 20_000);
    assert.ok(Date.now() - killedAt < 15_000, 'freed within the heartbeat timeout (plus one beat)');
    assert.equal(await onB.interactionStatus(guid), 404);
    // B's reaper released A's upload intent; the purge job erased it.
    const env2 = { ICS_DATA_DIR: dirs[1], ...env };
    await waitFor(
      "the dead node's intent to be purged",
      async () => {
        const res = await runCli(['verify', '--json'], env2);
        return res.code === 0 && JSON.parse(res.stdout).leftovers.inFlight === 0;
      },
      20_000,
    );
  });
});
