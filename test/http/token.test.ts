import assert from 'node:assert/strict';
import { test } from 'node:test';
import { addClient } from '../../src/auth/client-admin.js';
import { generateClientSecret, hashSecret } from '../../src/auth/secrets.js';
import { buildTestApp } from '../helpers/app.js';
import { describeBackends } from '../helpers/backends.js';

const form = (fields: Record<string, string>) => new URLSearchParams(fields).toString();
const FORM = { 'content-type': 'application/x-www-form-urlencoded' };

describeBackends('POST /Auth/connect/token', (backend) => {
  test('issues a bearer token for form credentials and for HTTP Basic', async (t) => {
    const { app, deps } = await buildTestApp(t, { backend });
    const c = await addClient(deps.store, {
      account: 'acme',
      scopes: 'interaction-content:read interaction-content:delete',
    });

    const viaForm = await app.inject({
      method: 'POST',
      url: '/Auth/connect/token',
      headers: FORM,
      payload: form({
        grant_type: 'client_credentials',
        client_id: c.clientId,
        client_secret: c.clientSecret,
        scope: 'interaction-content:read',
      }),
    });
    assert.equal(viaForm.statusCode, 200);
    const body = viaForm.json();
    assert.deepEqual(Object.keys(body).sort(), ['access_token', 'expires_in', 'scope', 'token_type']);
    assert.equal(body.token_type, 'Bearer');
    assert.equal(body.expires_in, 7200);
    assert.equal(body.scope, 'interaction-content:read');
    assert.equal(viaForm.headers['cache-control'], 'no-store');

    const basic = Buffer.from(
      `${encodeURIComponent(c.clientId)}:${encodeURIComponent(c.clientSecret)}`,
    ).toString('base64');
    const viaBasic = await app.inject({
      method: 'POST',
      url: '/Auth/connect/token',
      headers: { ...FORM, authorization: `Basic ${basic}` },
      payload: form({ grant_type: 'client_credentials' }),
    });
    assert.equal(viaBasic.statusCode, 200);
    assert.equal(viaBasic.json().scope, 'interaction-content:read interaction-content:delete');

    // The token works on the API.
    const search = await app.inject({
      method: 'GET',
      url: '/interaction-content/interactions?start=2024-01-01T00:00:00Z&end=2024-01-02T00:00:00Z',
      headers: {
        authorization: `Bearer ${body.access_token}`,
        accept: 'application/vnd.newvoicemedia.v3+json',
      },
    });
    assert.equal(search.statusCode, 200);
  });

  test('answers RFC 6749 errors', async (t) => {
    const { app, deps } = await buildTestApp(t, { backend });
    const c = await addClient(deps.store, { account: 'acme', scopes: 'interaction-content:read' });
    const post = (fields: Record<string, string>, headers: Record<string, string> = {}) =>
      app.inject({
        method: 'POST',
        url: '/Auth/connect/token',
        headers: { ...FORM, ...headers },
        payload: form(fields),
      });

    let res = await post({ grant_type: 'password', client_id: c.clientId, client_secret: c.clientSecret });
    assert.equal(res.statusCode, 400);
    assert.equal(res.json().error, 'unsupported_grant_type');

    res = await post({ client_id: c.clientId, client_secret: c.clientSecret });
    assert.equal(res.statusCode, 400);
    assert.equal(res.json().error, 'invalid_request');

    res = await post({ grant_type: 'client_credentials', client_id: c.clientId, client_secret: 'wrong' });
    assert.equal(res.statusCode, 401);
    assert.equal(res.json().error, 'invalid_client');

    res = await post({ grant_type: 'client_credentials', client_id: 'ics_unknown', client_secret: 'x' });
    assert.equal(res.statusCode, 401);
    assert.equal(res.json().error, 'invalid_client');

    res = await post({
      grant_type: 'client_credentials',
      client_id: c.clientId,
      client_secret: c.clientSecret,
      scope: 'interaction-content:delete',
    });
    assert.equal(res.statusCode, 400);
    assert.equal(res.json().error, 'invalid_scope');

    res = await post({ grant_type: 'client_credentials' }, { authorization: 'Basic !!notbase64' });
    assert.ok([400, 401].includes(res.statusCode));

    // A revoked client gets no more tokens.
    await deps.store.revokeClient(c.clientId, Date.now());
    res = await post({
      grant_type: 'client_credentials',
      client_id: c.clientId,
      client_secret: c.clientSecret,
    });
    assert.equal(res.statusCode, 401);
  });

  test('new clients store an HMAC; a stored scrypt hash becomes one on its first successful use', async (t) => {
    const { app, deps } = await buildTestApp(t, { backend });
    const fresh = await addClient(deps.store, { account: 'acme', scopes: 'interaction-content:read' });
    assert.match((await deps.store.getClient(fresh.clientId))!.secretHash, /^hmac-sha256\$/);

    // A client written by an earlier version: scrypt at the cost it used.
    const secret = generateClientSecret();
    const legacy = await hashSecret(secret);
    await deps.store.createClient({
      clientId: 'ics_legacy',
      account: 'acme',
      name: null,
      scopes: ['interaction-content:read'],
      secretHash: legacy,
      createdAt: Date.now(),
      revokedAt: null,
    });
    const post = (clientSecret: string) =>
      app.inject({
        method: 'POST',
        url: '/Auth/connect/token',
        headers: FORM,
        payload: form({
          grant_type: 'client_credentials',
          client_id: 'ics_legacy',
          client_secret: clientSecret,
        }),
      });
    assert.equal((await post('wrong')).statusCode, 401);
    assert.equal((await deps.store.getClient('ics_legacy'))!.secretHash, legacy, 'a failure changes nothing');
    assert.equal((await post(secret)).statusCode, 200);
    const upgraded = (await deps.store.getClient('ics_legacy'))!.secretHash;
    assert.match(upgraded, /^hmac-sha256\$[A-Za-z0-9_-]{43}$/);
    assert.equal((await post(secret)).statusCode, 200, 'the secret still works against the new hash');
    assert.equal((await post('wrong')).statusCode, 401);
    assert.equal((await deps.store.getClient('ics_legacy'))!.secretHash, upgraded);
  });
});
