import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readdir, readFile, rm, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough, Readable } from 'node:stream';
import { after, before, describe, it } from 'node:test';
import { FsBlobStore } from '../../src/blobs/fs-blob-store.js';
import { DirSyncs, syncDir } from '../../src/blobs/fs-durable.js';
import { openBlobStore } from '../../src/blobs/open-blob-store.js';
import { resolveKeyPath } from '../../src/blobs/secure-path.js';
import { StoreUnavailableError } from '../../src/core/errors.js';
import { describeBlobStore, listAll, randomBody, readAll } from '../contract/blob-store.contract.js';

async function tempDir(): Promise<string> {
  return mkdtemp(join(tmpdir(), 'ics-fs-blobs-'));
}

describeBlobStore('FsBlobStore', async () => {
  const dir = await tempDir();
  return {
    store: new FsBlobStore(join(dir, 'blobs')),
    cleanup: () => rm(dir, { recursive: true, force: true }),
  };
});

describe('FsBlobStore on disk', () => {
  let dir: string;
  let root: string;
  let store: FsBlobStore;
  before(async () => {
    dir = await tempDir();
    root = join(dir, 'blobs');
    store = new FsBlobStore(root);
  });
  after(() => rm(dir, { recursive: true, force: true }));

  it('confines keys to the root', async () => {
    const bad = ['../x', 'a/../../b', '/abs', 'a\0b', 'a//b', '.', 'a/./b', '..', 'a\\b', '.tmp/x', 'a/b/'];
    for (const key of bad) {
      assert.throws(() => resolveKeyPath(root, key), /invalid blob key/, JSON.stringify(key));
      await assert.rejects(store.put(key, Readable.from([Buffer.from('escape')])), /invalid blob key/);
    }
    assert.equal(resolveKeyPath(root, 'acct/guid/0193-abc'), join(root, 'acct', 'guid', '0193-abc'));
    assert.deepEqual(await readdir(dir), ['blobs']);
    assert.deepEqual(await readdir(root), ['.tmp']);
  });

  it('writes the complete file at the key path, invisible until the put resolves', async () => {
    const body = new PassThrough();
    const bytes = randomBytes(2 * 1024 * 1024 + 17);
    const putting = store.put('acct/guid/visible', body);
    body.write(bytes.subarray(0, 1024 * 1024));
    await new Promise((r) => setTimeout(r, 50));
    assert.equal(existsSync(join(root, 'acct/guid/visible')), false, 'no partial file under the key');
    assert.equal(await store.stat('acct/guid/visible'), undefined);
    assert.equal((await readdir(join(root, '.tmp'))).length, 1, 'the upload goes to .tmp');
    body.end(bytes.subarray(1024 * 1024));
    assert.deepEqual(await putting, { length: bytes.length });
    assert.ok((await readFile(join(root, 'acct/guid/visible'))).equals(bytes));
    assert.deepEqual(await readdir(join(root, '.tmp')), []);
    await store.delete('acct/guid/visible');
  });

  it('leaves no temporary or final file after a failed put', async () => {
    const boom = new Error('boom');
    await assert.rejects(
      store.put('acct/guid/failed', randomBody(4_000_000, { failAfter: 2_000_000, error: boom }).stream),
      (e) => e === boom,
    );
    assert.deepEqual(await readdir(join(root, '.tmp')), []);
    assert.equal(existsSync(join(root, 'acct/guid/failed')), false);
  });

  it('leaves no temporary file when the body fails before the file is even open', async () => {
    // Races the body's error against the temporary file's open(); repeated to hit both orders.
    for (let i = 0; i < 30; i++) {
      const body = new Readable({
        read() {
          this.destroy(new Error('early'));
        },
      });
      await assert.rejects(store.put(`acct/guid/early-${i}`, body), /early/);
      assert.deepEqual(await readdir(join(root, '.tmp')), [], `attempt ${i}`);
    }
  });

  it('leaves no temporary file when the body is destroyed without an error', async () => {
    const body = new PassThrough();
    const putting = store.put('acct/guid/aborted', body);
    body.write(Buffer.alloc(1000));
    setTimeout(() => body.destroy(), 20);
    await assert.rejects(putting);
    assert.deepEqual(await readdir(join(root, '.tmp')), []);
    assert.equal(existsSync(join(root, 'acct/guid/aborted')), false);
  });

  it('removes directories that a delete leaves empty, and only those', async () => {
    await store.put('p/g1/a', Readable.from([Buffer.from('a')]));
    await store.put('p/g2/b', Readable.from([Buffer.from('b')]));
    await store.delete('p/g1/a');
    assert.equal(existsSync(join(root, 'p/g1')), false);
    assert.equal(existsSync(join(root, 'p/g2/b')), true);
    await store.delete('p/g2/b');
    assert.equal(existsSync(join(root, 'p')), false);
    assert.equal(existsSync(root), true);
  });

  it('does not list temporary files or files that are not valid keys', async () => {
    await writeFile(join(root, '.tmp', 'leftover.part'), 'partial');
    await mkdir(join(root, 'q'), { recursive: true });
    await writeFile(join(root, 'q', 'not a key'), 'stray');
    await store.put('q/g/real', Readable.from([Buffer.from('real')]));
    assert.deepEqual(await listAll(store), [{ key: 'q/g/real', length: 4 }]);
    await rm(join(root, 'q'), { recursive: true });
    await rm(join(root, '.tmp', 'leftover.part'));
  });

  it('sweeps temporary files older than the cut-off', async () => {
    const tmp = join(root, '.tmp');
    await writeFile(join(tmp, 'old.part'), 'crash leftover');
    await writeFile(join(tmp, 'fresh.part'), 'upload in progress');
    const twoHoursAgo = new Date(Date.now() - 2 * 3600_000);
    await utimes(join(tmp, 'old.part'), twoHoursAgo, twoHoursAgo);
    assert.equal(await store.sweepTemporary(3600_000), 1);
    assert.deepEqual(await readdir(tmp), ['fresh.part']);
    assert.equal(await store.sweepTemporary(0), 1);
    assert.deepEqual(await readdir(tmp), []);
  });

  it('reads ranges straight from the file', async () => {
    const bytes = randomBytes(3 * 1024 * 1024);
    await store.put('acct/guid/ranged', Readable.from([bytes]));
    const got = await readAll(
      await store.get('acct/guid/ranged', { start: 1024 * 1024 - 1, end: 2 * 1024 * 1024 }),
    );
    assert.ok(got.equals(bytes.subarray(1024 * 1024 - 1, 2 * 1024 * 1024 + 1)));
    await store.delete('acct/guid/ranged');
  });
});

