import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import Sqlite from 'better-sqlite3';
import { type Generated, Kysely, PostgresDialect } from 'kysely';
import pg from 'pg';
import {
  CONTENT_COLUMNS,
  CONTENT_RETENTION_COLUMNS,
  type Database,
  INTERACTION_COLUMNS,
} from '../../src/metadata/db-schema.js';
import { openMetadataStore } from '../../src/metadata/open-metadata-store.js';
import { PreparedQuery } from '../../src/metadata/prepared-query.js';
import { IcsSqliteDialect } from '../../src/metadata/sqlite-dialect.js';
import { optimiseStatements } from '../../src/metadata/sqlite-statements.js';
import { createTestDatabase } from '../helpers/postgres.js';
import { interaction, newAccount } from './fixtures.js';

// PreparedQuery (compiled once per dialect adapter, run with substituted values) and
// optimiseStatements (cached better-sqlite3 statements fetching rows as arrays), against real SQLite
// files and, where reachable (always under CI), a real PostgreSQL database.

async function tempDir(): Promise<{ dir: string; remove: () => Promise<void> }> {
  const dir = await mkdtemp(join(tmpdir(), 'ics-prepared-'));
  return { dir, remove: () => rm(dir, { recursive: true, force: true }) };
}

/** A small table of our own: PreparedQuery does not care about the ICS schema. */
interface TestDb {
  items: { id: number; a: string; b: string; n: number };
}

// PreparedQuery is typed for the ICS schema; these tests build and run it over TestDb.
const testDb = (db: Kysely<Database>) => db as unknown as Kysely<TestDb>;
const icsDb = (db: Kysely<TestDb>) => db as unknown as Kysely<Database>;

const ITEMS = [
  { id: 1, a: 'x', b: 'y', n: 10 },
  { id: 2, a: 'y', b: 'x', n: 20 },
  { id: 3, a: 'z', b: 'z', n: 30 },
  { id: 4, a: 'x', b: 'x', n: 40 },
  { id: 5, a: `it's "q"`, b: 'ü 🚀', n: 50 },
];

const PG_ITEMS = [
  { id: 11, a: 'x', b: 'pg', n: 110 },
  { id: 12, a: 'pg', b: 'x', n: 120 },
  { id: 13, a: 'y', b: 'y', n: 130 },
];

async function createItems(db: Kysely<TestDb>, rows: TestDb['items'][]): Promise<void> {
  await db.schema
    .createTable('items')
    .addColumn('id', 'integer', (c) => c.primaryKey())
    .addColumn('a', 'text', (c) => c.notNull())
    .addColumn('b', 'text', (c) => c.notNull())
    .addColumn('n', 'integer', (c) => c.notNull())
    .execute();
  await db.insertInto('items').values(rows).execute();
}

/** An ICS-style SQLite Kysely: optimised statements under the BEGIN IMMEDIATE dialect. */
function openSqliteKysely<DB>(path: string): Kysely<DB> {
  const sqlite = new Sqlite(path);
  optimiseStatements(sqlite, 500);
  return new Kysely<DB>({ dialect: new IcsSqliteDialect({ database: sqlite }) });
}

/** Counts builder calls, i.e. compilations. */
function counted<A extends unknown[], R>(
  build: (...args: A) => R,
): { build: (...args: A) => R; calls: () => number } {
  let calls = 0;
  return {
    build: (...args: A) => {
      calls += 1;
      return build(...args);
    },
    calls: () => calls,
  };
}

