import assert from 'node:assert/strict';
import { connect, type Socket } from 'node:net';
import { test } from 'node:test';
import { buildTestApp, type TestApp, V3 } from '../helpers/app.js';

// Issue 9 item 10 over real sockets: stalled headers, stalled bodies, slow answers and idle
// connections are cut, and an upload cut for silence leaves nothing behind. The timeouts are set
// to a second so that the tests wait seconds, not minutes; each wait has a generous deadline.

const FAST = {
  ICS_HEADERS_TIMEOUT_SECONDS: '1',
  ICS_BODY_TIMEOUT_SECONDS: '1',
  ICS_REQUEST_TIMEOUT_SECONDS: '1',
  ICS_KEEP_ALIVE_TIMEOUT_SECONDS: '1',
  ICS_IDLE_TIMEOUT_SECONDS: '3',
};

async function listen(h: TestApp): Promise<number> {
  await h.app.listen({ port: 0, host: '127.0.0.1' });
  return (h.app.server.address() as { port: number }).port;
}

/** A raw connection that records what the server sends and when it closes. */
function open(port: number) {
  const socket: Socket = connect(port, '127.0.0.1');
  let received = '';
  socket.on('data', (d) => (received += d));
  socket.on('error', () => undefined);
  const closed = new Promise<void>((resolve) => socket.on('close', () => resolve()));
  return {
    socket,
    received: () => received,
    /** Resolves true when the server closed the connection within `ms`, false otherwise. */
    closedWithin: (ms: number) =>
      Promise.race([closed.then(() => true), new Promise<boolean>((r) => setTimeout(() => r(false), ms))]),
  };
}

const body = (raw: string) => JSON.parse(raw.slice(raw.indexOf('\r\n\r\n') + 4));

test('headers that do not arrive in time get 408 in the house shape, then the connection is closed', async (t) => {
  const h = await buildTestApp(t, { env: FAST });
  const port = await listen(h);
  const partial = open(port);
  partial.socket.write('GET /healthz HTTP/1.1\r\nHost: x\r\n'); // ... and never the blank line
  const silent = open(port); // sends nothing at all
  assert.equal(await partial.closedWithin(15_000), true, 'a connection with half its headers is cut');
  assert.match(partial.received(), /^HTTP\/1\.1 408 /);
  assert.deepEqual(body(partial.received()), {
    message: 'The request headers did not arrive in time',
    code: 'request_timeout',
  });
  assert.equal(await silent.closedWithin(15_000), true, 'so is one that never sends a byte');
});

test('an upload whose body goes silent is cut and cleaned up; the old content stays', async (t) => {
  const h = await buildTestApp(t, { env: FAST });
  const bearer = await h.token();
  const guid = await h.seed(bearer, {
    files: [{ key: 'callRecording', body: 'original', contentType: 'audio/wav' }],
  });
  const blobsBefore: string[] = [];
  for await (const b of h.deps.blobs.list()) blobsBefore.push(b.key);
  const port = await listen(h);

  const upload = open(port);
  upload.socket.write(
    `PUT /interaction-content/interactions/${guid}/content/callRecording HTTP/1.1\r\nHost: x\r\n` +
      `Authorization: Bearer ${bearer}\r\nAccept: ${V3}\r\nContent-Type: audio/wav\r\nContent-Length: 1000000\r\n\r\n`,
  );
  upload.socket.write(Buffer.alloc(300_000, 7)); // then nothing, with the connection held open
  assert.equal(await upload.closedWithin(15_000), true, 'the silent upload was cut');

  // Cleanup runs as for a client that went away: no blob, no intent, the old bytes served.
  let pending = -1;
  for (let i = 0; i < 100 && pending !== 0; i++) {
    pending = await h.deps.store.countPurge();
    if (pending !== 0) await new Promise((r) => setTimeout(r, 50));
  }
  assert.equal(pending, 0, 'the upload intent was removed');
  const blobsAfter: string[] = [];
  for await (const b of h.deps.blobs.list()) blobsAfter.push(b.key);
  assert.deepEqual(blobsAfter, blobsBefore);
  const got = await h.api({
    method: 'GET',
    url: `/interaction-content/interactions/${guid}/content/callRecording`,
    token: bearer,
  });
  assert.equal(got.body, 'original');
});

test('a JSON body that stalls is cut too', async (t) => {
  const h = await buildTestApp(t, { env: FAST });
  const bearer = await h.token();
  const port = await listen(h);
  const post = open(port);
  post.socket.write(
    `POST /interaction-content/interactions HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${bearer}\r\n` +
      `Accept: ${V3}\r\nContent-Type: application/json\r\nContent-Length: 200\r\n\r\n{"start":`,
  );
  assert.equal(await post.closedWithin(15_000), true);
});

