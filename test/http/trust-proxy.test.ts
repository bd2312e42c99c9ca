import assert from 'node:assert/strict';
import { test } from 'node:test';
import { buildTestApp } from '../helpers/app.js';

/** Two token requests from one socket, as from two clients behind a proxy; the second one's status. */
async function secondFromAnotherClient(env: Record<string, string>, t: Parameters<typeof buildTestApp>[0]) {
  const { app } = await buildTestApp(t, {
    env: { ICS_TOKEN_RATE_LIMIT_PER_ADDRESS: '1', ICS_TOKEN_RATE_LIMIT_PER_CLIENT: '0', ...env },
  });
  const ask = (forwardedFor: string) =>
    app.inject({
      method: 'POST',
      url: '/Auth/connect/token',
      remoteAddress: '127.0.0.1',
      headers: { 'content-type': 'application/x-www-form-urlencoded', 'x-forwarded-for': forwardedFor },
      payload: 'grant_type=client_credentials&client_id=nobody&client_secret=nothing',
    });
  assert.equal((await ask('203.0.113.1')).statusCode, 401);
  return (await ask('203.0.113.2')).statusCode;
}

test('ICS_TRUST_PROXY: limits per address see the forwarded client address only when told to', async (t) => {
  assert.equal(await secondFromAnotherClient({}, t), 429, 'by default the proxy is the client');
  assert.equal(await secondFromAnotherClient({ ICS_TRUST_PROXY: 'loopback' }, t), 401);
  assert.equal(await secondFromAnotherClient({ ICS_TRUST_PROXY: '1' }, t), 401);
  assert.equal(
    await secondFromAnotherClient({ ICS_TRUST_PROXY: '10.0.0.0/8' }, t),
    429,
    'a proxy not on the list is not believed',
  );
});
