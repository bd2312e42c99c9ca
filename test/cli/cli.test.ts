import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { requestToken, runCli, type ServerProcess, startServerProcess } from '../helpers/cli.js';

const V3 = 'application/vnd.newvoicemedia.v3+json';

describe('the ics command beside a running server', () => {
  let dir: string;
  let server: ServerProcess;
  let env: Record<string, string>;

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'ics-cli-'));
    env = { ICS_DATA_DIR: dir };
    server = await startServerProcess(env);
  });
  after(async () => {
    await server?.stop();
    await rm(dir, { recursive: true, force: true });
  });

  test('the first start keeps the bootstrap client in a 0600 file and says where', async () => {
    const file = join(dir, 'bootstrap-client.json');
    const saved = JSON.parse(await readFile(file, 'utf8'));
    assert.equal((await stat(file)).mode & 0o777, 0o600);
    assert.equal(saved.account, 'default');
    assert.deepEqual(saved.scopes, [
      'interaction-content:read',
      'interaction-content:delete',
      'interaction-content:write',
      'interaction-content:admin',
      'admin:read',
      'admin:write',
    ]);
    assert.ok(!server.output().includes(saved.clientSecret), 'the secret is only in the file');
    assert.match(server.output(), new RegExp(`Its secret is in ${file}`));
    assert.match(
      server.output(),
      /curl -s -u ".*bootstrap-client\.json.*" -d grant_type=client_credentials http:\/\/127\.0\.0\.1:\d+\/Auth\/connect\/token/,
    );
    assert.equal((await requestToken(server.url, saved.clientId, saved.clientSecret)).status, 200);
  });

  test('clients add/list/revoke work while the server runs; a new client gets a token at once', async () => {
    const added = await runCli(
      [
        'clients',
        'add',
        '--account',
        'acme',
        '--scopes',
        'interaction-content:read interaction-content:delete',
        '--name',
        'billing export',
        '--json',
      ],
      env,
    );
    assert.equal(added.code, 0, added.stderr);
    const client = JSON.parse(added.stdout);
    assert.deepEqual(Object.keys(client).sort(), [
      'account',
      'clientId',
      'clientSecret',
      'permissions',
      'scopes',
    ]);
    assert.equal(client.account, 'acme');
    const res = await requestToken(server.url, client.clientId, client.clientSecret);
    assert.equal(res.status, 200);
    const { access_token: token, scope } = (await res.json()) as { access_token: string; scope: string };
    assert.equal(scope, 'interaction-content:read interaction-content:delete');

    const listed = await runCli(['clients', 'list', '--json'], env);
    assert.equal(listed.code, 0);
    const rows = JSON.parse(listed.stdout) as { clientId: string; name: string | null }[];
    assert.ok(rows.some((r) => r.clientId === client.clientId && r.name === 'billing export'));
    assert.ok(!listed.stdout.includes(client.clientSecret), 'secrets are never listed');

    const revoked = await runCli(['clients', 'revoke', client.clientId], env);
    assert.equal(revoked.code, 0, revoked.stderr);
    assert.equal((await requestToken(server.url, client.clientId, client.clientSecret)).status, 401);
    // Its token stops working within the verifier's short client-status cache.
    let status = 200;
    for (let i = 0; i < 40 && status === 200; i++) {
      status = (
        await fetch(
          `${server.url}/interaction-content/interactions?start=2024-01-01T00:00:00Z&end=2024-01-02T00:00:00Z`,
          { headers: { authorization: `Bearer ${token}`, accept: V3 } },
        )
      ).status;
      if (status === 200) await new Promise((r) => setTimeout(r, 250));
    }
    assert.equal(status, 401);
  });

  test('seed --demo fills the running server with real content', async () => {
    const seeded = await runCli(['seed', '--demo', '--count', '5', '--json'], env);
    assert.equal(seeded.code, 0, seeded.stderr);
    const { guids } = JSON.parse(seeded.stdout) as { guids: string[] };
    assert.equal(guids.length, 5);
    const saved = JSON.parse(await readFile(join(dir, 'bootstrap-client.json'), 'utf8'));
    const { access_token: token } = (await (
      await requestToken(server.url, saved.clientId, saved.clientSecret)
    ).json()) as { access_token: string };
    const wav = await fetch(
      `${server.url}/interaction-content/interactions/${guids[0]}/content/callRecording`,
      { headers: { authorization: `Bearer ${token}` } },
    );
    assert.equal(wav.status, 200);
    assert.equal(wav.headers.get('content-type'), 'audio/wav');
    const bytes = Buffer.from(await wav.arrayBuffer());
    assert.equal(bytes.subarray(0, 4).toString(), 'RIFF');
    assert.equal(bytes.subarray(8, 12).toString(), 'WAVE');
    const vm = await fetch(`${server.url}/interaction-content/interactions/${guids[0]}`, {
      headers: { authorization: `Bearer ${token}`, accept: V3 },
    });
    const types = ((await vm.json()) as { content: { type: string }[] }).content.map((c) => c.type).sort();
    assert.deepEqual(types, [
      'callRecording',
      'conversationSummary',
      'sentimentSummary',
      'transcript',
      'voicemail',
    ]);
    const chat = await fetch(
      `${server.url}/interaction-content/interactions/${guids[4]}/content/chatTranscript`,
      { headers: { authorization: `Bearer ${token}` } },
    );
    assert.equal(chat.status, 200);
    assert.ok(Array.isArray(((await chat.json()) as { messages: unknown[] }).messages));
  });

  test('errors are one clear line and a non-zero exit', async () => {
    const cases: [string[], RegExp][] = [
      [['frobnicate'], /unknown command 'frobnicate'/],
      [['clients', 'add', '--account', 'acme'], /--account and --scopes are required/],
      [['clients', 'add', '--account', 'acme', '--scopes', 'interaction-content:fly'], /unknown scope/],
      [['clients', 'add', '--account', 'a b', '--scopes', 'interaction-content:read'], /account 'a b'/],
      [['clients', 'revoke', 'ics_nope'], /no active client 'ics_nope'/],
      [['seed', '--demo', '--count', 'many'], /--count/],
      [['seed', '--demo', '--count', '-5'], /--count must be a whole number from 1 to 100000 \(got '-5'\)/],
      [['clients', 'add', '--bogus'], /bogus/],
    ];
    for (const [args, message] of cases) {
      const res = await runCli(args, env);
      assert.notEqual(res.code, 0, args.join(' '));
      assert.match(res.stderr, message, args.join(' '));
      assert.equal(res.stderr.trim().split('\n').length, 1, `one line: ${res.stderr}`);
    }
    const bad = await runCli(['migrate'], { ...env, PORT: 'x', ICS_DATABASE_URL: 'mysql://nope' });
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /PORT/);
    assert.match(bad.stderr, /ICS_DATABASE_URL/);
  });

  test('a second start neither prints nor changes the bootstrap client', async () => {
    const before = await readFile(join(dir, 'bootstrap-client.json'), 'utf8');
    await server.stop();
    server = await startServerProcess(env);
    assert.doesNotMatch(server.output(), /client secret/);
    assert.equal(await readFile(join(dir, 'bootstrap-client.json'), 'utf8'), before);
  });

  test('an unreachable database stops start-up with one clear line, no stack trace', async () => {
    const res = await runCli(['serve'], {
      ...env,
      PORT: '0',
      ICS_DATABASE_URL: 'postgres://postgres@127.0.0.1:1/ics',
    });
    assert.equal(res.code, 1);
    assert.match(res.stderr, /^ics: .*unavailable/);
    assert.doesNotMatch(res.stderr, /\n\s+at /);
  });
});
