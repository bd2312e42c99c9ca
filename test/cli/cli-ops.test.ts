import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { COMMAND_USAGE, USAGE } from '../../src/cli/main.js';
import { ROOT, requestToken, runCli, type ServerProcess, startServerProcess } from '../helpers/cli.js';

// The operator-facing parts of the `ics` command (issue 10): rotation, hints, help, migrate.

describe('ics clients rotate and seed beside a running server', () => {
  let dir: string;
  let server: ServerProcess;
  let env: Record<string, string>;

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'ics-cli-'));
    env = { ICS_DATA_DIR: dir };
    server = await startServerProcess(env, { timeoutMs: 120_000 });
  });
  after(async () => {
    await server?.stop();
    await rm(dir, { recursive: true, force: true });
  });

  test('clients rotate issues a new secret; the old one stops getting tokens', async () => {
    const added = await runCli(
      ['clients', 'add', '--account', 'acme', '--scopes', 'interaction-content:read', '--json'],
      env,
    );
    const client = JSON.parse(added.stdout);
    const rotated = await runCli(['clients', 'rotate', client.clientId, '--json'], env);
    assert.equal(rotated.code, 0, rotated.stderr);
    const r = JSON.parse(rotated.stdout);
    assert.equal(r.clientId, client.clientId);
    assert.notEqual(r.clientSecret, client.clientSecret);
    assert.equal((await requestToken(server.url, client.clientId, client.clientSecret)).status, 401);
    assert.equal((await requestToken(server.url, client.clientId, r.clientSecret)).status, 200);
    const human = await runCli(['clients', 'rotate', client.clientId], env);
    assert.match(human.stdout, /client secret: \S{43}/);
    const missing = await runCli(['clients', 'rotate', 'ics_nope'], env);
    assert.equal(missing.code, 1);
    assert.match(missing.stderr, /no active client 'ics_nope'/);
  });

  test("seed's search hint names the server's real URL", async () => {
    const port = new URL(server.url).port;
    const seeded = await runCli(['seed', '--demo', '--count', '1'], { ...env, PORT: port });
    assert.equal(seeded.code, 0, seeded.stderr);
    const hint = /'(http[^']+)'/.exec(seeded.stdout)?.[1];
    assert.ok(hint?.startsWith(`${server.url}/interaction-content/interactions?start=`), seeded.stdout);
  });

  test('bad numbers and missing arguments are one clear line', async () => {
    for (const [args, message] of [
      [['seed', '--demo', '--count', '0'], /--count must be a whole number from 1 to 100000 \(got '0'\)/],
      [['clients', 'rotate'], /usage: ics clients/],
    ] as const) {
      const res = await runCli([...args], env);
      assert.equal(res.code, 2, args.join(' '));
      assert.match(res.stderr, message);
      assert.equal(res.stderr.trim().split('\n').length, 1);
    }
  });
});

describe('ics help, version and migrate', () => {
  test('--help and --version print and exit 0', async () => {
    const help = await runCli(['--help'], {});
    assert.equal(help.code, 0);
    assert.match(help.stdout, /^Usage: ics <command>/);
    assert.match(help.stdout, /clients rotate <clientId>/);
    const version = await runCli(['--version'], {});
    assert.equal(version.code, 0);
    const pkg = JSON.parse(await readFile(join(ROOT, 'package.json'), 'utf8'));
    assert.equal(version.stdout.trim(), pkg.version);
  });

  test('<command> --help prints its usage, exits 0 and does nothing', async () => {
    const dir = join(await mkdtemp(join(tmpdir(), 'ics-help-')), 'data');
    try {
      for (const args of [
        ...Object.keys(COMMAND_USAGE).map((c) => [c, '--help']),
        ['serve', '-h'],
        ['clients', 'add', '--help'],
        ['seed', '--demo', '--count', '5', '--help'],
      ]) {
        // An invalid PORT makes any command that went on to load the configuration exit 2 at once
        // (a server that ignored --help fails instead of running); the data dir must stay unmade.
        const res = await runCli(args, { ICS_DATA_DIR: dir, PORT: 'not-a-port' });
        assert.equal(res.code, 0, `${args.join(' ')}: ${res.stderr}`);
        assert.match(res.stdout, /^Usage/, args.join(' '));
        assert.equal(res.stderr, '', args.join(' '));
        assert.ok(!existsSync(dir), `${args.join(' ')} touched the data directory`);
      }
    } finally {
      await rm(dirname(dir), { recursive: true, force: true });
    }
  });

  test("the README's command table and the CLI's usage name the same commands and options", async () => {
    const readme = await readFile(join(ROOT, 'README.md'), 'utf8');
    const rows = readme
      .split('\n')
      .filter((l) => l.startsWith('| `ics ') && !l.startsWith('| `ics --help`'))
      .map((l) => l.slice(3, l.indexOf('`', 3)));
    assert.ok(rows.length >= 10, `the README lists the commands (${rows.length} rows found)`);
    for (const row of rows) {
      const words = row.split(/\s+/).slice(1);
      const name = words[0];
      const usage = COMMAND_USAGE[name];
      assert.ok(usage, `README names \`ics ${name}\`, which has no usage of its own`);
      // The subcommand, when the usage lists several (clients add|update|…, jobs list|cancel|nodes).
      const sub = words[1];
      if (sub && /^[a-z]+$/.test(sub) && /^Usage:\n/.test(usage))
        assert.ok(usage.includes(`ics ${name} ${sub}`), `\`ics ${name} ${sub}\` is missing from its --help`);
      for (const option of row.match(/--[a-z-]+/g) ?? []) {
        assert.ok(
          usage.includes(option),
          `\`ics ${name}\` --help does not mention ${option} (README: ${row})`,
        );
        assert.ok(USAGE.includes(option), `\`ics --help\` does not mention ${option} (README: ${row})`);
      }
    }
  });

  test('migrate lists what it applied, then that nothing was pending', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'ics-migrate-'));
    try {
      const first = await runCli(['migrate'], { ICS_DATA_DIR: dir });
      assert.equal(first.code, 0, first.stderr);
      assert.match(first.stdout, /^applied \d+ migration\(s\):\n {2}0001-initial\n/);
      const second = await runCli(['migrate'], { ICS_DATA_DIR: dir });
      assert.equal(second.code, 0);
      assert.equal(second.stdout, 'database schema is up to date; nothing to apply\n');
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
