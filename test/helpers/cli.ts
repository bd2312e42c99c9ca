import { type ChildProcess, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

export const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const ENTRY = ['--import', 'tsx', 'src/cli/entry.ts'];

/** Runs `ics <args>` from source in a child process; resolves with its exit code and output. */
export function runCli(
  args: string[],
  env: Record<string, string>,
): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [...ENTRY, ...args], {
      cwd: ROOT,
      env: { ...process.env, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code: code ?? -1, stdout, stderr }));
  });
}

export interface ServerProcess {
  child: ChildProcess;
  url: string;
  /** stdout and stderr, interleaved as they arrived. */
  output(): string;
  /** stdout alone (the JSON log). */
  stdout(): string;
  /** Resolves with the exit code or signal name once the process has ended. */
  exited: Promise<number | string>;
  stop(): Promise<void>;
}

/**
 * Starts `ics serve` from source (or `argv` in `cwd`, e.g. an installed package's bin) on a free port
 * and waits until /healthz answers.
 */
export async function startServerProcess(
  env: Record<string, string>,
  opts: {
    timeoutMs?: number;
    argv?: string[];
    cwd?: string /** HTTPS, trusting this CA. */;
    ca?: Buffer;
  } = {},
): Promise<ServerProcess> {
  const port = await freePort();
  const child = spawn(process.execPath, opts.argv ?? [...ENTRY, 'serve'], {
    cwd: opts.cwd ?? ROOT,
    env: { ...process.env, ICS_LOG_LEVEL: 'warn', ...env, PORT: String(port), HOST: '127.0.0.1' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let stdout = '';
  child.stdout?.on('data', (d) => {
    out += d;
    stdout += d;
  });
  child.stderr?.on('data', (d) => (out += d));
  const exited = new Promise<number | string>((resolve) =>
    child.on('exit', (code, signal) => resolve(signal ?? code ?? -1)),
  );
  const url = `${opts.ca ? 'https' : 'http'}://127.0.0.1:${port}`;
  // A safety net, not a performance claim: on a loaded 2-core machine a cold start (module loading
  // alone) has taken over 30 s.
  const deadline = Date.now() + (opts.timeoutMs ?? 120_000);
  let ended = false;
  void exited.then(() => (ended = true));
  for (;;) {
    if (ended) throw new Error(`server exited during start-up:\n${out}`);
    try {
      if (
        opts.ca ? (await httpsStatus(`${url}/healthz`, opts.ca)) === 200 : (await fetch(`${url}/healthz`)).ok
      )
        break;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`server did not start in time:\n${out}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  return {
    child,
    url,
    output: () => out,
    stdout: () => stdout,
    exited,
    async stop() {
      if (!ended) {
        child.kill('SIGTERM');
        const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
        await exited;
        clearTimeout(timer);
      }
    },
  };
}

/** The status of a GET over HTTPS trusting `ca` (fetch cannot be given a CA). */
export async function httpsStatus(url: string, ca: Buffer): Promise<number> {
  const { get } = await import('node:https');
  return new Promise((resolve, reject) => {
    get(url, { ca, agent: false }, (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    }).on('error', reject);
  });
}

/** A TCP port free on 127.0.0.1 right now (the bench uses it too). */
export async function freePort(): Promise<number> {
  const { createServer } = await import('node:net');
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as { port: number };
      srv.close(() => resolve(port));
    });
    srv.on('error', reject);
  });
}

/** The token endpoint's answer for a client-credentials grant (form fields). */
export function requestToken(url: string, clientId: string, clientSecret: string): Promise<Response> {
  return fetch(`${url}/Auth/connect/token`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({
      grant_type: 'client_credentials',
      client_id: clientId,
      client_secret: clientSecret,
    }),
  });
}

/** A token from `url` for the bootstrap client that the first start wrote into `dataDir`. */
export async function bootstrapToken(url: string, dataDir: string): Promise<string> {
  const { readFile } = await import('node:fs/promises');
  const { join } = await import('node:path');
  const client = JSON.parse(await readFile(join(dataDir, 'bootstrap-client.json'), 'utf8')) as {
    clientId: string;
    clientSecret: string;
  };
  const res = await requestToken(url, client.clientId, client.clientSecret);
  if (res.status !== 200) throw new Error(`token request failed: ${res.status} ${await res.text()}`);
  return ((await res.json()) as { access_token: string }).access_token;
}
