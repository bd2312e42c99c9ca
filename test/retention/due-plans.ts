import Sqlite from 'better-sqlite3';
import { Kysely, PostgresDialect, SqliteDialect, sql } from 'kysely';
import pg from 'pg';
import type { Database } from '../../src/metadata/db-schema.js';
import { openMetadataStore } from '../../src/metadata/open-metadata-store.js';
import {
  type DueListQuery,
  dueCountQuery,
  dueListQuery,
} from '../../src/retention/kysely-retention-store.js';

// EXPLAIN of retention's due-item queries (a sweep page, resumed after a checkpoint, and the
// preview's count) over a data set of 10 accounts × 1000 days, one in 3 interactions with a
// transcript beside its call recording, built by the store's own query builders.

const T0 = Date.UTC(2022, 0, 1);
const DAY = 86_400_000;

export interface DuePlans {
  page: string;
  count: string;
}

/** One account, inbound call recordings: a sweep page, after its first checkpoint, all of them due. */
export const DUE_QUERY: DueListQuery = {
  account: 'acct-3',
  type: 'callRecording',
  direction: 'inbound',
  startAtMost: T0 + 1000 * DAY,
  after: { start: T0 + 10 * DAY, guid: '00000000-0000-4000-8000-000000000000', contentKey: 'callRecording' },
  limit: 500,
  withHeld: true,
};

export async function explainPostgresDuePlans(url: string, rows = 20_000): Promise<DuePlans> {
  const store = await openMetadataStore({ kind: 'postgres', url, poolSize: 1 });
  try {
    await store.migrate();
  } finally {
    await store.close();
  }
  const db = new Kysely<Database>({
    dialect: new PostgresDialect({ pool: new pg.Pool({ connectionString: url, max: 1 }) }),
  });
  try {
    await sql`
      insert into interactions (account, guid, start_ms, connect_from, connect_to, direction, handling_agents,
                                content_count, created_ms)
      select 'acct-' || (g % 10), md5(g::text)::uuid::text,
             ${T0}::bigint + ((g::bigint * 7907) % (1000 * 86400)) * 1000,
             '+44' || g, '+1' || g,
             case when g % 3 = 0 then 'outbound' else 'inbound' end,
             '[]', case when g % 3 = 1 then 2 else 1 end, ${T0}::bigint
      from generate_series(1, ${rows}::int) g`.execute(db);
    await sql`
      insert into contents (account, guid, content_key, type, media_type, length, sha256, blob_key,
                            last_modified_ms, properties, start_ms, direction)
      select i.account, i.guid, t.type, t.type, 'audio/wav', 1000, 'x', i.guid || t.type, i.start_ms, '{}',
             i.start_ms, i.direction
      from interactions i
      join (values ('callRecording'), ('transcript')) as t(type)
        on t.type = 'callRecording' or i.content_count = 2`.execute(db);
    await sql`analyze`.execute(db);
    const lines = (r: { [k: string]: unknown }[]) => r.map((x) => String(x['QUERY PLAN'])).join('\n');
    return {
      page: lines(await dueListQuery(db, DUE_QUERY).explain()),
      count: lines(await dueCountQuery(db, DUE_QUERY).explain()),
    };
  } finally {
    await db.destroy();
  }
}

export async function explainSqliteDuePlans(path: string, rows = 20_000): Promise<DuePlans> {
  const store = await openMetadataStore({ kind: 'sqlite', path });
  try {
    await store.migrate();
  } finally {
    await store.close();
  }
  const file = new Sqlite(path);
  const db = new Kysely<Database>({ dialect: new SqliteDialect({ database: file }) });
  try {
    const interaction = file.prepare(
      `insert into interactions (account, guid, start_ms, connect_from, connect_to, direction, handling_agents,
                                 content_count, created_ms) values (?, ?, ?, ?, ?, ?, '[]', ?, ?)`,
    );
    const content = file.prepare(
      `insert into contents (account, guid, content_key, type, media_type, length, sha256, blob_key,
                             last_modified_ms, properties, start_ms, direction)
       values (?, ?, ?, ?, 'audio/wav', 1000, 'x', ?, ?, '{}', ?, ?)`,
    );
    file.transaction(() => {
      for (let g = 1; g <= rows; g++) {
        const account = `acct-${g % 10}`;
        const guid = `${g.toString(16).padStart(8, '0')}-0000-4000-8000-000000000000`;
        const start = T0 + ((g * 7907) % (1000 * 86400)) * 1000;
        const direction = g % 3 === 0 ? 'outbound' : 'inbound';
        const types = g % 3 === 1 ? ['callRecording', 'transcript'] : ['callRecording'];
        interaction.run(account, guid, start, `+44${g}`, `+1${g}`, direction, types.length, T0);
        for (const t of types) content.run(account, guid, t, t, guid + t, start, start, direction);
      }
    })();
    file.exec('analyze');
    const explain = (q: { compile(): { sql: string; parameters: readonly unknown[] } }) => {
      const c = q.compile();
      const steps = file.prepare(`explain query plan ${c.sql}`).all(...c.parameters) as { detail: string }[];
      return steps.map((s) => s.detail).join('\n');
    };
    return { page: explain(dueListQuery(db, DUE_QUERY)), count: explain(dueCountQuery(db, DUE_QUERY)) };
  } finally {
    await db.destroy();
  }
}
