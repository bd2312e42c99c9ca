import type Sqlite from 'better-sqlite3';

// Two costs of Kysely's SQLite driver on every query, both measured on the metadata hot path
// (docs/performance.md):
//
// 1. It prepares each statement anew. Here the same SQL text reuses its prepared statement (bounded:
//    texts vary with IN-list lengths). A statement busy in an iteration is never shared.
// 2. better-sqlite3 builds each row object through V8's C++ API, one property at a time, looking each
//    column name up in the string table. Rows are instead fetched as arrays (`raw` mode) and turned
//    into objects by a small function generated once per statement from its column names, which V8
//    compiles to a single object literal with a stable shape. Same keys, same values, same order;
//    a duplicate column name keeps the last value, as better-sqlite3's objects do. Only statements
//    that name their columns: SQLite re-prepares a cached `select *` by itself after another
//    connection changes the table, and the names seen at the first prepare would then be wrong.
//    So any SQL text with a `*` (including count(*)) keeps better-sqlite3's objects; the hot reads
//    list their columns.

type Row = Record<string, unknown>;
type Mapper = (values: unknown[]) => Row;

/** What Kysely's SqliteConnection uses of a better-sqlite3 Statement. */
interface DriverStatement {
  readonly reader: boolean;
  readonly busy: boolean;
  all(parameters: readonly unknown[]): unknown[];
  run(parameters: readonly unknown[]): Sqlite.RunResult;
  iterate(parameters: readonly unknown[]): IterableIterator<unknown>;
}

// In an object literal `"__proto__": v` would set the prototype; such rows stay better-sqlite3's.
const IDENTIFIER_SAFE = (name: string) => name !== '__proto__';

function rowMapper(columns: readonly string[]): Mapper | undefined {
  if (!columns.every(IDENTIFIER_SAFE)) return undefined;
  // JSON.stringify quotes every name, so any column name is a valid property key in the literal.
  const body = `return {${columns.map((c, i) => `${JSON.stringify(c)}: v[${i}]`).join(', ')}};`;
  return new Function('v', body) as Mapper;
}

class RowStatement implements DriverStatement {
  readonly reader = true;
  readonly #stmt: Sqlite.Statement;
  readonly #map: Mapper;

  constructor(stmt: Sqlite.Statement, map: Mapper) {
    this.#stmt = stmt.raw(true);
    this.#map = map;
  }

  get busy() {
    return this.#stmt.busy;
  }

  all(parameters: readonly unknown[]): unknown[] {
    const rows = this.#stmt.all(parameters) as unknown[][];
    const out = new Array<Row>(rows.length);
    for (let i = 0; i < rows.length; i++) out[i] = this.#map(rows[i]);
    return out;
  }

  run(parameters: readonly unknown[]) {
    return this.#stmt.run(parameters);
  }

  *iterate(parameters: readonly unknown[]) {
    for (const values of this.#stmt.iterate(parameters) as IterableIterator<unknown[]>)
      yield this.#map(values);
  }
}

function driverStatement(stmt: Sqlite.Statement, source: string): DriverStatement {
  if (!stmt.reader || source.includes('*')) return stmt as unknown as DriverStatement;
  const map = rowMapper(stmt.columns().map((c) => c.name));
  return map ? new RowStatement(stmt, map) : (stmt as unknown as DriverStatement);
}

/** Makes `db.prepare` (as Kysely's driver calls it) return cached, array-fetching statements. */
export function optimiseStatements(db: Sqlite.Database, max: number): void {
  const prepare = db.prepare.bind(db);
  const cache = new Map<string, DriverStatement>();
  db.prepare = ((source: string) => {
    const hit = cache.get(source);
    if (hit && !hit.busy) return hit;
    const stmt = driverStatement(prepare(source), source);
    if (!hit) {
      if (cache.size >= max) cache.delete(cache.keys().next().value as string);
      cache.set(source, stmt);
    }
    return stmt;
  }) as unknown as typeof db.prepare;
}
