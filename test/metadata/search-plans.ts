import Sqlite from 'better-sqlite3';
import { Kysely, PostgresDialect, SqliteDialect, sql } from 'kysely';
import pg from 'pg';
import type { SearchQuery } from '../../src/core/types.js';
import type { Database } from '../../src/metadata/db-schema.js';
import { openMetadataStore } from '../../src/metadata/open-metadata-store.js';
import { searchPageQuery } from '../../src/metadata/search-query.js';

// EXPLAIN output of the three search shapes on PostgreSQL (and EXPLAIN QUERY PLAN on SQLite), over a realistic data set, so a test can
// assert which index serves each and the docs can print the plans. The SQL explained is built by the
// store's own query builder (search-query.ts), so it is exactly what search() runs.

export const PLAN_T0 = Date.UTC(2024, 0, 1);
const DAY = 86_400_000;

export interface SearchPlans {
  window: string;
  agent: string;
  connectFrom: string;
  /** The window under a client's read restriction (types and directions). */
  restricted: string;
}

/** The queries explained: one account of ten, one week (one day for the plain window). */
export const PLAN_QUERIES: Record<keyof SearchPlans, SearchQuery> = {
  window: { account: 'acct-3', start: PLAN_T0 + 10 * DAY, end: PLAN_T0 + 11 * DAY, limit: 100 },
  agent: {
    account: 'acct-3',
    start: PLAN_T0 + 7 * DAY,
    end: PLAN_T0 + 14 * DAY,
    handlingAgentId: 'agent-3',
    limit: 100,
  },
  connectFrom: {
    account: 'acct-3',
    start: PLAN_T0 + 7 * DAY,
    end: PLAN_T0 + 14 * DAY,
    connectFrom: '+4412',
    limit: 100,
  },
  restricted: {
    account: 'acct-3',
    start: PLAN_T0 + 7 * DAY,
    end: PLAN_T0 + 14 * DAY,
    limit: 100,
    readable: { types: ['transcript', 'voicemail'], directions: ['inbound'] },
  },
};

/**
 * Migrates the (empty) database at `url`, loads `rows` interactions (10 accounts, 40 agents, 30 days,
 * 1 in 20 without content), ANALYZEs, and returns the plans. No planner settings are changed.
 */
export async function explainSearchPlans(url: string, rows = 20_000): Promise<SearchPlans> {
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
      select 'acct-' || (g % 10),
             md5(g::text)::uuid::text,
             ${PLAN_T0}::bigint + ((g::bigint * 7907) % (30 * 86400)) * 1000,
             '+44' || lpad(((g::bigint * 7919) % 10000000)::text, 7, '0'),
             '+1' || lpad(((g::bigint * 104729) % 10000000)::text, 7, '0'),
             case when g % 3 = 0 then 'outbound' else 'inbound' end,
             json_build_array('agent-' || (g % 40))::text,
             case when g % 20 = 0 then 0 else 1 end,
             ${PLAN_T0}::bigint
      from generate_series(1, ${rows}::int) g`.execute(db);
    await sql`
      insert into interaction_agents (account, agent_id, start_ms, guid)
      select account, handling_agents::json->>0, start_ms, guid from interactions`.execute(db);
    // One item per interaction with content; one in four a transcript.
    await sql`
      insert into contents (account, guid, content_key, type, media_type, length, sha256, blob_key,
                            last_modified_ms, properties)
      select account, guid, 'k', case when ascii(guid) % 4 = 0 then 'transcript' else 'callRecording' end,
             'application/octet-stream', 1, '', account || '/' || guid, ${PLAN_T0}::bigint, '{}'
      from interactions where content_count > 0`.execute(db);
    await sql`analyze`.execute(db);
    const explain = async (q: SearchQuery) =>
      (await searchPageQuery(db, q).explain()).map((r) => String(r['QUERY PLAN'])).join('\n');
    return {
      window: await explain(PLAN_QUERIES.window),
      agent: await explain(PLAN_QUERIES.agent),
      connectFrom: await explain(PLAN_QUERIES.connectFrom),
      restricted: await explain(PLAN_QUERIES.restricted),
    };
  } finally {
    await db.destroy();
  }
}

/** The same on SQLite: migrates the file at `path`, loads the same data set, ANALYZEs, explains. */
export async function explainSqliteSearchPlans(path: string, rows = 20_000): Promise<SearchPlans> {
  const store = await openMetadataStore({ kind: 'sqlite', path });
  try {
    await store.migrate();
  } finally {
    await store.close();
  }
  const file = new Sqlite(path);
  const db = new Kysely<Database>({ dialect: new SqliteDialect({ database: file }) });
  try {
    const insert = file.prepare(
      `insert into interactions (account, guid, start_ms, connect_from, connect_to, direction, handling_agents,
                                 content_count, created_ms) values (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    );
    const agent = file.prepare(
      'insert into interaction_agents (account, agent_id, start_ms, guid) values (?, ?, ?, ?)',
    );
    const content = file.prepare(
      `insert into contents (account, guid, content_key, type, media_type, length, sha256, blob_key,
                             last_modified_ms, properties) values (?, ?, 'k', ?, 'application/octet-stream', 1, '', ?, ?, '{}')`,
    );
    file.transaction(() => {
      for (let g = 1; g <= rows; g++) {
        const account = `acct-${g % 10}`;
        const guid = `${g.toString(16).padStart(8, '0')}-0000-4000-8000-000000000000`;
        const start = PLAN_T0 + ((g * 7907) % (30 * 86400)) * 1000;
        const agentId = `agent-${g % 40}`;
        const from = `+44${String((g * 7919) % 10_000_000).padStart(7, '0')}`;
        const to = `+1${String((g * 104729) % 10_000_000).padStart(7, '0')}`;
        const direction = g % 3 === 0 ? 'outbound' : 'inbound';
        insert.run(
          account,
          guid,
          start,
          from,
          to,
          direction,
          JSON.stringify([agentId]),
          g % 20 === 0 ? 0 : 1,
          PLAN_T0,
        );
        agent.run(account, agentId, start, guid);
        if (g % 20 !== 0)
          content.run(
            account,
            guid,
            g % 4 === 0 ? 'transcript' : 'callRecording',
            `${account}/${guid}`,
            PLAN_T0,
          );
      }
    })();
    file.exec('analyze');
    const explain = (q: SearchQuery) => {
      const c = searchPageQuery(db, q).compile();
      const steps = file.prepare(`explain query plan ${c.sql}`).all(...c.parameters) as { detail: string }[];
      return steps.map((s) => s.detail).join('\n');
    };
    return {
      window: explain(PLAN_QUERIES.window),
      agent: explain(PLAN_QUERIES.agent),
      connectFrom: explain(PLAN_QUERIES.connectFrom),
      restricted: explain(PLAN_QUERIES.restricted),
    };
  } finally {
    await db.destroy();
  }
}
