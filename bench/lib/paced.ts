import http from 'node:http';
import type { LoadResult } from './load.js';

/**
 * An open-loop GET load: request i is due at start + i / rate, whatever happened to the ones before
 * it, over up to `connections` keep-alive sockets; its latency runs from when it was due (not from
 * when a socket took it) to the end of its response, so a stall of the server shows in full in
 * every request that fell due meanwhile (no coordinated omission). autocannon's `overallRate` is not
 * this: it sends as fast as it can until a second's quota is used up, then waits for the next
 * second, so its "rate" is bursts of closed-loop load.
 */
export function paced(opts: {
  url: string;
  headers: Record<string, string>;
  rate: number;
  seconds: number;
  connections: number;
}): Promise<LoadResult> {
  const agent = new http.Agent({ keepAlive: true, maxSockets: opts.connections });
  const url = new URL(opts.url);
  const total = Math.round(opts.rate * opts.seconds);
  const interval = 1000 / opts.rate;
  const latencies: number[] = [];
  let ok = 0;
  let failed = 0;
  let sent = 0;
  let settled = 0;
  const start = performance.now();
  return new Promise((resolve) => {
    const done = () => {
      if (settled < total) return;
      clearInterval(timer);
      agent.destroy();
      resolve({ rps: ok / opts.seconds, ok, failed, seconds: opts.seconds, latenciesMs: latencies });
    };
    const send = (due: number) => {
      const req = http.request(
        { host: url.hostname, port: url.port, path: url.pathname + url.search, headers: opts.headers, agent },
        (res) => {
          res.resume();
          res.on('end', () => {
            if (res.statusCode !== undefined && res.statusCode >= 200 && res.statusCode < 300) {
              ok++;
              latencies.push(performance.now() - due);
            } else failed++;
            settled++;
            done();
          });
        },
      );
      req.on('error', () => {
        failed++;
        settled++;
        done();
      });
      req.end();
    };
    const tick = () => {
      const now = performance.now();
      while (sent < total && start + sent * interval <= now) send(start + sent++ * interval);
    };
    const timer = setInterval(tick, 1);
    tick();
  });
}