describe('openBlobStore (fs)', () => {
  it('opens a directory, creating it', async () => {
    const dir = await tempDir();
    const store = await openBlobStore({ kind: 'fs', root: join(dir, 'new', 'blobs') });
    await store.put('a/b/c', Readable.from([Buffer.from('ok')]));
    assert.deepEqual(await store.stat('a/b/c'), { length: 2 });
    await store.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('fails with StoreUnavailableError when the directory cannot be created', async () => {
    const dir = await tempDir();
    await writeFile(join(dir, 'file'), 'not a directory');
    await assert.rejects(openBlobStore({ kind: 'fs', root: join(dir, 'file', 'blobs') }), (err: Error) => {
      assert.ok(err instanceof StoreUnavailableError);
      assert.match(err.message, /blob storage is unavailable: cannot create directory .*ENOTDIR/);
      return true;
    });
    await rm(dir, { recursive: true, force: true });
  });
});

describe('FsBlobStore: the file an upload streams into', () => {
  it('keeps chunks of any size until a batch is full and writes every byte in order', async () => {
    const dir = await tempDir();
    const store = new FsBlobStore(join(dir, 'blobs'));
    const chunks: Buffer[] = [];
    for (let total = 0; total < 3 * 1024 * 1024 + 5; ) {
      const n = 1 + Math.floor(Math.random() * 300 * 1024);
      chunks.push(randomBytes(n));
      total += n;
    }
    const all = Buffer.concat(chunks);
    assert.deepEqual(await store.put('acct/g/chunks', Readable.from(chunks)), { length: all.length });
    assert.ok((await readAll(await store.get('acct/g/chunks'))).equals(all));
    assert.deepEqual(await readdir(join(dir, 'blobs', '.tmp')), [], 'the temporary name is gone');
    await rm(dir, { recursive: true, force: true });
  });
});

describe('FsBlobStore: directory fsyncs', () => {
  const tick = (ms: number) => new Promise((r) => setTimeout(r, ms));

  it('a put into a directory another put is making waits until that directory is durable', async () => {
    // acct/g1 is reachable after a power loss only once acct/ has been fsynced after it was made.
    // Both puts link into acct/g1; the one that did not make it must wait for that fsync too.
    const dir = await tempDir();
    const root = join(dir, 'blobs');
    await mkdir(join(root, 'acct'), { recursive: true });
    let release: () => void = () => undefined;
    const held = new Promise<void>((r) => {
      release = r;
    });
    const synced: string[] = [];
    const store = new FsBlobStore(root, {
      syncDir: async (d) => {
        if (d === join(root, 'acct')) await held;
        await syncDir(d);
        synced.push(d);
      },
    });
    const done: string[] = [];
    const puts = ['a', 'b', 'c'].map((name) =>
      store.put(`acct/g1/${name}`, Readable.from([Buffer.from(name)])).then(() => done.push(name)),
    );
    await tick(200);
    assert.deepEqual(done, [], 'no put resolves while the entry of acct/g1 in acct/ is not durable');
    release();
    await Promise.all(puts);
    assert.deepEqual(done.sort(), ['a', 'b', 'c']);
    assert.ok(synced.includes(join(root, 'acct')));
    assert.ok(synced.indexOf(join(root, 'acct')) < synced.lastIndexOf(join(root, 'acct', 'g1')));
    await rm(dir, { recursive: true, force: true });
  });

  it('DirSyncs: a caller waits for an fsync that began after it; callers that arrive meanwhile share one', async () => {
    let running = 0;
    let calls = 0;
    let release: () => void = () => undefined;
    const syncs = new DirSyncs(async () => {
      calls++;
      running++;
      await new Promise<void>((r) => {
        release = r;
      });
      running--;
    });
    const first = syncs.sync('/d');
    await tick(10);
    assert.equal(calls, 1);
    // Three callers arrive while the first fsync runs: they need the next one, and share it.
    let later = 0;
    const rest = [syncs.sync('/d'), syncs.sync('/d'), syncs.sync('/d')].map((p) => p.then(() => later++));
    release();
    await first;
    await tick(10);
    assert.equal(later, 0, 'the fsync that was running when they came does not count for them');
    assert.equal(calls, 2);
    release();
    await Promise.all(rest);
    assert.equal(calls, 2);
    assert.equal(running, 0);
  });
});
