import { type Kysely, sql } from 'kysely';
import type { Database } from '../metadata/db-schema.js';
import type { DeletionMatch, Walk } from './types.js';

export interface MatchPageQuery {
  account: string;
  match: DeletionMatch;
  walk: Walk;
  /** Rows strictly after this (start, guid). */
  after?: { start: number; guid: string };
  limit: number;
}

/**
 * One page of a walk, in (start_ms, guid) order, as the SELECT a job runs (exported so that the
 * plan tests explain exactly this SQL). Each walk is one range of one index: an address walk
 * interactions_from_norm_idx or _to_norm_idx (account, address[, window]), the agent walk
 * interaction_agents' primary key, the window walk interactions_start_idx. The other fields are
 * filters on the rows the range yields; agent and content type are primary-key probes.
 */
export function matchPageQuery(db: Kysely<Database>, q: MatchPageQuery) {
  const m = q.match;
  const w = q.walk;
  if (w.kind === 'agent') {
    let query = db
      .selectFrom('interaction_agents as a')
      .innerJoin('interactions as i', (j) =>
        j.onRef('i.account', '=', 'a.account').onRef('i.guid', '=', 'a.guid'),
      )
      .select(['a.guid as guid', 'a.start_ms as start_ms'])
      .where('a.account', '=', q.account)
      .where('a.agent_id', '=', w.agentId);
    if (m.start !== undefined && m.end !== undefined)
      query = query.where('a.start_ms', '>=', m.start).where('a.start_ms', '<', m.end);
    const after = q.after;
    if (after)
      query = query.where(({ eb, refTuple, tuple }) =>
        eb(refTuple('a.start_ms', 'a.guid'), '>', tuple(after.start, after.guid)),
      );
    if (m.direction) query = query.where('i.direction', '=', m.direction);
    const types = m.contentTypes;
    if (types)
      query = query.where(({ exists, selectFrom }) =>
        exists(
          selectFrom('contents as c')
            .select(sql`1`.as('one'))
            .whereRef('c.account', '=', 'a.account')
            .whereRef('c.guid', '=', 'a.guid')
            .where('c.type', 'in', types),
        ),
      );
    return query.orderBy('a.start_ms').orderBy('a.guid').limit(q.limit);
  }

  let query = db
    .selectFrom('interactions as i')
    .select(['i.guid as guid', 'i.start_ms as start_ms'])
    .where('i.account', '=', q.account);
  if (w.kind === 'address')
    query = query.where(w.column === 'from' ? 'i.connect_from_norm' : 'i.connect_to_norm', '=', w.address);
  if (m.start !== undefined && m.end !== undefined)
    query = query.where('i.start_ms', '>=', m.start).where('i.start_ms', '<', m.end);
  const after = q.after;
  if (after)
    query = query.where(({ eb, refTuple, tuple }) =>
      eb(refTuple('i.start_ms', 'i.guid'), '>', tuple(after.start, after.guid)),
    );
  if (m.direction) query = query.where('i.direction', '=', m.direction);
  const agent = m.handlingAgentId;
  if (agent !== undefined)
    query = query.where(({ exists, selectFrom }) =>
      exists(
        selectFrom('interaction_agents as a')
          .select(sql`1`.as('one'))
          .whereRef('a.account', '=', 'i.account')
          .where('a.agent_id', '=', agent)
          .whereRef('a.start_ms', '=', 'i.start_ms')
          .whereRef('a.guid', '=', 'i.guid'),
      ),
    );
  const types = m.contentTypes;
  if (types)
    query = query.where(({ exists, selectFrom }) =>
      exists(
        selectFrom('contents as c')
          .select(sql`1`.as('one'))
          .whereRef('c.account', '=', 'i.account')
          .whereRef('c.guid', '=', 'i.guid')
          .where('c.type', 'in', types),
      ),
    );
  return query.orderBy('i.start_ms').orderBy('i.guid').limit(q.limit);
}
