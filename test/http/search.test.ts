import assert from 'node:assert/strict';
import { test } from 'node:test';
import { buildTestApp, V2 } from '../helpers/app.js';
import { type Backend, describeBackends } from '../helpers/backends.js';

const BASE = '/interaction-content/interactions';
const DAY = '?start=2024-03-01T00:00:00Z&end=2024-03-02T00:00:00Z';

async function fixture(t: Parameters<typeof buildTestApp>[0], backend: Backend) {
  const h = await buildTestApp(t, { backend });
  const bearer = await h.token();
  const guids: string[] = [];
  // 12 interactions on 2024-03-01, two sharing each start time, so (start, guid) ordering matters.
  for (let i = 0; i < 12; i++) {
    const hour = String(8 + Math.floor(i / 2)).padStart(2, '0');
    guids.push(
      await h.seed(bearer, {
        start: `2024-03-01T${hour}:00:00Z`,
        connectFrom: i % 3 === 0 ? `+4420${i}` : `+3312${i}`,
        connectTo: i % 2 === 0 ? 'queue-sales' : 'queue-support',
        direction: i % 4 === 0 ? 'outbound' : 'inbound',
        agents: i % 2 === 0 ? ['ann', 'bob'] : ['cid'],
      }),
    );
  }
  // One with no content (hidden) and one outside the window.
  const hidden = await h.seed(bearer, { start: '2024-03-01T12:00:00Z', files: [] });
  await h.seed(bearer, { start: '2024-03-02T00:00:00Z' });
  const expected = guids
    .map((g, i) => ({ g, at: 8 + Math.floor(i / 2) }))
    .sort((a, b) => a.at - b.at || (a.g < b.g ? -1 : 1))
    .map((x) => x.g);
  return { ...h, bearer, guids, expected, hidden };
}

