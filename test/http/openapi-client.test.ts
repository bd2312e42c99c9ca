import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { copyFile, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import openapiTS, { astToString, type OpenAPI3 } from 'openapi-typescript';
import { buildTestApp } from '../helpers/app.js';
import { ROOT } from '../helpers/cli.js';

const run = promisify(execFile);
const USAGE = join(ROOT, 'test', 'fixtures', 'openapi-client', 'usage.ts');

/** What the fixture exports (it is not compiled with the repository: its types are generated). */
interface Usage {
  searchDownloadDelete(opts: { baseUrl: string; token: string; start: string; end: string }): Promise<{
    found: string[];
    guid: string;
    contentKeys: string[];
    downloaded: { status: number; bytes: Uint8Array; contentRange: string | null };
    deleted: { status: number; receipt: string | null };
    afterDelete: { status: number; code: string | undefined };
  }>;
}

// The generated client works: types from the document the server serves (openapi-typescript), a
// small integrator's module over them (openapi-fetch, test/fixtures/openapi-client/usage.ts) that
// must typecheck against them, then the same module run against a real listening server.
test('a client generated from the OpenAPI document typechecks and searches, downloads and deletes', async (t) => {
  const { app, token, seed } = await buildTestApp(t);
  const bearer = await token();
  const guids: string[] = [];
  for (const start of ['2024-03-01T10:00:00Z', '2024-03-01T11:00:00Z']) {
    guids.push(
      await seed(bearer, {
        start,
        files: [{ key: 'callRecording', body: `RIFF-${start}`, contentType: 'audio/wav' }],
      }),
    );
  }
  await app.listen({ port: 0, host: '127.0.0.1' });
  const baseUrl = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`;

  // Generated from the served document, over HTTP, as an integrator would.
  const doc = (await (await fetch(`${baseUrl}/interaction-content/openapi.json`)).json()) as OpenAPI3;
  const dir = await mkdtemp(join(tmpdir(), 'ics-client-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  await writeFile(join(dir, 'ics-api.d.ts'), astToString(await openapiTS(doc)));
  await copyFile(USAGE, join(dir, 'usage.ts'));
  await symlink(join(ROOT, 'node_modules'), join(dir, 'node_modules'), 'dir');
  await writeFile(join(dir, 'package.json'), JSON.stringify({ type: 'module' }));
  await writeFile(
    join(dir, 'tsconfig.json'),
    JSON.stringify({
      compilerOptions: {
        target: 'ES2022',
        module: 'NodeNext',
        moduleResolution: 'NodeNext',
        lib: ['ES2023', 'DOM'],
        types: [],
        strict: true,
        noEmit: true,
      },
      files: ['usage.ts', 'ics-api.d.ts'],
    }),
  );
  const tsc = await run(
    process.execPath,
    [join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', dir],
    {
      cwd: dir,
    },
  ).catch((err: { stdout: string; stderr: string }) => ({
    stdout: err.stdout,
    stderr: err.stderr,
    failed: true,
  }));
  assert.ok(
    !('failed' in tsc),
    `the usage typechecks against the generated types:\n${tsc.stdout}${tsc.stderr}`,
  );

  const usage = (await import(pathToFileURL(join(dir, 'usage.ts')).href)) as Usage;
  const outcome = await usage.searchDownloadDelete({
    baseUrl,
    token: bearer,
    start: '2024-03-01T00:00:00Z',
    end: '2024-03-02T00:00:00Z',
  });
  assert.deepEqual(outcome.found.sort(), [...guids].sort());
  assert.deepEqual(outcome.contentKeys, ['callRecording']);
  assert.equal(outcome.downloaded.status, 206);
  assert.equal(Buffer.from(outcome.downloaded.bytes).toString(), 'RIFF');
  assert.match(outcome.downloaded.contentRange ?? '', /^bytes 0-3\/\d+$/);
  assert.equal(outcome.deleted.status, 200);
  assert.ok(outcome.deleted.receipt, 'the deletion receipt header');
  assert.equal(outcome.afterDelete.status, 404);
  assert.equal(outcome.afterDelete.code, 'interaction_not_found');
});
