import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { bootstrapToken, type ServerProcess, startServerProcess } from '../helpers/cli.js';
import { createTestDatabase } from '../helpers/postgres.js';
import { startS3, type TestS3 } from '../helpers/s3.js';

// Two real server processes against one PostgreSQL database and one S3 bucket behave as one service.

const V3 = 'application/vnd.newvoicemedia.v3+json';
const db = await createTestDatabase();
const skip = 'skip' in db ? db.skip : false;

describe('two nodes, one PostgreSQL, one bucket', { skip }, () => {
  let s3: TestS3;
  let a: ServerProcess;
  let b: ServerProcess;
  let token: string;
  const dirs: string[] = [];

  before(async () => {
    if ('skip' in db) return;
    s3 = await startS3();
    const env = (dir: string) => ({ ...s3.env, ICS_DATABASE_URL: db.url, ICS_DATA_DIR: dir });
    dirs.push(await mkdtemp(join(tmpdir(), 'ics-node-a-')), await mkdtemp(join(tmpdir(), 'ics-node-b-')));
    // Node A holds a delete-batch's lock for a second (test-only pause), so node B sees it for certain.
    a = await startServerProcess({ ...env(dirs[0]), ICS_TEST_FAULTS: 'batch.locked@pause=1000' });
    b = await startServerProcess(env(dirs[1]));
    // A client bootstrapped through node A gets a token from node B.
    token = await bootstrapToken(b.url, dirs[0]);
  });

  after(async () => {
    await a?.stop();
    await b?.stop();
    await s3?.stop();
    if (!('skip' in db)) await db.drop();
    for (const d of dirs) await rm(d, { recursive: true, force: true });
  });

  const call = (
    node: ServerProcess,
    method: string,
    path: string,
    body?: string | Buffer,
    headers: Record<string, string> = {},
  ) =>
    fetch(`${node.url}/interaction-content${path}`, {
      method,
      headers: { authorization: `Bearer ${token}`, accept: V3, ...headers },
      body,
    });

  async function create(node: ServerProcess) {
    const res = await call(
      node,
      'POST',
      '/interactions',
      JSON.stringify({
        start: new Date().toISOString(),
        connectFrom: '+44100',
        connectTo: '+44200',
        direction: 'inbound',
        handlingAgents: [{ id: 'a1' }],
      }),
      { 'content-type': 'application/json' },
    );
    assert.equal(res.status, 201);
    return ((await res.json()) as { guid: string }).guid;
  }

  test('uploaded through A, downloaded through B; deleted through B, gone on A at once', async () => {
    const guid = await create(a);
    const bytes = randomBytes(3 * 1024 * 1024 + 17);
    const up = await call(a, 'PUT', `/interactions/${guid}/content/callRecording`, bytes, {
      'content-type': 'audio/wav',
    });
    assert.equal(up.status, 201);
    const down = await call(b, 'GET', `/interactions/${guid}/content/callRecording`);
    assert.equal(down.status, 200);
    assert.deepEqual(Buffer.from(await down.arrayBuffer()), bytes);
    const ranged = await call(b, 'GET', `/interactions/${guid}/content/callRecording`, undefined, {
      range: 'bytes=1000-1999',
    });
    assert.equal(ranged.status, 206);
    assert.deepEqual(Buffer.from(await ranged.arrayBuffer()), bytes.subarray(1000, 2000));

    const del = await call(b, 'DELETE', `/interactions/${guid}/content/callRecording`);
    assert.equal(del.status, 204);
    assert.equal((await call(a, 'GET', `/interactions/${guid}/content/callRecording`)).status, 404);
    assert.equal((await call(a, 'GET', `/interactions/${guid}`)).status, 404);
  });

  test('a delete-batch running on A makes a batch of the same account on B answer 429', async () => {
    const guids: string[] = [];
    for (let i = 0; i < 10; i++) {
      const guid = await create(i % 2 ? a : b);
      await call(a, 'PUT', `/interactions/${guid}/content/transcript`, '{}', {
        'content-type': 'application/json',
      });
      guids.push(guid);
    }
    const running = call(a, 'POST', '/interactions/delete-batch', JSON.stringify({ guids }), {
      'content-type': 'application/json',
    });
    await new Promise((r) => setTimeout(r, 300));
    const probe = await call(
      b,
      'POST',
      '/interactions/delete-batch',
      JSON.stringify({ guids: ['7d1e6f52-4b0a-4c8e-9a43-1f2b3c4d5e6f'] }),
      {
        'content-type': 'application/json',
      },
    );
    assert.equal(probe.status, 429, 'node B sees the batch running on node A');
    assert.ok(Number(probe.headers.get('retry-after')) > 0);
    const res = await running;
    assert.equal(res.status, 200);
    assert.deepEqual((await res.json()) as unknown, { failures: [] });
    for (const guid of guids.slice(0, 5))
      assert.equal((await call(b, 'GET', `/interactions/${guid}`)).status, 404);
    const again = await call(b, 'POST', '/interactions/delete-batch', JSON.stringify({ guids: [guids[0]] }), {
      'content-type': 'application/json',
    });
    assert.equal(again.status, 200, 'the lease is released when the batch ends');
  });

  test('deletes through both nodes at once leave no blob and no purge entry behind', async () => {
    const guids: string[] = [];
    for (let i = 0; i < 20; i++) {
      const guid = await create(a);
      await call(b, 'PUT', `/interactions/${guid}/content/callRecording`, randomBytes(1000), {
        'content-type': 'audio/wav',
      });
      guids.push(guid);
    }
    const results = await Promise.all(
      guids.map((g, i) => call(i % 2 ? a : b, 'DELETE', `/interactions/${g}`)),
    );
    assert.deepEqual(
      results.map((r) => r.status),
      guids.map(() => 200),
    );
    const { S3BlobStore } = await import('../../src/blobs/s3-blob-store.js');
    const store = new S3BlobStore({ config: s3.config, credentials: s3.credentials });
    const left: string[] = [];
    for await (const blob of store.list()) if (guids.some((g) => blob.key.includes(g))) left.push(blob.key);
    await store.close();
    assert.deepEqual(left, []);
  });
});
