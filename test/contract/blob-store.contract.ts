import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { BlobExistsError, BlobNotFoundError, type BlobStore } from '../../src/blobs/blob-store.js';

// The behaviour every BlobStore must show, run against each implementation (fs, S3 on s3rver).

export interface BlobStoreFixture {
  store: BlobStore;
  cleanup: () => Promise<void>;
}

const MiB = 1024 * 1024;
/** Large enough to need several 8 MiB multipart parts on S3; generated, never held in memory. */
const LARGE = 64 * MiB;

/**
 * A body of `size` random bytes made on the fly, hashed as it goes. With `failAfter` it errors
 * with `error` once that many bytes were produced, like an upload whose client went away.
 */
export function randomBody(size: number, opts: { failAfter?: number; error?: Error } = {}) {
  const hash = createHash('sha256');
  let produced = 0;
  let digest: string | undefined;
  const stream = new Readable({
    highWaterMark: 256 * 1024,
    read() {
      if (opts.failAfter !== undefined && produced >= opts.failAfter) {
        this.destroy(opts.error ?? new Error('body failed'));
        return;
      }
      if (produced >= size) {
        this.push(null);
        return;
      }
      const limit = Math.min(size, opts.failAfter ?? size);
      const chunk = randomBytes(Math.min(256 * 1024, limit - produced));
      hash.update(chunk);
      produced += chunk.length;
      this.push(chunk);
    },
  });
  return { stream, sha256: () => (digest ??= hash.digest('hex')) };
}

