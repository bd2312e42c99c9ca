#!/usr/bin/env node
// The `prepare` script: builds dist/ when the build tools are installed (a development checkout, `npm
// ci`, `npm pack`), and otherwise leaves things as they are, so `npm ci --omit=dev` works. With
// `--stamp` it only records that a build just completed (the last step of `npm run build`).
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { buildState, canBuild, writeStamp } from './build-state.js';

const root = fileURLToPath(new URL('..', import.meta.url));

if (process.argv.includes('--stamp')) {
  writeStamp(root);
} else if (canBuild(root)) {
  // The build's output goes to stderr, so `npm pack --json` keeps a clean stdout.
  const npm = process.env.npm_execpath;
  const stdio = ['ignore', 2, 2];
  const run = npm
    ? spawnSync(process.execPath, [npm, 'run', 'build'], { cwd: root, stdio })
    : spawnSync('npm', ['run', 'build'], { cwd: root, stdio, shell: process.platform === 'win32' });
  process.exitCode = run.status ?? 1;
} else if (buildState(root).status === 'missing') {
  process.stderr.write(
    'ics: no build in dist/ and no build tools (dev dependencies) to make one; the `ics` command ' +
      'will not run. Install from a packed release (npm pack), or run `npm ci && npm run build` ' +
      '(see docs/operations.md).\n',
  );
}
