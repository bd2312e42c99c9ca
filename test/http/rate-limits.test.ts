import assert from 'node:assert/strict';
import { test } from 'node:test';
import { addClient } from '../../src/auth/client-admin.js';
import { buildTestApp, V3 } from '../helpers/app.js';

// Token buckets per client on every route and on the token endpoint (issue 9, items 8 and 9).

const GUID = '0e2bd9a2-9f3f-4a39-9d5b-5a1c3b8e8f10';
const FORM = { 'content-type': 'application/x-www-form-urlencoded' };

test('every route: a client past its burst gets 429 in the house shape with Retry-After and RateLimit-*', async (t) => {
  const h = await buildTestApp(t, { env: { ICS_RATE_LIMIT_PER_SECOND: '1', ICS_RATE_LIMIT_BURST: '3' } });
  const [mine, other] = [await h.token(), await h.token()];
  const get = (token: string, url = `/interaction-content/interactions/${GUID}`) =>
    h.api({ method: 'GET', url, token });

  const answers = [];
  for (let i = 0; i < 4; i++) answers.push(await get(mine));
  assert.deepEqual(
    answers.map((r) => r.statusCode),
    [404, 404, 404, 429],
  );
  assert.deepEqual(
    answers.slice(0, 3).map((r) => [r.headers['ratelimit-limit'], r.headers['ratelimit-remaining']]),
    [
      ['3', '2'],
      ['3', '1'],
      ['3', '0'],
    ],
  );
  const refused = answers[3];
  assert.deepEqual(refused.json(), { message: 'Too many requests; retry in 1 s', code: 'rate_limited' });
  assert.equal(refused.headers['retry-after'], '1');
  assert.equal(refused.headers['ratelimit-remaining'], '0');
  assert.equal(refused.headers['ratelimit-reset'], '1');
  assert.ok(refused.headers['x-request-id']);

  // One client's budget is not another's; a download and an upload draw on the same budget.
  assert.equal((await get(other)).statusCode, 404);
  const put = await h.app.inject({
    method: 'PUT',
    url: `/interaction-content/interactions/${GUID}/content/callRecording`,
    headers: { authorization: `Bearer ${mine}`, accept: V3, 'content-type': 'audio/wav' },
    payload: 'x',
  });
  assert.equal(put.statusCode, 429);

  // Public routes are limited per source address.
  const health = [];
  for (let i = 0; i < 4; i++)
    health.push((await h.app.inject({ url: '/healthz', remoteAddress: '10.0.0.7' })).statusCode);
  assert.deepEqual(health, [200, 200, 200, 429]);
  assert.equal((await h.app.inject({ url: '/healthz', remoteAddress: '10.0.0.8' })).statusCode, 200);
});

test('a zero rate switches the per-client limit off', async (t) => {
  const h = await buildTestApp(t, { env: { ICS_RATE_LIMIT_PER_SECOND: '0', ICS_RATE_LIMIT_BURST: '1' } });
  const token = await h.token();
  for (let i = 0; i < 5; i++)
    assert.equal(
      (await h.api({ method: 'GET', url: `/interaction-content/interactions/${GUID}`, token })).statusCode,
      404,
    );
});

test('the token endpoint is limited per source address and per client id', async (t) => {
  const h = await buildTestApp(t, {
    env: { ICS_TOKEN_RATE_LIMIT_PER_ADDRESS: '4', ICS_TOKEN_RATE_LIMIT_PER_CLIENT: '2' },
  });
  const c = await addClient(h.deps.store, { account: 'acme', scopes: 'interaction-content:read' });
  const d = await addClient(h.deps.store, { account: 'acme', scopes: 'interaction-content:read' });
  const post = (client: { clientId: string; clientSecret: string }, remoteAddress: string) =>
    h.app.inject({
      method: 'POST',
      url: '/Auth/connect/token',
      headers: FORM,
      remoteAddress,
      payload: new URLSearchParams({
        grant_type: 'client_credentials',
        client_id: client.clientId,
        client_secret: client.clientSecret,
      }).toString(),
    });
  const wrong = (n: number) => ({ clientId: `ics_guess${n}`, clientSecret: 'nope' });

  // Per address: four requests, whatever they ask, then 429 before the secret is looked at.
  const fromA = [];
  for (const client of [wrong(1), wrong(2), wrong(3), c, c]) fromA.push(await post(client, '10.1.1.1'));
  assert.deepEqual(
    fromA.map((r) => r.statusCode),
    [401, 401, 401, 200, 429],
  );
  assert.equal(fromA[4].json().code, 'rate_limited');
  assert.ok(Number(fromA[4].headers['retry-after']) >= 1);
  assert.equal(fromA[4].headers['ratelimit-limit'], '4');

  // Per client id, across addresses: c had one token from A, one more here, then 429; d is separate.
  assert.equal((await post(c, '10.2.2.2')).statusCode, 200);
  const third = await post(c, '10.3.3.3');
  assert.equal(third.statusCode, 429);
  assert.deepEqual(Object.keys(third.json()).sort(), ['code', 'message']);
  assert.ok(Number(third.headers['retry-after']) >= 1);
  assert.equal((await post(d, '10.3.3.3')).statusCode, 200);
  // HTTP Basic names the client id too.
  const basic = await h.app.inject({
    method: 'POST',
    url: '/Auth/connect/token',
    remoteAddress: '10.4.4.4',
    headers: {
      ...FORM,
      authorization: `Basic ${Buffer.from(`${c.clientId}:${c.clientSecret}`).toString('base64')}`,
    },
    payload: 'grant_type=client_credentials',
  });
  assert.equal(basic.statusCode, 429);
});

test('with Redis unreachable, limits fail open and requests are served', async (t) => {
  const h = await buildTestApp(t, {
    env: { ICS_REDIS_URL: 'redis://127.0.0.1:1', ICS_RATE_LIMIT_PER_SECOND: '1', ICS_RATE_LIMIT_BURST: '1' },
  });
  const token = await h.token();
  for (let i = 0; i < 3; i++)
    assert.equal(
      (await h.api({ method: 'GET', url: `/interaction-content/interactions/${GUID}`, token })).statusCode,
      404,
    );
});
