import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';

// Child processes for the bench: one-shot commands, long-running servers (stopped by their own pid,
// never by name), and what /proc tells about a process (RSS, CPU time).

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Runs a command to its end; rejects on a non-zero exit with its stderr. */
export function run(cmd: string, args: string[], opts: { env?: NodeJS.ProcessEnv } = {}): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { env: opts.env ?? process.env, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (err += d));
    child.on('error', reject);
    child.on('close', (code) =>
      code === 0 ? resolve(out) : reject(new Error(`${cmd} exited ${code}: ${err || out}`)),
    );
  });
}

export function hasCommand(name: string): boolean {
  return spawnSync('sh', ['-c', `command -v ${name}`], { stdio: 'ignore' }).status === 0;
}

/**
 * Makes a Debian tool available: already there, or installed with apt-get when running as root.
 * Returns a reason to skip when neither works.
 */
export function ensureDebianTool(binary: string, pkg: string, log: (s: string) => void): string | undefined {
  if (hasCommand(binary)) return undefined;
  if (process.getuid?.() !== 0 || !hasCommand('apt-get')) {
    return `${binary} is not installed and cannot be installed here (needs root and apt-get): apt-get install ${pkg}`;
  }
  log(`installing ${pkg} with apt-get …`);
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  let r = spawnSync('apt-get', ['install', '-y', '-qq', pkg], { env, stdio: 'ignore' });
  if (r.status !== 0) {
    spawnSync('apt-get', ['update', '-qq'], { env, stdio: 'ignore' });
    r = spawnSync('apt-get', ['install', '-y', '-qq', pkg], { env, stdio: 'ignore' });
  }
  return hasCommand(binary) ? undefined : `apt-get install ${pkg} failed`;
}

export { freePort } from '../../test/helpers/cli.js';

export interface Background {
  child: ChildProcess;
  pid: number;
  output(): string;
  stop(): Promise<void>;
}

/** Starts a long-running process; `ready` polls until it serves (or the process dies). */
export async function startBackground(
  cmd: string,
  args: string[],
  opts: { env?: NodeJS.ProcessEnv; cwd?: string; ready: () => Promise<boolean>; timeoutMs?: number },
): Promise<Background> {
  const child = spawn(cmd, args, {
    env: opts.env ?? process.env,
    cwd: opts.cwd,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout?.on('data', (d) => (out = (out + d).slice(-20_000)));
  child.stderr?.on('data', (d) => (out = (out + d).slice(-20_000)));
  let exited = false;
  const done = new Promise<void>((resolve) =>
    child.on('exit', () => {
      exited = true;
      resolve();
    }),
  );
  const deadline = Date.now() + (opts.timeoutMs ?? 60_000);
  for (;;) {
    if (exited) throw new Error(`${cmd} exited during start-up:\n${out}`);
    if (await opts.ready().catch(() => false)) break;
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`${cmd} did not start in time:\n${out}`);
    }
    await sleep(100);
  }
  return {
    child,
    pid: child.pid!,
    output: () => out,
    async stop() {
      if (exited) return;
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 20_000);
      await done;
      clearTimeout(timer);
    },
  };
}

/** Resident set size now, in bytes (0 once the process is gone). */
export function rssBytes(pid: number): number {
  try {
    const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) * 1024 : 0;
  } catch {
    return 0;
  }
}

/** Samples RSS every 20 ms and resets/reads the kernel's own high-water mark (VmHWM) around it. */
export function sampleRss(pid: number): { stop(): { peakBytes: number; hwmBytes: number | undefined } } {
  let resetOk = true;
  try {
    writeFileSync(`/proc/${pid}/clear_refs`, '5'); // resets VmHWM to the current RSS (Linux >= 4.0)
  } catch {
    resetOk = false;
  }
  let peak = rssBytes(pid);
  const timer = setInterval(() => (peak = Math.max(peak, rssBytes(pid))), 20);
  return {
    stop() {
      clearInterval(timer);
      peak = Math.max(peak, rssBytes(pid));
      let hwm: number | undefined;
      if (resetOk) {
        const m = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
        hwm = m ? Number(m[1]) * 1024 : undefined;
      }
      return { peakBytes: hwm === undefined ? peak : Math.max(peak, hwm), hwmBytes: hwm };
    },
  };
}

/** User + system CPU seconds a process and its live children have used (children: nginx workers). */
export function cpuSeconds(pid: number): number {
  const ticks = 100; // USER_HZ on Linux
  const one = (p: number) => {
    try {
      const fields = readFileSync(`/proc/${p}/stat`, 'utf8').split(') ')[1].split(' ');
      return (Number(fields[11]) + Number(fields[12])) / ticks;
    } catch {
      return 0;
    }
  };
  let children: number[] = [];
  try {
    children = readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8')
      .trim()
      .split(/\s+/)
      .filter(Boolean)
      .map(Number);
  } catch {
    // no children file: count the process alone
  }
  return one(pid) + children.reduce((sum, c) => sum + one(c), 0);
}
