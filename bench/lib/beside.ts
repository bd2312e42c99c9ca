import { cannon, type LoadResult } from './load.js';
import { paced } from './paced.js';
import { percentile } from './report.js';

// The metadata GET load that the deletion-jobs and retention figures measure while background work
// runs, and idle just before it. By default an open loop at a fixed rate (lib/paced.ts, over 4
// keep-alive connections): the latency a client sees at a given request rate, which is what
// "background work must not starve requests" is about. The rate is 30 % of what the same GET reaches
// with 4 connections as fast as they can (autocannon, measured first), at most 1,000/s.
//
// ICS_BENCH_GET_RATE=max measures the closed loop instead (each connection sends as fast as it can,
// the method before 2026-12-01): the server's main thread is then busy with GETs all the time, so
// whatever CPU time a job takes comes out of the GETs' and shows as queueing, at p99 too.
// ICS_BENCH_GET_RATE=<n> fixes the rate.

export interface GetLoad {
  /** How the load was set, for the figure's note. */
  readonly describe: string;
  run(seconds: number): Promise<LoadResult>;
}

export async function getLoadFor(opts: { url: string; headers: Record<string, string> }): Promise<GetLoad> {
  const base = { url: opts.url, connections: 4, headers: opts.headers };
  const closed = (seconds: number) => cannon({ ...base, duration: seconds });
  await closed(1); // warm-up
  const env = process.env.ICS_BENCH_GET_RATE;
  if (env === 'max') return { describe: 'closed loop, 4 connections as fast as they go', run: closed };
  if (env !== undefined && !(Number(env) > 0))
    throw new Error(`ICS_BENCH_GET_RATE must be a positive number or "max", not ${JSON.stringify(env)}`);
  const capacity = (await closed(2)).rps;
  const rate = env ? Number(env) : Math.min(1000, Math.round((capacity * 0.3) / 10) * 10);
  return {
    describe: `open loop at ${rate} GET/s over 4 connections, latency from when each was due (${env ? 'ICS_BENCH_GET_RATE' : `30 % of the ${Math.round(capacity)}/s that 4 connections reach`}, at most 1,000/s)`,
    run: (seconds) => paced({ ...base, seconds, rate }),
  };
}

/** The load in 1-second runs until stopped; resolves to the p99 over all of them. */
export function loadWhile(load: GetLoad) {
  let stopped = false;
  const all: number[] = [];
  const loop = (async () => {
    while (!stopped) all.push(...(await load.run(1)).latenciesMs);
  })();
  return {
    async stop() {
      stopped = true;
      await loop;
      return percentile(all, 99);
    },
  };
}
