// Issue 9, item 6: `ics verify` beside a live server under replace and delete load reports nothing
// that is not damage; its exit codes tell damage (1) from "could not run" (2); `ics audit verify`
// on an account without a ledger says so and succeeds.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { test } from 'node:test';
import { Api, blobFiles, cli, dataDirFor, serve, verifyJson } from '../deletion/helpers.js';

test('verify beside a server under replace/delete load never reports in-flight work as damage', async (t) => {
  const dataDir = await dataDirFor(t);
  const server = await serve(t, dataDir);
  const api = await Api.connect(server.url, dataDir);
  const guids: string[] = [];
  for (let i = 0; i < 6; i++) {
    const guid = await api.createInteraction();
    await api.put(guid, 'callRecording', randomBytes(300_000), { contentType: 'audio/wav' });
    guids.push(guid);
  }
  let stop = false;
  let operations = 0;
  const load = (async () => {
    for (let i = 0; !stop; i++) {
      const guid = guids[i % guids.length];
      // Replace the recording, add and delete a transcript: rows and blobs change under verify.
      await api.put(guid, 'callRecording', randomBytes(200_000 + (i % 7) * 10_000), {
        contentType: 'audio/wav',
      });
      await api.put(guid, 'transcript', Buffer.from(JSON.stringify({ i })), {
        contentType: 'application/json',
        type: 'transcript',
      });
      const del = await api.deleteContent(guid, 'transcript');
      assert.equal(del.status, 204);
      operations += 3;
    }
  })();
  try {
    for (let run = 0; run < 6; run++) {
      const { code, report } = await verifyJson(dataDir);
      assert.equal(code, 0, `run ${run}: ${JSON.stringify(report.findings)}`);
      assert.deepEqual(report.findings, []);
    }
  } finally {
    stop = true;
    await load;
  }
  assert.ok(operations > 30, `the load ran (${operations} operations)`);
});

test('exit codes: 1 for damage, 2 when verify cannot run; audit verify of an empty account succeeds', async (t) => {
  const dataDir = await dataDirFor(t);
  const server = await serve(t, dataDir);
  const api = await Api.connect(server.url, dataDir);
  const guid = await api.createInteraction();
  await api.put(guid, 'callRecording', randomBytes(1000), { contentType: 'audio/wav' });
  const [blob] = await blobFiles(dataDir);
  await rm(join(dataDir, 'blobs', blob));
  const damaged = await verifyJson(dataDir);
  assert.equal(damaged.code, 1);
  assert.equal(damaged.report.missing, 1);

  const broken = await cli(dataDir, ['verify']);
  assert.equal(broken.code, 1);
  const cannot = await cli(join(dataDir, 'ics.sqlite'), ['verify']); // a file where a directory belongs
  assert.equal(cannot.code, 2, cannot.stdout + cannot.stderr);
  assert.match(cannot.stderr, /^ics verify: could not run: /);

  const empty = await cli(dataDir, ['audit', 'verify', '--account', 'nobody']);
  assert.equal(empty.code, 0, empty.stdout + empty.stderr);
  assert.equal(empty.stdout.trim(), 'account nobody: no ledger entries');
});