describe('PreparedQuery on SQLite', () => {
  let remove: () => Promise<void>;
  let db: Kysely<TestDb>;
  before(async () => {
    const tmp = await tempDir();
    remove = tmp.remove;
    db = openSqliteKysely<TestDb>(join(tmp.dir, 'prepared.sqlite'));
    await createItems(db, ITEMS);
  });
  after(async () => {
    await db.destroy();
    await remove();
  });

  test('returns what the unprepared query returns, for each value (also one that matches nothing)', async () => {
    const c = counted((d: Kysely<Database>, a: string) =>
      testDb(d).selectFrom('items').selectAll().where('a', '=', a).orderBy('id'),
    );
    const byA = new PreparedQuery(1, c.build);
    for (const a of ['x', 'y', 'z', `it's "q"`, 'nothing', '']) {
      const expected = await db.selectFrom('items').selectAll().where('a', '=', a).orderBy('id').execute();
      assert.deepEqual(await byA.execute(icsDb(db), a), expected, `a = ${a}`);
    }
    // Not vacuous: the values really select different rows.
    assert.deepEqual(
      (await byA.execute(icsDb(db), 'x')).map((r) => r.id),
      [1, 4],
    );
    assert.deepEqual(await byA.execute(icsDb(db), 'y'), [ITEMS[1]]);
    assert.deepEqual(await byA.execute(icsDb(db), 'nothing'), []);
    assert.equal(c.calls(), 1, 'built and compiled once for the adapter');
  });

  test('several parameters of different types, used in another order than declared', async () => {
    // The SQL binds n before a; the parameters are declared (a, min).
    const q = new PreparedQuery(2, (d: Kysely<Database>, a: string, min: number) =>
      testDb(d)
        .selectFrom('items')
        .select(['id', 'n'])
        .where('n', '>=', min)
        .where('a', '=', a)
        .orderBy('id'),
    );
    const cases: [string, number, number[]][] = [
      ['x', 0, [1, 4]],
      ['x', 11, [4]],
      ['x', 41, []],
      ['y', 20, [2]],
      ['nothing', 0, []],
    ];
    for (const [a, min, ids] of cases) {
      const expected = await db
        .selectFrom('items')
        .select(['id', 'n'])
        .where('n', '>=', min)
        .where('a', '=', a)
        .orderBy('id')
        .execute();
      const rows = await q.execute(icsDb(db), a, min);
      assert.deepEqual(rows, expected, `a = ${a}, min = ${min}`);
      assert.deepEqual(
        rows.map((r) => r.id),
        ids,
        `a = ${a}, min = ${min}`,
      );
    }
  });

  test('a parameter used twice is substituted at both positions', async () => {
    const q = new PreparedQuery(1, (d: Kysely<Database>, p: string) =>
      testDb(d)
        .selectFrom('items')
        .select('id')
        .where((eb) => eb.or([eb('a', '=', p), eb('b', '=', p)]))
        .orderBy('id'),
    );
    const ids = async (p: string) => (await q.execute(icsDb(db), p)).map((r) => r.id);
    // Only the first position substituted would give [1, 4] for x (a = 'x' only).
    assert.deepEqual(await ids('x'), [1, 2, 4]);
    assert.deepEqual(await ids('y'), [1, 2]);
    assert.deepEqual(await ids('z'), [3]);
    assert.deepEqual(await ids('ü 🚀'), [5]);
    assert.deepEqual(await ids('nothing'), []);
  });

  test('constants in the builder are kept as they were', async () => {
    const q = new PreparedQuery(1, (d: Kysely<Database>, a: string) =>
      testDb(d)
        .selectFrom('items')
        .select('id')
        .where('a', '=', a)
        .where('n', '<', 35)
        .where('b', '!=', 'z')
        .orderBy('id')
        .limit(5),
    );
    const ids = async (a: string) => (await q.execute(icsDb(db), a)).map((r) => r.id);
    assert.deepEqual(await ids('x'), [1], 'n < 35 still excludes id 4');
    assert.deepEqual(await ids('y'), [2]);
    assert.deepEqual(await ids('z'), [], "b != 'z' still excludes id 3");
    // Several runs do not disturb the compiled constants.
    assert.deepEqual(await ids('x'), [1]);
  });

  test('runs inside a transaction and sees its uncommitted insert', async () => {
    const c = counted((d: Kysely<Database>, a: string) =>
      testDb(d).selectFrom('items').selectAll().where('a', '=', a).orderBy('id'),
    );
    const byA = new PreparedQuery(1, c.build);
    assert.deepEqual(await byA.execute(icsDb(db), 'tx-only'), []);
    const rollback = new Error('roll back');
    await assert.rejects(
      db.transaction().execute(async (trx) => {
        const row = { id: 100, a: 'tx-only', b: 'b', n: 1 };
        await trx.insertInto('items').values(row).execute();
        assert.deepEqual(await byA.execute(icsDb(trx), 'tx-only'), [row]);
        assert.deepEqual(
          (await byA.execute(icsDb(trx), 'x')).map((r) => r.id),
          [1, 4],
        );
        throw rollback;
      }),
      (err) => err === rollback,
    );
    // Rolled back: gone again outside.
    assert.deepEqual(await byA.execute(icsDb(db), 'tx-only'), []);
    // The transaction shares its Kysely's adapter, hence the compilation.
    assert.equal(c.calls(), 1);
  });

  test('a builder that drops or transforms a parameter throws', async () => {
    const dropped = new PreparedQuery(2, (d: Kysely<Database>, a: string, _b: string) =>
      testDb(d).selectFrom('items').selectAll().where('a', '=', a),
    );
    await assert.rejects(dropped.execute(icsDb(db), 'x', 'y'), {
      message: 'prepared query does not use parameter ics-prepared-parameter-1',
    });
    // Still throws on the next call (nothing half-compiled was remembered).
    await assert.rejects(dropped.execute(icsDb(db), 'x', 'y'), /does not use parameter/);

    const transformed = new PreparedQuery(1, (d: Kysely<Database>, a: string) =>
      testDb(d).selectFrom('items').selectAll().where('a', 'like', `${a}%`),
    );
    await assert.rejects(transformed.execute(icsDb(db), 'x'), {
      message: 'prepared query does not use parameter ics-prepared-parameter-0',
    });
  });
});

