#!/usr/bin/env node
// The `ics` command: runs the compiled CLI in dist/. In a source checkout it first makes sure dist/
// is a build of the sources beside it, so `git pull && npm start` never runs yesterday's code: a
// missing or stale build is rebuilt when the build tools are installed, and refused with a clear
// message when they are not. An installed package (no src/) runs what it shipped.
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { buildState, canBuild } from './build-state.js';

const root = fileURLToPath(new URL('..', import.meta.url));
const state = buildState(root);
if (state.status === 'missing' || state.status === 'stale') {
  const why =
    state.status === 'missing' ? 'there is no build in dist/' : `${state.newer} changed after the last build`;
  if (!canBuild(root)) {
    process.stderr.write(
      `ics: ${why}, and the build tools (dev dependencies) are not installed: refusing to run a ` +
        'missing or stale build. Run `npm ci && npm run build` here, or install a packed release ' +
        '(see docs/operations.md).\n',
    );
    process.exit(1);
  }
  process.stderr.write(`ics: ${why}; building first (npm run build)\n`);
  // The build's output goes to stderr: stdout is the command's own (the JSON log, --json answers).
  const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';
  const built = spawnSync(npm, ['run', '--silent', 'build'], { cwd: root, stdio: ['ignore', 2, 2] });
  if (built.status !== 0) {
    process.stderr.write('ics: the build failed (see above); not starting\n');
    process.exit(1);
  }
}
await import('../dist/cli/entry.js');
