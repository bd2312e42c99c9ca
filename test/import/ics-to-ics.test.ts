import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { bootstrapToken, runCli, type ServerProcess, startServerProcess } from '../helpers/cli.js';
import {
  bootstrapCredentials,
  call,
  type ImportSummaryLine,
  importArgs,
  putFile,
  runImportToEnd,
  seedInteraction,
  snapshot,
  startImport,
  variedFiles,
} from './helpers.js';

// ICS → ICS with two real server processes, each on its own data directory. The import runs as the
// real `ics import` command beside the live target server; it is interrupted (Ctrl-C), then killed
// in the middle of an upload, then resumed, and must end with identical content and no duplicates.

const DAY = 86_400_000;
// 20 days: three 7-day slices, and a window the target's own search (7 days at most) must page through.
const START = Date.parse('2025-03-01T00:00:00Z');
const END = START + 20 * DAY;
const COUNT = 15;

describe('ics import: ICS to ICS', () => {
  let source: ServerProcess;
  let target: ServerProcess;
  let sourceToken: string;
  let targetToken: string;
  let creds: { clientId: string; clientSecret: string };
  const dirs: string[] = [];
  let targetEnv: Record<string, string>;

  before(async () => {
    dirs.push(
      await mkdtemp(join(tmpdir(), 'ics-import-src-')),
      await mkdtemp(join(tmpdir(), 'ics-import-dst-')),
    );
    [source, target] = await Promise.all([
      startServerProcess({ ICS_DATA_DIR: dirs[0] }),
      startServerProcess({ ICS_DATA_DIR: dirs[1] }),
    ]);
    sourceToken = await bootstrapToken(source.url, dirs[0]);
    targetToken = await bootstrapToken(target.url, dirs[1]);
    creds = await bootstrapCredentials(dirs[0]);
    targetEnv = { ICS_DATA_DIR: dirs[1] };
    for (let i = 0; i < COUNT; i++) {
      await seedInteraction(source, sourceToken, {
        start: START + Math.floor((i * (END - START)) / COUNT) + 1234,
        agents: [`agent-${i % 4}`, 'agent-9'],
        files: variedFiles(i, 150_000),
      });
    }
    // Outside the window: must not be copied.
    await seedInteraction(source, sourceToken, {
      start: END + 1000,
      files: [{ key: 'transcript', body: Buffer.from('{}'), contentType: 'application/json' }],
    });
  });

  after(async () => {
    await source?.stop();
    await target?.stop();
    for (const d of dirs) await rm(d, { recursive: true, force: true });
  });

  const args = (extra: string[] = []) =>
    importArgs(source, creds, START, END, ['--page-size', '4', '--concurrency', '2', ...extra]);

  /** Every item the target holds is whole: the same bytes as the source's. */
  async function assertNothingHalfWritten() {
    const [src, dst] = await Promise.all([
      snapshot(source, sourceToken, START, END),
      snapshot(target, targetToken, START, END),
    ]);
    for (const [guid, interaction] of dst.byGuid) {
      const want = src.byGuid.get(guid) as { content: { contentKey: string }[] };
      for (const item of (interaction as { content: { contentKey: string }[] }).content) {
        assert.deepEqual(
          item,
          want.content.find((c) => c.contentKey === item.contentKey),
          `${guid}/${item.contentKey}`,
        );
      }
    }
    return { src, dst };
  }

  test('interrupted, killed mid-upload, resumed: identical content, no duplicates', async () => {
    // 1. Ctrl-C after a few files: a clean stop, exit 130, resumable.
    const first = startImport(args(['--rate', '25/s']), targetEnv);
    await first.waitFor((e) => e.type === 'item' && e.status === 'copied');
    await first.waitFor(() => first.events.filter((e) => e.type === 'item').length >= 3);
    first.child.kill('SIGINT');
    assert.equal(await first.exited, 130, first.stderr());
    const interrupted = first.summary() as unknown as ImportSummaryLine;
    assert.equal(interrupted.interrupted, true);
    assert.ok(interrupted.items.copied >= 3);
    assert.ok(interrupted.items.copied < interrupted.items.total, 'stopped before the end');
    await assertNothingHalfWritten();

    // 2. Killed (SIGKILL, test-only fault) after the 4th upload's blob is written, before its row commits.
    // One download at a time. Two interactions are worked on even so (a file is made durable while
    // the next downloads), so the 3rd upload may still be between its blob and its commit then.
    const second = startImport(args(['--concurrency', '1']), {
      ...targetEnv,
      ICS_TEST_FAULTS: 'upload.after-blob:4',
    });
    assert.equal(await second.exited, 'SIGKILL', second.stderr());
    const copiedBefore = second.events.filter((e) => e.type === 'item' && e.status === 'copied').length;
    assert.ok(
      copiedBefore >= 1 && copiedBefore <= 3,
      `up to three uploads committed, the fourth died before its commit (${copiedBefore} copied)`,
    );
    assert.ok(
      second.events.some((e) => e.type === 'item' && e.status === 'skipped'),
      'the second run skipped',
    );
    await assertNothingHalfWritten();

    // 3. Resume to the end.
    const third = await runImportToEnd(args(), targetEnv);
    assert.equal(third.code, 0, third.stderr);
    assert.ok(third.summary);
    assert.equal(third.summary.items.failed, 0);
    assert.equal(third.summary.interactions.total, COUNT);
    assert.ok(third.summary.items.skipped > 0);
    assert.equal(third.summary.items.copied + third.summary.items.skipped, third.summary.items.total);

    const { src, dst } = await assertNothingHalfWritten();
    assert.equal(dst.listed.length, COUNT);
    assert.equal(new Set(dst.listed).size, dst.listed.length, 'no interaction listed twice');
    assert.deepEqual(dst.byGuid, src.byGuid, 'metadata, keys and every sha256 identical');
    const keys = [...dst.byGuid.values()].flatMap((i) =>
      (i as { content: { contentKey: string }[] }).content.map((c) => c.contentKey),
    );
    assert.ok(keys.includes('voicemail-100'), 'legacy voicemail keys kept');
    const outside = await call(
      target,
      targetToken,
      'GET',
      `/interactions?start=${new Date(END).toISOString()}&end=${new Date(END + DAY).toISOString()}`,
    );
    assert.deepEqual(
      ((await outside.json()) as { items: unknown[] }).items,
      [],
      'nothing outside the window',
    );

    // The target's storage is consistent: no orphan blob, no missing one (the killed upload's blob
    // is covered by its upload intent, which the running server's purge job erases once its node
    // registry shows the killed import dead: that happens on the job's next turn, so wait for it).
    let verify = await runCli(['verify', '--json'], targetEnv);
    for (let turn = 0; verify.code !== 0 && turn < 30; turn++) {
      await new Promise((resolve) => setTimeout(resolve, 2000));
      verify = await runCli(['verify', '--json'], targetEnv);
    }
    assert.equal(verify.code, 0, verify.stdout + verify.stderr);
  });

  test('a run over a complete copy copies nothing; a file changed at the source is replaced', async () => {
    const again = await runImportToEnd(args(), targetEnv);
    assert.equal(again.code, 0, again.stderr);
    assert.equal(again.summary?.items.copied, 0);
    assert.equal(again.summary?.items.skipped, again.summary?.items.total);
    assert.equal(again.events.filter((e) => e.type === 'item' && e.status !== 'skipped').length, 0);

    const src = await snapshot(source, sourceToken, START, END);
    const guid = src.listed[5];
    await putFile(source, sourceToken, guid, {
      key: 'transcript',
      body: Buffer.from('{"edited":"at the source, a different length"}'),
      contentType: 'application/json',
    });
    const third = await runImportToEnd(args(), targetEnv);
    assert.equal(third.code, 0, third.stderr);
    assert.equal(third.summary?.items.replaced, 1);
    assert.deepEqual(
      third.events
        .filter((e) => e.type === 'item' && e.status === 'replaced')
        .map((e) => [e.guid, e.contentKey]),
      [[guid, 'transcript']],
    );
    const [a, b] = await Promise.all([
      snapshot(source, sourceToken, START, END),
      snapshot(target, targetToken, START, END),
    ]);
    assert.deepEqual(b.byGuid, a.byGuid);
  });

  test('bad arguments are refused with exit 2 and change nothing', async () => {
    const before = await snapshot(target, targetToken, START - 365 * DAY, START);
    const cases: [string[], RegExp][] = [
      [args(['--rate', 'fast']), /--rate/],
      [args(['--concurrency', '0']), /--concurrency/],
      [importArgs(source, creds, END, START), /--end must be after --start/],
      [
        ['--from', 'ftp://example.com', '--start', 'x'],
        /--from must be an http\(s\) URL.*--client-id.*--start/,
      ],
      [args(['--client-secret-file', '/nonexistent']), /one of --client-secret and --client-secret-file/],
    ];
    for (const [argv, message] of cases) {
      const res = await runCli(['import', ...argv], { ICS_DATA_DIR: join(dirs[1], 'never-created') });
      assert.equal(res.code, 2, res.stderr);
      assert.match(res.stderr, message);
    }
    // Wrong credentials: the source refuses the token; reported, exit 1, nothing written.
    const wrong = await runImportToEnd(
      importArgs(source, { clientId: creds.clientId, clientSecret: 'wrong' }, START - 365 * DAY, START),
      targetEnv,
    );
    assert.equal(wrong.code, 1);
    assert.match(wrong.summary?.fatal ?? '', /token request.*401.*invalid_client/);
    assert.match(wrong.stderr, /import stopped/);
    assert.deepEqual(await snapshot(target, targetToken, START - 365 * DAY, START), before);
  });
});