export async function readAll(stream: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

export async function sha256Of(stream: Readable): Promise<{ sha256: string; length: number }> {
  const hash = createHash('sha256');
  let length = 0;
  for await (const chunk of stream) {
    hash.update(chunk as Buffer);
    length += (chunk as Buffer).length;
  }
  return { sha256: hash.digest('hex'), length };
}

export async function listAll(store: BlobStore): Promise<{ key: string; length: number }[]> {
  const all: { key: string; length: number }[] = [];
  for await (const entry of store.list()) all.push(entry);
  return all.sort((a, b) => a.key.localeCompare(b.key));
}

export function describeBlobStore(
  name: string,
  make: () => Promise<BlobStoreFixture>,
  opts: { skip?: string | false } = {},
): void {
  describe(`BlobStore contract: ${name}`, { skip: opts.skip || false }, () => {
    let fixture: BlobStoreFixture | undefined;
    let store: BlobStore;
    beforeEach(async () => {
      fixture = await make();
      store = fixture.store;
    });
    afterEach(async () => {
      await fixture?.cleanup();
      fixture = undefined;
    });

    const put = (key: string, bytes: Buffer) => store.put(key, Readable.from([bytes]));

    it('round-trips a multi-MiB body byte for byte', async () => {
      const body = randomBody(5 * MiB + 123);
      assert.deepEqual(await store.put('acct/guid/round-trip', body.stream), { length: 5 * MiB + 123 });
      const read = await sha256Of(await store.get('acct/guid/round-trip'));
      assert.deepEqual(read, { sha256: body.sha256(), length: 5 * MiB + 123 });
      assert.deepEqual(await store.stat('acct/guid/round-trip'), { length: 5 * MiB + 123 });
    });

    it('stores an empty body', async () => {
      assert.deepEqual(await put('acct/guid/empty', Buffer.alloc(0)), { length: 0 });
      assert.equal((await readAll(await store.get('acct/guid/empty'))).length, 0);
      assert.deepEqual(await store.stat('acct/guid/empty'), { length: 0 });
      assert.deepEqual(await listAll(store), [{ key: 'acct/guid/empty', length: 0 }]);
    });

    it('serves inclusive byte ranges', async () => {
      const bytes = randomBytes(300_000);
      await put('acct/guid/ranges', bytes);
      const last = bytes.length - 1;
      const cases = [
        { start: 0, end: 0 },
        { start: last, end: last },
        { start: 1000, end: 199_999 },
        { start: 0, end: last },
      ];
      for (const range of cases) {
        const got = await readAll(await store.get('acct/guid/ranges', range));
        assert.ok(
          got.equals(bytes.subarray(range.start, range.end + 1)),
          `range ${range.start}-${range.end}`,
        );
      }
      // An end past the last byte is clamped, as S3 does.
      const tail = await readAll(await store.get('acct/guid/ranges', { start: last - 9, end: last + 100 }));
      assert.ok(tail.equals(bytes.subarray(last - 9)));
    });

    it('rejects a range that starts past the end, or is malformed, with RangeError', async () => {
      await put('acct/guid/short', Buffer.from('0123456789'));
      await assert.rejects(store.get('acct/guid/short', { start: 10, end: 20 }), RangeError);
      await assert.rejects(store.get('acct/guid/short', { start: 5, end: 2 }), RangeError);
      await assert.rejects(store.get('acct/guid/short', { start: -1, end: 2 }), RangeError);
    });

    it('refuses to overwrite an existing key and keeps the old bytes', async () => {
      await put('acct/guid/once', Buffer.from('first'));
      await assert.rejects(put('acct/guid/once', Buffer.from('second, longer')), BlobExistsError);
      assert.equal((await readAll(await store.get('acct/guid/once'))).toString(), 'first');
      assert.deepEqual(await listAll(store), [{ key: 'acct/guid/once', length: 5 }]);
    });

    it('rejects with the body error when the body fails midway, leaving nothing', async () => {
      const boom = new Error('client went away');
      const body = randomBody(3 * MiB, { failAfter: MiB, error: boom });
      await assert.rejects(store.put('acct/guid/broken', body.stream), (err) => err === boom);
      assert.equal(await store.stat('acct/guid/broken'), undefined);
      await assert.rejects(store.get('acct/guid/broken'), BlobNotFoundError);
      assert.deepEqual(await listAll(store), []);
    });

    it('rejects with the error of a body that failed before put could read it', async () => {
      const boom = new Error('failed early');
      const body = new Readable({ read() {} });
      body.destroy(boom);
      await assert.rejects(store.put('acct/guid/early', body), (err) => err === boom);
      assert.equal(await store.stat('acct/guid/early'), undefined);
    });

    it('rejects get of a missing key with BlobNotFoundError; stat says undefined', async () => {
      await assert.rejects(store.get('acct/guid/missing'), BlobNotFoundError);
      await assert.rejects(store.get('acct/guid/missing', { start: 0, end: 1 }), BlobNotFoundError);
      assert.equal(await store.stat('acct/guid/missing'), undefined);
    });

    it('deletes idempotently', async () => {
      await put('acct/guid/doomed', Buffer.from('bytes'));
      await store.delete('acct/guid/doomed');
      await store.delete('acct/guid/doomed');
      await store.delete('acct/other/never-existed');
      await assert.rejects(store.get('acct/guid/doomed'), BlobNotFoundError);
      assert.equal(await store.stat('acct/guid/doomed'), undefined);
      assert.deepEqual(await listAll(store), []);
      // The key can be written again after deletion (the core never does, but nothing lingers).
      await put('acct/guid/doomed', Buffer.from('again'));
      assert.deepEqual(await store.stat('acct/guid/doomed'), { length: 5 });
    });

    it('lists exactly the stored blobs with their lengths', async () => {
      await put('a/g1/x', Buffer.alloc(3));
      await put('a/g1/y', Buffer.alloc(5));
      await put('a/g2/z', Buffer.alloc(7));
      await put('b/g3/w.v-2_1', Buffer.alloc(1));
      await store.delete('a/g1/y');
      assert.deepEqual(await listAll(store), [
        { key: 'a/g1/x', length: 3 },
        { key: 'a/g2/z', length: 7 },
        { key: 'b/g3/w.v-2_1', length: 1 },
      ]);
    });

    it('rejects invalid keys in every method', async () => {
      for (const key of ['../x', 'a/../../b', '/abs', 'a\0b', 'a//b', '', 'a/', 'a b', 'x'.repeat(513)]) {
        await assert.rejects(put(key, Buffer.from('x')), /invalid blob key/, JSON.stringify(key));
        await assert.rejects(store.get(key), /invalid blob key/);
        await assert.rejects(store.stat(key), /invalid blob key/);
        await assert.rejects(store.delete(key), /invalid blob key/);
      }
      assert.deepEqual(await listAll(store), []);
    });

    it('serves many concurrent downloads', async () => {
      const bytes = randomBytes(64 * 1024);
      await put('acct/guid/popular', bytes);
      const reads = await Promise.all(
        Array.from({ length: 40 }, async () => readAll(await store.get('acct/guid/popular'))),
      );
      for (const got of reads) assert.ok(got.equals(bytes));
    });

    it('streams a 64 MiB body in and out without buffering it', async () => {
      const body = randomBody(LARGE);
      assert.deepEqual(await store.put('acct/guid/large', body.stream), { length: LARGE });
      assert.deepEqual(await sha256Of(await store.get('acct/guid/large')), {
        sha256: body.sha256(),
        length: LARGE,
      });
      const range = await readAll(
        await store.get('acct/guid/large', { start: 8 * MiB - 5, end: 8 * MiB + 4 }),
      );
      assert.equal(range.length, 10);
    });

    it('sweeps nothing on a clean store and answers ping', async () => {
      assert.equal(await store.sweepTemporary(0), 0);
      await store.ping();
    });
  });
}
