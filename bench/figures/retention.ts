import { join } from 'node:path';
import Sqlite from 'better-sqlite3';
import { addClient } from '../../src/auth/client-admin.js';
import { openMetadataStore } from '../../src/metadata/open-metadata-store.js';
import { getLoadFor, loadWhile } from '../lib/beside.js';
import type { BenchContext } from '../lib/context.js';
import { API, startIcs } from '../lib/ics.js';
import { type Figure, percentile, ratioRow } from '../lib/report.js';
import { seedDataset } from '../seed-dataset.js';

// A retention sweep against delete-batch deleting the same kind of items in the same run:
//   ICS        PUT a policy ("everything 30 days", no grace) over an account of N interactions that
//              started ~400 days ago; timed until GET …/retention shows lastSweep
//   yardstick  POST …/delete-batch of another account's N interactions of the same shape, 1000
//              GUIDs a request, one request after another (the fastest the API allows: one batch per
//              account at a time)
// And GET /interactions/{guid} p99 (the load: lib/beside.ts) while the sweep runs, against the
// same GET on the idle server just before. Both accounts are seeded by seed-dataset.ts (one
// recording each, every third a transcript; the blob keys hold no files, as for the search figures).

const DAY = 86_400_000;

export async function retentionFigure(ctx: BenchContext, count: number): Promise<Figure> {
  const dataDir = join(ctx.workDir, 'retention-data');
  const endMs = Date.now() - 400 * DAY;
  ctx.log(`  retention: seeding 2 × ${count.toLocaleString('en-US')} due interactions …`);
  await seedDataset({ dataDir, count, account: 'sweep', endMs });
  await seedDataset({ dataDir, count, account: 'batch', endMs });
  const db = new Sqlite(join(dataDir, 'ics.sqlite'), { readonly: true });
  const batchGuids = (
    db.prepare(`select guid from interactions where account = 'batch' order by start_ms`).all() as {
      guid: string;
    }[]
  ).map((r) => r.guid);
  const items = (
    db.prepare(`select count(*) as n from contents where account = 'sweep'`).get() as { n: number }
  ).n;
  db.close();
  const ics = await startIcs({
    dataDir,
    env: { ICS_RETENTION_GRACE_DAYS: '0', ICS_RETENTION_SWEEP_SECONDS: '86400' },
  });
  // Clients of the two accounts, added beside the running server as `ics clients add` does.
  const store = await openMetadataStore({ kind: 'sqlite', path: join(dataDir, 'ics.sqlite') });
  const scopes =
    'interaction-content:read interaction-content:write interaction-content:delete interaction-content:admin';
  const sweepClient = await addClient(store, { account: 'sweep', scopes });
  const batchClient = await addClient(store, { account: 'batch', scopes });
  await store.close();
  const tokenOf = async (c: { clientId: string; clientSecret: string }) => {
    const res = await fetch(`${ics.url}/Auth/connect/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({
        grant_type: 'client_credentials',
        client_id: c.clientId,
        client_secret: c.clientSecret,
      }),
    });
    return ((await res.json()) as { access_token: string }).access_token;
  };
  const headersOf = (token: string) => ({
    authorization: `Bearer ${token}`,
    accept: ics.headers.accept,
    'content-type': 'application/json',
  });
  try {
    const sweepHeaders = headersOf(await tokenOf(sweepClient));
    const batchHeaders = headersOf(await tokenOf(batchClient));
    // The GET target: a young interaction of the default account, never due.
    const created = await fetch(`${ics.url}${API}/interactions`, {
      method: 'POST',
      headers: { ...ics.headers, 'content-type': 'application/json' },
      body: JSON.stringify({
        start: new Date().toISOString(),
        connectFrom: '+441234567890',
        connectTo: '+449876543210',
        direction: 'inbound',
        handlingAgents: [{ id: 'a1' }],
      }),
    });
    const { guid } = (await created.json()) as { guid: string };
    // With no content, GET /interactions/{guid} answers 404 (VCC), and autocannon's latencies
    // (2xx only) would be empty: the figure then had no number at all.
    const up = await fetch(`${ics.url}${API}/interactions/${guid}/content/callRecording`, {
      method: 'PUT',
      headers: { ...ics.headers, 'content-type': 'audio/wav' },
      body: 'RIFF-bench-bytes',
    });
    if (up.status !== 201) throw new Error(`PUT content: ${up.status} ${await up.text()}`);
    const probe = await fetch(`${ics.url}${API}/interactions/${guid}`, { headers: ics.headers });
    if (probe.status !== 200) throw new Error(`GET target: ${probe.status}`);
    const load = await getLoadFor({ url: `${ics.url}${API}/interactions/${guid}`, headers: ics.headers });

    ctx.log(`  retention: delete-batch of ${count} interactions …`);
    const b0 = process.hrtime.bigint();
    for (let i = 0; i < batchGuids.length; i += 200) {
      const res = await fetch(`${ics.url}${API}/interactions/delete-batch`, {
        method: 'POST',
        headers: batchHeaders,
        body: JSON.stringify({ guids: batchGuids.slice(i, i + 200) }),
      });
      if (!res.ok) throw new Error(`delete-batch: ${res.status} ${await res.text()}`);
      await res.arrayBuffer();
    }
    const batchSeconds = Number(process.hrtime.bigint() - b0) / 1e9;

    const idle = await load.run(Math.max(3, Math.min(10, batchSeconds / 4)));
    ctx.log(`  retention: sweep of ${count} interactions (${items} items) …`);
    const s0 = process.hrtime.bigint();
    const put = await fetch(`${ics.url}${API}/retention`, {
      method: 'PUT',
      headers: sweepHeaders,
      body: JSON.stringify({ status: 'on', rules: [{ name: 'Everything 30 days', keepDays: 30 }] }),
    });
    if (!put.ok) throw new Error(`PUT retention: ${put.status} ${await put.text()}`);
    let done = false;
    const beside = loadWhile(load);
    let deleted = 0;
    while (!done) {
      await new Promise((r) => setTimeout(r, 100));
      const p = (await (await fetch(`${ics.url}${API}/retention`, { headers: sweepHeaders })).json()) as {
        lastSweep: { deleted: number } | null;
      };
      if (p.lastSweep) {
        done = true;
        deleted = p.lastSweep.deleted;
      }
    }
    const sweepSeconds = Number(process.hrtime.bigint() - s0) / 1e9;
    const duringP99 = await beside.stop();
    if (deleted !== items) throw new Error(`the sweep deleted ${deleted} of ${items} items`);
    const idleP99 = percentile(idle.latenciesMs, 99);
    return {
      id: 'retention',
      title: `Retention: a sweep of ${count.toLocaleString('en-US')} due interactions (${items.toLocaleString('en-US')} items)`,
      yardstick:
        'delete-batch of the same number of interactions of the same shape (another account), 200 a request, in the same run',
      labels: ['retention sweep', 'delete-batch'],
      rows: [
        ratioRow({
          measure: 'interactions deleted per second',
          unit: '/s',
          ics: [count / sweepSeconds],
          yardstick: [count / batchSeconds],
          min: 0.8,
          note: 'sweep: from the PUT of the policy until GET …/retention shows lastSweep (polled every 100 ms)',
        }),
        ratioRow({
          measure: 'GET /interactions/{guid} p99, idle ÷ during the sweep',
          unit: 'ms',
          ics: [idleP99 / duringP99],
          yardstick: [1],
          min: 0.5,
          note: `p99 idle ${idleP99.toFixed(2)} ms, during the sweep ${duringP99.toFixed(2)} ms (GET load: ${load.describe}); target: during ≤ 2 × idle`,
        }),
      ],
      notes: [
        'SQLite + files; ICS_RETENTION_BATCH_SIZE and ICS_RETENTION_TX_SIZE at their defaults (500, 20)',
        'one round: each side deletes its own seeded set once',
      ],
    };
  } finally {
    await ics.stop();
  }
}
