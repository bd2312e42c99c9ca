import type { Compilable, CompiledQuery, DialectAdapter, Kysely } from 'kysely';
import type { Database } from './db-schema.js';

/**
 * Runs a read at once, outside Kysely's executor, or returns undefined when it cannot (then the
 * query takes the normal path). See openMetadataStore: SQLite, when no transaction is open.
 */
export type DirectReader = (
  sql: string,
  parameters: readonly unknown[],
  /** The query runs in a caller's transaction (it must see that transaction's rows). */
  inTransaction: boolean,
) => unknown[] | undefined;

const directReaders = new WeakMap<DialectAdapter, DirectReader>();

/** Lets prepared queries on this Kysely (and its transactions) try `reader` first. */
export function registerDirectReader(db: Kysely<Database>, reader: DirectReader): void {
  directReaders.set(db.getExecutor().adapter, reader);
}

/**
 * A query that is built and compiled once per dialect and then run with new parameter values.
 *
 * Kysely builds an operation tree, freezes it and compiles it to SQL on every call; on the hot
 * reads (GET /interactions/{guid}, content downloads) that was about a quarter of a request's CPU,
 * more than SQLite spent executing the statement (docs/performance.md). The query is built with
 * placeholder values, compiled, and the positions of the placeholders in the parameter list are
 * remembered; each run copies the list with the caller's values in those positions. The SQL text
 * is the same string object every time, so the SQLite statement cache finds it without re-hashing.
 *
 * Only for queries whose shape never depends on the values (no optional filters, no IN lists).
 * Compilations are kept per dialect adapter, which `withSchema()` and `withPlugin()` variants of a
 * Kysely share with it: those would reuse the first compilation. ICS uses neither.
 */
export class PreparedQuery<A extends readonly unknown[], O> {
  readonly #build: (db: Kysely<Database>, ...params: A) => Compilable<O>;
  readonly #arity: number;
  // Per dialect adapter: a transaction shares its Kysely's adapter, so it shares the compilation.
  readonly #compiled = new WeakMap<DialectAdapter, { query: CompiledQuery<O>; slots: number[][] }>();

  constructor(arity: A['length'], build: (db: Kysely<Database>, ...params: A) => Compilable<O>) {
    this.#arity = arity;
    this.#build = build;
  }

  /** The compiled query with these values, to run by other means (e.g. a pipelined connection). */
  compiled(db: Kysely<Database>, ...values: A): CompiledQuery<O> {
    const { query, slots } = this.#compile(db, db.getExecutor().adapter);
    const parameters = query.parameters.slice();
    for (let i = 0; i < slots.length; i++) for (const at of slots[i]) parameters[at] = values[i];
    return { ...query, parameters };
  }

  async execute(db: Kysely<Database>, ...values: A): Promise<O[]> {
    const adapter = db.getExecutor().adapter;
    const { query, slots } = this.#compile(db, adapter);
    const parameters = query.parameters.slice();
    for (let i = 0; i < slots.length; i++) for (const at of slots[i]) parameters[at] = values[i];
    const direct = directReaders.get(adapter)?.(query.sql, parameters, db.isTransaction);
    if (direct !== undefined) return direct as O[];
    const result = await db.executeQuery<O>({ ...query, parameters });
    return result.rows;
  }

  #compile(db: Kysely<Database>, adapter: DialectAdapter) {
    let entry = this.#compiled.get(adapter);
    if (entry) return entry;
    const markers = Array.from({ length: this.#arity }, (_, i) => `\u0000ics-prepared-parameter-${i}`);
    const query = this.#build(db, ...(markers as unknown as A)).compile();
    const slots = markers.map((marker) => {
      const at: number[] = [];
      query.parameters.forEach((p, i) => {
        if (p === marker) at.push(i);
      });
      // A value the builder transformed (or dropped) cannot be substituted later: a programming error.
      if (at.length === 0) throw new Error(`prepared query does not use parameter ${marker.slice(1)}`);
      return at;
    });
    entry = { query, slots };
    this.#compiled.set(adapter, entry);
    return entry;
  }
}
