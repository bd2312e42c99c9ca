// `ics verify` and `ics audit verify` as an operator runs them: real CLI processes over a real data
// directory, first beside a running server, then against copies damaged on purpose.
import assert from 'node:assert/strict';
import { randomBytes, randomUUID } from 'node:crypto';
import { cp, mkdir, mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import Sqlite from 'better-sqlite3';
import { startServerProcess } from '../helpers/cli.js';
import { Api, blobFiles, cli, dataDirFor, START_TIMEOUT_MS, verifyJson, wav } from './helpers.js';

describe('ics verify and ics audit verify', { concurrency: 3 }, () => {
  let base: string;
  let guids: string[];

  /** A private copy of the seeded (server stopped) data directory, for one kind of damage. */
  const copyOfBase = async (t: { after(fn: () => Promise<void>): void }) => {
    const dir = await dataDirFor(t);
    await cp(base, dir, { recursive: true });
    return dir;
  };

  before(async () => {
    base = await mkdtemp(join(tmpdir(), 'ics-deletion-'));
    const server = await startServerProcess({ ICS_DATA_DIR: base }, { timeoutMs: START_TIMEOUT_MS });
    try {
      const api = await Api.connect(server.url, base);
      guids = [];
      for (let i = 0; i < 3; i++) {
        const guid = await api.createInteraction();
        await api.put(guid, 'callRecording', wav(randomBytes(3000)), { contentType: 'audio/wav' });
        await api.put(guid, 'transcript', Buffer.from(JSON.stringify({ n: i })), {
          contentType: 'application/json',
        });
        guids.push(guid);
      }
      // Some deletions, so the ledger has entries: seq 1 (content), then seq 2–4 (two items + the interaction).
      assert.equal((await api.deleteContent(guids[0], 'transcript')).status, 204);
      assert.equal((await api.deleteInteraction(guids[2])).status, 200);
      guids.pop();

      // Beside the running (quiet) server: no false findings from either command.
      const [storage, audit] = await Promise.all([verifyJson(base), cli(base, ['audit', 'verify'])]);
      assert.deepEqual(storage.report.findings, [], 'no findings beside a quiet server');
      assert.equal(storage.code, 0, storage.stderr);
      assert.equal(storage.report.rows, 3);
      assert.equal(storage.report.blobs, 3);
      assert.equal(audit.code, 0, audit.stdout + audit.stderr);
      assert.match(audit.stdout, /account default: 4 entries, chain intact/);
    } finally {
      await server.stop();
    }
  });

  after(() => rm(base, { recursive: true, force: true }));

  test('an orphan blob file is reported (exit 1); --repair removes it (exit 0), and a re-check is clean', async (t) => {
    const dir = await copyOfBase(t);
    const key = `default/${guids[0]}/${randomUUID()}`;
    const path = join(dir, 'blobs', key);
    await mkdir(dirname(path), { recursive: true });
    await writeFile(path, 'stray bytes with no row');

    const found = await verifyJson(dir);
    assert.equal(found.code, 1);
    assert.equal(found.report.orphans, 1);
    assert.equal(found.report.missing + found.report.mismatches, 0);
    assert.equal(found.report.findings[0].kind, 'orphan');
    assert.ok(found.report.findings[0].detail.includes(key), found.report.findings[0].detail);
    await stat(path); // reporting alone removes nothing

    const repaired = await verifyJson(dir, ['--repair']);
    assert.equal(repaired.code, 0, 'every finding was repaired');
    assert.equal(repaired.report.repaired, 1);
    await assert.rejects(stat(path), { code: 'ENOENT' });

    const after = await cli(dir, ['verify']);
    assert.equal(after.code, 0, after.stdout + after.stderr);
    assert.match(
      after.stdout,
      /checked 3 rows and 3 blobs: 0 orphan\(s\), 0 missing, 0 checksum mismatch\(es\)/,
    );
  });

  test('a blob file missing under its row is reported (exit 1)', async (t) => {
    const dir = await copyOfBase(t);
    const [victim] = await blobFiles(dir);
    await rm(join(dir, 'blobs', victim));
    const res = await verifyJson(dir);
    assert.equal(res.code, 1);
    assert.equal(res.report.missing, 1);
    assert.equal(res.report.orphans + res.report.mismatches, 0);
    assert.equal(res.report.findings[0].kind, 'missing');
    assert.ok(res.report.findings[0].detail.includes(victim), res.report.findings[0].detail);
  });

  test('corrupted bytes (same length) are a checksum mismatch (exit 1); --quick skips checksums (exit 0)', async (t) => {
    const dir = await copyOfBase(t);
    const [victim] = await blobFiles(dir);
    const path = join(dir, 'blobs', victim);
    const bytes = await readFile(path);
    bytes[bytes.length >> 1] ^= 0xff;
    await writeFile(path, bytes);

    const [full, quick] = await Promise.all([verifyJson(dir), verifyJson(dir, ['--quick'])]);
    assert.equal(full.code, 1);
    assert.equal(full.report.mismatches, 1);
    assert.equal(full.report.orphans + full.report.missing, 0);
    assert.match(full.report.findings[0].detail, /SHA-256 [0-9a-f]{64} differs/);
    assert.equal(quick.code, 0, 'sizes match, and --quick reads no bytes');
    assert.deepEqual(quick.report.findings, []);
  });

  test('ics audit verify: an edited ledger row breaks the chain at that seq (exit 1)', async (t) => {
    const dir = await copyOfBase(t);
    const db = new Sqlite(join(dir, 'ics.sqlite'));
    try {
      const changed = db
        .prepare(
          "update audit_log set content_length = content_length + 1 where account = 'default' and seq = 2",
        )
        .run();
      assert.equal(changed.changes, 1);
    } finally {
      db.close();
    }
    const res = await cli(dir, ['audit', 'verify']);
    assert.equal(res.code, 1);
    assert.match(res.stdout, /account default: BROKEN at seq 2: hash does not match the entry/);
  });

  test('ics audit verify: a removed middle row is detected (exit 1)', async (t) => {
    const dir = await copyOfBase(t);
    const db = new Sqlite(join(dir, 'ics.sqlite'));
    try {
      assert.equal(
        db.prepare("delete from audit_log where account = 'default' and seq = 3").run().changes,
        1,
      );
    } finally {
      db.close();
    }
    const res = await cli(dir, ['audit', 'verify', '--json']);
    assert.equal(res.code, 1);
    const report = JSON.parse(res.stdout) as {
      ok: boolean;
      accounts: { account: string; break?: { seq: number; problem: string } }[];
    };
    assert.equal(report.ok, false);
    assert.deepEqual(report.accounts[0].break, { seq: 3, problem: 'expected seq 3, found 4' });
  });

  test('ics audit verify: removing the newest entries is detected through the head (exit 1)', async (t) => {
    const dir = await copyOfBase(t);
    const db = new Sqlite(join(dir, 'ics.sqlite'));
    let last: number;
    try {
      last = (
        db.prepare("select max(seq) as m from audit_log where account = 'default'").get() as { m: number }
      ).m;
      assert.ok(last >= 2);
      db.prepare("delete from audit_log where account = 'default' and seq = ?").run(last);
    } finally {
      db.close();
    }
    const res = await cli(dir, ['audit', 'verify', '--json']);
    assert.equal(res.code, 1);
    const report = JSON.parse(res.stdout) as { accounts: { break?: { seq: number; problem: string } }[] };
    assert.equal(report.accounts[0].break?.seq, last);
    assert.match(report.accounts[0].break?.problem ?? '', /head records seq/);
  });
});
