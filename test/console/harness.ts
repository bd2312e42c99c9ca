// One real ICS server with the console built from console/, seeded data, and Debian's Chromium driven
// by playwright-core: shared by the browser tests and scripts/console-screenshots.ts.
import { randomUUID } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import type { IncomingMessage } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { type Browser, chromium, type Page } from 'playwright-core';
import { buildApp } from '../../src/app.js';
import { addClient, type CreatedClient } from '../../src/auth/client-admin.js';
import { chatTranscript, sentiment, summary, transcript, wavTone } from '../../src/cli/demo-content.js';
import { loadConfig } from '../../src/config.js';
import type { RequestContext } from '../../src/core/context.js';
import { SCOPES } from '../../src/core/types.js';
import { createDeps, type Deps } from '../../src/deps.js';
import { consoleOptions } from '../../src/http/console.js';
import { DISPATCH_JOB } from '../../src/webhooks/types.js';

export const CHROMIUM = '/usr/bin/chromium';
export const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
];
/** Outside CI a machine without Chromium skips the browser tests, saying why; CI installs it (.ci/run). */
export const chromiumMissing =
  !existsSync(CHROMIUM) && !process.env.CI ? `${CHROMIUM} is missing (apt-get install -y chromium)` : false;
const CONSOLE_DIR = fileURLToPath(new URL('../../console/', import.meta.url));

/** Builds console/ with its own Vite config into `outDir` (a fresh build: tests never see a stale one). */
export async function buildConsole(outDir: string): Promise<void> {
  const { build } = await import('vite');
  await build({
    configFile: join(CONSOLE_DIR, 'vite.config.ts'),
    logLevel: 'warn',
    build: { outDir, emptyOutDir: true },
  });
}

export interface Recorded {
  method: string;
  url: string;
  range: string | undefined;
  authorization: boolean;
  status?: number;
}

export interface Seeded {
  /** A call: 10-minute recording, transcript, sentiment, summary, screen recording, attachment, voicemail. */
  call: string;
  /** A chat with its transcript. */
  chat: string;
  /** More calls, for search and paging. */
  others: string[];
  start: number;
}

export interface ConsoleServer {
  url: string;
  deps: Deps;
  requests: Recorded[];
  dataDir: string;
  client(scopes?: string, account?: string): Promise<CreatedClient>;
  /** A bearer token straight from the token service (for checks beside the browser). */
  token(scopes?: string, account?: string): Promise<string>;
  close(): Promise<void>;
}

export async function startConsoleServer(opts: {
  env?: Record<string, string>;
  root: string;
}): Promise<ConsoleServer> {
  const dataDir = await mkdtemp(join(tmpdir(), 'ics-console-'));
  const config = loadConfig({ ICS_DATA_DIR: dataDir, ICS_SEARCH_WINDOW_DAYS: '7', ...opts.env });
  const deps = await createDeps(config);
  deps.console = consoleOptions(config, opts.root);
  const app = await buildApp(deps);
  await app.listen({ host: '127.0.0.1', port: 0 });
  // Background work (deletion jobs, retention sweeps, webhook deliveries) runs as in `ics serve`.
  await deps.jobs.createJob(DISPATCH_JOB, Date.now());
  deps.runner.start();
  const address = app.server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  const requests: Recorded[] = [];
  app.server.prependListener('request', (req: IncomingMessage, res) => {
    const entry: Recorded = {
      method: req.method ?? '',
      url: req.url ?? '',
      range: req.headers.range,
      authorization: req.headers.authorization !== undefined,
    };
    requests.push(entry);
    res.on('finish', () => {
      entry.status = res.statusCode;
    });
  });
  const client = (scopes = SCOPES.join(' '), account = 'acme') => addClient(deps.store, { account, scopes });
  return {
    url: `http://127.0.0.1:${port}`,
    deps,
    requests,
    dataDir,
    client,
    async token(scopes, account) {
      const c = await client(scopes, account);
      return (await deps.issuer.issue({ clientId: c.clientId, account: c.account, scopes: c.scopes }))
        .accessToken;
    },
    async close() {
      await app.close();
      await deps.close();
      await rm(dataDir, { recursive: true, force: true });
    },
  };
}