test('an answer that takes longer than the request timeout is a 503 in the house shape', async (t) => {
  // The delete-batch pauses for 3 s once it holds its lock (a test-only fault point).
  const h = await buildTestApp(t, { env: { ...FAST, ICS_TEST_FAULTS: 'batch.locked@pause=3000' } });
  const bearer = await h.token();
  const port = await listen(h);
  const res = await fetch(`http://127.0.0.1:${port}/interaction-content/interactions/delete-batch`, {
    method: 'POST',
    headers: { authorization: `Bearer ${bearer}`, accept: V3, 'content-type': 'application/json' },
    body: JSON.stringify({ guids: ['0e2bd9a2-9f3f-4a39-9d5b-5a1c3b8e8f10'] }),
  });
  assert.equal(res.status, 503);
  assert.deepEqual(await res.json(), {
    message: 'The request took too long to answer; try again shortly',
    code: 'request_timeout',
  });
});

test('an idle keep-alive connection is closed after the keep-alive timeout, not the idle one', async (t) => {
  const h = await buildTestApp(t, { env: { ...FAST, ICS_IDLE_TIMEOUT_SECONDS: '60' } });
  const port = await listen(h);
  const conn = open(port);
  conn.socket.write('GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n');
  assert.equal(await conn.closedWithin(20_000), true);
  assert.match(conn.received(), /^HTTP\/1\.1 200 /);
});

test('a download its client stops reading is cut by the idle timeout', async (t) => {
  // Keep-alive long, so that a download that did finish would keep its connection open.
  const h = await buildTestApp(t, {
    env: { ...FAST, ICS_IDLE_TIMEOUT_SECONDS: '2', ICS_KEEP_ALIVE_TIMEOUT_SECONDS: '120' },
  });
  const bearer = await h.token();
  const big = Buffer.alloc(64 * 1024 * 1024, 1);
  const guid = await h.seed(bearer, {
    files: [{ key: 'callRecording', body: big, contentType: 'audio/wav' }],
  });
  const port = await listen(h);
  const conn = open(port);
  // Reads the response head, then nothing: the server's writes back up and nothing moves.
  const head = new Promise<string>((resolve) =>
    conn.socket.once('data', (d: Buffer) => {
      conn.socket.pause();
      resolve(d.toString('latin1', 0, 20));
    }),
  );
  conn.socket.write(
    `GET /interaction-content/interactions/${guid}/content/callRecording HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${bearer}\r\n\r\n`,
  );
  assert.match(await head, /^HTTP\/1\.1 200 /);
  const connections = () => new Promise<number>((r) => h.app.server.getConnections((_e, n) => r(n)));
  assert.equal(await connections(), 1);
  for (let i = 0; i < 300 && (await connections()) > 0; i++) await new Promise((r) => setTimeout(r, 100));
  // With keep-alive at 120 s, only the idle timeout can have closed it this soon.
  assert.equal(await connections(), 0, 'the server closed the stalled download');
  conn.socket.destroy();
});

test('an account may hold only so many uploads at once; more get 429 until one ends', async (t) => {
  const h = await buildTestApp(t, { env: { ...FAST, ICS_MAX_CONCURRENT_UPLOADS: '2' } });
  const bearer = await h.token();
  const guid = await h.seed(bearer, { files: [] });
  const port = await listen(h);
  const start = (key: string) => {
    const c = open(port);
    c.socket.write(
      `PUT /interaction-content/interactions/${guid}/content/${key} HTTP/1.1\r\nHost: x\r\n` +
        `Authorization: Bearer ${bearer}\r\nAccept: ${V3}\r\nContent-Type: audio/wav\r\nContent-Length: 100000\r\n\r\nxx`,
    );
    return c;
  };
  const a = start('callRecording');
  const b = start('transcript');
  // Wait until both are in flight (their intents are queued).
  for (let i = 0; i < 100 && (await h.deps.store.countPurge()) < 2; i++)
    await new Promise((r) => setTimeout(r, 20));
  const put = (key: string) =>
    fetch(`http://127.0.0.1:${port}/interaction-content/interactions/${guid}/content/${key}`, {
      method: 'PUT',
      headers: { authorization: `Bearer ${bearer}`, accept: V3, 'content-type': 'audio/wav' },
      body: 'third',
    });
  const third = await put('sentimentSummary');
  assert.equal(third.status, 429);
  assert.equal(((await third.json()) as { code: string }).code, 'too_many_uploads');
  assert.ok(Number(third.headers.get('retry-after')) >= 1);
  // Another account is not affected.
  const other = await h.token({ account: 'globex' });
  const otherGuid = await h.seed(other, { files: [] });
  const elsewhere = await fetch(
    `http://127.0.0.1:${port}/interaction-content/interactions/${otherGuid}/content/callRecording`,
    {
      method: 'PUT',
      headers: { authorization: `Bearer ${other}`, accept: V3, 'content-type': 'audio/wav' },
      body: 'fine',
    },
  );
  assert.equal(elsewhere.status, 201);
  // The two stalled uploads are cut for silence; then there is room again.
  assert.equal(await a.closedWithin(15_000), true);
  assert.equal(await b.closedWithin(15_000), true);
  let status = 0;
  for (let i = 0; i < 50 && status !== 201; i++) {
    status = (await put('sentimentSummary')).status;
    if (status !== 201) await new Promise((r) => setTimeout(r, 50));
  }
  assert.equal(status, 201);
});
