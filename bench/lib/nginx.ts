import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { type Background, ensureDebianTool, freePort, startBackground } from './proc.js';

// The download yardstick: Debian's nginx, started by the bench with its own config in a temp dir
// (no system service), serving the very files ICS stores, with sendfile, on 127.0.0.1.

export interface Nginx {
  url: string;
  pid: number;
  stop(): Promise<void>;
}

/** Starts nginx over `root`, or returns the reason it cannot (missing and not installable). */
export async function startNginx(
  root: string,
  workDir: string,
  log: (s: string) => void,
): Promise<Nginx | string> {
  const missing = ensureDebianTool('nginx', 'nginx-light', log);
  if (missing) return missing;
  const dir = join(workDir, 'nginx');
  mkdirSync(join(dir, 'tmp'), { recursive: true });
  const port = await freePort();
  const tmp = join(dir, 'tmp');
  // One worker: ICS is one Node process with one event loop, so both sides get one serving loop.
  // As root, workers would drop to `nobody`, who may not reach the data dir; the bench's own user is fine.
  const user = process.getuid?.() === 0 ? 'user root;' : '';
  const conf = `
${user}
worker_processes 1;
daemon off;
master_process on;
pid ${join(dir, 'nginx.pid')};
error_log ${join(dir, 'error.log')} warn;
events { worker_connections 1024; }
http {
  access_log off;
  sendfile on;
  tcp_nopush on;
  keepalive_requests 1000000;
  default_type application/octet-stream;
  client_body_temp_path ${tmp}; proxy_temp_path ${tmp}; fastcgi_temp_path ${tmp};
  uwsgi_temp_path ${tmp}; scgi_temp_path ${tmp};
  server {
    listen 127.0.0.1:${port};
    root ${root};
  }
}
`;
  const confPath = join(dir, 'nginx.conf');
  writeFileSync(confPath, conf);
  const url = `http://127.0.0.1:${port}`;
  const proc: Background = await startBackground('nginx', ['-c', confPath, '-e', join(dir, 'error.log')], {
    ready: async () => (await fetch(`${url}/`)).status > 0,
  });
  return { url, pid: proc.pid, stop: () => proc.stop() };
}