// Skips, with the reason, where PostgreSQL is not reachable (never under CI: see helpers/postgres.ts).
const probe = await createTestDatabase();
const skip = 'skip' in probe ? probe.skip : false;

describe('PreparedQuery on SQLite and PostgreSQL', { skip }, () => {
  let remove: () => Promise<void>;
  let lite: Kysely<TestDb>;
  let pgDb: Kysely<TestDb>;
  before(async () => {
    if ('skip' in probe) throw new Error(probe.skip);
    const tmp = await tempDir();
    remove = tmp.remove;
    lite = openSqliteKysely<TestDb>(join(tmp.dir, 'dialects.sqlite'));
    await createItems(lite, ITEMS);
    pgDb = new Kysely<TestDb>({
      dialect: new PostgresDialect({ pool: new pg.Pool({ connectionString: probe.url, max: 2 }) }),
    });
    await createItems(pgDb, PG_ITEMS);
  });
  after(async () => {
    await lite?.destroy();
    await pgDb?.destroy();
    await remove?.();
    if (!('skip' in probe)) await probe.drop();
  });

  const build = (d: Kysely<Database>, p: string) =>
    testDb(d)
      .selectFrom('items')
      .selectAll()
      .where((eb) => eb.or([eb('a', '=', p), eb('b', '=', p)]))
      .orderBy('id');
  const unprepared = (d: Kysely<TestDb>, p: string) => build(icsDb(d), p).execute();

  for (const first of ['sqlite', 'postgres'] as const) {
    test(`one PreparedQuery serves both dialects (${first} first), compiled once for each`, async () => {
      const c = counted(build);
      const q = new PreparedQuery(1, c.build);
      const order = first === 'sqlite' ? [lite, pgDb, lite, pgDb] : [pgDb, lite, pgDb, lite];
      for (const d of order) {
        for (const p of ['x', 'y', 'pg', 'nothing']) {
          assert.deepEqual(await q.execute(icsDb(d), p), await unprepared(d, p), p);
        }
      }
      // Each database's own rows: SQLite's '?' SQL on PostgreSQL would be a syntax error.
      assert.deepEqual(
        (await q.execute(icsDb(lite), 'x')).map((r) => r.id),
        [1, 2, 4],
      );
      assert.deepEqual(
        (await q.execute(icsDb(pgDb), 'x')).map((r) => r.id),
        [11, 12],
      );
      assert.deepEqual(await q.execute(icsDb(pgDb), 'pg'), [PG_ITEMS[0], PG_ITEMS[1]]);
      assert.deepEqual(await q.execute(icsDb(lite), 'pg'), []);
      assert.equal(c.calls(), 2, 'one compilation per dialect adapter');
    });
  }

  test('a PostgreSQL transaction sees its uncommitted insert', async () => {
    const q = new PreparedQuery(1, build);
    const rollback = new Error('roll back');
    await assert.rejects(
      pgDb.transaction().execute(async (trx) => {
        const row = { id: 99, a: 'tx-only', b: 'b', n: 1 };
        await trx.insertInto('items').values(row).execute();
        assert.deepEqual(await q.execute(icsDb(trx), 'tx-only'), [row]);
        throw rollback;
      }),
      (err) => err === rollback,
    );
    assert.deepEqual(await q.execute(icsDb(pgDb), 'tx-only'), []);
  });
});

