import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { readdir } from 'node:fs/promises';
import { connect } from 'node:net';
import { join } from 'node:path';
import { test } from 'node:test';
import { buildTestApp, type TestApp, V3 } from '../helpers/app.js';
import { describeBackends } from '../helpers/backends.js';

const url = (guid: string, key: string, q = '') =>
  `/interaction-content/interactions/${guid}/content/${key}${q}`;

async function files(dir: string): Promise<string[]> {
  const out: string[] = [];
  for (const e of await readdir(dir, { withFileTypes: true, recursive: true }))
    if (e.isFile()) out.push(join(e.parentPath ?? (e as unknown as { path: string }).path, e.name));
  return out;
}

/** Every blob in the store (files or objects), whatever the backend. */
async function blobFiles(h: TestApp): Promise<string[]> {
  const keys: string[] = [];
  for await (const b of h.deps.blobs.list()) keys.push(b.key);
  return keys.sort();
}

describeBackends('content upload (PUT)', (backend) => {
  test('201 on create, 200 on replace; the old bytes are gone and the ledger records the replacement', async (t) => {
    const h = await buildTestApp(t, { backend });
    const bearer = await h.token();
    const guid = await h.seed(bearer, { files: [] });
    const put = (body: string, headers: Record<string, string> = {}) =>
      h.app.inject({
        method: 'PUT',
        url: url(guid, 'transcript'),
        headers: {
          authorization: `Bearer ${bearer}`,
          accept: V3,
          'content-type': 'application/json',
          ...headers,
        },
        payload: body,
      });

    const first = await put('{"v":1}');
    assert.equal(first.statusCode, 201);
    assert.equal(first.json().contentKey, 'transcript');
    assert.equal(first.json().type, 'transcript');
    assert.equal(first.json().contentLength, 7);
    const before = await blobFiles(h);
    assert.equal(before.length, 1);

    const second = await put('{"v":22}');
    assert.equal(second.statusCode, 200);
    assert.equal(second.json().contentLength, 8);
    const after = await blobFiles(h);
    assert.equal(after.length, 1);
    assert.notEqual(after[0], before[0], 'a replacement gets a fresh immutable key');

    const got = await h.app.inject({
      method: 'GET',
      url: url(guid, 'transcript'),
      headers: { authorization: `Bearer ${bearer}` },
    });
    assert.equal(got.body, '{"v":22}');
    assert.equal(got.headers.etag, `"${createHash('sha256').update('{"v":22}').digest('hex')}"`);
  });

  test('bad uploads get 4xx and change nothing', async (t) => {
    const h = await buildTestApp(t, { backend, env: { ICS_MAX_UPLOAD_BYTES: '1000' } });
    const bearer = await h.token();
    const guid = await h.seed(bearer, {
      files: [{ key: 'callRecording', body: 'original', contentType: 'audio/wav' }],
    });
    const before = await blobFiles(h);
    const put = (key: string, q: string, body: string | Buffer, headers: Record<string, string> = {}) =>
      h.app.inject({
        method: 'PUT',
        url: url(guid, key, q),
        headers: { authorization: `Bearer ${bearer}`, accept: V3, 'content-type': 'audio/wav', ...headers },
        payload: body,
      });

    const cases: [string, string, string | Buffer, number, string][] = [
      ['callRecording', '', Buffer.alloc(1001), 413, 'payload_too_large'],
      ['0f8fad5b-d9cb-469f-a165-70867728950e', '', 'x', 400, 'invalid_type'],
      ['0f8fad5b-d9cb-469f-a165-70867728950e', '?type=hologram', 'x', 400, 'invalid_type'],
      ['0f8fad5b-d9cb-469f-a165-70867728950e', '?type=callRecording', 'x', 400, 'invalid_type'],
      ['callRecording', '?type=voicemail', 'x', 400, 'invalid_type'],
      ['chatTranscript', '?type=chatTranscript', 'x', 400, 'invalid_content_key'],
      ['voicemail-agent-1', '?type=attachment', 'x', 400, 'invalid_type'],
    ];
    for (const [key, q, body, status, code] of cases) {
      const res = await put(key, q, body);
      assert.equal(res.statusCode, status, `${key}${q}: ${res.body}`);
      assert.equal(res.json().code, code);
    }
    const badType = await put('callRecording', '', 'x', { 'content-type': 'not a media type' });
    assert.equal(badType.statusCode, 415);
    const unknownGuid = await put('callRecording', '', 'x');
    assert.equal(unknownGuid.statusCode, 200, 'control: a good replace works');
    const missing = await h.app.inject({
      method: 'PUT',
      url: url('7d1e6f52-4b0a-4c8e-9a43-1f2b3c4d5e6f', 'callRecording'),
      headers: { authorization: `Bearer ${bearer}`, accept: V3, 'content-type': 'audio/wav' },
      payload: 'x',
    });
    assert.equal(missing.statusCode, 404);
    // Its upload intent committed while the interaction was looked up, and is removed again.
    assert.deepEqual(await h.deps.store.listPurge({ kind: 'upload-intent', limit: 10 }), []);
    assert.equal((await blobFiles(h)).length, before.length);
    if (backend === 'sqlite-fs')
      assert.deepEqual(await files(join(h.dataDir, 'blobs', '.tmp')).catch(() => []), []);
  });

  test('a streamed upload over the limit without Content-Length gets 413 and leaves nothing', async (t) => {
    const h = await buildTestApp(t, { backend, env: { ICS_MAX_UPLOAD_BYTES: '100000' } });
    const bearer = await h.token();
    const guid = await h.seed(bearer, { files: [] });
    await h.app.listen({ port: 0, host: '127.0.0.1' });
    const { port } = h.app.server.address() as { port: number };
    async function* chunks() {
      for (let i = 0; i < 50; i++) yield Buffer.alloc(10_000, i);
    }
    const res = await fetch(`http://127.0.0.1:${port}${url(guid, 'callRecording')}`, {
      method: 'PUT',
      headers: { authorization: `Bearer ${bearer}`, accept: V3, 'content-type': 'audio/wav' },
      body: ReadableStream.from(chunks()),
      duplex: 'half',
    } as RequestInit).catch((err) => ({ status: -1, err }));
    assert.equal((res as Response).status, 413);
    assert.deepEqual(await blobFiles(h), []);
  });

  test('a truncated upload (client disconnects early) leaves no file, no row, and the old content intact', async (t) => {
    const h = await buildTestApp(t, { backend });
    const bearer = await h.token();
    const guid = await h.seed(bearer, {
      files: [{ key: 'callRecording', body: 'original', contentType: 'audio/wav' }],
    });
    const before = await blobFiles(h);
    await h.app.listen({ port: 0, host: '127.0.0.1' });
    const { port } = h.app.server.address() as { port: number };
    await new Promise<void>((resolve, reject) => {
      const socket = connect(port, '127.0.0.1', () => {
        socket.write(
          `PUT ${url(guid, 'callRecording')} HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${bearer}\r\nAccept: ${V3}\r\n` +
            'Content-Type: audio/wav\r\nContent-Length: 1000000\r\n\r\n',
        );
        socket.write(Buffer.alloc(300_000, 7), () => setTimeout(() => socket.destroy(), 200));
      });
      socket.on('close', () => resolve());
      socket.on('error', reject);
    });
    // Let the server notice and clean up.
    for (let i = 0; i < 50 && (await blobFiles(h)).length !== before.length; i++)
      await new Promise((r) => setTimeout(r, 50));
    await new Promise((r) => setTimeout(r, 200));
    assert.deepEqual(await blobFiles(h), before);
    const got = await h.app.inject({
      method: 'GET',
      url: url(guid, 'callRecording'),
      headers: { authorization: `Bearer ${bearer}` },
    });
    assert.equal(got.body, 'original');
    assert.equal(await h.deps.store.countPurge(), 0, 'the upload intent was cleared');
  });
});
