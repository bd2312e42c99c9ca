import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { BenchContext } from './context.js';
import { ROOT } from './ics.js';
import { freePort, startBackground } from './proc.js';

export interface PlainStore {
  url: string;
  pid: number;
  stop(): Promise<void>;
}

/**
 * Starts bench/servers/plain-store.ts in its own process with its own directory under the work
 * dir; with `serveRoot` it also serves GET /b/<path> from there (the bare Node download floor).
 */
export async function startPlainStore(
  ctx: BenchContext,
  name: string,
  serveRoot?: string,
): Promise<PlainStore> {
  const dir = join(ctx.workDir, name);
  mkdirSync(dir, { recursive: true });
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const proc = await startBackground(
    process.execPath,
    ['--import', 'tsx', 'bench/servers/plain-store.ts', dir, String(port), ...(serveRoot ? [serveRoot] : [])],
    { cwd: ROOT, ready: async () => (await fetch(`${url}/healthz`)).ok },
  );
  return { url, pid: proc.pid, stop: () => proc.stop() };
}