type Row = Record<string, unknown>;

describe('optimiseStatements', () => {
  let dir: string;
  let remove: () => Promise<void>;
  let path: string;
  // `wrapped` is optimised (prepare returns the driver's statement shape); `plain` is a second,
  // untouched connection to the same file: the reference for every row.
  let wrapped: Sqlite.Database;
  let plain: Sqlite.Database;
  const MAX = 3;

  before(async () => {
    ({ dir, remove } = await tempDir());
    path = join(dir, 'statements.sqlite');
    plain = new Sqlite(path);
    plain.pragma('journal_mode = WAL');
    plain.exec('create table vals (id integer primary key, i integer, r real, t text, b blob, nul)');
    const insert = plain.prepare('insert into vals (id, i, r, t, b, nul) values (?, ?, ?, ?, ?, ?)');
    insert.run(1, 0, 0.0, '', Buffer.alloc(0), null);
    insert.run(
      2,
      -9007199254740991,
      1234.5678,
      `it's "quoted" \\ back\`slash\` \${x}`,
      Buffer.from([0, 1, 2, 255]),
      null,
    );
    insert.run(
      3,
      9007199254740991,
      -1e300,
      'ünïcödé 🚀 日本語 \u2028 line\nbreak\0nul',
      Buffer.alloc(1000, 7),
      null,
    );
    insert.run(4, null, null, null, null, null);
    insert.run(5, 42, 0.5, 'five', Buffer.from('blob text'), 'untyped');
    wrapped = new Sqlite(path);
    optimiseStatements(wrapped, MAX);
  });
  after(async () => {
    wrapped?.close();
    plain?.close();
    await remove();
  });

  /** The same SQL on both connections; asserts equal rows (and key order) and returns them. */
  function both(sql: string, params: unknown[] = []): Row[] {
    const got = wrapped.prepare(sql).all(params) as Row[];
    const want = plain.prepare(sql).all(params) as Row[];
    assert.deepEqual(got, want, sql);
    assert.deepEqual(got.map(Object.keys), want.map(Object.keys), `key order: ${sql}`);
    for (const row of got) assert.equal(Object.getPrototypeOf(row), Object.prototype);
    return got;
  }

  test('rows equal plain better-sqlite3 for NULLs, integers, reals, odd text and blobs', () => {
    const sql = `select id, i, r, t, b, nul, i + 1 as "computed col", t || '!' as "we""ird 'name' \\ {}",
        typeof(b) as kind, 1.5 as "1", 'c' as "constructor", 'v' as v, 'h' as "hasOwnProperty"
      from vals where id >= ? order by id`;
    const rows = both(sql, [1]);
    assert.equal(rows.length, 5);
    assert.deepEqual(rows[3], {
      id: 4,
      i: null,
      r: null,
      t: null,
      b: null,
      nul: null,
      'computed col': null,
      "we\"ird 'name' \\ {}": null,
      kind: 'null',
      '1': 1.5,
      constructor: 'c',
      v: 'v',
      hasOwnProperty: 'h',
    });
    assert.equal(rows[1].i, -9007199254740991);
    assert.equal(rows[1].r, 1234.5678);
    assert.equal(rows[1].t, `it's "quoted" \\ back\`slash\` \${x}`);
    assert.equal(rows[2].t, 'ünïcödé 🚀 日本語 \u2028 line\nbreak\0nul');
    assert.ok(Buffer.isBuffer(rows[1].b));
    assert.deepEqual(rows[1].b, Buffer.from([0, 1, 2, 255]));
    assert.deepEqual(rows[2].b, Buffer.alloc(1000, 7));
    assert.equal(rows[4].nul, 'untyped');
    // A parameter that matches nothing, and one row only.
    assert.deepEqual(both(sql, [99]), []);
    assert.equal(both('select * from vals where id = ?', [5]).length, 1);
    assert.deepEqual(both('select * from vals where t = ?', ['five']), [
      { id: 5, i: 42, r: 0.5, t: 'five', b: Buffer.from('blob text'), nul: 'untyped' },
    ]);
  });

  test('duplicate column names keep the last value, like better-sqlite3', () => {
    assert.deepEqual(both('select 1 as x, 2 as x'), [{ x: 2 }]);
    assert.deepEqual(both('select 1 as x, 2 as y, 3 as x'), [{ x: 3, y: 2 }]);
    // A join of a table with itself: every name twice, the right-hand row wins.
    const joined = both('select * from vals v1 join vals v2 on v2.id = v1.id + 1 where v1.id = 4');
    assert.deepEqual(joined, [
      { id: 5, i: 42, r: 0.5, t: 'five', b: Buffer.from('blob text'), nul: 'untyped' },
    ]);
  });

  test('a column named __proto__: rows as better-sqlite3 builds them, prototype kept for a number', () => {
    // An object literal {"__proto__": v} would set the prototype (to a Buffer for a blob, to null
    // for NULL); the module leaves such rows to better-sqlite3, so they must equal its rows exactly.
    for (const value of ['1', 'null', "x'0102'", "'text'"]) {
      for (const sql of [
        `select ${value} as "__proto__"`,
        `select ${value} as "__proto__", 2 as a`,
        `select 2 as a, ${value} as "__proto__"`,
        `select ${value} as "__proto__", ${value} as "__proto__"`,
      ]) {
        // A blob prototype is a different Buffer on each connection: compared by content.
        const shape = (rows: Row[]) =>
          rows.map((r) => ({ proto: Object.getPrototypeOf(r), own: Object.entries(r) }));
        const want = shape(plain.prepare(sql).all() as Row[]);
        const got = wrapped.prepare(sql).all([]) as Row[];
        assert.equal(got.length, 1, sql);
        assert.deepEqual(shape(got), want, sql);
        assert.deepEqual(shape([...(wrapped.prepare(sql).iterate([]) as IterableIterator<Row>)]), want, sql);
        if (sql.includes('2 as a')) assert.equal(got[0].a, 2, sql);
      }
    }
    const [row] = wrapped.prepare('select 1 as "__proto__", 2 as a').all([]) as Row[];
    assert.equal(Object.getPrototypeOf(row), Object.prototype);
    assert.deepEqual(Object.keys(row), ['a']);
    // Nothing was polluted.
    assert.equal(({} as Row).a, undefined);
  });

  test('the same SQL text returns the same cached statement', () => {
    const sql = 'select id, t from vals order by id';
    const s = wrapped.prepare(sql);
    assert.equal(wrapped.prepare(sql), s);
    // Equal text built separately (not the same string object) hits the cache too.
    assert.equal(wrapped.prepare(['select id, t', 'from vals order by id'].join(' ')), s);
    assert.notEqual(wrapped.prepare('select id from vals order by id'), s);
    both(sql);
    // Non-readers are cached as well.
    const upd = 'update vals set nul = nul where id = 0';
    assert.equal(wrapped.prepare(upd), wrapped.prepare(upd));
  });

  test('a statement busy in an iteration is not handed out again', () => {
    const sql = 'select * from vals order by id';
    const want = plain.prepare(sql).all() as Row[];
    const s1 = wrapped.prepare(sql);
    const it = s1.iterate([]) as IterableIterator<Row>;
    const first = it.next();
    assert.equal(first.done, false);
    assert.equal(s1.busy, true);
    const s2 = wrapped.prepare(sql);
    assert.notEqual(s2, s1);
    assert.deepEqual(s2.all([]), want, 'the second statement works while the first is busy');
    assert.deepEqual([...(s2.iterate([]) as IterableIterator<Row>)], want, 'and iterates too');
    // The interrupted iteration carries on where it was.
    assert.deepEqual([first.value, ...it], want);
    assert.equal(s1.busy, false);
    // Done iterating: the cached statement is handed out again.
    assert.equal(wrapped.prepare(sql), s1);
    // An iteration left early (break) frees the statement as well.
    for (const row of s1.iterate([]) as IterableIterator<Row>) {
      assert.deepEqual(row, want[0]);
      break;
    }
    assert.equal(s1.busy, false);
    assert.equal(wrapped.prepare(sql), s1);
  });

  test('non-reader statements still return changes and lastInsertRowid; RETURNING reads', () => {
    const ins = wrapped.prepare('insert into vals (id, i, t) values (?, ?, ?)');
    assert.equal(ins.reader, false);
    assert.deepEqual(ins.run([10, 7, 'ten']), { changes: 1, lastInsertRowid: 10 });
    assert.deepEqual(wrapped.prepare('insert into vals (i, t) values (?, ?)').run([8, 'auto']), {
      changes: 1,
      lastInsertRowid: 11,
    });
    assert.deepEqual(plain.prepare('select id, i, t from vals where id >= 10 order by id').all(), [
      { id: 10, i: 7, t: 'ten' },
      { id: 11, i: 8, t: 'auto' },
    ]);
    const upd = wrapped.prepare('update vals set nul = ? where id >= ?');
    assert.deepEqual(upd.run(['u', 10]), { changes: 2, lastInsertRowid: 11 });
    const returning = wrapped.prepare('insert into vals (id, t, b) values (?, ?, ?) returning id, t, b, nul');
    assert.equal(returning.reader, true);
    assert.deepEqual(returning.all([12, 'ret', Buffer.from([9])]), [
      { id: 12, t: 'ret', b: Buffer.from([9]), nul: null },
    ]);
    // run() on a reader (the driver's interface has it) still inserts.
    assert.deepEqual(returning.run([13, 'run', null]), { changes: 1, lastInsertRowid: 13 });
    const del = wrapped.prepare('delete from vals where id >= ?');
    // lastInsertRowid is the connection's last insert: the RETURNING one.
    assert.deepEqual(del.run([10]), { changes: 4, lastInsertRowid: 13 });
    assert.deepEqual(both('select count(*) as n from vals'), [{ n: 5 }]);
  });

  test('the cache is bounded', () => {
    const text = (i: number) => `select ${i} as n, 'cache' as k`;
    const first = wrapped.prepare(text(0));
    for (let i = 1; i < MAX; i++) wrapped.prepare(text(i));
    assert.equal(wrapped.prepare(text(0)), first, 'still cached while the cache has room');
    for (let i = MAX; i < MAX + 5; i++) wrapped.prepare(text(i));
    const again = wrapped.prepare(text(0));
    assert.notEqual(again, first, 'evicted after max + 5 other texts');
    assert.deepEqual(again.all([]), [{ n: 0, k: 'cache' }]);
    assert.deepEqual(first.all([]), [{ n: 0, k: 'cache' }], 'an evicted statement still works');
  });

  test('a cached `select *` follows a schema change made by another connection', () => {
    plain.exec('create table shape (a, b, c); insert into shape values (1, 2, 3)');
    assert.deepEqual(both('select * from shape'), [{ a: 1, b: 2, c: 3 }]);
    assert.deepEqual(both('select shape.* from shape'), [{ a: 1, b: 2, c: 3 }]);
    plain.exec('alter table shape drop column b');
    assert.deepEqual(wrapped.prepare('select * from shape').all([]), [{ a: 1, c: 3 }]);
    assert.deepEqual(wrapped.prepare('select shape.* from shape').all([]), [{ a: 1, c: 3 }]);
    plain.exec('alter table shape add column d');
    assert.deepEqual(wrapped.prepare('select * from shape').all([]), [{ a: 1, c: 3, d: null }]);
    // Named columns keep their names through a re-prepare.
    assert.deepEqual(both('select a, c from shape'), [{ a: 1, c: 3 }]);
    plain.exec('alter table shape add column e');
    assert.deepEqual(wrapped.prepare('select a, c from shape').all([]), [{ a: 1, c: 3 }]);
  });
});

