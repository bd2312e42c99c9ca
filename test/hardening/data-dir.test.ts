// Issue 9, items 2 (file modes), 3 (account ids, bad queue entries) and 12 (bootstrap credentials):
// real server and CLI processes on real data directories.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { chmod, mkdir, readdir, readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { test } from 'node:test';
import Sqlite from 'better-sqlite3';
import { v7 as uuidv7 } from 'uuid';
import { isValidAccount } from '../../src/auth/claims.js';
import { Api, allFiles, cli, dataDirFor, serve, verifyJson } from '../deletion/helpers.js';
import { runCli } from '../helpers/cli.js';
import { createTestDatabase } from '../helpers/postgres.js';

const mode = async (path: string) => (await stat(path)).mode & 0o777;

/** Every directory under `dir`, itself included. */
async function allDirs(dir: string): Promise<string[]> {
  const out = [dir];
  for (const e of await readdir(dir, { withFileTypes: true, recursive: true }))
    if (e.isDirectory()) out.push(join(e.parentPath, e.name));
  return out;
}

test('the data directory is 0700 and every file in it 0600, whatever the umask', async (t) => {
  const dataDir = await dataDirFor(t);
  // A permissive umask in the parent: the server must not inherit it.
  const previous = process.umask(0o002);
  t.after(() => process.umask(previous));
  const server = await serve(t, dataDir);
  const api = await Api.connect(server.url, dataDir);
  const guid = await api.createInteraction();
  await api.put(guid, 'callRecording', randomBytes(5000), { contentType: 'audio/wav' });
  await api.put(guid, 'callRecording', randomBytes(5000), { contentType: 'audio/wav' }); // a replace
  const seeded = await cli(dataDir, ['seed', '--demo', '--count', '2']);
  assert.equal(seeded.code, 0, seeded.stderr);

  const files = await allFiles(dataDir);
  assert.ok(
    files.some((f) => f.endsWith('ics.sqlite-wal')),
    'the WAL is among the files checked',
  );
  assert.ok(
    files.some((f) => f.includes(`${join(dataDir, 'blobs')}/`)),
    'blobs are among them',
  );
  for (const f of files) assert.equal(await mode(f), 0o600, `${f} is ${(await mode(f)).toString(8)}`);
  for (const d of await allDirs(dataDir))
    assert.equal(await mode(d), 0o700, `${d} is ${(await mode(d)).toString(8)}`);
});

test('an existing world-readable data directory is tightened at start, with a log line for each', async (t) => {
  const dataDir = await dataDirFor(t);
  const first = await serve(t, dataDir);
  await first.stop();
  await chmod(dataDir, 0o755);
  await chmod(join(dataDir, 'ics.sqlite'), 0o644);
  await chmod(join(dataDir, 'blobs'), 0o755);
  const server = await serve(t, dataDir, { ICS_LOG_LEVEL: 'warn' });
  assert.equal(await mode(dataDir), 0o700);
  assert.equal(await mode(join(dataDir, 'ics.sqlite')), 0o600);
  assert.equal(await mode(join(dataDir, 'blobs')), 0o700);
  const lines = server
    .output()
    .split('\n')
    .filter((l) => l.includes('tightened the mode'))
    .map((l) => JSON.parse(l) as { path: string; from: string; to: string });
  assert.deepEqual(lines.map((l) => [l.path, l.from, l.to]).sort(), [
    [dataDir, '0755', '0700'],
    [join(dataDir, 'blobs'), '0755', '0700'],
    [join(dataDir, 'ics.sqlite'), '0644', '0600'],
  ]);
});

test('one account rule everywhere: a letter or digit first, no "..", and `.`, `..`, `.tmp` refused', async (t) => {
  for (const bad of ['.', '..', '.tmp', '-x', '_x', 'a..b', '', 'a/b', 'x'.repeat(65), 'ä'])
    assert.equal(isValidAccount(bad), false, JSON.stringify(bad));
  for (const good of ['default', 'acme', 'a', '9', 'a.b', 'a-b_c.d', 'A'.repeat(64)])
    assert.equal(isValidAccount(good), true, good);
  const dataDir = await dataDirFor(t);
  for (const bad of ['.', '..', '.tmp']) {
    const res = await cli(dataDir, [
      'clients',
      'add',
      '--account',
      bad,
      '--scopes',
      'interaction-content:read',
    ]);
    assert.equal(res.code, 1, `${bad}: ${res.stdout}`);
    assert.match(res.stderr, /is not valid: 1–64 characters: a letter or digit first/);
  }
  const listed = await cli(dataDir, ['clients', 'list', '--json']);
  assert.deepEqual(JSON.parse(listed.stdout), [], 'nothing was created');
});

