// The marker search: content and metadata carry unique markers; once a deletion has answered, no byte
// sequence of any marker may remain in any file under the data directory — blob files, blobs/.tmp,
// the SQLite database and its -wal and -shm files — searched as raw bytes, not just as text.
import assert from 'node:assert/strict';
import { randomBytes, randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { type ServerProcess, startServerProcess } from '../helpers/cli.js';
import { Api, dataDirFor, findBytes, newMarker, START_TIMEOUT_MS, serve, wav } from './helpers.js';

type Marker = ReturnType<typeof newMarker>;

/** The needles a marker leaves: its text (as ASCII and as UTF-16LE) and the raw bytes it spells. */
const needles = (...markers: Marker[]) =>
  markers.flatMap((m) => [Buffer.from(m.text, 'latin1'), Buffer.from(m.text, 'utf16le'), m.raw]);

interface Seeded {
  guid: string;
  /** In the JSON transcript, as text. */
  transcript: Marker;
  /** In the WAV samples, as raw bytes and as text. */
  recording: Marker;
  /** In the interaction's connectFrom address. */
  address: Marker;
}

async function seed(api: Api): Promise<Seeded> {
  const s = { transcript: newMarker(), recording: newMarker(), address: newMarker() };
  const guid = await api.createInteraction({ connectFrom: `+44${s.address.text}` });
  const turns = Array.from({ length: 40 }, (_, i) => ({
    speaker: i % 2 ? 'agent' : 'caller',
    text: `my reference is ${s.transcript.text}`,
  }));
  await api.put(guid, 'transcript', Buffer.from(JSON.stringify({ turns })), {
    contentType: 'application/json',
  });
  const samples = Buffer.concat(
    Array.from({ length: 64 }, () =>
      Buffer.concat([randomBytes(200), s.recording.raw, Buffer.from(s.recording.text)]),
    ),
  );
  await api.put(guid, 'callRecording', wav(samples), { contentType: 'audio/wav' });
  return { guid, ...s };
}

/** A positive control: the scan does see the markers while the data exists. */
async function assertFound(dataDir: string, markers: Marker[], where: RegExp) {
  const hits = await findBytes(dataDir, needles(...markers));
  assert.ok(
    hits.some((h) => where.test(h)),
    `expected the markers under ${where}, found: ${hits.join(', ') || 'nothing'}`,
  );
}

async function assertGone(dataDir: string, markers: Marker[], what: string) {
  const hits = await findBytes(dataDir, needles(...markers));
  assert.deepEqual(hits, [], `${what}: marker bytes remain in ${hits.join(', ')}`);
}

describe('erasure: after a deletion answers, its bytes are nowhere under the data directory', () => {
  let dataDir: string;
  let server: ServerProcess;
  let api: Api;

  before(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'ics-erasure-'));
    server = await startServerProcess({ ICS_DATA_DIR: dataDir }, { timeoutMs: START_TIMEOUT_MS });
    api = await Api.connect(server.url, dataDir);
  });

  after(async () => {
    await server.stop();
    await rm(dataDir, { recursive: true, force: true });
  });

  test("DELETE content: each file's bytes are gone once its DELETE has answered", async () => {
    const s = await seed(api);
    await assertFound(dataDir, [s.transcript, s.recording], /^blobs\//);

    assert.equal((await api.deleteContent(s.guid, 'transcript')).status, 204);
    await assertGone(dataDir, [s.transcript], 'after DELETE transcript');
    assert.equal((await api.deleteContent(s.guid, 'callRecording')).status, 204);
    await assertGone(dataDir, [s.recording], 'after DELETE callRecording');
    // The interaction itself still exists (until deleted), so its address legitimately remains.
  });

  test("DELETE interaction: the content and the interaction's address are gone", async () => {
    const s = await seed(api);
    await assertFound(dataDir, [s.address], /^ics\.sqlite/);

    assert.equal((await api.deleteInteraction(s.guid)).status, 200);
    await assertGone(dataDir, [s.transcript, s.recording], 'after DELETE interaction (content)');
    await assertGone(dataDir, [s.address], 'after DELETE interaction (connectFrom)');
    assert.ok(
      !JSON.stringify(await api.audit()).includes(s.address.text),
      'the ledger never holds addresses',
    );
  });

  test("replacing content: the old row's personal data is scrubbed like a deletion's", async () => {
    const agent = newMarker();
    const guid = await api.createInteraction();
    const key = randomUUID();
    const put = (query: string) =>
      api.fetch(`/interaction-content/interactions/${guid}/content/${key}?type=voicemail&${query}`, {
        method: 'PUT',
        headers: { 'content-type': 'audio/wav' },
        body: wav(randomBytes(500)),
      });
    assert.equal((await put(`owningAgentId=${agent.text}`)).status, 201);
    await assertFound(dataDir, [agent], /^ics\.sqlite/);
    assert.equal((await put('owningAgentId=someone-else')).status, 200);
    await assertGone(dataDir, [agent], 'after replacing the voicemail');
  });

  test('delete-batch: the content and the addresses of every deleted interaction are gone', async () => {
    const a = await seed(api);
    const b = await seed(api);
    const res = await api.deleteBatch([a.guid, b.guid]);
    assert.equal(res.status, 200);
    assert.deepEqual(await res.json(), { failures: [] });
    await assertGone(
      dataDir,
      [a.transcript, a.recording, b.transcript, b.recording],
      'after delete-batch (content)',
    );
    await assertGone(dataDir, [a.address, b.address], 'after delete-batch (connectFrom)');
  });
});

test('a DELETE interaction killed after its commit (delete.after-commit): after restart recovery its bytes are nowhere', async (t) => {
  const dataDir = await dataDirFor(t);
  const faulty = await serve(t, dataDir, { ICS_TEST_FAULTS: 'delete.after-commit' });
  const s = await seed(await Api.connect(faulty.url, dataDir));
  await assertFound(dataDir, [s.address], /^ics\.sqlite/);
  const api = await Api.connect(faulty.url, dataDir);
  await assert.rejects(api.deleteInteraction(s.guid), 'the server dies before answering');
  assert.equal(await faulty.exited, 'SIGKILL');

  const server = await serve(t, dataDir);
  assert.equal(await api.at(server.url).interactionStatus(s.guid), 404);
  await assertGone(dataDir, [s.transcript, s.recording], 'after recovery (content)');
  await assertGone(dataDir, [s.address], 'after recovery (connectFrom)');
});
