import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { clientsCommand } from '../../src/cli/clients.js';
import { openMetadataStore } from '../../src/metadata/open-metadata-store.js';
import { runCli } from '../helpers/cli.js';

// `ics clients add/update` with content permissions against a real SQLite data directory. Four
// processes show what only a process shows (the flags parsed from argv, the JSON and text answers,
// a one-line message and a non-zero exit); the rest of the flags' meaning runs the same command
// in-process (clientsCommand), and the store says what changed. The rules behind the flags
// (applyPermissionFlags) have their own unit tests in test/auth/permissions.test.ts.

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

  /** The clients as the store holds them, with the CLI's view of their permissions. */
  const stored = async () => {
    const store = await openMetadataStore({ kind: 'sqlite', path: join(dir, 'ics.sqlite') });
    try {
      await store.migrate();
      const { permissionsView } = await import('../../src/auth/permissions.js');
      return new Map((await store.listClients()).map((c) => [c.clientId, permissionsView(c.permissions)]));
    } finally {
      await store.close();
    }
  };

  test('as processes: add with every flag, update, list (JSON and text), and a bad flag refused in one line', async () => {
    const add = await runCli(
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
    assert.equal(add.code, 0, add.stderr);
    const { clientId, permissions } = JSON.parse(add.stdout);
    assert.deepEqual(permissions, {
      read: { types: ['callRecording', 'transcript'], directions: ['inbound'] },
      delete: { types: ['transcript'], directions: ['inbound'] },
    });

    const up = await runCli(
      ['clients', 'update', clientId, '--read-types', 'voicemail', '--delete-directions', 'outbound'],
      env,
    );
    assert.equal(up.code, 0, up.stderr);
    assert.match(
      up.stdout,
      /content permissions: read voicemail \(inbound\); delete transcript \(outbound\)/,
    );

    const bad = await runCli(
      ['clients', 'add', '--account', 'acme', '--scopes', SCOPES, '--read-types', 'transcript,podcast'],
      env,
    );
    assert.notEqual(bad.code, 0);
    assert.match(
      bad.stderr,
      /--read-types: unknown content type 'podcast'; expected callRecording, transcript/,
    );
    assert.equal(bad.stderr.trim().split('\n').length, 1, `one line: ${bad.stderr}`);

    const list = await runCli(['clients', 'list'], env);
    assert.equal(list.code, 0, list.stderr);
    assert.equal(list.stdout.trim().split('\n').length, 1, 'the refused add made no client');
    assert.match(list.stdout, /content: read voicemail \(inbound\); delete transcript \(outbound\)/);
    assert.deepEqual((await stored()).get(clientId), {
      read: { types: ['voicemail'], directions: ['inbound'] },
      delete: { types: ['transcript'], directions: ['outbound'] },
    });
  });

  describe('in-process', () => {
    let saved: string | undefined;
    let clientId: string;
    before(async () => {
      saved = process.env.ICS_DATA_DIR;
      process.env.ICS_DATA_DIR = dir;
      // Made through the store, so that no command's answer is printed into the test's output.
      const { addClient } = await import('../../src/auth/client-admin.js');
      const store = await openMetadataStore({ kind: 'sqlite', path: join(dir, 'ics.sqlite') });
      try {
        await store.migrate();
        ({ clientId } = await addClient(store, { account: 'acme', scopes: SCOPES }));
      } finally {
        await store.close();
      }
    });
    after(() => {
      if (saved === undefined) delete process.env.ICS_DATA_DIR;
      else process.env.ICS_DATA_DIR = saved;
    });

    /** Runs `ics clients <args>` in this process, with its answer (stdout) kept out of the test's. */
    const quietly = async (args: string[]) => {
      const write = process.stdout.write;
      let out = '';
      process.stdout.write = ((chunk: string | Uint8Array) => {
        out += String(chunk);
        return true;
      }) as typeof process.stdout.write;
      try {
        assert.equal(await clientsCommand(args), 0);
      } finally {
        process.stdout.write = write;
      }
      return out;
    };

    test('update changes only the lists it names; all lifts a restriction; separate directions per side', async () => {
      assert.deepEqual((await stored()).get(clientId), { read: ANY, delete: ANY }, 'no flags: unrestricted');
      await quietly(['update', clientId, '--read-types', 'voicemail', '--delete-directions', 'outbound']);
      assert.deepEqual((await stored()).get(clientId), {
        read: { types: ['voicemail'], directions: null },
        delete: { types: null, directions: ['outbound'] },
      });
      const text = await quietly(['update', clientId, '--read-directions', 'inbound,outbound']);
      assert.match(text, /read voicemail \(inbound,outbound\); delete all types \(outbound\)/);
      await quietly(['update', clientId, '--read-types', 'all', '--directions', 'all']);
      assert.deepEqual((await stored()).get(clientId), { read: ANY, delete: ANY });
    });

    test('bad input: an error naming the flag, nothing changed', async () => {
      await quietly(['update', clientId, '--read-types', 'transcript']);
      const before = await stored();
      const cases: [string[], RegExp][] = [
        [
          ['add', '--account', 'acme', '--scopes', SCOPES, '--directions', 'sideways'],
          /--directions: unknown direction 'sideways'; expected inbound, outbound/,
        ],
        [['update', clientId, '--delete-types', 'a,b'], /--delete-types: unknown content types 'a', 'b'/],
        [['update', clientId, '--read-types', ','], /--read-types must name at least one value, or 'all'/],
        [
          ['update', clientId, '--directions', 'inbound', '--read-directions', 'outbound'],
          /--directions sets both sides/,
        ],
        [['update', clientId], /nothing to update/],
        [['update', 'ics_nope', '--read-types', 'all'], /no client 'ics_nope'/],
      ];
      for (const [args, message] of cases)
        await assert.rejects(clientsCommand(args), message, args.join(' '));
      assert.deepEqual(await stored(), before, 'no client added or changed');
    });
  });
});
