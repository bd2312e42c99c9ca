import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { bootstrapToken, freePort, ROOT, startServerProcess } from '../helpers/cli.js';

// Issue 9 item 11, with real processes: SIGTERM drains for the grace period, names what it had to
// cut, and exits 0; `npm start` passes the signal on to the server.

const V3 = 'application/vnd.newvoicemedia.v3+json';

async function tempDir(t: { after(fn: () => Promise<void>): void }, name: string) {
  const dir = await mkdtemp(join(tmpdir(), name));
  t.after(() => rm(dir, { recursive: true, force: true }));
  return dir;
}

async function newInteraction(url: string, token: string): Promise<string> {
  const res = await fetch(`${url}/interaction-content/interactions`, {
    method: 'POST',
    headers: { authorization: `Bearer ${token}`, accept: V3, 'content-type': 'application/json' },
    body: JSON.stringify({
      start: new Date().toISOString(),
      connectFrom: '1',
      connectTo: '2',
      direction: 'inbound',
      handlingAgents: [],
    }),
  });
  return ((await res.json()) as { guid: string }).guid;
}

test('SIGTERM lets a request in flight finish within the grace, then exits 0', async (t) => {
  const dir = await tempDir(t, 'ics-drain-');
  // A delete-batch holds its lock for 1.5 s (test-only pause): it is in flight when SIGTERM comes.
  const server = await startServerProcess({
    ICS_DATA_DIR: dir,
    ICS_SHUTDOWN_GRACE_SECONDS: '20',
    ICS_LOG_LEVEL: 'info',
    ICS_TEST_FAULTS: 'batch.locked@pause=1500',
  });
  t.after(() => server.stop());
  const token = await bootstrapToken(server.url, dir);
  const batch = fetch(`${server.url}/interaction-content/interactions/delete-batch`, {
    method: 'POST',
    headers: { authorization: `Bearer ${token}`, accept: V3, 'content-type': 'application/json' },
    body: JSON.stringify({ guids: ['0e2bd9a2-9f3f-4a39-9d5b-5a1c3b8e8f10'] }),
  });
  await new Promise((r) => setTimeout(r, 500));
  server.child.kill('SIGTERM');
  const res = await batch;
  assert.equal(res.status, 200, 'the request in flight was answered');
  assert.deepEqual(await res.json(), { failures: [] });
  assert.equal(await server.exited, 0);
  assert.match(server.output(), /"signal":"SIGTERM".*"inFlight":1/);
  assert.doesNotMatch(server.output(), /cutting/);
});

test('past the grace, SIGTERM cuts what still runs, names it in the log, and exits 0', async (t) => {
  const dir = await tempDir(t, 'ics-cut-');
  const server = await startServerProcess({
    ICS_DATA_DIR: dir,
    ICS_SHUTDOWN_GRACE_SECONDS: '1',
    ICS_LOG_LEVEL: 'info',
  });
  t.after(() => server.stop());
  const token = await bootstrapToken(server.url, dir);
  const guid = await newInteraction(server.url, token);
  // An upload that sends part of its body and then waits (well inside the body timeout).
  const port = new URL(server.url).port;
  const socket = connect(Number(port), '127.0.0.1');
  socket.on('error', () => undefined);
  const path = `/interaction-content/interactions/${guid}/content/callRecording`;
  socket.write(
    `PUT ${path} HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${token}\r\nAccept: ${V3}\r\n` +
      'Content-Type: audio/wav\r\nContent-Length: 1000000\r\n\r\n',
  );
  socket.write(Buffer.alloc(1000, 1));
  await new Promise((r) => setTimeout(r, 500));
  server.child.kill('SIGTERM');
  assert.equal(await server.exited, 0);
  const out = server.output();
  assert.match(out, /shutdown grace of 1 s is over; cutting 1 request/);
  assert.ok(out.includes(`"method":"PUT","path":"${path}"`), out);
  socket.destroy();
});

test('npm start passes SIGTERM on: the server stops with it', async (t) => {
  const dir = await tempDir(t, 'ics-npm-');
  const port = await freePort();
  const npm = spawn('npm', ['start'], {
    cwd: ROOT,
    env: { ...process.env, ICS_DATA_DIR: dir, PORT: String(port), ICS_LOG_LEVEL: 'warn' },
    stdio: 'ignore',
  });
  const npmExited = new Promise<number | string>((resolve) =>
    npm.on('exit', (code, sig) => resolve(sig ?? code ?? -1)),
  );
  t.after(() => {
    npm.kill('SIGKILL');
  });
  const healthy = async () => {
    try {
      return (await fetch(`http://127.0.0.1:${port}/healthz`)).ok;
    } catch {
      return false;
    }
  };
  for (let i = 0; i < 300 && !(await healthy()); i++) await new Promise((r) => setTimeout(r, 100));
  assert.equal(await healthy(), true, 'the server came up under npm start');
  npm.kill('SIGTERM'); // what a container runtime or a supervisor does to the process it started
  assert.equal(await npmExited, 0);
  let up = true;
  for (let i = 0; i < 100 && up; i++) {
    up = await healthy();
    if (up) await new Promise((r) => setTimeout(r, 100));
  }
  assert.equal(up, false, 'the server stopped too; it did not stay behind');
});
