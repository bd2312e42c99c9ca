import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { copyFile, cp, mkdir, mkdtemp, readFile, rm, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { promisify } from 'node:util';
import { buildState } from '../../bin/build-state.js';
import { bootstrapToken, ROOT, startServerProcess } from '../helpers/cli.js';

const run = promisify(execFile);
const npm = (args: string[], cwd: string) =>
  run('npm', args, {
    cwd,
    env: { ...process.env, npm_config_update_notifier: 'false' },
    maxBuffer: 64 << 20,
  });

/** Why the packed-install test cannot run here, or false. Under CI=true it must run. */
function packSkip(): string | false {
  const state = buildState(ROOT);
  if (state.status === 'current') return false;
  const why = `dist/ is ${state.status}${state.newer ? ` (${state.newer} is newer)` : ''}: run npm run build first`;
  if (process.env.CI) throw new Error(why);
  return why;
}

describe('installing ICS', () => {
  test('npm pack ships the build; installed from the tarball with --omit=dev, `ics serve` serves', {
    skip: packSkip(),
  }, async (t) => {
    const dir = await mkdtemp(join(tmpdir(), 'ics-install-'));
    t.after(() => rm(dir, { recursive: true, force: true }));
    // --ignore-scripts: prepare would rebuild dist/ under the feet of tests that serve dist/console;
    // the build is current (checked above), which is what prepare guarantees on `npm pack`.
    const packed = await npm(['pack', '--ignore-scripts', '--json', '--pack-destination', dir], ROOT);
    const [info] = JSON.parse(packed.stdout) as [{ filename: string; files: { path: string }[] }];
    const paths = info.files.map((f) => f.path);
    for (const p of [
      'bin/ics.js',
      'dist/cli/entry.js',
      'dist/console/index.html',
      'dist/.build-stamp',
      'LICENSE',
    ])
      assert.ok(paths.includes(p), `${p} is in the package`);
    assert.ok(!paths.some((p) => p.startsWith('src/') || p.startsWith('test/')), 'no sources or tests');

    const app = join(dir, 'app');
    await mkdir(app);
    await writeFile(join(app, 'package.json'), JSON.stringify({ name: 'ics-deploy', private: true }));
    // The production dependency set, from npm's cache (filled by the `npm ci` that made this tree).
    // better-sqlite3's native addon takes minutes to compile on a busy machine, so its install
    // script is skipped and the addon already built for this Node is copied in; ICS_TEST_PACKAGE_BUILD=1
    // runs every install script for real.
    const full = process.env.ICS_TEST_PACKAGE_BUILD === '1';
    await npm(
      [
        'install',
        '--omit=dev',
        '--prefer-offline',
        '--no-audit',
        '--no-fund',
        ...(full ? [] : ['--ignore-scripts']),
        join(dir, info.filename),
      ],
      app,
    );
    const installed = join(app, 'node_modules');
    await assert.rejects(readFile(join(installed, 'typescript', 'package.json')), 'no dev dependencies');
    await assert.rejects(readFile(join(installed, 'vite', 'package.json')), 'no dev dependencies');
    if (!full) {
      const addon = join('better-sqlite3', 'build', 'Release', 'better_sqlite3.node');
      await mkdir(join(installed, 'better-sqlite3', 'build', 'Release'), { recursive: true });
      await copyFile(join(ROOT, 'node_modules', addon), join(installed, addon));
    }

    const data = join(dir, 'data');
    const server = await startServerProcess(
      { ICS_DATA_DIR: data },
      { argv: [join(installed, '.bin', 'ics'), 'serve'], cwd: app, timeoutMs: 120_000 },
    );
    t.after(() => server.stop());
    assert.deepEqual(await (await fetch(`${server.url}/healthz`)).json(), { status: 'ok' });
    assert.equal((await fetch(`${server.url}/readyz`)).status, 200);
    assert.equal((await fetch(`${server.url}/console/`)).status, 200, 'the console ships too');
    const token = await bootstrapToken(server.url, data);
    const search = await fetch(
      `${server.url}/interaction-content/interactions?start=2024-01-01T00:00:00Z&end=2024-01-02T00:00:00Z`,
      { headers: { authorization: `Bearer ${token}`, accept: 'application/vnd.newvoicemedia.v3+json' } },
    );
    assert.equal(search.status, 200);
  });

  test('prepare without the build tools (npm ci --omit=dev) succeeds and says what to do', async (t) => {
    const dir = await mkdtemp(join(tmpdir(), 'ics-prepare-'));
    t.after(() => rm(dir, { recursive: true, force: true }));
    await cp(join(ROOT, 'bin'), join(dir, 'bin'), { recursive: true });
    await copyFile(join(ROOT, 'package.json'), join(dir, 'package.json'));
    await mkdir(join(dir, 'src'));
    const bare = await npm(['run', '--silent', 'prepare'], dir);
    assert.equal(bare.stdout, '');
    assert.match(bare.stderr, /no build in dist\/ and no build tools/);
  });
});

describe('bin/ics.js and the build in dist/', () => {
  /** A miniature checkout: bin/, package.json, a source file and a "build" whose entry says it ran. */
  async function checkout(t: { after(fn: () => Promise<void>): void }) {
    const dir = await mkdtemp(join(tmpdir(), 'ics-stale-'));
    t.after(() => rm(dir, { recursive: true, force: true }));
    await cp(join(ROOT, 'bin'), join(dir, 'bin'), { recursive: true });
    await writeFile(
      join(dir, 'package.json'),
      JSON.stringify({
        type: 'module',
        scripts: { build: 'node -e "console.log(\'building\')" && node bin/ensure-build.js --stamp' },
      }),
    );
    await mkdir(join(dir, 'src'));
    await mkdir(join(dir, 'dist', 'cli'), { recursive: true });
    await writeFile(join(dir, 'src', 'main.ts'), 'export {};\n');
    await writeFile(join(dir, 'dist', 'cli', 'entry.js'), "console.log('ran the build');\n");
    await writeFile(join(dir, 'dist', '.build-stamp'), 'x\n');
    const at = (path: string, seconds: number) => utimes(join(dir, path), seconds, seconds);
    for (const p of ['package.json', 'src', 'src/main.ts']) await at(p, 1_000_000);
    await at('dist/.build-stamp', 2_000_000);
    const ics = () =>
      run(process.execPath, [join(dir, 'bin', 'ics.js'), '--version'], { cwd: dir }).then(
        (r) => ({ code: 0, ...r }),
        (err: { code: number; stdout: string; stderr: string }) => err,
      );
    return { dir, at, ics };
  }

  test('a current build runs', async (t) => {
    const { ics } = await checkout(t);
    const res = await ics();
    assert.equal(res.code, 0);
    assert.equal(res.stdout, 'ran the build\n');
  });

  test('sources newer than the build, no build tools: refuses with a clear message', async (t) => {
    const { at, ics } = await checkout(t);
    await at('src/main.ts', 3_000_000);
    const res = await ics();
    assert.equal(res.code, 1);
    assert.equal(res.stdout, '', 'the stale build did not run');
    assert.match(res.stderr, /src\/main\.ts changed after the last build.*refusing/s);
  });

  test('sources newer than the build, build tools installed: rebuilds, then runs', async (t) => {
    const { dir, at, ics } = await checkout(t);
    for (const tool of ['typescript', 'vite']) {
      await mkdir(join(dir, 'node_modules', tool), { recursive: true });
      await writeFile(join(dir, 'node_modules', tool, 'package.json'), '{}');
    }
    await at('src/main.ts', 3_000_000);
    const res = await ics();
    assert.equal(res.code, 0, res.stderr);
    assert.equal(res.stdout, 'ran the build\n', 'the build output went to stderr, the command ran');
    assert.match(res.stderr, /building first[\s\S]*building/);
    assert.equal(buildState(dir).status, 'current');
  });

  test('a deleted source file (only its directory is newer) also counts', async (t) => {
    const { at, ics } = await checkout(t);
    await at('src', 3_000_000);
    assert.equal((await ics()).code, 1);
  });
});
