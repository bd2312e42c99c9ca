import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import Sqlite from 'better-sqlite3';
import { bootstrapToken } from '../../test/helpers/cli.js';
import { type Background, freePort, run, startBackground } from './proc.js';

// The ICS server under test, run from source exactly as `ics serve` runs, on its own data directory.

export const ROOT = fileURLToPath(new URL('../..', import.meta.url));
export const API = '/interaction-content';
export const ACCEPT = 'application/vnd.newvoicemedia.v3+json';

export interface IcsServer {
  url: string;
  pid: number;
  dataDir: string;
  blobsRoot: string;
  token: string;
  /** Authorization + Accept, for every API call. */
  headers: Record<string, string>;
  /** The last 20 kB of the server's stdout and stderr. */
  output(): string;
  stop(): Promise<void>;
}

/**
 * Starts `ics serve`; with `profileDir` the process writes a V8 CPU profile there when it stops.
 * `root` runs another checkout's sources (for before/after figures; it needs node_modules).
 */
export async function startIcs(opts: {
  dataDir: string;
  profileDir?: string;
  root?: string;
  /** Extra environment for this server (e.g. ICS_DATABASE_URL for a PostgreSQL-backed one). */
  env?: Record<string, string>;
  /** Extra node flags for this server only (e.g. `--import` of a query counter). */
  nodeFlags?: string[];
  /** Another node binary (its native modules must match: see `root`); default the bench's own. */
  node?: string;
}): Promise<IcsServer> {
  const dataDir = resolve(opts.dataDir);
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const prof = opts.profileDir ? ['--cpu-prof', `--cpu-prof-dir=${opts.profileDir}`] : [];
  const proc: Background = await startBackground(
    opts.node ?? process.execPath,
    // The compiled build, as `npm start` runs it in production (bench/run.ts builds it first).
    // ICS_BENCH_NODE_FLAGS: extra node/V8 flags for the server only, for experiments (e.g. GC flags).
    [
      ...(process.env.ICS_BENCH_NODE_FLAGS?.split(' ').filter(Boolean) ?? []),
      ...(opts.nodeFlags ?? []),
      ...prof,
      'bin/ics.js',
      'serve',
    ],
    {
      cwd: opts.root ?? ROOT,
      env: {
        ...process.env,
        ICS_DATA_DIR: dataDir,
        PORT: String(port),
        HOST: '127.0.0.1',
        ICS_LOG_LEVEL: 'warn',
        // One client drives thousands of requests a second: its buckets are sized never to run dry,
        // so every request still goes through the rate limiter (its cost is what is measured) but
        // none is refused. Checkouts from before rate limiting ignore these.
        // ICS_BENCH_RATE_LIMIT=0 switches the limiter off instead, for A/B runs of its cost.
        ICS_RATE_LIMIT_PER_SECOND: process.env.ICS_BENCH_RATE_LIMIT ?? '1000000',
        ICS_RATE_LIMIT_BURST: '10000000',
        ...opts.env,
      },
      ready: async () => (await fetch(`${url}/healthz`)).ok,
    },
  );
  const token = await bootstrapToken(url, dataDir);
  return {
    url,
    pid: proc.pid,
    dataDir,
    blobsRoot: join(dataDir, 'blobs'),
    token,
    headers: { authorization: `Bearer ${token}`, accept: ACCEPT },
    output: () => proc.output(),
    stop: () => proc.stop(),
  };
}

export interface NewInteraction {
  guid: string;
  start: string;
  connectFrom: string;
  connectTo: string;
  direction: 'inbound' | 'outbound';
  handlingAgents: { id: string }[];
}

export function interactionBody(guid: string, start = new Date()): NewInteraction {
  return {
    guid,
    start: start.toISOString().replace(/\.\d+Z$/, 'Z'),
    connectFrom: '+441632960001',
    connectTo: '+441632960999',
    direction: 'inbound',
    handlingAgents: [{ id: 'agent-1' }],
  };
}

export async function createInteraction(ics: IcsServer, guid: string): Promise<void> {
  const res = await fetch(`${ics.url}${API}/interactions`, {
    method: 'POST',
    headers: { ...ics.headers, 'content-type': 'application/json' },
    body: JSON.stringify(interactionBody(guid)),
  });
  if (res.status !== 201) throw new Error(`create ${guid}: ${res.status} ${await res.text()}`);
}

export const contentPath = (guid: string, key = 'callRecording') =>
  `${API}/interactions/${guid}/content/${key}`;

/**
 * Uploads a file with curl (it streams from disk, as a real client would) and returns curl's own
 * transfer time in seconds.
 */
export async function uploadFile(
  ics: IcsServer,
  guid: string,
  file: string,
  key = 'callRecording',
): Promise<number> {
  const out = await run('curl', [
    '-sS',
    '-f',
    '-o',
    '/dev/null',
    '-w',
    '%{time_total}',
    '-T',
    file,
    '-H',
    `authorization: ${ics.headers.authorization}`,
    '-H',
    `accept: ${ACCEPT}`,
    '-H',
    'content-type: audio/wav',
    '-H',
    'expect:', // no 100-continue round trip
    `${ics.url}${contentPath(guid, key)}`,
  ]);
  return Number(out);
}

export async function deleteInteraction(ics: IcsServer, guid: string): Promise<void> {
  const res = await fetch(`${ics.url}${API}/interactions/${guid}`, {
    method: 'DELETE',
    headers: ics.headers,
  });
  await res.arrayBuffer();
}

/** Where ICS keeps a content item's bytes, relative to its blob root (read from its database). */
export function blobKeyOf(ics: IcsServer, guid: string, key = 'callRecording'): string {
  const db = new Sqlite(join(ics.dataDir, 'ics.sqlite'), { readonly: true });
  try {
    const row = db
      .prepare('select blob_key from contents where guid = ? and content_key = ?')
      .get(guid, key) as { blob_key: string } | undefined;
    if (!row) throw new Error(`no content row for ${guid}/${key}`);
    return row.blob_key;
  } finally {
    db.close();
  }
}