describeBackends('GET /interactions (search)', (backend) => {
  test('v3 pages with continuation tokens in (start, guid) order, without gaps or repeats', async (t) => {
    const { api, bearer, expected, hidden } = await fixture(t, backend);
    const seen: string[] = [];
    let next: string | null = null;
    let pages = 0;
    do {
      const url: string = `${BASE}${DAY}&limit=5${next ? `&continuationToken=${encodeURIComponent(next)}` : ''}`;
      const res = await api({ method: 'GET', url, token: bearer });
      assert.equal(res.statusCode, 200);
      const body = res.json();
      assert.deepEqual(Object.keys(body), ['items', 'meta']);
      seen.push(...body.items.map((i: { guid: string }) => i.guid));
      next = body.meta.nextContinuationToken;
      pages++;
    } while (next);
    assert.equal(pages, 3);
    assert.deepEqual(seen, expected);
    assert.ok(!seen.includes(hidden));
  });

  test('v2 pages with page numbers and totals', async (t) => {
    const { api, bearer, expected } = await fixture(t, backend);
    const res = await api({
      method: 'GET',
      url: `${BASE}${DAY}&limit=5&page=3`,
      token: bearer,
      headers: { accept: V2 },
    });
    assert.equal(res.statusCode, 200);
    const body = res.json();
    assert.deepEqual(body.meta, { page: 3, count: 2, pageCount: 3, totalCount: 12 });
    assert.deepEqual(
      body.items.map((i: { guid: string }) => i.guid),
      expected.slice(10),
    );
  });

  test('filters: agent, address prefixes, direction (case-insensitive), window bounds', async (t) => {
    const { api, bearer, guids } = await fixture(t, backend);
    const q = async (extra: string) => {
      const res = await api({ method: 'GET', url: `${BASE}${DAY}&limit=1000${extra}`, token: bearer });
      assert.equal(res.statusCode, 200, res.body);
      return new Set(res.json().items.map((i: { guid: string }) => i.guid));
    };
    const pick = (f: (i: number) => boolean) => new Set(guids.filter((_, i) => f(i)));
    assert.deepEqual(
      await q('&handlingAgentId=bob'),
      pick((i) => i % 2 === 0),
    );
    assert.deepEqual(
      await q('&handlingAgentId=cid'),
      pick((i) => i % 2 === 1),
    );
    assert.deepEqual(
      await q('&connectFrom=%2B4420'),
      pick((i) => i % 3 === 0),
    );
    assert.deepEqual(
      await q('&connectTo=queue-su'),
      pick((i) => i % 2 === 1),
    );
    assert.deepEqual(
      await q('&direction=OUTBOUND'),
      pick((i) => i % 4 === 0),
    );
    assert.deepEqual(
      await q('&direction=inbound&handlingAgentId=ann'),
      pick((i) => i % 2 === 0 && i % 4 !== 0),
    );
    // start inclusive, end exclusive
    const res = await api({
      method: 'GET',
      url: `${BASE}?start=2024-03-01T08:00:00Z&end=2024-03-01T09:00:00Z`,
      token: bearer,
    });
    assert.deepEqual(
      new Set(res.json().items.map((i: { guid: string }) => i.guid)),
      pick((i) => i < 2),
    );
    const content = res.json().items[0].content;
    assert.equal(content[0].contentKey, 'callRecording');
  });

  test('bad parameters get 400 naming them', async (t) => {
    const { api, bearer } = await fixture(t, backend);
    const cases: [string, RegExp][] = [
      ['', /'start'/],
      ['?start=2024-03-01T00:00:00Z', /'end'/],
      ['?start=bad&end=2024-03-02T00:00:00Z', /'start'/],
      ['?start=2024-03-01T00:00:00Z&end=2024-13-02T00:00:00Z', /'end'/],
      ['?start=2024-03-02T00:00:00Z&end=2024-03-01T00:00:00Z', /'end' must be after 'start'/],
      ['?start=2024-03-01T00:00:00Z&end=2024-03-01T00:00:00Z', /'end' must be after 'start'/],
      ['?start=2024-03-01T00:00:00Z&end=2024-03-08T00:00:01Z', /7 days/],
      [`${DAY}&limit=0`, /'limit'/],
      [`${DAY}&limit=1001`, /'limit'/],
      [`${DAY}&limit=ten`, /'limit'/],
      [`${DAY}&direction=up`, /'direction'/],
      [`${DAY}&connectFrom=${'1'.repeat(51)}`, /'connectFrom'/],
      [`${DAY}&connectTo=`, /'connectTo'/],
      [`${DAY}&continuationToken=garbage`, /'continuationToken'/],
    ];
    for (const [qs, message] of cases) {
      const res = await api({ method: 'GET', url: `${BASE}${qs}`, token: bearer });
      assert.equal(res.statusCode, 400, qs);
      assert.match(res.json().message, message, qs);
    }
  });

  test('a continuation token cannot be edited or replayed with other filters', async (t) => {
    const h = await fixture(t, backend);
    const { api, bearer } = h;
    const first = await api({ method: 'GET', url: `${BASE}${DAY}&limit=2`, token: bearer });
    const token = first.json().meta.nextContinuationToken as string;
    assert.ok(token);
    const [body, sig] = token.split('.');
    const decoded = JSON.parse(Buffer.from(body, 'base64url').toString());
    const forged = `${Buffer.from(JSON.stringify({ ...decoded, s: 0 })).toString('base64url')}.${sig}`;
    for (const [qs, tok] of [
      [`${DAY}&limit=2`, forged],
      [`${DAY}&limit=2`, `${token}x`],
      [`${DAY}&limit=2&direction=inbound`, token],
      ['?start=2024-03-01T00:00:01Z&end=2024-03-02T00:00:00Z&limit=2', token],
    ]) {
      const res = await api({
        method: 'GET',
        url: `${BASE}${qs}&continuationToken=${encodeURIComponent(tok)}`,
        token: bearer,
      });
      assert.equal(res.statusCode, 400, `${qs} ${tok}`);
      assert.match(res.json().message, /continuationToken/);
    }
    // Another account of the same server cannot use it either: the token is bound to the account.
    const other = await api({
      method: 'GET',
      url: `${BASE}${DAY}&limit=2&continuationToken=${encodeURIComponent(token)}`,
      token: await h.token({ account: 'globex' }),
    });
    assert.equal(other.statusCode, 400);
    assert.match(other.json().message, /continuationToken/);
  });

  test('window limit is configurable; 0 means unlimited', async (t) => {
    const h = await buildTestApp(t, { backend, env: { ICS_SEARCH_WINDOW_DAYS: '0' } });
    const bearer = await h.token();
    await h.seed(bearer, { start: '2020-01-01T00:00:00Z' });
    const res = await h.api({
      method: 'GET',
      url: `${BASE}?start=2019-01-01T00:00:00Z&end=2030-01-01T00:00:00Z`,
      token: bearer,
    });
    assert.equal(res.statusCode, 200);
    assert.equal(res.json().items.length, 1);
  });
});
