import { type ChildProcess, spawn } from 'node:child_process';
import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { ROOT, type ServerProcess } from '../helpers/cli.js';

// Shared by the import tests: a source seeded over its API, a snapshot of everything a server holds
// (metadata and the SHA-256 of every file, read over HTTP), and `ics import` as a child process the
// test can interrupt or kill.

export const V3 = 'application/vnd.newvoicemedia.v3+json';
const API = '/interaction-content';
const DAY = 86_400_000;

export async function call(
  server: { url: string },
  token: string,
  method: string,
  path: string,
  body?: string | Buffer,
  headers: Record<string, string> = {},
): Promise<Response> {
  return fetch(`${server.url}${API}${path}`, {
    method,
    headers: { authorization: `Bearer ${token}`, accept: V3, ...headers },
    body,
  });
}

export interface SeedFile {
  key: string;
  body: Buffer;
  contentType: string;
  query?: string;
}

/** Creates the interaction and uploads its files through the source's own API. */
export async function seedInteraction(
  server: ServerProcess,
  token: string,
  opts: { start: number; agents?: string[]; files: SeedFile[] },
): Promise<string> {
  const guid = randomUUID();
  const res = await call(
    server,
    token,
    'POST',
    '/interactions',
    JSON.stringify({
      guid,
      start: new Date(opts.start).toISOString(),
      connectFrom: `+4420${Math.floor(Math.random() * 1e8)}`,
      connectTo: '+441134960000',
      direction: opts.start % 2 ? 'outbound' : 'inbound',
      handlingAgents: (opts.agents ?? ['agent-1']).map((id) => ({ id })),
    }),
    { 'content-type': 'application/json' },
  );
  if (res.status !== 201) throw new Error(`create: ${res.status} ${await res.text()}`);
  for (const f of opts.files) await putFile(server, token, guid, f);
  return guid;
}

export async function putFile(
  server: ServerProcess,
  token: string,
  guid: string,
  f: SeedFile,
): Promise<void> {
  const res = await call(
    server,
    token,
    'PUT',
    `/interactions/${guid}/content/${f.key}${f.query ?? ''}`,
    f.body,
    {
      'content-type': f.contentType,
    },
  );
  if (res.status !== 201 && res.status !== 200)
    throw new Error(`put ${f.key}: ${res.status} ${await res.text()}`);
}

/** A varied interaction: a recording, a transcript, and by turns a legacy voicemail, a chat, IVR audio. */
export function variedFiles(i: number, recordingBytes: number): SeedFile[] {
  const files: SeedFile[] = [
    { key: 'callRecording', body: randomBytes(recordingBytes + i), contentType: 'audio/wav' },
    {
      key: 'transcript',
      body: Buffer.from(JSON.stringify({ i, text: 'hello' })),
      contentType: 'application/json',
    },
  ];
  if (i % 3 === 0)
    files.push({
      key: `voicemail-${100 + i}`,
      body: randomBytes(20_000),
      contentType: 'audio/wav',
      query: '?type=voicemail',
    });
  if (i % 3 === 1)
    files.push({
      key: randomUUID(),
      body: Buffer.from(`{"chat":${i}}`),
      contentType: 'application/json',
      query: '?type=chatTranscript',
    });
  if (i % 3 === 2)
    files.push({
      key: randomUUID(),
      body: randomBytes(5000),
      contentType: 'audio/wav',
      query: '?type=ivrAudioRecording&owningInteractionPlanId=plan-7',
    });
  return files;
}

export interface Snapshot {
  /** guid → the interaction as GET shows it, each content item with the SHA-256 of its download. */
  byGuid: Map<string, unknown>;
  /** Every guid search listed, duplicates included. */
  listed: string[];
}

