import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { request } from 'node:http';
import { test } from 'node:test';
import { buildTestApp, V3 } from '../helpers/app.js';
import { describeBackends } from '../helpers/backends.js';

const url = (guid: string, key: string) => `/interaction-content/interactions/${guid}/content/${key}`;

describeBackends('content: download, HEAD, Range and validators', (backend) => {
  test('GET serves the bytes with VCC headers; Range, If-None-Match and If-Range work', async (t) => {
    const { app, token, seed } = await buildTestApp(t, { backend });
    const bearer = await token();
    const bytes = randomBytes(100_000);
    const guid = await seed(bearer, {
      files: [{ key: 'callRecording', body: bytes, contentType: 'audio/wav' }],
    });
    const get = (key: string, headers: Record<string, string> = {}, method: 'GET' | 'HEAD' = 'GET') =>
      app.inject({
        method,
        url: url(guid, key),
        headers: { authorization: `Bearer ${bearer}`, accept: V3, ...headers },
      });

    const full = await get('callRecording');
    assert.equal(full.statusCode, 200);
    assert.deepEqual(full.rawPayload, bytes);
    assert.equal(full.headers['content-type'], 'audio/wav');
    assert.equal(full.headers['content-length'], '100000');
    assert.equal(full.headers['accept-ranges'], 'bytes');
    const etag = `"${createHash('sha256').update(bytes).digest('hex')}"`;
    assert.equal(full.headers.etag, etag);
    assert.ok(full.headers['last-modified']);
    assert.equal(full.headers['x-content-type-options'], 'nosniff');

    // Named keys match case-insensitively (VCC's own examples use lower case).
    assert.equal((await get('callrecording')).statusCode, 200);
    assert.equal((await get('CALLRECORDING')).statusCode, 200);

    const cases: [string, number, number][] = [
      ['bytes=0-99', 0, 99],
      ['bytes=99990-', 99990, 99999],
      ['bytes=-10', 99990, 99999],
      ['bytes=50000-200000', 50000, 99999],
      ['bytes=-200000', 0, 99999],
    ];
    for (const [range, start, end] of cases) {
      const res = await get('callRecording', { range });
      assert.equal(res.statusCode, 206, range);
      assert.equal(res.headers['content-range'], `bytes ${start}-${end}/100000`);
      assert.equal(res.headers['content-length'], String(end - start + 1));
      assert.deepEqual(res.rawPayload, bytes.subarray(start, end + 1), range);
    }
    for (const range of ['bytes=100000-', 'bytes=200000-300000', 'bytes=-0']) {
      const res = await get('callRecording', { range });
      assert.equal(res.statusCode, 416, range);
      assert.equal(res.headers['content-range'], 'bytes */100000');
    }
    for (const range of ['bytes=0-1,5-9', 'bytes=9-1', 'items=0-1', 'bytes=abc']) {
      const res = await get('callRecording', { range });
      assert.equal(res.statusCode, 200, range);
      assert.equal(res.rawPayload.length, 100000);
    }

    assert.equal((await get('callRecording', { 'if-none-match': etag })).statusCode, 304);
    assert.equal((await get('callRecording', { 'if-none-match': '"other"' })).statusCode, 200);
    assert.equal((await get('callRecording', { range: 'bytes=0-9', 'if-range': etag })).statusCode, 206);
    assert.equal((await get('callRecording', { range: 'bytes=0-9', 'if-range': '"stale"' })).statusCode, 200);

    const head = await get('callRecording', {}, 'HEAD');
    assert.equal(head.statusCode, 200);
    assert.equal(head.headers['content-length'], '100000');
    assert.equal(head.headers.etag, etag);
    assert.equal(head.rawPayload.length, 0);
    const headRange = await get('callRecording', { range: 'bytes=10-19' }, 'HEAD');
    assert.equal(headRange.statusCode, 206);
    assert.equal(headRange.headers['content-length'], '10');

    assert.equal((await get('transcript')).statusCode, 404);
    assert.equal((await get('transcript')).json().code, 'content_not_found');
  });

  test('content keys: bad characters, length, traversal and NUL give 400', async (t) => {
    const { app, token, seed } = await buildTestApp(t, { backend });
    const bearer = await token();
    const guid = await seed(bearer);
    for (const key of [
      'a'.repeat(37),
      'semi%3Bcolon',
      '..%2F..%2Fetc%2Fpasswd',
      'a%00b',
      'sp%20ace',
      '%2Fabs',
      'caf%C3%A9',
    ]) {
      for (const method of ['GET', 'DELETE', 'PUT'] as const) {
        const res = await app.inject({
          method,
          url: url(guid, key),
          headers: { authorization: `Bearer ${bearer}`, accept: V3, 'content-type': 'text/plain' },
          ...(method === 'PUT' && { payload: 'x' }),
        });
        assert.equal(res.statusCode, 400, `${method} ${key}: ${res.body}`);
        assert.equal(res.json().code, 'invalid_content_key');
      }
    }
    // Dot segments never reach the router through inject (its URL parser resolves them), so send them
    // over a real socket, where the path arrives byte for byte.
    await app.listen({ port: 0, host: '127.0.0.1' });
    const { port } = app.server.address() as { port: number };
    for (const key of ['..', '%2E%2E', '.', '..%2F..%2Fblobs']) {
      const status = await new Promise<number>((resolve, reject) => {
        const req = request(
          {
            host: '127.0.0.1',
            port,
            method: 'DELETE',
            path: url(guid, key),
            headers: { authorization: `Bearer ${bearer}`, accept: V3 },
          },
          (res) => {
            res.resume();
            resolve(res.statusCode ?? 0);
          },
        );
        req.on('error', reject);
        req.end();
      });
      assert.equal(status, 400, key);
    }
    // Still there.
    const ok = await app.inject({
      method: 'GET',
      url: url(guid, 'callRecording'),
      headers: { authorization: `Bearer ${bearer}` },
    });
    assert.equal(ok.statusCode, 200);
  });

  test('unique ids, legacy voicemail keys and type-name keys', async (t) => {
    const { app, api, token, seed } = await buildTestApp(t, { backend });
    const bearer = await token();
    const vm = '0f8fad5b-d9cb-469f-a165-70867728950e';
    const chat1 = '9b2f3c4d-0000-4000-8000-000000000001';
    const chat2 = '9b2f3c4d-0000-4000-8000-000000000002';
    const guid = await seed(bearer, {
      files: [
        { key: 'callRecording', body: 'wav', contentType: 'audio/wav' },
        {
          key: vm.toUpperCase(),
          body: 'voicemail',
          contentType: 'audio/wav',
          type: 'voicemail',
          owningAgentId: 'agent-7',
        },
        { key: chat1, body: '{"m":1}', contentType: 'application/json', type: 'chatTranscript' },
        { key: 'att-1', body: 'pdf', contentType: 'application/pdf', type: 'attachment' },
      ],
    });
    const get = (key: string) =>
      app.inject({ method: 'GET', url: url(guid, key), headers: { authorization: `Bearer ${bearer}` } });
    assert.equal((await get(vm)).body, 'voicemail');
    assert.equal((await get(vm.toUpperCase())).body, 'voicemail');
    assert.equal((await get('voicemail-agent-7')).body, 'voicemail');
    assert.equal((await get('voicemail-agent-8')).statusCode, 404);
    assert.equal((await get('chatTranscript')).body, '{"m":1}');
    assert.equal((await get('ATTACHMENT')).body, 'pdf');
    assert.match((await get('att-1')).headers['content-disposition'] as string, /^attachment; filename=/);

    const listed = (
      await api({ method: 'GET', url: `/interaction-content/interactions/${guid}`, token: bearer })
    ).json();
    const voicemail = listed.content.find((c: { type: string }) => c.type === 'voicemail');
    assert.deepEqual(voicemail.owningAgent, { id: 'agent-7' });
    assert.equal(voicemail.contentKey, vm);

    // Two chat transcripts: the type-name key is ambiguous on GET, and names the ids to use.
    const up = await app.inject({
      method: 'PUT',
      url: `${url(guid, chat2)}?type=chatTranscript`,
      headers: { authorization: `Bearer ${bearer}`, accept: V3, 'content-type': 'application/json' },
      payload: '{"m":2}',
    });
    assert.equal(up.statusCode, 201);
    const ambiguous = await get('chatTranscript');
    assert.equal(ambiguous.statusCode, 400);
    assert.match(ambiguous.json().message, new RegExp(`${chat1}.*${chat2}`));
  });
});