interface PeopleDb {
  people: {
    id: Generated<number>;
    name: string;
    score: number | null;
    avatar: Buffer | null;
    note: string | null;
  };
  pets: { id: number; owner: number; name: string };
}

describe('Kysely over IcsSqliteDialect with optimised statements', () => {
  let remove: () => Promise<void>;
  let path: string;
  let db: Kysely<PeopleDb>;
  let plain: Sqlite.Database;

  const ann = { id: 1, name: 'Ann', score: 1.5, avatar: Buffer.from([1, 2, 3]), note: null };
  const bob = { id: 2, name: `Bob "o'" 🚀`, score: null, avatar: null, note: 'note' };
  const cy = { id: 3, name: 'Cy', score: -2, avatar: Buffer.alloc(0), note: '' };

  before(async () => {
    const tmp = await tempDir();
    remove = tmp.remove;
    path = join(tmp.dir, 'kysely.sqlite');
    plain = new Sqlite(path);
    plain.pragma('journal_mode = WAL');
    db = openSqliteKysely<PeopleDb>(path);
    await db.schema
      .createTable('people')
      .addColumn('id', 'integer', (c) => c.primaryKey())
      .addColumn('name', 'text', (c) => c.notNull())
      .addColumn('score', 'real')
      .addColumn('avatar', 'blob')
      .addColumn('note', 'text')
      .execute();
    await db.schema
      .createTable('pets')
      .addColumn('id', 'integer', (c) => c.primaryKey())
      .addColumn('owner', 'integer', (c) => c.notNull())
      .addColumn('name', 'text', (c) => c.notNull())
      .execute();
  });
  after(async () => {
    plain?.close();
    await db?.destroy();
    await remove();
  });

  test('insert ... returning and plain inserts', async () => {
    const returned = await db
      .insertInto('people')
      .values([
        { name: ann.name, score: ann.score, avatar: ann.avatar, note: ann.note },
        { name: bob.name, score: bob.score, avatar: bob.avatar, note: bob.note },
      ])
      .returningAll()
      .execute();
    assert.deepEqual(returned, [ann, bob]);
    const one = await db
      .insertInto('people')
      .values({ name: cy.name, score: cy.score, avatar: cy.avatar, note: cy.note })
      .executeTakeFirstOrThrow();
    assert.equal(one.insertId, 3n);
    assert.equal(one.numInsertedOrUpdatedRows, 1n);
    const pets = await db
      .insertInto('pets')
      .values([
        { id: 1, owner: 1, name: 'Rex' },
        { id: 2, owner: 1, name: 'Tom' },
      ])
      .returning(['id', 'name'])
      .execute();
    assert.deepEqual(pets, [
      { id: 1, name: 'Rex' },
      { id: 2, name: 'Tom' },
    ]);
    const updated = await db.updateTable('people').set({ note: 'n' }).where('id', '>', 1).executeTakeFirst();
    assert.equal(updated.numUpdatedRows, 2n);
    await db.updateTable('people').set({ note: null }).where('id', '=', 1).execute();
    await db.updateTable('people').set({ note: 'note' }).where('id', '=', 2).execute();
    await db.updateTable('people').set({ note: '' }).where('id', '=', 3).execute();
  });

  test('selectAll gives the rows better-sqlite3 gives', async () => {
    const rows = await db.selectFrom('people').selectAll().orderBy('id').execute();
    assert.deepEqual(rows, [ann, bob, cy]);
    assert.deepEqual(rows, plain.prepare('select * from people order by id').all());
    // Run again (now from the statement cache), with a parameter.
    for (const id of [1, 2, 3, 4]) {
      const got = await db.selectFrom('people').selectAll().where('id', '=', id).execute();
      assert.deepEqual(got, plain.prepare('select * from people where id = ?').all(id), `id = ${id}`);
    }
    // A join: the name and id columns appear twice, the last one wins as in better-sqlite3.
    const joined = await db
      .selectFrom('people')
      .innerJoin('pets', 'pets.owner', 'people.id')
      .selectAll()
      .orderBy('pets.id')
      .execute();
    assert.deepEqual(
      joined,
      plain.prepare('select * from people inner join pets on pets.owner = people.id order by pets.id').all(),
    );
    assert.deepEqual(
      joined.map((r) => [r.id, r.name]),
      [
        [1, 'Rex'],
        [2, 'Tom'],
      ],
    );
  });

  test('stream() (iterate) gives the same objects, also after an early break', async () => {
    const query = db.selectFrom('people').selectAll().orderBy('id');
    const streamed: unknown[] = [];
    for await (const row of query.stream()) streamed.push(row);
    assert.deepEqual(streamed, [ann, bob, cy]);
    for await (const row of query.stream()) {
      assert.deepEqual(row, ann);
      break;
    }
    // The statement the break left is usable again, by stream and by execute.
    const again: unknown[] = [];
    for await (const row of query.stream()) again.push(row);
    assert.deepEqual(again, [ann, bob, cy]);
    assert.deepEqual(await query.execute(), [ann, bob, cy]);
    const some: unknown[] = [];
    for await (const row of db.selectFrom('people').select(['name', 'avatar']).where('id', '<', 3).stream())
      some.push(row);
    assert.deepEqual(some, [
      { name: ann.name, avatar: ann.avatar },
      { name: bob.name, avatar: bob.avatar },
    ]);
  });

  test('a transaction (BEGIN IMMEDIATE) reads its own writes and commits', async () => {
    await db.transaction().execute(async (trx) => {
      const [row] = await trx
        .insertInto('pets')
        .values({ id: 3, owner: 2, name: 'Kit' })
        .returningAll()
        .execute();
      assert.deepEqual(row, { id: 3, owner: 2, name: 'Kit' });
      assert.deepEqual(await trx.selectFrom('pets').selectAll().where('owner', '=', 2).execute(), [row]);
      // Not yet visible to the other connection.
      assert.deepEqual(plain.prepare('select * from pets where owner = 2').all(), []);
    });
    assert.deepEqual(plain.prepare('select * from pets where owner = 2').all(), [
      { id: 3, owner: 2, name: 'Kit' },
    ]);
  });
});

