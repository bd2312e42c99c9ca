import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { buildApp } from '../../src/app.js';
import { addClient } from '../../src/auth/client-admin.js';
import { loadConfig } from '../../src/config.js';
import { SCOPES } from '../../src/core/types.js';
import { createDeps } from '../../src/deps.js';
import { bootstrapToken, freePort, runCli, type ServerProcess, startServerProcess } from '../helpers/cli.js';
import { HttpFaultProxy } from '../helpers/http-fault-proxy.js';
import {
  bootstrapCredentials,
  importArgs,
  runImportToEnd,
  type Snapshot,
  seedInteraction,
  snapshot,
  variedFiles,
} from './helpers.js';

// A source that misbehaves, through an HTTP proxy the test programs: 5xx answers, connections reset
// or cut halfway through a body, 429 with Retry-After, a length that does not match the listing,
// a source that is not there at all. Retried with backoff, then reported; never half-written.

const START = Date.parse('2025-06-01T00:00:00Z');
const END = START + 2 * 86_400_000;

describe('ics import from a misbehaving source', () => {
  let source: ServerProcess;
  let proxy: HttpFaultProxy;
  let sourceToken: string;
  let creds: { clientId: string; clientSecret: string };
  let want: Snapshot;
  let guids: string[];
  const dirs: string[] = [];

  before(async () => {
    dirs.push(await mkdtemp(join(tmpdir(), 'ics-faults-src-')));
    source = await startServerProcess({ ICS_DATA_DIR: dirs[0] });
    sourceToken = await bootstrapToken(source.url, dirs[0]);
    creds = await bootstrapCredentials(dirs[0]);
    for (let i = 0; i < 4; i++)
      await seedInteraction(source, sourceToken, {
        start: START + i * 3_600_000,
        files: variedFiles(i, 300_000),
      });
    want = await snapshot(source, sourceToken, START, END);
    guids = want.listed;
    proxy = await new HttpFaultProxy(source.url).start();
  });

  after(async () => {
    await proxy?.stop();
    await source?.stop();
    for (const d of dirs) await rm(d, { recursive: true, force: true });
  });

  async function freshTarget() {
    const dir = await mkdtemp(join(tmpdir(), 'ics-faults-dst-'));
    dirs.push(dir);
    return dir;
  }

  /** What a target data directory holds, read over the API of an app opened on it in this process. */
  async function targetSnapshot(dir: string): Promise<Snapshot> {
    const deps = await createDeps(loadConfig({ ICS_DATA_DIR: dir }));
    const app = await buildApp(deps);
    try {
      await app.listen({ port: 0, host: '127.0.0.1' });
      const url = `http://127.0.0.1:${(app.server.address() as { port: number }).port}`;
      const client = await addClient(deps.store, { account: 'default', scopes: SCOPES.join(' ') });
      const res = await fetch(`${url}/Auth/connect/token`, {
        method: 'POST',
        body: new URLSearchParams({
          grant_type: 'client_credentials',
          client_id: client.clientId,
          client_secret: client.clientSecret,
        }),
      });
      const token = ((await res.json()) as { access_token: string }).access_token;
      return await snapshot({ url }, token, START, END);
    } finally {
      await app.close();
      await deps.close();
    }
  }

  const isDownload = (guid: string, key: string) => (r: { method: string; path: string }) =>
    r.path.startsWith(`/interaction-content/interactions/${guid}/content/${key}`);
  const run = (dir: string, extra: string[] = [], from = proxy.url) =>
    runImportToEnd(importArgs({ url: from }, creds, START, END, ['--max-retries', '2', ...extra]), {
      ICS_DATA_DIR: dir,
    });

  test('5xx answers, resets and bodies cut halfway are retried, and the copy is exact', async () => {
    proxy.clear();
    proxy
      .add((r) => r.path.startsWith('/Auth/connect/token'), { kind: 'status', status: 502 })
      .add((r) => r.path.startsWith('/interaction-content/interactions?'), {
        kind: 'status',
        status: 503,
        headers: { 'retry-after': '0' },
      })
      .add(isDownload(guids[0], 'callRecording'), { kind: 'drop-mid-body' }, 2)
      .add(isDownload(guids[1], 'callRecording'), { kind: 'reset' })
      .add(isDownload(guids[2], 'transcript'), { kind: 'status', status: 500 });
    const dir = await freshTarget();
    const res = await run(dir);
    assert.equal(res.code, 0, res.stderr);
    assert.equal(res.summary?.items.failed, 0);
    assert.equal(res.summary?.retries, 6);
    const retried = res.events.filter((e) => e.type === 'retry').map((e) => e.op);
    assert.deepEqual(
      [...new Set(retried)].sort(),
      ['download', 'search', 'token'],
      JSON.stringify(res.events.filter((e) => e.type === 'retry')),
    );
    assert.ok(
      res.events.some(
        (e) => e.type === 'retry' && /closed after \d+ bytes|ECONNRESET/.test(String(e.reason)),
      ),
      'a body cut halfway is seen as a dropped connection',
    );
    assert.deepEqual((await targetSnapshot(dir)).byGuid, want.byGuid);
  });

  test('a 429 holds every request until its Retry-After has passed', async () => {
    proxy.clear();
    // The first download of the run gets the 429, so the other workers still have plenty to ask for
    // while it holds; the rate stretches their requests over the pause.
    proxy.add((r) => r.path.includes('/content/'), {
      kind: 'status',
      status: 429,
      headers: { 'retry-after': '1' },
      body: '{"message":"Too many requests"}',
    });
    const seenBefore = proxy.seen.length;
    const dir = await freshTarget();
    const res = await run(dir, ['--concurrency', '3', '--rate', '20/s']);
    assert.equal(res.code, 0, res.stderr);
    const retry = res.events.find((e) => e.type === 'retry');
    assert.equal(retry?.status, 429);
    assert.equal(retry?.delayMs, 1000);
    assert.equal(res.summary?.retries, 1);
    const seen = proxy.seen.slice(seenBefore);
    const limited = seen.find((r) => r.fault === 'status');
    assert.ok(limited);
    // No request of any worker reached the source during the pause. Requests that arrive within
    // 200 ms of the 429 may have been on their way before the client read it; the rest of the
    // second must be silent (slack of 50 ms for timers).
    const during = seen.filter((r) => r.at > limited.at + 200 && r.at < limited.at + 950);
    assert.deepEqual(
      during,
      [],
      `requests during the pause: ${JSON.stringify(seen.map((r) => [r.at - limited.at, r.fault, r.path.slice(0, 60)]))}`,
    );
    assert.ok(
      seen.some((r) => r.at >= limited.at + 950 && r.path === limited.path),
      'the limited request retried',
    );
    assert.deepEqual((await targetSnapshot(dir)).byGuid, want.byGuid);
  });

  test('a file that keeps failing is retried, then reported; nothing of it is left; a rerun completes', async () => {
    proxy.clear();
    proxy
      .add(isDownload(guids[0], 'callRecording'), { kind: 'status', status: 500 }, Number.POSITIVE_INFINITY)
      .add(isDownload(guids[1], 'callRecording'), { kind: 'drop-mid-body' }, Number.POSITIVE_INFINITY)
      // Served with another length than the search listed: not the file the listing describes.
      .add(
        isDownload(guids[2], 'transcript'),
        { kind: 'status', status: 200, headers: { 'content-length': '4' }, body: 'tiny' },
        Number.POSITIVE_INFINITY,
      )
      // The same without a Content-Length (chunked): the bytes themselves do not add up.
      .add(
        isDownload(guids[2], 'callRecording'),
        { kind: 'status', status: 200, body: 'short' },
        Number.POSITIVE_INFINITY,
      );
    const seenBefore = proxy.seen.length;
    const dir = await freshTarget();
    const res = await run(dir);
    assert.equal(res.code, 1, res.stderr);
    assert.equal(res.summary?.items.failed, 4);
    const failures = new Map(res.summary?.failures.map((f) => [`${f.guid}/${f.contentKey}`, f.message]));
    assert.match(failures.get(`${guids[0]}/callRecording`) ?? '', /answered 500.*gave up after 3 attempts/);
    assert.match(failures.get(`${guids[1]}/callRecording`) ?? '', /connection.*gave up after 3 attempts/);
    assert.match(
      failures.get(`${guids[2]}/transcript`) ?? '',
      /Content-Length 4 differs from the listed contentLength/,
    );
    assert.match(
      failures.get(`${guids[2]}/callRecording`) ?? '',
      /short or long file \(Body ended after 5 of \d+ bytes\).*gave up after 3 attempts/,
    );
    const attempts = proxy.seen.slice(seenBefore).filter(isDownload(guids[0], 'callRecording'));
    assert.equal(attempts.length, 3, '1 attempt + --max-retries 2');

    const got = await targetSnapshot(dir);
    const keysOf = (s: Snapshot, guid: string) =>
      ((s.byGuid.get(guid) as { content: { contentKey: string }[] }).content ?? []).map((c) => c.contentKey);
    assert.ok(!keysOf(got, guids[0]).includes('callRecording'));
    assert.ok(!keysOf(got, guids[1]).includes('callRecording'));
    assert.ok(!keysOf(got, guids[2]).includes('transcript'));
    assert.ok(!keysOf(got, guids[2]).includes('callRecording'));
    assert.deepEqual(got.byGuid.get(guids[3]), want.byGuid.get(guids[3]));
    const verify = await runCli(['verify', '--json'], { ICS_DATA_DIR: dir });
    assert.equal(verify.code, 0, `no orphan and no missing blob: ${verify.stdout}`);

    proxy.clear();
    const rerun = await run(dir);
    assert.equal(rerun.code, 0, rerun.stderr);
    assert.equal(rerun.summary?.items.copied, 4);
    assert.deepEqual((await targetSnapshot(dir)).byGuid, want.byGuid);
  });

  test('a source that is not there: retried with backoff, then reported (exit 1)', async () => {
    const closed = `http://127.0.0.1:${await freePort()}`;
    const dir = await freshTarget();
    const res = await run(dir, ['--max-retries', '2'], closed);
    assert.equal(res.code, 1);
    assert.match(res.summary?.fatal ?? '', /ECONNREFUSED.*gave up after 3 attempts/);
    assert.equal(res.events.filter((e) => e.type === 'retry' && e.op === 'token').length, 2);
    assert.match(res.stderr, /import stopped/);
  });

  test("the import keeps within the target's limit of uploads in progress", async () => {
    // 4 downloads, 8 interactions and their files at once, against a target that takes 2 uploads
    // per account at a time: every file is copied, none refused with "uploads in progress".
    proxy.clear();
    const dir = await freshTarget();
    const res = await runImportToEnd(
      importArgs({ url: proxy.url }, creds, START, END, ['--concurrency', '4']),
      { ICS_DATA_DIR: dir, ICS_MAX_CONCURRENT_UPLOADS: '2' },
    );
    assert.equal(res.code, 0, JSON.stringify(res.summary?.failures));
    assert.equal(res.summary?.items.failed, 0);
    assert.deepEqual((await targetSnapshot(dir)).byGuid, want.byGuid);
  });

  test('--rate spaces the requests to the source', async () => {
    proxy.clear();
    const seenBefore = proxy.seen.length;
    const dir = await freshTarget();
    const res = await run(dir, ['--rate', '10/s', '--concurrency', '4']);
    assert.equal(res.code, 0, res.stderr);
    const seen = proxy.seen.slice(seenBefore);
    assert.ok(seen.length > 10);
    // n requests at 10 per second take at least (n - 1) / 10 s (10 % slack for timer jitter).
    const span = seen[seen.length - 1].at - seen[0].at;
    assert.ok(span >= (seen.length - 1) * 100 * 0.9, `${seen.length} requests in ${span} ms`);
  });
});
