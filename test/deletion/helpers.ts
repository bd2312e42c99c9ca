// Shared by the deletion tests: a small HTTP client for a real `ics serve` process, and direct looks
// at the data directory (blob files, temp files, the purge queue, raw bytes of every file).

import { randomBytes } from 'node:crypto';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import Sqlite from 'better-sqlite3';
import type { VerifyReport } from '../../src/core/verify.js';
import { bootstrapToken, runCli, type ServerProcess, startServerProcess } from '../helpers/cli.js';

export const V3 = 'application/vnd.newvoicemedia.v3+json';
const I = '/interaction-content/interactions';

/** A fresh data directory, removed when the test ends. */
export async function dataDirFor(t: { after(fn: () => Promise<void>): void }): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'ics-deletion-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  return dir;
}

/** Spawning node + tsx is slow on a busy 2-core machine running other test files beside these. */
export const START_TIMEOUT_MS = 90_000;

/** Starts `ics serve` on `dataDir`; stopped when the test ends unless it has died already. */
export async function serve(
  t: { after(fn: () => Promise<void>): void },
  dataDir: string,
  env: Record<string, string> = {},
): Promise<ServerProcess> {
  const server = await startServerProcess({ ICS_DATA_DIR: dataDir, ...env }, { timeoutMs: START_TIMEOUT_MS });
  t.after(() => server.stop());
  return server;
}

export function cli(dataDir: string, args: string[]) {
  return runCli(args, { ICS_DATA_DIR: dataDir, ICS_LOG_LEVEL: 'warn' });
}

/** What `ics verify --json` prints. */
export type VerifyJson = VerifyReport;

export async function verifyJson(
  dataDir: string,
  extra: string[] = [],
): Promise<{ code: number; report: VerifyJson; stderr: string }> {
  const res = await cli(dataDir, ['verify', '--json', ...extra]);
  let report: VerifyJson;
  try {
    report = JSON.parse(res.stdout) as VerifyJson;
  } catch {
    throw new Error(`ics verify printed no JSON (exit ${res.code}):\n${res.stdout}\n${res.stderr}`);
  }
  return { code: res.code, report, stderr: res.stderr };
}

export interface AuditItem {
  seq: number;
  action: string;
  guid: string;
  contentKey: string | null;
  reason: string;
  hash: string;
  prevHash: string;
}

/** The API as a VCC client sees it, over real HTTP, with the bootstrap client's token. */
export class Api {
  private constructor(
    readonly url: string,
    private readonly token: string,
  ) {}

  /** Reads `<dataDir>/bootstrap-client.json` (written at first start) and gets a token. */
  static async connect(url: string, dataDir: string): Promise<Api> {
    return new Api(url, await bootstrapToken(url, dataDir));
  }

  /** The same token against another server process (on the same data directory). */
  at(url: string): Api {
    return new Api(url, this.token);
  }

  get authorization(): string {
    return `Bearer ${this.token}`;
  }

  fetch(path: string, init: RequestInit = {}): Promise<Response> {
    return fetch(`${this.url}${path}`, {
      ...init,
      headers: {
        accept: V3,
        authorization: this.authorization,
        ...(init.headers as Record<string, string> | undefined),
      },
    });
  }

