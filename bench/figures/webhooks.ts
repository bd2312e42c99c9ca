import { randomUUID } from 'node:crypto';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import type { BenchContext } from '../lib/context.js';
import { API, contentPath, type IcsServer, interactionBody, startIcs } from '../lib/ics.js';
import { cannon, type LoadResult } from '../lib/load.js';
import { sleep } from '../lib/proc.js';
import { type Figure, median, percentile, type Row, ratioRow } from '../lib/report.js';

// Webhook delivery under write load. Two ICS servers of the same build, one with a subscription to a
// local receiver (every event, `*`) and one without any, take the same load in the same run, in
// interleaved rounds: `webhookEvents` / 2 small uploads (each raises interaction-content.added.v1)
// into interactions created beforehand (untimed), then DELETEs of them (interaction-content.deleted.v1),
// with `writeConnections` clients. While that runs, the outbox of the subscribed server drains to the
// receiver. Reported: the p99 and rate of uploads and deletes on each side (the "added" cost of
// delivery is the ratio), and the delivery rate (all of the round's events received ÷ the time from
// the first request until the last notification) against the rate the same run raised them at.

const W1 = 'application/vnd.newvoicemedia.v1+json';
const BODY = Buffer.alloc(4 * 1024, 0x5a);

interface Receiver {
  url: string;
  count: number;
  ids: Set<string>;
  lastAt: number;
  close(): Promise<void>;
}

async function startReceiver(): Promise<Receiver> {
  const r: Receiver = { url: '', count: 0, ids: new Set(), lastAt: 0, close: async () => {} };
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const id = (JSON.parse(Buffer.concat(chunks).toString('utf8')) as { id: string }).id;
      r.count++;
      r.ids.add(id);
      r.lastAt = performance.now();
      res.writeHead(204).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  r.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`;
  r.close = () =>
    new Promise<void>((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    });
  return r;
}

const lowerIsBetter = (measure: string, unit: string, withSubs: number[], without: number[]): Row => {
  const a = median(withSubs);
  const b = median(without);
  return {
    measure,
    unit,
    ics: a,
    yardstick: b,
    ratio: a / b,
    target: '—',
    verdict: 'INFO',
    rounds: { ics: withSubs, yardstick: without },
    note: 'lower is better; ratio = with ÷ without subscriptions',
  };
};

export async function webhooksFigure(ctx: BenchContext): Promise<Figure> {
  const { params } = ctx;
  const half = Math.floor(params.webhookEvents / 2);
  const c = params.writeConnections;
  const receiver = await startReceiver();
  const sides = {
    with: await startIcs({ dataDir: join(ctx.workDir, 'webhooks-with'), profileDir: ctx.profileDir }),
    without: await startIcs({ dataDir: join(ctx.workDir, 'webhooks-without'), profileDir: ctx.profileDir }),
  };
  const m = {
    uploadP99: { with: [] as number[], without: [] as number[] },
    deleteP99: { with: [] as number[], without: [] as number[] },
    uploadRate: { with: [] as number[], without: [] as number[] },
    deleteRate: { with: [] as number[], without: [] as number[] },
    delivered: [] as number[],
    raised: [] as number[],
    tail: [] as number[],
  };
  let failed = 0;
  try {
    const sub = await fetch(`${sides.with.url}/webhooks/subscriptions`, {
      method: 'POST',
      headers: { ...sides.with.headers, accept: W1, 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'bench receiver', url: receiver.url, events: ['*'] }),
    });
    if (sub.status !== 201) throw new Error(`subscription: ${sub.status} ${await sub.text()}`);
    for (let r = 0; r < params.rounds; r++) {
      const order: ('with' | 'without')[] = r % 2 === 0 ? ['with', 'without'] : ['without', 'with'];
      for (const side of order) {
        const ics: IcsServer = sides[side];
        const guids = Array.from({ length: half }, () => randomUUID());
        const bodies = guids.map((g) => JSON.stringify(interactionBody(g)));
        let b = 0;
        const setup = await cannon({
          url: `${ics.url}${API}/interactions`,
          connections: c,
          amount: half,
          method: 'POST',
          headers: { ...ics.headers, 'content-type': 'application/json' },
          nextBody: () => bodies[b++ % half],
        });
        if (setup.failed > 0) throw new Error(`${setup.failed} interaction creates failed (${side})`);
        const paths = guids.map((g) => contentPath(g));
        const next = () => {
          let i = 0;
          return () => paths[i++ % half];
        };
        const before = receiver.count;
        ctx.log(
          `  webhooks round ${r + 1}/${params.rounds}: ${half} uploads + ${half} deletes, ${side} a subscription`,
        );
        const t0 = performance.now();
        const up: LoadResult = await cannon({
          url: ics.url,
          connections: c,
          amount: half,
          method: 'PUT',
          headers: { ...ics.headers, 'content-type': 'audio/wav' },
          body: BODY,
          nextPath: next(),
        });
        const del: LoadResult = await cannon({
          url: ics.url,
          connections: c,
          amount: half,
          method: 'DELETE',
          headers: ics.headers,
          nextPath: next(),
        });
        const t1 = performance.now();
        failed += up.failed + del.failed;
        m.uploadP99[side].push(percentile(up.latenciesMs, 99));
        m.deleteP99[side].push(percentile(del.latenciesMs, 99));
        m.uploadRate[side].push(up.rps);
        m.deleteRate[side].push(del.rps);
        if (side === 'with') {
          const want = before + 2 * half;
          const deadline = Date.now() + 600_000;
          while (receiver.count < want && Date.now() < deadline) await sleep(20);
          if (receiver.count < want)
            throw new Error(`only ${receiver.count - before} of ${2 * half} notifications arrived`);
          m.delivered.push((2 * half) / ((receiver.lastAt - t0) / 1000));
          m.raised.push((2 * half) / ((t1 - t0) / 1000));
          m.tail.push((receiver.lastAt - t1) / 1000);
        }
      }
    }
  } finally {
    await sides.with.stop();
    await sides.without.stop();
    await receiver.close();
  }
  const duplicates = receiver.count - receiver.ids.size;
  return {
    id: 'webhooks',
    title: `Webhooks: ${2 * half} events a round (4 KiB uploads + deletes) to a local receiver`,
    yardstick: 'the same server build and load without any subscription, in the same run',
    labels: ['with a subscription', 'without'],
    rows: [
      lowerIsBetter('upload p99 while the outbox drains', 'ms', m.uploadP99.with, m.uploadP99.without),
      lowerIsBetter('delete p99 while the outbox drains', 'ms', m.deleteP99.with, m.deleteP99.without),
      ratioRow({
        measure: 'uploads',
        unit: 'req/s',
        ics: m.uploadRate.with,
        yardstick: m.uploadRate.without,
      }),
      ratioRow({
        measure: 'deletes',
        unit: 'req/s',
        ics: m.deleteRate.with,
        yardstick: m.deleteRate.without,
      }),
      ratioRow({
        measure: 'delivery rate ÷ the rate events were raised',
        unit: 'events/s',
        ics: m.delivered,
        yardstick: m.raised,
        note: `first request to last notification; the last one arrived ${median(m.tail).toFixed(1)} s (median) after the last request`,
      }),
    ],
    notes: [
      `${c} concurrent clients; ${params.rounds} interleaved rounds; duplicates received: ${duplicates}; failed requests: ${failed}`,
    ],
  };
}