/** Everything the server holds in [start, end), read over its API (search in 7-day windows, get, download). */
export async function snapshot(
  server: { url: string },
  token: string,
  start: number,
  end: number,
): Promise<Snapshot> {
  const listed: string[] = [];
  for (let s = start; s < end; s += 7 * DAY) {
    const e = Math.min(end, s + 7 * DAY);
    let next: string | null = null;
    do {
      const q = new URLSearchParams({
        start: new Date(s).toISOString(),
        end: new Date(e).toISOString(),
        limit: '1000',
      });
      if (next) q.set('continuationToken', next);
      const res = await call(server, token, 'GET', `/interactions?${q}`);
      if (res.status !== 200) throw new Error(`search: ${res.status} ${await res.text()}`);
      const page = (await res.json()) as {
        items: { guid: string }[];
        meta: { nextContinuationToken: string | null };
      };
      listed.push(...page.items.map((i) => i.guid));
      next = page.meta.nextContinuationToken;
    } while (next);
  }
  const byGuid = new Map<string, unknown>();
  for (const guid of listed) {
    const res = await call(server, token, 'GET', `/interactions/${guid}`);
    const interaction = (await res.json()) as { content: { contentKey: string }[] };
    const content = [];
    for (const item of interaction.content) {
      const dl = await call(server, token, 'GET', `/interactions/${guid}/content/${item.contentKey}`);
      const sha256 = createHash('sha256')
        .update(Buffer.from(await dl.arrayBuffer()))
        .digest('hex');
      content.push({ ...item, sha256 });
    }
    content.sort((a, b) => a.contentKey.localeCompare(b.contentKey));
    byGuid.set(guid, { ...interaction, content });
  }
  return { byGuid, listed };
}

export async function bootstrapCredentials(
  dataDir: string,
): Promise<{ clientId: string; clientSecret: string }> {
  return JSON.parse(await readFile(join(dataDir, 'bootstrap-client.json'), 'utf8'));
}

export interface ImportProcess {
  child: ChildProcess;
  /** Parsed JSON lines so far. */
  events: Record<string, unknown>[];
  stderr(): string;
  /** Resolves once an event satisfies `pred`. */
  waitFor(pred: (e: Record<string, unknown>) => boolean, timeoutMs?: number): Promise<void>;
  /** Exit code, or the signal's name. */
  exited: Promise<number | string>;
  summary(): Record<string, unknown> | undefined;
}

/** `ics import <args>` from source, writing into `dataDir`, with JSON lines on stdout. */
export function startImport(args: string[], env: Record<string, string>): ImportProcess {
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/cli/entry.ts', 'import', ...args], {
    cwd: ROOT,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const events: Record<string, unknown>[] = [];
  let err = '';
  let buffered = '';
  const waiters: { pred: (e: Record<string, unknown>) => boolean; resolve: () => void }[] = [];
  child.stdout?.on('data', (d: Buffer) => {
    buffered += d.toString();
    for (let nl = buffered.indexOf('\n'); nl >= 0; nl = buffered.indexOf('\n')) {
      const line = buffered.slice(0, nl);
      buffered = buffered.slice(nl + 1);
      if (!line.trim()) continue;
      const e = JSON.parse(line) as Record<string, unknown>;
      events.push(e);
      for (const w of [...waiters])
        if (w.pred(e)) {
          waiters.splice(waiters.indexOf(w), 1);
          w.resolve();
        }
    }
  });
  child.stderr?.on('data', (d) => (err += d));
  const exited = new Promise<number | string>((resolve) =>
    child.on('exit', (code, signal) => resolve(signal ?? code ?? -1)),
  );
  return {
    child,
    events,
    stderr: () => err,
    exited,
    summary: () => events.find((e) => e.type === 'summary'),
    waitFor(pred, timeoutMs = 60_000) {
      if (events.some(pred)) return Promise.resolve();
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`no such event in time; stderr: ${err}`)), timeoutMs);
        waiters.push({
          pred,
          resolve: () => {
            clearTimeout(timer);
            resolve();
          },
        });
        void exited.then(() => {
          clearTimeout(timer);
          if (!events.some(pred)) reject(new Error(`import exited first; stderr: ${err}`));
        });
      });
    },
  };
}

export async function runImportToEnd(args: string[], env: Record<string, string>) {
  const p = startImport(args, env);
  const code = await p.exited;
  return {
    code,
    events: p.events,
    summary: p.summary() as ImportSummaryLine | undefined,
    stderr: p.stderr(),
  };
}

export interface ImportSummaryLine {
  interactions: Record<string, number>;
  items: Record<string, number>;
  bytes: { total: number; copied: number };
  retries: number;
  interrupted: boolean;
  fatal?: string;
  failures: { guid: string; contentKey?: string; message: string }[];
}

export function importArgs(
  source: { url: string },
  creds: { clientId: string; clientSecret: string },
  start: number,
  end: number,
  extra: string[] = [],
): string[] {
  return [
    '--from',
    source.url,
    '--client-id',
    creds.clientId,
    '--client-secret',
    creds.clientSecret,
    '--start',
    new Date(start).toISOString(),
    '--end',
    new Date(end).toISOString(),
    ...extra,
  ];
}
