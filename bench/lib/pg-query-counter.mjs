// Loaded into a PostgreSQL-backed ICS server with `node --import` (bench/figures/postgres-writes.ts):
// counts every statement the server sends through node-postgres, by kind (verb + table), and the
// round trips: a statement sent while none of the same connection's statements is in flight starts
// one (statements pipelined behind it ride along). On SIGUSR2 it writes the totals so far to the file
// named by ICS_BENCH_PG_COUNTS; the bench takes differences around each timed phase. Bench only: the
// server itself never loads it.
import { writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';

// The server's own copy of pg (it runs from its checkout's root), so the patch reaches its clients.
const pg = createRequire(`${process.cwd()}/`)('pg');
const out = process.env.ICS_BENCH_PG_COUNTS;
const kinds = new Map();
let statements = 0;
let trips = 0;
const inFlight = new WeakMap();
const kindsOf = new Map();

function kindOf(text) {
  const sql = text
    .replace(/\/\*.*?\*\//g, '')
    .trim()
    .toLowerCase();
  const verb = /^(begin|start transaction|commit|rollback|select|insert into|update|delete from|with)\b/.exec(
    sql,
  )?.[1];
  if (!verb) return sql.slice(0, 40);
  if (verb === 'begin' || verb === 'start transaction') return 'begin';
  // A write behind a CTE (the ledger append on PostgreSQL: head upsert, then the entry's insert) is
  // named by that write.
  const main = verb === 'with' ? /\)\s*(insert into|update|delete from)\s+"?(\w+)"?/.exec(sql) : null;
  if (main) {
    const name = main[1] === 'insert into' ? 'insert' : main[1] === 'delete from' ? 'delete' : main[1];
    return `${name} ${main[2]}${/\bon conflict\b.*\bdo update\b/.test(sql) ? ' (after an upsert)' : ''}`;
  }
  if (verb === 'commit' || verb === 'rollback') return verb;
  const table =
    verb === 'select' || verb === 'with'
      ? /\bfrom "?(\w+)"?/.exec(sql)?.[1]
      : /^\w+(?: \w+)? "?(\w+)"?/.exec(sql)?.[1];
  const name = verb === 'insert into' ? 'insert' : verb === 'delete from' ? 'delete' : verb;
  const extra = /\bon conflict\b.*\bdo update\b/.test(sql)
    ? ' (upsert)'
    : / for update\b/.test(sql)
      ? ' for update'
      : '';
  return `${name} ${table ?? '?'}${extra}`;
}

const query = pg.Client.prototype.query;
pg.Client.prototype.query = function counted(config, values, callback) {
  const text = typeof config === 'string' ? config : config?.text;
  if (typeof text !== 'string') return query.call(this, config, values, callback);
  statements++;
  // Classified once per text: the server sends a few dozen texts, and the counter's own CPU is
  // charged to the PostgreSQL side of the figure.
  let kind = kindsOf.get(text);
  if (kind === undefined) {
    kind = kindOf(text);
    if (kindsOf.size < 10_000) kindsOf.set(text, kind);
  }
  kinds.set(kind, (kinds.get(kind) ?? 0) + 1);
  const n = inFlight.get(this) ?? 0;
  if (n === 0) trips++;
  inFlight.set(this, n + 1);
  const done = () => inFlight.set(this, (inFlight.get(this) ?? 1) - 1);
  const result = query.call(this, config, values, callback);
  if (result && typeof result.then === 'function') result.then(done, done);
  else done();
  return result;
};

process.on('SIGUSR2', () => {
  if (!out) return;
  writeFileSync(out, JSON.stringify({ statements, trips, kinds: Object.fromEntries(kinds) }));
});
