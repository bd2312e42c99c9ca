import pg from 'pg';

/**
 * The node-postgres client of ICS's pools. Two things differ from pg.Client, both for the CPU a
 * statement costs (docs/performance.md, "ICS on PostgreSQL ÷ ICS on SQLite"):
 *
 * - **One write per pass.** node-postgres writes each statement on its own (it corks the socket for
 *   the messages of one statement, and uncorks): in pipeline mode a transaction's statements issued
 *   together (pg-pipeline.ts) went out as a dozen writes, each a system call that runs the loopback
 *   or network stack and wakes the backend again. The first statement of a pass of the event loop's
 *   queues corks the socket once more, and a `process.nextTick` uncorks it once the promise jobs
 *   queued meanwhile have run, so the statements those jobs issue ride in the same write. Order and
 *   protocol are untouched (node-postgres' own cork and uncork nest inside this one).
 * - **Named prepared statements** (when `prepare` is on): a statement with parameters is prepared
 *   once per connection under a name derived from its text, and then only bound and executed, so the
 *   server neither parses nor plans it again (after its first executions PostgreSQL settles on a
 *   generic plan where that costs no more). At most MAX_NAMED distinct texts get a name (the server
 *   keeps each connection's prepared statements until it closes); the rest are sent unnamed, as are
 *   statements without parameters (BEGIN, COMMIT, DDL) and any whose result columns could change
 *   under a migration (`*` in a select list or a RETURNING: a prepared `select *` fails with "cached
 *   plan must not change result type" once a column is added). PgBouncer in transaction mode needs
 *   1.21 or later with `max_prepared_statements` set; `ICS_PG_PREPARED_STATEMENTS=off` turns this off
 *   (docs/scaling.md).
 */
export class IcsPgClient extends pg.Client {
  #corked = false;
  readonly #prepare: boolean;

  constructor(config: pg.ClientConfig & { icsPrepare?: boolean } = {}) {
    super(config);
    this.#prepare = config.icsPrepare === true;
  }

  // biome-ignore lint/suspicious/noExplicitAny: node-postgres' query has a dozen overloads; this passes them through.
  override query(...args: any[]): any {
    this.#cork();
    const [text, values] = args;
    if (this.#prepare && typeof text === 'string' && Array.isArray(values) && values.length > 0) {
      const name = statementName(text);
      if (name) args = [{ name, text, values }, ...args.slice(2)];
    }
    // biome-ignore lint/suspicious/noExplicitAny: see above.
    return (super.query as (...a: any[]) => any)(...args);
  }

  #cork() {
    if (this.#corked) return;
    const stream = (this as unknown as { connection?: { stream?: Partial<Corkable> } }).connection?.stream;
    if (!stream?.cork || !stream.uncork) return;
    const { uncork } = stream;
    this.#corked = true;
    stream.cork();
    process.nextTick(() => {
      this.#corked = false;
      uncork.call(stream);
    });
  }
}

interface Corkable {
  cork(): void;
  uncork(): void;
}

/** Distinct statement texts that get a name, at most (per process, so per connection too). */
export const MAX_NAMED = 500;
const names = new Map<string, string>();
/** `*` as a whole select-list or RETURNING item (`select *`, `t.*`, `returning *`), not `count(*)`. */
const STAR_COLUMNS = /(?:^|[\s,])(?:"?\w+"?\.)?\*(?=\s|,|$)/;

function statementName(text: string): string | undefined {
  const known = names.get(text);
  if (known !== undefined) return known || undefined;
  if (names.size >= MAX_NAMED) return undefined;
  // '' remembers "never named" for a text seen before.
  const name = STAR_COLUMNS.test(text) ? '' : `ics_${names.size}`;
  names.set(text, name);
  return name || undefined;
}
