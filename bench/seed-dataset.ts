import { createHash } from 'node:crypto';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import Sqlite from 'better-sqlite3';
import { v7 as uuidv7 } from 'uuid';
import type { ContentRecord, InteractionRecord } from '../src/core/types.js';
import { fromContent, fromInteraction } from '../src/metadata/mappers.js';
import { openMetadataStore } from '../src/metadata/open-metadata-store.js';

// The search dataset: `count` interactions spread evenly over `days` days ending at `endMs`, each
// with a call recording row (and every third a transcript), so that all are visible to search.
// The schema comes from the project's own migrations and the rows from its own mappers; the rows go
// in through prepared statements in transactions of 20,000 (a million in about a minute), with
// synchronous=OFF while loading. The content rows point at blob keys that hold no file: search and
// metadata reads never open blobs.
//
// Standalone: node --import tsx bench/seed-dataset.ts --dir <data-dir> --count 1000000

export interface SeedResult {
  count: number;
  contentRows: number;
  windowStart: number;
  windowEnd: number;
  seconds: number;
}

const BATCH = 20_000;
const AGENTS = 50;

export async function seedDataset(opts: {
  dataDir: string;
  count: number;
  days?: number;
  endMs?: number;
  /** Default 'default'. */
  account?: string;
}): Promise<SeedResult> {
  const account = opts.account ?? 'default';
  const started = process.hrtime.bigint();
  const path = join(resolve(opts.dataDir), 'ics.sqlite');
  const store = await openMetadataStore({ kind: 'sqlite', path });
  await store.migrate();
  await store.close();

  const days = opts.days ?? 7;
  const windowEnd = Math.floor((opts.endMs ?? Date.now()) / 1000) * 1000;
  const windowStart = windowEnd - days * 86_400_000;
  const step = (windowEnd - windowStart) / opts.count;

  const db = new Sqlite(path);
  db.pragma('synchronous = OFF');
  db.pragma('cache_size = -262144'); // 256 MiB while loading
  const insertRow = (table: string, sample: object) => {
    const cols = Object.keys(sample);
    return db.prepare(
      `insert into ${table} (${cols.join(', ')}) values (${cols.map((c) => `@${c}`).join(', ')})`,
    );
  };

  let insertInteraction: Sqlite.Statement | undefined;
  let insertContent: Sqlite.Statement | undefined;
  const insertAgent = db.prepare(
    'insert into interaction_agents (account, agent_id, start_ms, guid) values (?, ?, ?, ?)',
  );
  const fakeSha = createHash('sha256').update('bench').digest('hex');
  let contentRows = 0;

  const load = db.transaction((from: number, to: number) => {
    for (let i = from; i < to; i++) {
      const start = Math.floor(windowStart + i * step);
      const guid = uuidv7({ msecs: start });
      const agents =
        i % 4 === 0 ? [`agent-${i % AGENTS}`, `agent-${(i + 7) % AGENTS}`] : [`agent-${i % AGENTS}`];
      const rec: Omit<InteractionRecord, 'contentCount' | 'legalHold'> = {
        account,
        guid,
        start,
        connectFrom: `+4420${String(7_000_000 + (i % 900_000)).padStart(8, '0')}`,
        connectTo: i % 5 === 0 ? 'support-chat' : '+441134960000',
        direction: i % 3 === 2 ? 'outbound' : 'inbound',
        handlingAgents: agents,
        createdAt: start,
      };
      const items: ContentRecord[] = [
        { ...content(guid, 'callRecording', 'audio/wav', 480_000 + (i % 1000), start, fakeSha), account },
      ];
      if (i % 3 === 0)
        items.push({
          ...content(guid, 'transcript', 'application/json', 4_000 + (i % 500), start, fakeSha),
          account,
        });
      const row = { ...fromInteraction(rec), content_count: items.length };
      insertInteraction ??= insertRow('interactions', row);
      insertInteraction.run(row);
      for (const agent of new Set(agents)) insertAgent.run(account, agent, start, guid);
      for (const item of items) {
        const c = { ...fromContent(item), start_ms: start, direction: rec.direction };
        insertContent ??= insertRow('contents', c);
        insertContent.run(c);
        contentRows++;
      }
    }
  });
  for (let from = 0; from < opts.count; from += BATCH) load(from, Math.min(opts.count, from + BATCH));
  db.pragma('wal_checkpoint(TRUNCATE)');
  db.close();
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  return { count: opts.count, contentRows, windowStart, windowEnd, seconds };
}

function content(
  guid: string,
  type: 'callRecording' | 'transcript',
  mediaType: string,
  length: number,
  at: number,
  sha256: string,
): ContentRecord {
  return {
    account: 'default',
    guid,
    contentKey: type,
    type,
    mediaType,
    length,
    sha256,
    blobKey: `default/${guid}/${uuidv7({ msecs: at })}`,
    lastModified: at,
    owningAgentId: null,
    owningInteractionPlanId: null,
    properties: {},
  };
}

if (process.argv[1] && resolve(process.argv[1]) === resolve(new URL(import.meta.url).pathname)) {
  const { values } = parseArgs({
    options: { dir: { type: 'string' }, count: { type: 'string', default: '1000000' } },
  });
  if (!values.dir) throw new Error('usage: seed-dataset.ts --dir <data-dir> [--count N]');
  const r = await seedDataset({ dataDir: values.dir, count: Number(values.count) });
  process.stdout.write(
    `seeded ${r.count} interactions (${r.contentRows} content rows) in ${r.seconds.toFixed(1)} s\n`,
  );
}
