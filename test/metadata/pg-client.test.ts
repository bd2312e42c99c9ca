import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import pg from 'pg';
import { IcsPgClient } from '../../src/metadata/pg-client.js';
import { createTestDatabase } from '../helpers/postgres.js';

// metadata/pg-client.ts against a real PostgreSQL: statements issued together leave in one write,
// statements with parameters are prepared once per connection under a name, and none whose result
// columns a migration could change is (a prepared `select *` fails once a column is added).

const pgProbe = await createTestDatabase();

describe('IcsPgClient', { skip: 'skip' in pgProbe ? pgProbe.skip : false }, () => {
  let url: string;
  const clients: pg.Client[] = [];
  const open = async (prepare: boolean) => {
    const client = new IcsPgClient({ connectionString: url, pipeline: true, icsPrepare: prepare } as never);
    await client.connect();
    clients.push(client);
    return client;
  };
  const prepared = async (c: pg.Client) =>
    (await c.query('select name, statement from pg_prepared_statements order by name')).rows as {
      name: string;
      statement: string;
    }[];

  before(async () => {
    if ('skip' in pgProbe) return;
    url = pgProbe.url;
    const c = new pg.Client({ connectionString: url });
    await c.connect();
    await c.query('create table t (id int primary key, a text)');
    await c.query("insert into t values (1, 'one'), (2, 'two')");
    await c.end();
  });
  after(async () => {
    if ('skip' in pgProbe) return;
    for (const c of clients) await c.end().catch(() => undefined);
    await pgProbe.drop();
  });

  test('statements issued in one pass leave in one write, and answer in order', async () => {
    const c = await open(true);
    const socket = (c as unknown as { connection: { stream: import('node:net').Socket } }).connection.stream;
    let writes = 0;
    const count = () => writes++;
    // Every write the socket makes to the kernel goes through one of these two.
    const w = socket._write.bind(socket);
    const wv = socket._writev?.bind(socket);
    socket._write = (...a: Parameters<typeof socket._write>) => {
      count();
      return w(...a);
    };
    if (wv)
      socket._writev = (...a: Parameters<NonNullable<typeof socket._writev>>) => {
        count();
        return wv(...a);
      };
    try {
      const answers = await Promise.all(
        [1, 2, 1, 2, 1].map((id) => c.query('select a from t where id = $1', [id])),
      );
      assert.deepEqual(
        answers.map((r) => r.rows[0].a),
        ['one', 'two', 'one', 'two', 'one'],
      );
      assert.equal(writes, 1, 'five statements, one write');
    } finally {
      socket._write = w;
      if (wv) socket._writev = wv;
    }
  });

  test('a statement with parameters is prepared once, under a name; BEGIN and `select *` are not', async () => {
    const c = await open(true);
    for (let i = 0; i < 3; i++) {
      assert.equal((await c.query('select a from t where id = $1', [1])).rows[0].a, 'one');
      assert.equal((await c.query('select * from t where id = $1', [2])).rows[0].a, 'two');
      assert.equal((await c.query('select t.* from t where id = $1', [2])).rows[0].a, 'two');
      assert.equal((await c.query('select count(*)::int as n from t where id > $1', [0])).rows[0].n, 2);
      await c.query('begin');
      await c.query('commit');
    }
    const names = await prepared(c);
    assert.deepEqual(
      names.map((p) => p.statement).sort(),
      ['select a from t where id = $1', 'select count(*)::int as n from t where id > $1'].sort(),
    );
    for (const p of names) assert.match(p.name, /^ics_\d+$/);
  });

  test('a column added while a connection holds its statements breaks none of them', async () => {
    const c = await open(true);
    const run = () =>
      Promise.all([
        c.query('select a from t where id = $1', [1]),
        c.query('select * from t where id = $1', [1]),
        c.query('insert into t values ($1, $2) on conflict (id) do update set a = excluded.a returning *', [
          3,
          'three',
        ]),
      ]);
    for (let i = 0; i < 6; i++) await run();
    const other = new pg.Client({ connectionString: url });
    await other.connect();
    await other.query("alter table t add column b text not null default 'b'");
    await other.end();
    const [named, star, returning] = await run();
    assert.deepEqual(named.rows, [{ a: 'one' }]);
    assert.deepEqual(star.rows, [{ id: 1, a: 'one', b: 'b' }]);
    assert.deepEqual(returning.rows, [{ id: 3, a: 'three', b: 'b' }]);
  });

  test('with prepare off nothing is prepared', async () => {
    const c = await open(false);
    for (let i = 0; i < 3; i++) await c.query('select a from t where id = $1', [1]);
    assert.deepEqual(await prepared(c), []);
  });
});
