import { writeFileSync } from 'node:fs';
import autocannon, { type RequestSpec } from 'autocannon';
import { run } from './proc.js';

// The two load generators: autocannon (npm) for request-rate and latency figures, wrk (Debian) for
// large downloads. autocannon parses response bodies in JavaScript and sinks only ~20 MB/s of a
// 256 MiB body on this class of machine, so it would measure itself, not the server; wrk reads
// bodies in C and discards them.

export interface LoadResult {
  /** 2xx responses per second over the run. */
  rps: number;
  ok: number;
  failed: number;
  seconds: number;
  /** Per-response latency in ms, unrounded (autocannon's histogram keeps whole milliseconds only). */
  latenciesMs: number[];
}

export interface CannonOptions {
  url: string;
  connections: number;
  /** Seconds; or `amount` requests in all. */
  duration?: number;
  amount?: number;
  method?: string;
  headers?: Record<string, string>;
  body?: Buffer | string;
  /** Called before each request; returns its path (unique per request for uploads and deletes). */
  nextPath?: () => string;
  /** Called before each request; returns its body (unique per request for creates). */
  nextBody?: () => string;
}

export function cannon(opts: CannonOptions): Promise<LoadResult> {
  const latencies: number[] = [];
  let ok = 0;
  let failed = 0;
  const request: RequestSpec = { method: opts.method ?? 'GET', headers: opts.headers, body: opts.body };
  const { nextPath, nextBody } = opts;
  if (nextPath || nextBody) {
    request.setupRequest = (req) => ({
      ...req,
      ...(nextPath && { path: nextPath() }),
      ...(nextBody && { body: nextBody() }),
    });
  }
  const started = process.hrtime.bigint();
  // autocannon calls back on its next one-second tick after the last response, so with `amount`
  // its own end time (and the callback's) is rounded up to whole seconds; the run ends at the last
  // response instead.
  let last = started;
  return new Promise((resolve, reject) => {
    const instance = autocannon(
      {
        url: opts.url,
        connections: opts.connections,
        ...(opts.amount === undefined ? { duration: opts.duration ?? 5 } : { amount: opts.amount }),
        timeout: 60,
        requests: [request],
      },
      (err) => {
        if (err) return reject(err);
        const end = opts.amount === undefined ? process.hrtime.bigint() : last;
        const seconds = Number(end - started) / 1e9;
        resolve({ rps: ok / seconds, ok, failed, seconds, latenciesMs: latencies });
      },
    );
    instance.on('response', (_client: unknown, status: number, _bytes: number, ms: number) => {
      last = process.hrtime.bigint();
      if (status >= 200 && status < 300) {
        ok++;
        latencies.push(ms);
      } else failed++;
    });
    instance.on('reqError', () => {
      last = process.hrtime.bigint();
      failed++;
    });
  });
}

export interface WrkResult {
  /** Body and header bytes received per second, in bytes. */
  bytesPerSec: number;
  requests: number;
  errors: number;
  seconds: number;
}

/**
 * Runs wrk on one thread (the other core is the server's) for `seconds`, rotating over `paths`;
 * `rangeBytes` makes each request a Range request for that many bytes at a random offset.
 */
export async function wrk(opts: {
  base: string;
  paths: string[];
  connections: number;
  seconds: number;
  headers?: Record<string, string>;
  range?: { bytes: number; fileSize: number };
  scriptFile: string;
}): Promise<WrkResult> {
  const lua = `
local paths = { ${opts.paths.map((p) => JSON.stringify(p)).join(', ')} }
local range = ${opts.range ? opts.range.bytes : 'nil'}
local size = ${opts.range ? opts.range.fileSize : 0}
local i = 0
init = function(args) math.randomseed(os.time()) end
request = function()
  i = i % #paths + 1
  local h = {}
  for k, v in pairs(wrk.headers) do h[k] = v end
  if range then
    local off = math.random(0, size - range)
    h["Range"] = "bytes=" .. off .. "-" .. (off + range - 1)
  end
  return wrk.format("GET", paths[i], h)
end
done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format("RESULT %d %d %d %d\\n", summary.bytes, summary.duration, summary.requests,
    e.connect + e.read + e.write + e.status + e.timeout))
end
`;
  writeFileSync(opts.scriptFile, lua);
  const headerArgs = Object.entries(opts.headers ?? {}).flatMap(([k, v]) => ['-H', `${k}: ${v}`]);
  const out = await run('wrk', [
    '-t1',
    `-c${opts.connections}`,
    `-d${Math.max(1, Math.round(opts.seconds))}s`,
    '--timeout',
    '120s',
    '-s',
    opts.scriptFile,
    ...headerArgs,
    opts.base,
  ]);
  const m = /RESULT (\d+) (\d+) (\d+) (\d+)/.exec(out);
  if (!m) throw new Error(`unexpected wrk output:\n${out}`);
  const seconds = Number(m[2]) / 1e6;
  return { bytesPerSec: Number(m[1]) / seconds, requests: Number(m[3]), errors: Number(m[4]), seconds };
}