export function launchBrowser(): Promise<Browser> {
  if (!existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} is missing: apt-get install -y chromium`);
  return chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
}

/** A short real WebM (VP8) made by the browser itself: a canvas animation through MediaRecorder. */
export async function makeWebm(browser: Browser): Promise<Buffer> {
  const page = await browser.newPage();
  try {
    // A string, not a function: tsx's helpers (__name) do not exist inside the page.
    const b64 = (await page.evaluate(`(async () => {
      const canvas = document.createElement('canvas');
      canvas.width = 320;
      canvas.height = 180;
      const g = canvas.getContext('2d');
      const rec = new MediaRecorder(canvas.captureStream(15), { mimeType: 'video/webm;codecs=vp8' });
      const chunks = [];
      rec.ondataavailable = (e) => chunks.push(e.data);
      const stopped = new Promise((r) => { rec.onstop = r; });
      rec.start();
      const t0 = performance.now();
      await new Promise((resolve) => {
        const draw = () => {
          const t = (performance.now() - t0) / 1000;
          g.fillStyle = '#1e293b';
          g.fillRect(0, 0, 320, 180);
          g.fillStyle = '#38bdf8';
          g.fillRect(20 + ((t * 80) % 240), 60, 60, 60);
          g.fillStyle = '#fff';
          g.font = '20px sans-serif';
          g.fillText('Screen ' + t.toFixed(1) + ' s', 16, 32);
          if (t < 2) requestAnimationFrame(draw); else resolve();
        };
        draw();
      });
      rec.stop();
      await stopped;
      const buf = new Uint8Array(await new Blob(chunks).arrayBuffer());
      let s = '';
      for (const b of buf) s += String.fromCharCode(b);
      return btoa(s);
    })()`)) as string;
    return Buffer.from(b64, 'base64');
  } finally {
    await page.close();
  }
}

/** Seeds account `acme` through the same services the API uses. */
export async function seed(deps: Deps, opts: { webm?: Buffer; count?: number } = {}): Promise<Seeded> {
  const ctx: RequestContext = {
    actor: { account: 'acme', clientId: 'console-seed', subject: 'console-seed', scopes: new Set(SCOPES) },
    requestId: `seed-${randomUUID()}`,
  };
  const put = (
    guid: string,
    key: string,
    bytes: Buffer,
    mediaType: string,
    extra: { type?: string; owningAgentId?: string } = {},
  ) =>
    deps.services.content.upload(ctx, guid, key, {
      body: Readable.from([bytes]),
      mediaType,
      expectedLength: bytes.length,
      ...extra,
    });
  const now = Date.now();
  const start = now - 20 * 3600_000;
  const create = (
    i: number,
    o: { from: string; to: string; direction: 'inbound' | 'outbound'; agent: string },
  ) =>
    deps.services.interactions.create(ctx, {
      start: start + i * 1800_000,
      connectFrom: o.from,
      connectTo: o.to,
      direction: o.direction,
      handlingAgents: [o.agent],
    });

  const call = (
    await create(0, { from: '+442079460018', to: '+441134960000', direction: 'inbound', agent: 'agent-1' })
  ).guid;
  // Ten minutes (9.6 MB): longer than the browser buffers ahead, so a far seek needs a Range request.
  await put(call, 'callRecording', wavTone({ hz: 440, seconds: 600 }), 'audio/wav');
  await put(call, 'transcript', transcript(call), 'application/json');
  await put(call, 'sentimentSummary', sentiment(0.6), 'application/json');
  await put(call, randomUUID(), summary(), 'application/json', { type: 'conversationSummary' });
  if (opts.webm) await put(call, randomUUID(), opts.webm, 'video/webm', { type: 'screenRecording' });
  await put(call, randomUUID(), Buffer.from('Order 48151623: shipped, arrives Friday.\n'), 'text/plain', {
    type: 'attachment',
  });
  await put(call, randomUUID(), wavTone({ hz: 660, seconds: 3 }), 'audio/wav', {
    type: 'voicemail',
    owningAgentId: 'agent-1',
  });

  const chat = (
    await create(1, { from: 'alice@example.com', to: 'support-chat', direction: 'inbound', agent: 'agent-2' })
  ).guid;
  await put(chat, randomUUID(), chatTranscript(chat, 'alice'), 'application/json', {
    type: 'chatTranscript',
  });

  const others: string[] = [];
  for (let i = 0; i < (opts.count ?? 10); i++) {
    const guid = (
      await create(2 + i, {
        from: `+4420797${String(1000 + i).padStart(4, '0')}`,
        to: '+441134960000',
        direction: i % 3 === 2 ? 'outbound' : 'inbound',
        agent: `agent-${(i % 4) + 1}`,
      })
    ).guid;
    await put(guid, 'callRecording', wavTone({ hz: 330 + (i % 7) * 55, seconds: 2 }), 'audio/wav');
    await put(guid, 'transcript', transcript(guid), 'application/json');
    others.push(guid);
  }
  return { call, chat, others, start };
}

/** Signs in through the console's form. */
export async function signIn(page: Page, base: string, client: { clientId: string; clientSecret: string }) {
  await page.goto(`${base}/console/`);
  await page.getByLabel('Client id').fill(client.clientId);
  await page.getByLabel('Client secret').fill(client.clientSecret);
  await page.getByRole('button', { name: 'Sign in', exact: true }).click();
  await page.getByRole('heading', { name: 'Find interactions' }).waitFor();
}
