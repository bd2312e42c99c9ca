import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { openSync, readdirSync, truncateSync, writeFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer, get, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { FileSlice } from '../../src/blobs/file-slice.js';

// FileSlice over real files and a real HTTP socket: the pooled pipe path (what Fastify uses for a
// download) and the ordinary read path must give the same bytes, and a client that goes away, or a
// file that turns out shorter, must leave no open descriptor and no unhandled error behind.

const openFds = () => readdirSync('/proc/self/fd').length;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('FileSlice', () => {
  let dir: string;
  let file: string;
  let data: Buffer;
  let server: Server;
  let url: string;
  /** What the next request serves: [start, end] inclusive, and a hook to run once piping began. */
  let slice: { start: number; end: number };
  let piped: Promise<void> = Promise.resolve();

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'ics-file-slice-'));
    file = join(dir, 'blob');
    data = randomBytes(3 * 1024 * 1024 + 12_345); // several pool buffers and a partial one
    writeFileSync(file, data);
    server = createServer((_req, res) => {
      const { start, end } = slice;
      res.writeHead(200, { 'content-length': end - start + 1 });
      const stream = new FileSlice(openSync(file, 'r'), start, end, 64 * 1024);
      piped = new Promise((resolve) => stream.once('close', () => resolve()));
      stream.pipe(res);
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
  });
  after(async () => {
    await new Promise((resolve) => server.close(resolve));
    await rm(dir, { recursive: true, force: true });
  });

  const download = () =>
    new Promise<Buffer>((resolve, reject) => {
      get(url, { agent: false }, (res) => {
        const parts: Buffer[] = [];
        res.on('data', (d: Buffer) => parts.push(d));
        res.on('end', () => resolve(Buffer.concat(parts)));
        res.on('error', reject);
      }).on('error', reject);
    });

  test('piped into a response: the whole file and inner slices, byte for byte', async () => {
    const fds = openFds();
    for (const [start, end] of [
      [0, data.length - 1],
      [0, 0],
      [1, 256 * 1024], // crosses one pool buffer by a byte
      [data.length - 10, data.length - 1],
      [1_000_000, 2_500_000],
    ]) {
      slice = { start, end };
      const body = await download();
      assert.equal(body.length, end - start + 1, `${start}-${end}`);
      assert.ok(body.equals(data.subarray(start, end + 1)), `${start}-${end}`);
      await piped;
    }
    // Many in parallel share the pool: still exact.
    slice = { start: 7, end: data.length - 8 };
    const bodies = await Promise.all(Array.from({ length: 12 }, download));
    for (const body of bodies) assert.ok(body.equals(data.subarray(7, data.length - 7)));
    await sleep(50);
    assert.ok(openFds() <= fds, 'every descriptor is closed');
  });

  test('read without pipe (async iteration): the same bytes, descriptor closed', async () => {
    const fds = openFds();
    const stream = new FileSlice(openSync(file, 'r'), 100, data.length - 100, 64 * 1024);
    const parts: Buffer[] = [];
    for await (const part of stream) parts.push(part as Buffer);
    assert.ok(Buffer.concat(parts).equals(data.subarray(100, data.length - 99)));
    await sleep(20);
    assert.ok(openFds() <= fds, 'the descriptor is closed');
  });

  test('a client that goes away mid-download: the server carries on, nothing leaks', async () => {
    const fds = openFds();
    const rejections: unknown[] = [];
    const onRejection = (err: unknown) => rejections.push(err);
    process.on('unhandledRejection', onRejection);
    try {
      slice = { start: 0, end: data.length - 1 };
      for (let i = 0; i < 5; i++) {
        await new Promise<void>((resolve) => {
          const req = get(url, { agent: false }, (res) => {
            res.once('data', () => {
              req.destroy(); // after the first bytes, long before the end
              resolve();
            });
          });
          req.on('error', () => undefined);
        });
        await piped;
      }
      await sleep(50);
      assert.deepEqual(rejections, []);
      assert.ok(openFds() <= fds, 'every descriptor is closed');
      // And the next client is served in full.
      const body = await download();
      assert.ok(body.equals(data));
    } finally {
      process.off('unhandledRejection', onRejection);
    }
  });

  test('a file shorter than the slice: the response is cut off and the stream errors', async () => {
    const short = join(dir, 'short');
    writeFileSync(short, data.subarray(0, 1000));
    const fds = openFds();
    const stream = new FileSlice(openSync(short, 'r'), 0, 4999, 64 * 1024);
    await assert.rejects(
      (async () => {
        for await (const _ of stream) {
          // drain
        }
      })(),
      /ended before the expected length/,
    );
    // Truncated under a download in progress: the client sees an incomplete response.
    const shrinking = join(dir, 'shrinking');
    const streamErrors: string[] = [];
    writeFileSync(shrinking, data);
    const local = createServer((_req, res) => {
      res.writeHead(200, { 'content-length': data.length });
      const s = new FileSlice(openSync(shrinking, 'r'), 0, data.length - 1, 64 * 1024);
      truncateSync(shrinking, 100_000);
      s.on('error', (err) => streamErrors.push(err.message)); // as Fastify's end-of-stream watcher does
      s.pipe(res);
    });
    await new Promise<void>((resolve) => local.listen(0, '127.0.0.1', resolve));
    try {
      const port = (local.address() as AddressInfo).port;
      const outcome = await new Promise<string>((resolve) => {
        get(`http://127.0.0.1:${port}/`, { agent: false }, (res) => {
          let n = 0;
          res.on('data', (d: Buffer) => {
            n += d.length;
          });
          res.on('end', () => resolve(`ended after ${n}`));
          res.on('error', () => resolve(`aborted after ${n}`));
          res.on('aborted', () => resolve(`aborted after ${n}`));
        }).on('error', () => resolve('request error'));
      });
      assert.match(outcome, /aborted|request error/);
      assert.deepEqual(streamErrors, ['file ended before the expected length']);
    } finally {
      await new Promise((resolve) => local.close(resolve));
    }
    await sleep(50);
    assert.ok(openFds() <= fds, 'every descriptor is closed');
  });
});