test('a bad purge entry never stops start-up: it is quarantined, shown by verify, cleared by --repair', async (t) => {
  const dataDir = await dataDirFor(t);
  const first = await serve(t, dataDir);
  await first.stop();
  // What an account named '..' used to leave behind: an entry whose blob key no store accepts.
  const db = new Sqlite(join(dataDir, 'ics.sqlite'));
  const insert = db.prepare(
    "insert into purge_queue (account, id, blob_key, not_before_ms, reason, attempts) values (?, ?, ?, ?, 'delete', 0)",
  );
  insert.run('..', uuidv7(), `../${uuidv7()}/${uuidv7()}`, Date.now());
  insert.run('.tmp', uuidv7(), `.tmp/${uuidv7()}/${uuidv7()}`, Date.now());
  db.close();

  const server = await serve(t, dataDir);
  assert.equal((await fetch(`${server.url}/readyz`)).status, 200, 'the server started and serves');
  const before = await verifyJson(dataDir);
  assert.equal(before.code, 1);
  assert.equal(before.report.leftovers.quarantined, 2, JSON.stringify(before.report.findings));
  assert.ok(
    before.report.findings.every((f) => f.kind === 'quarantined' && /invalid blob key/.test(f.detail)),
  );
  const repaired = await verifyJson(dataDir, ['--repair']);
  assert.equal(repaired.code, 0, JSON.stringify(repaired.report.findings));
  assert.equal(repaired.report.repaired, 2);
  const after = await verifyJson(dataDir);
  assert.equal(after.code, 0);
  assert.equal(after.report.leftovers.quarantined, 0);
  // And a restart after all that still starts.
  await server.stop();
  const again = await serve(t, dataDir);
  assert.equal((await fetch(`${again.url}/readyz`)).status, 200);
});

const pg = await createTestDatabase();
test('bootstrap credentials are never overwritten and never printed to stdout', {
  skip: 'skip' in pg ? pg.skip : false,
}, async (t) => {
  if ('skip' in pg) return;
  t.after(() => pg.drop());
  const dataDir = await dataDirFor(t);
  const sqliteServer = await serve(t, dataDir, { ICS_LOG_LEVEL: 'info' });
  const file = join(dataDir, 'bootstrap-client.json');
  const original = await readFile(file, 'utf8');
  const secret = JSON.parse(original).clientSecret as string;
  await sqliteServer.stop();
  const stdout = sqliteServer.stdout();
  assert.ok(!stdout.includes(secret), 'the secret is not on stdout');
  assert.ok(!sqliteServer.output().includes(secret), 'nor on stderr');
  for (const line of stdout.split('\n').filter(Boolean)) JSON.parse(line); // stdout is the JSON log only
  assert.match(sqliteServer.output(), new RegExp(`Its secret is in ${file.replaceAll('/', '\\/')}`));

  // A PostgreSQL node started from the same folder bootstraps its own client into a file of its own.
  const pgServer = await serve(t, dataDir, { ICS_DATABASE_URL: pg.url });
  assert.equal(await readFile(file, 'utf8'), original, 'the first file is untouched');
  const others = (await readdir(dataDir)).filter((f) => /^bootstrap-client-.+\.json$/.test(f));
  assert.equal(others.length, 1);
  const second = JSON.parse(await readFile(join(dataDir, others[0]), 'utf8'));
  assert.notEqual(second.clientId, JSON.parse(original).clientId);
  assert.equal(await mode(join(dataDir, others[0])), 0o600);
  assert.ok(!pgServer.output().includes(second.clientSecret));
  const res = await runCli(['clients', 'list', '--json'], {
    ICS_DATA_DIR: dataDir,
    ICS_DATABASE_URL: pg.url,
  });
  assert.deepEqual(
    JSON.parse(res.stdout).map((c: { clientId: string }) => c.clientId),
    [second.clientId],
  );
});

test('a damaged database stops start-up with one line', async (t) => {
  const dataDir = await dataDirFor(t);
  await mkdir(join(dataDir, 'ro'));
  await writeFile(join(dataDir, 'ro', 'ics.sqlite'), 'not a database');
  const res = await runCli(['serve'], { ICS_DATA_DIR: join(dataDir, 'ro'), PORT: '0' });
  assert.equal(res.code, 1);
  assert.equal(res.stderr.trim().split('\n').length, 1, res.stderr);
});