describe('the column lists of the hot reads', () => {
  test('name every column the migrations create, in order', async () => {
    const { dir, remove } = await tempDir();
    try {
      const path = join(dir, 'ics.sqlite');
      const store = await openMetadataStore({ kind: 'sqlite', path });
      await store.migrate();
      await store.close();
      const db = new Sqlite(path, { readonly: true });
      const columns = (table: string) =>
        (db.pragma(`table_info(${table})`) as { name: string }[]).map((c) => c.name);
      // The hot reads name every column but the addresses' normal forms, which only deletion-job
      // matching reads (migration 0008).
      assert.deepEqual(columns('interactions'), [
        ...INTERACTION_COLUMNS,
        'connect_from_norm',
        'connect_to_norm',
      ]);
      // Plus retention's copies of the interaction's start and direction, which no read returns.
      assert.deepEqual(columns('contents'), [...CONTENT_COLUMNS, ...CONTENT_RETENTION_COLUMNS]);
      db.close();
    } finally {
      await remove();
    }
  });
});

describe('prepared reads on the SQLite store, outside Kysely’s executor', () => {
  test('a read issued while a transaction is open never sees its uncommitted rows', async () => {
    const { dir, remove } = await tempDir();
    const store = await openMetadataStore({ kind: 'sqlite', path: join(dir, 'ics.sqlite') });
    try {
      await store.migrate();
      const account = newAccount();
      const rec = interaction(account);
      const seen: (string | undefined)[] = [];
      let reading: Promise<void>;
      await store.transaction(async (tx) => {
        assert.equal(await tx.insertInteraction(rec), true);
        assert.equal((await tx.getInteraction(account, rec.guid))?.guid, rec.guid, 'the transaction sees it');
        // Outside the transaction, a read goes to the read-only connection (WAL: the last commit),
        // at once, without waiting for the transaction: it does not see the uncommitted row.
        reading = store.getInteraction(account, rec.guid).then((r) => {
          seen.push(r?.guid);
        });
        await reading;
        assert.deepEqual(seen, [undefined], 'the outside read answers from the last commit, without the row');
      });
      assert.equal((await store.getInteraction(account, rec.guid))?.guid, rec.guid, 'committed: read');
      // Rolled back: an outside read after the rollback finds nothing.
      const other = interaction(account);
      await assert.rejects(
        store.transaction(async (tx) => {
          await tx.insertInteraction(other);
          throw new Error('roll back');
        }),
        /roll back/,
      );
      assert.equal(await store.getInteraction(account, other.guid), undefined);
      assert.equal((await store.getInteractionWithContent(account, rec.guid))?.guid, rec.guid);
    } finally {
      await store.close();
      await remove();
    }
  });
});
