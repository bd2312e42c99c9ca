import Sqlite from 'better-sqlite3';
import { Kysely, PostgresDialect, SqliteDialect, sql } from 'kysely';
import pg from 'pg';
import { type MatchPageQuery, matchPageQuery } from '../../src/deletion-jobs/match-query.js';
import type { Database } from '../../src/metadata/db-schema.js';
import { openMetadataStore } from '../../src/metadata/open-metadata-store.js';

// EXPLAIN of the deletion-job match shapes over a realistic data set (the search plans' data set:
// 10 accounts, 40 agents, 30 days, 1 in 20 without content), so a test can assert which index
// serves each walk and docs/scaling.md can print the plans. The SQL explained is built by the
// job's own query builder (match-query.ts), so it is exactly what a job runs.

const T0 = Date.UTC(2024, 0, 1);
const DAY = 86_400_000;
// Row 4242 of the data set: account acct-2, from +44 + (4242·7919 mod 10^7).
const SUBJECT_FROM = `+44${String((4242 * 7919) % 10_000_000).padStart(7, '0')}`;
const SUBJECT_TO = `+1${String((4242 * 104729) % 10_000_000).padStart(7, '0')}`;

export const MATCH_QUERIES = {
  subjectFrom: {
    account: 'acct-2',
    match: { addresses: [SUBJECT_FROM] },
    walk: { kind: 'address', column: 'from', address: SUBJECT_FROM },
    limit: 500,
  },
  subjectTo: {
    account: 'acct-2',
    match: { addresses: [SUBJECT_TO] },
    walk: { kind: 'address', column: 'to', address: SUBJECT_TO },
    limit: 500,
  },
  subjectFiltered: {
    account: 'acct-2',
    match: {
      addresses: [SUBJECT_FROM],
      start: T0,
      end: T0 + 30 * DAY,
      direction: 'inbound',
      handlingAgentId: 'agent-2',
      contentTypes: ['callRecording'],
    },
    walk: { kind: 'address', column: 'from', address: SUBJECT_FROM },
    after: { start: T0, guid: '00000000-0000-4000-8000-000000000000' },
    limit: 500,
  },
  agent: {
    account: 'acct-3',
    match: { handlingAgentId: 'agent-3', start: T0 + 7 * DAY, end: T0 + 14 * DAY },
    walk: { kind: 'agent', agentId: 'agent-3' },
    limit: 500,
  },
  window: {
    account: 'acct-3',
    match: { start: T0 + 10 * DAY, end: T0 + 11 * DAY },
    walk: { kind: 'window' },
    limit: 500,
  },
} satisfies Record<string, MatchPageQuery>;

export type MatchPlans = Record<keyof typeof MATCH_QUERIES, string>;

export async function explainPostgresMatchPlans(url: string, rows = 20_000): Promise<MatchPlans> {
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
      insert into interactions (account, guid, start_ms, connect_from, connect_to, connect_from_norm,
                                connect_to_norm, direction, handling_agents, content_count, created_ms)
      select account, guid, start_ms, f, t, f, t, direction, agents, cc, ${T0}::bigint from (
        select 'acct-' || (g % 10) as account,
               md5(g::text)::uuid::text as guid,
               ${T0}::bigint + ((g::bigint * 7907) % (30 * 86400)) * 1000 as start_ms,
               '+44' || lpad(((g::bigint * 7919) % 10000000)::text, 7, '0') as f,
               '+1' || lpad(((g::bigint * 104729) % 10000000)::text, 7, '0') as t,
               case when g % 3 = 0 then 'outbound' else 'inbound' end as direction,
               json_build_array('agent-' || (g % 40))::text as agents,
               case when g % 20 = 0 then 0 else 1 end as cc
        from generate_series(1, ${rows}::int) g) s`.execute(db);
    await sql`
      insert into interaction_agents (account, agent_id, start_ms, guid)
      select account, handling_agents::json->>0, start_ms, guid from interactions`.execute(db);
    await sql`
      insert into contents (account, guid, content_key, type, media_type, length, sha256, blob_key,
                            last_modified_ms, properties)
      select account, guid, 'callRecording', 'callRecording', 'audio/wav', 1000, md5(guid),
             account || '/' || guid, start_ms, '{}'
      from interactions where content_count > 0`.execute(db);
    await sql`analyze`.execute(db);
    const explain = async (q: MatchPageQuery) =>
      (await matchPageQuery(db, q).explain()).map((r) => String(r['QUERY PLAN'])).join('\n');
    const plans = {} as MatchPlans;
    for (const [name, q] of Object.entries(MATCH_QUERIES))
      plans[name as keyof MatchPlans] = await explain(q as MatchPageQuery);
    return plans;
  } finally {
    await db.destroy();
  }
}

export async function explainSqliteMatchPlans(path: string, rows = 20_000): Promise<MatchPlans> {
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
      `insert into interactions (account, guid, start_ms, connect_from, connect_to, connect_from_norm,
         connect_to_norm, direction, handling_agents, content_count, created_ms)
       values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    );
    const agent = file.prepare(
      'insert into interaction_agents (account, agent_id, start_ms, guid) values (?, ?, ?, ?)',
    );
    const content = file.prepare(
      `insert into contents (account, guid, content_key, type, media_type, length, sha256, blob_key,
         last_modified_ms, properties) values (?, ?, 'callRecording', 'callRecording', 'audio/wav', 1000, 'x', ?, ?, '{}')`,
    );
    file.transaction(() => {
      for (let g = 1; g <= rows; g++) {
        const account = `acct-${g % 10}`;
        const guid = `${g.toString(16).padStart(8, '0')}-0000-4000-8000-000000000000`;
        const start = T0 + ((g * 7907) % (30 * 86400)) * 1000;
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
          from,
          to,
          direction,
          JSON.stringify([agentId]),
          g % 20 === 0 ? 0 : 1,
          T0,
        );
        agent.run(account, agentId, start, guid);
        if (g % 20 !== 0) content.run(account, guid, `${account}/${guid}`, start);
      }
    })();
    file.exec('analyze');
    const explain = (q: MatchPageQuery) => {
      const c = matchPageQuery(db, q).compile();
      const steps = file.prepare(`explain query plan ${c.sql}`).all(...c.parameters) as { detail: string }[];
      return steps.map((s) => s.detail).join('\n');
    };
    const plans = {} as MatchPlans;
    for (const [name, q] of Object.entries(MATCH_QUERIES))
      plans[name as keyof MatchPlans] = explain(q as MatchPageQuery);
    return plans;
  } finally {
    await db.destroy();
  }
}
