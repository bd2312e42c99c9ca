import assert from 'node:assert/strict';
import { connect } from 'node:net';
import { PassThrough } from 'node:stream';
import { test } from 'node:test';
import { buildTestApp, type TestApp, V3 } from '../helpers/app.js';

// Issue 9 items 15 and 17, over real sockets: every error has the {message, code} body, Fastify's
// and Node's own refusals included; JSON answers are no-store and nosniff; a client that goes away
// mid-upload is an info line, not an error with a stack.

async function listen(h: TestApp): Promise<number> {
  await h.app.listen({ port: 0, host: '127.0.0.1' });
  return (h.app.server.address() as { port: number }).port;
}

/** Sends raw bytes, returns everything the server answered until it closed (or 5 s passed). */
function raw(port: number, text: string): Promise<{ status: number; headers: string; body: string }> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1', () => socket.write(text));
    let got = '';
    socket.on('data', (d) => (got += d));
    socket.on('error', () => undefined);
    const done = () => {
      const [head, ...rest] = got.split('\r\n\r\n');
      resolve({
        status: Number(head.split(' ')[1]),
        headers: head.toLowerCase(),
        body: rest.join('\r\n\r\n'),
      });
    };
    socket.on('close', done);
    setTimeout(() => socket.destroy(), 5000);
  });
}

const houseShaped = (body: string) => {
  const parsed = JSON.parse(body);
  assert.equal(typeof parsed.message, 'string', body);
  assert.match(parsed.code, /^[a-z_]+$/, body);
  return parsed;
};

test("Fastify's and Node's own refusals answer {message, code}", async (t) => {
  const h = await buildTestApp(t);
  const port = await listen(h);
  const cases: [string, string, number, string][] = [
    [
      'bad URL encoding',
      'GET /interaction-content/interactions/%E0%A4%A HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n',
      400,
      'invalid_url',
    ],
    [
      'headers too large',
      `GET /healthz HTTP/1.1\r\nHost: x\r\nX-Big: ${'a'.repeat(20_000)}\r\n\r\n`,
      431,
      'headers_too_large',
    ],
    [
      'Content-Length with chunked',
      'POST /Auth/connect/token HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n',
      400,
      'invalid_framing',
    ],
    ['not HTTP at all', 'HELLO THERE\r\n\r\n', 400, 'malformed_request'],
  ];
  for (const [what, request, status, code] of cases) {
    const res = await raw(port, request);
    assert.equal(res.status, status, what);
    assert.equal(houseShaped(res.body).code, code, what);
    assert.match(res.headers, /content-type: application\/json/, what);
    assert.match(res.headers, /x-request-id: /, what);
  }
});

test('the token endpoint answers non-form bodies with invalid_request, in both shapes', async (t) => {
  const h = await buildTestApp(t);
  for (const [type, payload] of [
    ['application/json', '{"grant_type":"client_credentials","client_id":"a","client_secret":"b"}'],
    ['text/plain', 'grant_type=client_credentials'],
    ['multipart/form-data; boundary=x', '--x--'],
  ]) {
    const res = await h.app.inject({
      method: 'POST',
      url: '/Auth/connect/token',
      headers: { 'content-type': type },
      payload,
    });
    assert.equal(res.statusCode, 400, type);
    const body = res.json();
    assert.equal(body.error, 'invalid_request', type);
    assert.equal(body.code, 'invalid_request', type);
    assert.match(body.message, /application\/x-www-form-urlencoded/);
    assert.equal(body.error_description, body.message);
  }
});

test('JSON answers carry Cache-Control: no-store and nosniff; a failed download answers JSON', async (t) => {
  const h = await buildTestApp(t);
  const token = await h.token();
  const guid = await h.seed(token);
  for (const url of [
    `/interaction-content/interactions/${guid}`,
    '/interaction-content/interactions/0e2bd9a2-9f3f-4a39-9d5b-5a1c3b8e8f10',
    '/interaction-content/nowhere',
  ]) {
    const res = await h.api({ method: 'GET', url, token });
    assert.equal(res.headers['cache-control'], 'no-store', url);
    assert.equal(res.headers['x-content-type-options'], 'nosniff', url);
    assert.match(String(res.headers['content-type']), /^application\/json/, url);
  }
  // 416 comes after the download chose its headers: it must still be JSON, not audio/wav.
  const unsatisfiable = await h.api({
    method: 'GET',
    url: `/interaction-content/interactions/${guid}/content/callRecording`,
    token,
    headers: { range: 'bytes=999999-' },
  });
  assert.equal(unsatisfiable.statusCode, 416);
  assert.match(String(unsatisfiable.headers['content-type']), /^application\/json/);
  assert.equal(unsatisfiable.headers['content-disposition'], undefined);
  assert.equal(unsatisfiable.headers['cache-control'], 'no-store');
  assert.equal(houseShaped(unsatisfiable.body).code, 'range_not_satisfiable');
  // The download itself keeps its own cache policy.
  const ok = await h.api({
    method: 'GET',
    url: `/interaction-content/interactions/${guid}/content/callRecording`,
    token,
  });
  assert.equal(ok.headers['cache-control'], 'private, no-cache');
});

test('a client that goes away mid-upload is logged at info, not as an error', async (t) => {
  const logs = new PassThrough();
  const lines: { level: number; msg: string }[] = [];
  logs.on('data', (d: Buffer) => {
    for (const l of d.toString().split('\n').filter(Boolean)) lines.push(JSON.parse(l));
  });
  const h = await buildTestApp(t, { logger: { level: 'info', stream: logs } });
  const bearer = await h.token();
  const guid = await h.seed(bearer, { files: [] });
  const port = await listen(h);
  await new Promise<void>((resolve) => {
    const socket = connect(port, '127.0.0.1', () => {
      socket.write(
        `PUT /interaction-content/interactions/${guid}/content/callRecording HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${bearer}\r\n` +
          `Accept: ${V3}\r\nContent-Type: audio/wav\r\nContent-Length: 1000000\r\n\r\n`,
      );
      socket.write(Buffer.alloc(300_000, 7), () => setTimeout(() => socket.destroy(), 200));
    });
    socket.on('close', () => resolve());
  });
  for (let i = 0; i < 100 && !lines.some((l) => /client went away/.test(l.msg)); i++)
    await new Promise((r) => setTimeout(r, 50));
  assert.ok(
    lines.some((l) => l.level === 30 && /client went away/.test(l.msg)),
    'an info line says so',
  );
  assert.deepEqual(
    lines.filter((l) => l.level >= 50),
    [],
    'no error-level line',
  );
  assert.equal(await h.deps.store.countPurge(), 0, 'and the upload was cleaned up');
});
