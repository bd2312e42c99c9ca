// Whether dist/ holds a build of the sources beside it. Plain JavaScript with no dependencies: it runs
// before anything is compiled (from bin/ics.js and bin/ensure-build.js).
import { existsSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';

/** What a build reads: a change to any of these makes dist/ stale. */
const INPUTS = ['src', 'console', 'package.json', 'tsconfig.json', 'tsconfig.build.json'];
/** Written by `npm run build` once both the server and the console are built. */
export const STAMP = join('dist', '.build-stamp');

/**
 * `missing` (no build), `stale` (an input is newer than the last complete build; `newer` names one),
 * `current`, or `packaged` (an installed package: no sources beside dist/, nothing to compare).
 */
export function buildState(root) {
  const stamp = join(root, STAMP);
  if (!existsSync(join(root, 'src'))) return { status: existsSync(stamp) ? 'packaged' : 'missing' };
  if (!existsSync(stamp)) return { status: 'missing' };
  const builtAt = statSync(stamp).mtimeMs;
  for (const input of INPUTS) {
    const newer = findNewer(join(root, input), builtAt);
    if (newer) return { status: 'stale', newer: relative(root, newer) };
  }
  return { status: 'current' };
}

/** Whether the build tools (dev dependencies) are installed. */
export function canBuild(root) {
  return ['typescript', 'vite'].every((p) => existsSync(join(root, 'node_modules', p, 'package.json')));
}

export function writeStamp(root) {
  writeFileSync(join(root, STAMP), `${new Date().toISOString()}\n`);
}

function findNewer(path, than) {
  let st;
  try {
    st = statSync(path);
  } catch {
    return undefined;
  }
  if (!st.isDirectory()) return st.mtimeMs > than ? path : undefined;
  for (const entry of readdirSync(path)) {
    if (entry === 'node_modules' || entry.startsWith('.')) continue;
    const found = findNewer(join(path, entry), than);
    if (found) return found;
  }
  // A deleted or renamed file shows only as a newer directory.
  return st.mtimeMs > than ? path : undefined;
}
