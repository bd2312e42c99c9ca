import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { runCli } from '../helpers/cli.js';

// `ics clients add/update` with content permissions, as processes against a real SQLite data directory.

const SCOPES = 'interaction-content:read interaction-content:delete';
const ANY = { types: null, directions: null };

describe('ics clients: content permissions', () => {
  let dir: string;
  let env: Record<string, string>;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'ics-cli-perm-'));
    env = { ICS_DATA_DIR: dir };
  });
  after(() => rm(dir, { recursive: true, force: true }));

  const list = async () => {
    const res = await runCli(['clients', 'list', '--json'], env);
    assert.equal(res.code, 0, res.stderr);
    return JSON.parse(res.stdout) as { clientId: string; permissions: unknown }[];
  };

  test('add stores the restrictions (canonical names, both sides of --directions); list shows them', async () => {
    const res = await runCli(
      [
        'clients',
        'add',
        '--account',
        'acme',
        '--scopes',
        SCOPES,
        '--read-types',
        'transcript, CALLRECORDING',
        '--delete-types',
        'transcript',
        '--directions',
        'Inbound',
        '--json',
      ],
      env,
    );
    assert.equal(res.code, 0, res.stderr);
    const added = JSON.parse(res.stdout);
    const expected = {
      read: { types: ['callRecording', 'transcript'], directions: ['inbound'] },
      delete: { types: ['transcript'], directions: ['inbound'] },
    };
    assert.deepEqual(added.permissions, expected);
    assert.deepEqual((await list()).find((c) => c.clientId === added.clientId)?.permissions, expected);

    const text = await runCli(['clients', 'list'], env);
    assert.match(
      text.stdout,
      /content: read callRecording,transcript \(inbound\); delete transcript \(inbound\)/,
    );
  });

  test('update changes only the lists it names; all lifts a restriction; separate directions per side', async () => {
    const res = await runCli(['clients', 'add', '--account', 'acme', '--scopes', SCOPES, '--json'], env);
    const { clientId, permissions } = JSON.parse(res.stdout);
    assert.deepEqual(permissions, { read: ANY, delete: ANY }, 'no flags: unrestricted');

    const up = await runCli(
      [
        'clients',
        'update',
        clientId,
        '--read-types',
        'voicemail',
        '--delete-directions',
        'outbound',
        '--json',
      ],
      env,
    );
    assert.equal(up.code, 0, up.stderr);
    assert.deepEqual(JSON.parse(up.stdout).permissions, {
      read: { types: ['voicemail'], directions: null },
      delete: { types: null, directions: ['outbound'] },
    });
    const again = await runCli(['clients', 'update', clientId, '--read-directions', 'inbound,outbound'], env);
    assert.equal(again.code, 0, again.stderr);
    assert.match(again.stdout, /read voicemail \(inbound,outbound\); delete all types \(outbound\)/);
    const lifted = await runCli(
      ['clients', 'update', clientId, '--read-types', 'all', '--directions', 'all', '--json'],
      env,
    );
    assert.deepEqual(JSON.parse(lifted.stdout).permissions, { read: ANY, delete: ANY });
    assert.deepEqual((await list()).find((c) => c.clientId === clientId)?.permissions, {
      read: ANY,
      delete: ANY,
    });
  });

  test('bad input: a clear message naming the flag, a non-zero exit, nothing changed', async () => {
    const res = await runCli(['clients', 'add', '--account', 'acme', '--scopes', SCOPES, '--json'], env);
    const { clientId } = JSON.parse(res.stdout);
    await runCli(['clients', 'update', clientId, '--read-types', 'transcript'], env);
    const before = await list();

    const cases: [string[], RegExp][] = [
      [
        ['clients', 'add', '--account', 'acme', '--scopes', SCOPES, '--read-types', 'transcript,podcast'],
        /--read-types: unknown content type 'podcast'; expected callRecording, transcript/,
      ],
      [
        ['clients', 'add', '--account', 'acme', '--scopes', SCOPES, '--directions', 'sideways'],
        /--directions: unknown direction 'sideways'; expected inbound, outbound/,
      ],
      [
        ['clients', 'update', clientId, '--delete-types', 'a,b'],
        /--delete-types: unknown content types 'a', 'b'/,
      ],
      [
        ['clients', 'update', clientId, '--read-types', ','],
        /--read-types must name at least one value, or 'all'/,
      ],
      [
        ['clients', 'update', clientId, '--directions', 'inbound', '--read-directions', 'outbound'],
        /--directions sets both sides/,
      ],
      [['clients', 'update', clientId], /nothing to update/],
      [['clients', 'update', 'ics_nope', '--read-types', 'all'], /no client 'ics_nope'/],
    ];
    for (const [args, message] of cases) {
      const out = await runCli(args, env);
      assert.notEqual(out.code, 0, args.join(' '));
      assert.match(out.stderr, message, args.join(' '));
      assert.equal(out.stderr.trim().split('\n').length, 1, `one line: ${out.stderr}`);
    }
    assert.deepEqual(await list(), before, 'no client added or changed');
  });
});
