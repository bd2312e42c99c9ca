import { type Kysely, type SqlBool, sql } from 'kysely';
import type { SearchFilters, SearchQuery } from '../core/types.js';
import { type Database, INTERACTION_COLUMNS } from './db-schema.js';

// The search hot path, shared by search() and count() and by the EXPLAIN tests that check which
// index each shape uses.
//
// Shapes and the index that serves each (every index leads with account):
//   window only            interactions_window_idx (account, start_ms, guid) WHERE content_count > 0
//   + handlingAgentId      driven from interaction_agents_pk (account, agent_id, start_ms, guid), each
//                          hit joined to interactions by its primary key
//   + connectFrom/To       interactions_from_idx / _to_idx (account, connect_x, start_ms, guid)
//                          WHERE content_count > 0, as a range on the address
//   + read restriction     any of the above, plus a residual filter (direction in …, and EXISTS
//                          on contents_pk for types); see filteredInteractions
// `content_count > 0` is written as a literal so both planners can match the partial indexes.

/**
 * The least string above every string that starts with `prefix`, in code-point order (= UTF-8 byte
 * order, which is SQLite's BINARY and PostgreSQL's "C" collation); undefined when no such bound
 * exists. `col >= prefix AND col < bound` is then exactly "col starts with prefix", and an index
 * range scan. Incrementing the last code point, rather than appending U+FFFF, also keeps characters
 * above U+FFFF (emoji, …) that follow the prefix inside the range. `%` and `_` have no meaning here.
 */
export function prefixUpperBound(prefix: string): string | undefined {
  const points = Array.from(prefix, (ch) => ch.codePointAt(0)!);
  while (points.length > 0) {
    const last = points.pop()!;
    if (last < 0x10ffff) {
      // Skip the surrogate block: those code points cannot be stored as text.
      points.push(last + 1 === 0xd800 ? 0xe000 : last + 1);
      return String.fromCodePoint(...points);
    }
  }
  return undefined;
}

/** The filtered rows: FROM/JOIN/WHERE of a search, without order or paging. */
export function filteredInteractions(db: Kysely<Database>, f: SearchFilters, after?: SearchQuery['after']) {
  // With an agent filter the walk is over interaction_agents, so the window, the keyset and the
  // order are put on its columns (they equal the interaction's: the join is on (account, guid) and
  // the row copies start_ms).
  const k = f.handlingAgentId === undefined ? 'i' : 'a';
  const startCol = sql.ref<number>(`${k}.start_ms`);
  const guidCol = sql.ref<string>(`${k}.guid`);

  let q = db
    .selectFrom('interactions as i')
    .where('i.account', '=', f.account)
    .where(sql<SqlBool>`i.content_count > 0`);
  if (f.handlingAgentId !== undefined) {
    q = q
      .innerJoin('interaction_agents as a', (j) =>
        j.onRef('a.account', '=', 'i.account').onRef('a.guid', '=', 'i.guid'),
      )
      .where('a.account', '=', f.account)
      .where('a.agent_id', '=', f.handlingAgentId);
  }

  // The keyset condition is written portably as an OR; the extra `start >= after.start` is implied
  // by it but gives the planners an index range start, so page N costs what page 1 costs.
  const lowerStart = after === undefined ? f.start : Math.max(f.start, after.start);
  q = q.where(startCol, '>=', lowerStart).where(startCol, '<', f.end);
  if (after !== undefined) {
    q = q.where(({ eb, or, and }) =>
      or([
        eb(startCol, '>', after.start),
        and([eb(startCol, '=', after.start), eb(guidCol, '>', after.guid)]),
      ]),
    );
  }

  for (const [col, prefix] of [
    ['i.connect_from', f.connectFrom],
    ['i.connect_to', f.connectTo],
  ] as const) {
    if (prefix === undefined || prefix === '') continue;
    q = q.where(col, '>=', prefix);
    const upper = prefixUpperBound(prefix);
    if (upper !== undefined) q = q.where(col, '<', upper);
  }
  if (f.direction !== undefined) q = q.where('i.direction', '=', f.direction);

  // A client's read restriction (core/permissions.ts) narrows the same walk: directions are a column
  // of the row, types a probe of contents_pk (account, guid, …) per row. Both are residual filters
  // on the index the shape already uses, so keyset paging and full pages are as without them; a
  // page skips non-matching rows inside the window, and a walk of all pages reads the window once.
  // `limit 1 offset 0` keeps the EXISTS a per-row probe: PostgreSQL would otherwise turn it into a
  // semi-join that hashes every item of the account of those types before the walk starts (an
  // OFFSET stops that rewrite); SQLite needs the LIMIT before an OFFSET and probes either way.
  const r = f.readable;
  if (r?.directions !== undefined) q = q.where('i.direction', 'in', [...r.directions]);
  if (r?.types !== undefined) {
    const types = [...r.types];
    q = q.where(({ exists, selectFrom }) =>
      exists(
        selectFrom('contents as c')
          .select(sql.lit(1).as('one'))
          .whereRef('c.account', '=', 'i.account')
          .whereRef('c.guid', '=', 'i.guid')
          .where('c.type', 'in', types)
          .limit(1)
          .offset(0),
      ),
    );
  }
  return { q, startCol, guidCol };
}

/** One page of interaction rows in (start, guid) order. */
export function searchPageQuery(db: Kysely<Database>, query: SearchQuery) {
  const { q, startCol, guidCol } = filteredInteractions(db, query, query.after);
  let page = q
    .select(INTERACTION_COLUMNS.map((c) => `i.${c}` as const))
    .orderBy(startCol)
    .orderBy(guidCol)
    .limit(query.limit);
  if (query.offset !== undefined && query.offset > 0) page = page.offset(query.offset);
  return page;
}

export function countQuery(db: Kysely<Database>, filters: SearchFilters) {
  const { q } = filteredInteractions(db, filters);
  return q.select((eb) => eb.fn.countAll<number>().as('n'));
}
