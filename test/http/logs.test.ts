import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { bootstrapToken, startServerProcess } from '../helpers/cli.js';
import { startS3 } from '../helpers/s3.js';

const ISO = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;

/** Every stdout line as JSON; fails on the first line that is not. */
function jsonLines(stdout: string) {
  return stdout
    .split('\n')
    .filter((l) => l !== '')
    .map((line) => {
      try {
        return JSON.parse(line) as { level: number; time: string; msg: string; warning?: { name: string } };
      } catch {
        throw new Error(`a plain-text line in the JSON log: ${line}`);
      }
    });
}

test('one JSON log: ISO timestamps, no plain text, process warnings as JSON, ICS_LOG_LEVEL everywhere', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'ics-logs-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  // On S3 the AWS SDK warns about Node versions it will drop (on Node 20); that must be JSON too.
  const s3 = await startS3();
  t.after(() => s3.stop());
  const env = { ...s3.env, ICS_DATA_DIR: dir, ICS_LOG_LEVEL: 'info' };
  const server = await startServerProcess(env);
  t.after(() => server.stop());
  const token = await bootstrapToken(server.url, dir);
  await fetch(`${server.url}/interaction-content/interactions/nope`, {
    headers: { authorization: `Bearer ${token}`, accept: 'application/vnd.newvoicemedia.v3+json' },
  });
  await server.stop();

  const lines = jsonLines(server.stdout());
  assert.ok(lines.length > 0);
  for (const l of lines) assert.match(l.time, ISO, JSON.stringify(l));
  assert.ok(lines.some((l) => /listening on/.test(l.msg)));
  assert.ok(
    lines.some((l) => l.msg === 'request'),
    'request lines are in the same stream',
  );
  assert.ok(
    lines.some((l) => l.msg === 'bootstrap client created; its secret is in the file'),
    'start-up lines too',
  );
  // stderr carries the bootstrap banner and nothing else: no plain-text warnings from Node.
  const banner = /^(|No API clients existed, .*|Its secret is in .*| {2}curl -s -u .*)$/;
  for (const line of server.output().split('\n'))
    if (!line.startsWith('{')) assert.match(line, banner, 'only the banner is plain text (on stderr)');
  // The AWS SDK's notice appears on Node 20 only; where it does, it is a warn line of the log.
  if (process.versions.node.startsWith('20.'))
    assert.ok(
      lines.some((l) => l.level === 40 && l.warning && l.msg.startsWith('NodeVersionSupportWarning')),
      'the AWS SDK warning became a warn line of the log',
    );

  // warn: nothing at info from anyone (server, runner, purger, recovery).
  const quiet = await startServerProcess({ ...env, ICS_LOG_LEVEL: 'warn' });
  await quiet.stop();
  for (const l of jsonLines(quiet.stdout())) assert.ok(l.level >= 40, JSON.stringify(l));
});
