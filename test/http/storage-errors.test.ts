import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdir, mkdtemp, readdir, rm } from 'node:fs/promises';
import { Agent, request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { buildTestApp, V3 } from '../helpers/app.js';
import { bootstrapToken, startServerProcess } from '../helpers/cli.js';

// Issue 9 item 17: a full disk and exhausted file descriptors are 503s that say so, produced for
// real: a 1 MiB tmpfs as the blob store, and a server process whose descriptor limit is lowered.

/** A tmpfs of `size` at a fresh directory; undefined (with why) where mounting is not allowed. */
async function smallDisk(
  size: string,
): Promise<{ dir: string; unmount(): Promise<void> } | { skip: string }> {
  if (process.getuid?.() !== 0) return { skip: 'mounting a tmpfs needs root' };
  const dir = await mkdtemp(join(tmpdir(), 'ics-full-'));
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', `size=${size}`, 'tmpfs', dir], { stdio: 'ignore' });
  } catch (err) {
    await rm(dir, { recursive: true, force: true });
    return { skip: `mount -t tmpfs failed here (${(err as Error).message})` };
  }
  return {
    dir,
    async unmount() {
      execFileSync('umount', [dir]);
      await rm(dir, { recursive: true, force: true });
    },
  };
}

const disk = await smallDisk('1m');

test('an upload onto a full disk is a 503 storage_full and leaves nothing behind', {
  skip: 'skip' in disk && disk.skip,
}, async (t) => {
  if ('skip' in disk) return;
  t.after(() => disk.unmount());
  await mkdir(join(disk.dir, 'blobs'));
  const h = await buildTestApp(t, { env: { ICS_BLOB_URL: `file:${join(disk.dir, 'blobs')}` } });
  const bearer = await h.token();
  const guid = await h.seed(bearer, { files: [] });
  const res = await h.app.inject({
    method: 'PUT',
    url: `/interaction-content/interactions/${guid}/content/callRecording`,
    headers: { authorization: `Bearer ${bearer}`, accept: V3, 'content-type': 'audio/wav' },
    payload: Buffer.alloc(2 * 1024 * 1024, 1),
  });
  assert.equal(res.statusCode, 503);
  assert.deepEqual(res.json(), {
    message: 'Storage is full; nothing was stored. Try again once space has been freed',
    code: 'storage_full',
  });
  assert.equal(await h.deps.store.countPurge(), 0, 'the upload intent is gone');
  assert.deepEqual(await readdir(join(disk.dir, 'blobs', '.tmp')), [], 'no partial file');
});

test('a server out of file descriptors answers 503 too_many_open_files, and recovers', async (t) => {
  const dataDir = await mkdtemp(join(tmpdir(), 'ics-emfile-'));
  const server = await startServerProcess({ ICS_DATA_DIR: dataDir });
  t.after(async () => {
    await server.stop();
    await rm(dataDir, { recursive: true, force: true });
  });
  const token = await bootstrapToken(server.url, dataDir);
  const headers = { authorization: `Bearer ${token}`, accept: V3 };
  const created = await fetch(`${server.url}/interaction-content/interactions`, {
    method: 'POST',
    headers: { ...headers, 'content-type': 'application/json' },
    body: JSON.stringify({
      start: new Date().toISOString(),
      connectFrom: '1',
      connectTo: '2',
      direction: 'inbound',
      handlingAgents: [],
    }),
  });
  const { guid } = (await created.json()) as { guid: string };
  await fetch(`${server.url}/interaction-content/interactions/${guid}/content/callRecording`, {
    method: 'PUT',
    headers: { ...headers, 'content-type': 'audio/wav' },
    body: 'RIFF',
  });

  // One kept-alive connection, opened before the limit drops, carries every request below.
  const agent = new Agent({ keepAlive: true, maxSockets: 1 });
  t.after(() => agent.destroy());
  const download = () =>
    new Promise<{ status: number; body: string }>((resolve, reject) => {
      const req = request(
        `${server.url}/interaction-content/interactions/${guid}/content/callRecording`,
        { agent, headers },
        (res) => {
          let body = '';
          res.on('data', (d) => (body += d));
          res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
        },
      );
      req.on('error', reject);
      req.end();
    });
  assert.equal((await download()).status, 200);

  // The lowest free descriptor number becomes the limit: the next open() has nowhere to go. The
  // server's background work may free a lower descriptor meanwhile, so a few tries are allowed.
  const pid = server.child.pid!;
  let refused = { status: 0, body: '' };
  for (let attempt = 0; attempt < 10 && refused.status !== 503; attempt++) {
    const used = new Set((await readdir(`/proc/${pid}/fd`)).map(Number));
    let lowestFree = 0;
    while (used.has(lowestFree)) lowestFree++;
    execFileSync('prlimit', ['--pid', String(pid), `--nofile=${lowestFree}:`]);
    try {
      refused = await download();
    } finally {
      execFileSync('prlimit', ['--pid', String(pid), '--nofile=4096:']);
    }
  }
  assert.equal(refused.status, 503);
  assert.deepEqual(JSON.parse(refused.body), {
    message: 'The server has run out of file handles; try again shortly',
    code: 'too_many_open_files',
  });
  assert.equal((await download()).status, 200, 'served again once descriptors are free');
});
