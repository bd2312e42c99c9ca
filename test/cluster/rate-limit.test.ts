import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { bootstrapToken, type ServerProcess, startServerProcess } from '../helpers/cli.js';
import { createTestDatabase } from '../helpers/postgres.js';
import { testRedis } from '../helpers/redis.js';

// Two real server processes on one PostgreSQL database and one Redis enforce one rate-limit budget
// per client (issue 9 item 9): with the buckets in each node's memory, each would allow the burst.

const V3 = 'application/vnd.newvoicemedia.v3+json';
const db = await createTestDatabase();
const redis = await testRedis();
const skip = 'skip' in db ? db.skip : 'skip' in redis ? redis.skip : false;

describe('two nodes, one Redis: one budget per client', { skip }, () => {
  let a: ServerProcess;
  let b: ServerProcess;
  let token: string;
  const dirs: string[] = [];

  before(async () => {
    if ('skip' in db || 'skip' in redis) return;
    const env = (dir: string) => ({
      ICS_DATABASE_URL: db.url,
      ICS_DATA_DIR: dir,
      ICS_REDIS_URL: redis.url,
      ICS_REDIS_KEY_PREFIX: redis.prefix,
      ICS_RATE_LIMIT_PER_SECOND: '1',
      ICS_RATE_LIMIT_BURST: '10',
    });
    dirs.push(await mkdtemp(join(tmpdir(), 'ics-rl-a-')), await mkdtemp(join(tmpdir(), 'ics-rl-b-')));
    a = await startServerProcess(env(dirs[0]));
    b = await startServerProcess(env(dirs[1]));
    token = await bootstrapToken(a.url, dirs[0]);
  });

  after(async () => {
    await a?.stop();
    await b?.stop();
    if (!('skip' in db)) await db.drop();
    if (!('skip' in redis)) await redis.drop();
    for (const d of dirs) await rm(d, { recursive: true, force: true });
  });

  test('requests alternating between the nodes draw on one bucket', async () => {
    const answers: { node: string; status: number; remaining: string | null }[] = [];
    for (let i = 0; i < 20; i++) {
      const node = i % 2 ? b : a;
      const res = await fetch(
        `${node.url}/interaction-content/interactions/0e2bd9a2-9f3f-4a39-9d5b-5a1c3b8e8f10`,
        {
          headers: { authorization: `Bearer ${token}`, accept: V3 },
        },
      );
      await res.arrayBuffer();
      answers.push({
        node: i % 2 ? 'b' : 'a',
        status: res.status,
        remaining: res.headers.get('ratelimit-remaining'),
      });
    }
    // The first four answers count down one shared bucket, whichever node gave them.
    assert.deepEqual(
      answers.slice(0, 4).map((x) => [x.node, x.status, x.remaining]),
      [
        ['a', 404, '9'],
        ['b', 404, '8'],
        ['a', 404, '7'],
        ['b', 404, '6'],
      ],
    );
    const served = answers.filter((x) => x.status === 404).length;
    // A burst of 10 plus what refills at 1/s while the loop runs; alone, each node would serve all 10 of its own.
    assert.ok(served >= 10 && served < 16, `served ${served} of 20`);
    assert.ok(answers.some((x) => x.node === 'a' && x.status === 429));
    assert.ok(answers.some((x) => x.node === 'b' && x.status === 429));
    assert.ok(answers.every((x) => x.status === 404 || x.status === 429));
  });
});