  async createInteraction(
    body: { connectFrom?: string; connectTo?: string; agents?: string[] } = {},
  ): Promise<string> {
    const res = await this.fetch(`${I}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        start: '2024-03-01T10:00:00Z',
        connectFrom: body.connectFrom ?? '+441234567890',
        connectTo: body.connectTo ?? '+449876543210',
        direction: 'inbound',
        handlingAgents: (body.agents ?? ['agent-1']).map((id) => ({ id })),
      }),
    });
    if (res.status !== 201) throw new Error(`create failed: ${res.status} ${await res.text()}`);
    return ((await res.json()) as { guid: string }).guid;
  }

  /** PUT one file; resolves with the status (rejects when the connection dies). */
  async put(
    guid: string,
    key: string,
    body: Buffer,
    opts: { contentType?: string; type?: string } = {},
  ): Promise<number> {
    const q = opts.type ? `?type=${opts.type}` : '';
    const res = await this.fetch(`${I}/${guid}/content/${key}${q}`, {
      method: 'PUT',
      headers: { 'content-type': opts.contentType ?? 'application/octet-stream' },
      body,
    });
    const status = res.status;
    const text = await res.text();
    if (status !== 200 && status !== 201) throw new Error(`upload ${key} failed: ${status} ${text}`);
    return status;
  }

  /** GET one file: the status and, on 200, its bytes. */
  async download(guid: string, key: string): Promise<{ status: number; bytes: Buffer }> {
    const res = await this.fetch(`${I}/${guid}/content/${key}`);
    return { status: res.status, bytes: Buffer.from(await res.arrayBuffer()) };
  }

  async interactionStatus(guid: string): Promise<number> {
    const res = await this.fetch(`${I}/${guid}`);
    await res.arrayBuffer();
    return res.status;
  }

  deleteContent(guid: string, key: string): Promise<Response> {
    return this.fetch(`${I}/${guid}/content/${key}`, { method: 'DELETE' });
  }

  deleteInteraction(guid: string): Promise<Response> {
    return this.fetch(`${I}/${guid}`, { method: 'DELETE' });
  }

  deleteBatch(guids: string[]): Promise<Response> {
    return this.fetch(`${I}/delete-batch`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ guids }),
    });
  }

  /** The whole ledger of the token's account, in order. */
  async audit(): Promise<AuditItem[]> {
    const items: AuditItem[] = [];
    let token: string | null = null;
    do {
      const res = await this.fetch(
        `/interaction-content/audit?limit=1000${token ? `&continuationToken=${token}` : ''}`,
      );
      if (res.status !== 200) throw new Error(`audit failed: ${res.status} ${await res.text()}`);
      const page = (await res.json()) as {
        items: AuditItem[];
        meta: { nextContinuationToken: string | null };
      };
      items.push(...page.items);
      token = page.meta.nextContinuationToken;
    } while (token);
    return items;
  }

  /**
   * Starts a PUT whose body is sent slowly, chunk by chunk, until the returned `stop()` is called or
   * the connection dies. `done` settles when the request ends either way (never rejects).
   */
  slowPut(
    guid: string,
    key: string,
    opts: { declaredLength: number; chunk: Buffer; everyMs: number; type?: string },
  ) {
    const url = new URL(`${this.url}${I}/${guid}/content/${key}${opts.type ? `?type=${opts.type}` : ''}`);
    let timer: NodeJS.Timeout | undefined;
    const req = request(url, {
      method: 'PUT',
      headers: {
        accept: V3,
        authorization: this.authorization,
        'content-type': 'audio/wav',
        'content-length': String(opts.declaredLength),
      },
    });
    const done = new Promise<{ status?: number; error?: Error }>((resolve) => {
      req.on('response', (res) => {
        res.resume();
        res.on('end', () => resolve({ status: res.statusCode }));
        res.on('error', (error) => resolve({ error }));
      });
      req.on('error', (error) => resolve({ error }));
    }).finally(() => clearInterval(timer));
    let sent = 0;
    const tick = () => {
      if (sent + opts.chunk.length >= opts.declaredLength) return; // never finish the body
      sent += opts.chunk.length;
      req.write(opts.chunk);
    };
    tick();
    timer = setInterval(tick, opts.everyMs);
    return { done, sent: () => sent, stop: () => clearInterval(timer) };
  }
}

/** Every regular file under `dir`, recursively (dot-directories included), as absolute paths. */
export async function allFiles(dir: string): Promise<string[]> {
  const out: string[] = [];
  for (const e of await readdir(dir, { withFileTypes: true, recursive: true })) {
    if (e.isFile()) out.push(join(e.parentPath ?? (e as unknown as { path: string }).path, e.name));
  }
  return out.sort();
}

/** Blob files (relative to the blob root), temp files excluded. */
export async function blobFiles(dataDir: string): Promise<string[]> {
  const root = join(dataDir, 'blobs');
  return (await allFiles(root)).map((f) => relative(root, f)).filter((f) => !f.startsWith('.tmp'));
}

export async function tempFiles(dataDir: string): Promise<string[]> {
  return readdir(join(dataDir, 'blobs', '.tmp')).catch(() => []);
}

/** Rows in the purge queue, read straight from the SQLite file (a reader never blocks the server). */
export function purgeQueue(dataDir: string): { reason: string; blob_key: string }[] {
  const db = new Sqlite(join(dataDir, 'ics.sqlite'), { readonly: true, fileMustExist: true });
  try {
    return db.prepare('select reason, blob_key from purge_queue order by id').all() as {
      reason: string;
      blob_key: string;
    }[];
  } finally {
    db.close();
  }
}

/** Where any of `needles` occurs in the raw bytes of any file under `dir`: `<relative path>@<offsets> [needle]`. */
export async function findBytes(dir: string, needles: Buffer[]): Promise<string[]> {
  const hits: string[] = [];
  for (const file of await allFiles(dir)) {
    let bytes: Buffer;
    try {
      bytes = await readFile(file);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') continue; // removed while we walked
      throw err;
    }
    for (const needle of needles) {
      const offsets: number[] = [];
      for (let at = bytes.indexOf(needle); at >= 0; at = bytes.indexOf(needle, at + 1)) offsets.push(at);
      if (offsets.length > 0) {
        const where =
          offsets.length > 3
            ? `${offsets.slice(0, 3).join(',')},… (${offsets.length} times)`
            : offsets.join(',');
        hits.push(
          `${relative(dir, file)}@${where} [${needle.length}-byte needle ${needle.toString('hex').slice(0, 16)}…]`,
        );
      }
    }
  }
  return hits;
}

/** A unique marker: its 32-hex-character text and the 16 raw bytes the text spells. */
export function newMarker(): { text: string; raw: Buffer } {
  const raw = randomBytes(16);
  return { text: raw.toString('hex'), raw };
}

/** A small but real PCM WAV file (RIFF header, fmt and data chunks) whose samples are `data`. */
export function wav(data: Buffer): Buffer {
  const header = Buffer.alloc(44);
  header.write('RIFF', 0, 'ascii');
  header.writeUInt32LE(36 + data.length, 4);
  header.write('WAVE', 8, 'ascii');
  header.write('fmt ', 12, 'ascii');
  header.writeUInt32LE(16, 16); // fmt chunk size
  header.writeUInt16LE(1, 20); // PCM
  header.writeUInt16LE(1, 22); // mono
  header.writeUInt32LE(8000, 24); // sample rate
  header.writeUInt32LE(16000, 28); // byte rate
  header.writeUInt16LE(2, 32); // block align
  header.writeUInt16LE(16, 34); // bits per sample
  header.write('data', 36, 'ascii');
  header.writeUInt32LE(data.length, 40);
  return Buffer.concat([header, data]);
}

/** Polls `check` every 20 ms until it returns true or `ms` pass. */
export async function waitFor(
  what: string,
  check: () => Promise<boolean> | boolean,
  ms = 10_000,
): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}
