import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { test } from 'node:test';
import { SignJWT } from 'jose';
import { buildTestApp, V3 } from '../helpers/app.js';
import { describeBackends } from '../helpers/backends.js';

const GUID = '7d1e6f52-4b0a-4c8e-9a43-1f2b3c4d5e6f';

/** Every API route with the scope it needs. */
const ROUTES: { method: string; url: string; scope: string; body?: unknown }[] = [
  {
    method: 'GET',
    url: '/interaction-content/interactions?start=2024-03-01T00:00:00Z&end=2024-03-02T00:00:00Z',
    scope: 'interaction-content:read',
  },
  { method: 'GET', url: `/interaction-content/interactions/${GUID}`, scope: 'interaction-content:read' },
  {
    method: 'GET',
    url: `/interaction-content/interactions/${GUID}/content/callRecording`,
    scope: 'interaction-content:read',
  },
  {
    method: 'HEAD',
    url: `/interaction-content/interactions/${GUID}/content/callRecording`,
    scope: 'interaction-content:read',
  },
  {
    method: 'DELETE',
    url: `/interaction-content/interactions/${GUID}/content/callRecording`,
    scope: 'interaction-content:delete',
  },
  { method: 'DELETE', url: `/interaction-content/interactions/${GUID}`, scope: 'interaction-content:delete' },
  {
    method: 'POST',
    url: '/interaction-content/interactions/delete-batch',
    scope: 'interaction-content:delete',
    body: { guids: [GUID] },
  },
  {
    method: 'POST',
    url: '/interaction-content/interactions',
    scope: 'interaction-content:write',
    body: {
      start: '2024-03-01T10:00:00Z',
      connectFrom: 'a',
      connectTo: 'b',
      direction: 'inbound',
      handlingAgents: [],
    },
  },
  {
    method: 'PUT',
    url: `/interaction-content/interactions/${GUID}/content/transcript`,
    scope: 'interaction-content:write',
    body: '{}',
  },
  {
    method: 'PUT',
    url: `/interaction-content/interactions/${GUID}/legal-hold`,
    scope: 'interaction-content:admin',
    body: { reason: 'x' },
  },
  {
    method: 'DELETE',
    url: `/interaction-content/interactions/${GUID}/legal-hold`,
    scope: 'interaction-content:admin',
  },
  { method: 'GET', url: '/interaction-content/audit', scope: 'interaction-content:admin' },
  {
    method: 'GET',
    url: `/interaction-content/interactions/${GUID}/legal-hold`,
    scope: 'interaction-content:admin',
  },
  { method: 'GET', url: '/interaction-content/clients', scope: 'interaction-content:admin' },
  {
    method: 'POST',
    url: '/interaction-content/clients',
    scope: 'interaction-content:admin',
    body: { scopes: ['interaction-content:read'] },
  },
  { method: 'POST', url: '/interaction-content/clients/ics_x/revoke', scope: 'interaction-content:admin' },
  { method: 'POST', url: '/interaction-content/clients/ics_x/rotate', scope: 'interaction-content:admin' },
];

describeBackends('authentication and authorisation', (backend) => {
  test('every route refuses missing, malformed, forged, expired and alg:none tokens with 401', async (t) => {
    const { app, deps, token } = await buildTestApp(t, { backend });
    const good = await token();
    const [header, payload] = good.split('.');
    const claims = JSON.parse(Buffer.from(payload, 'base64url').toString());
    const none = `${Buffer.from(JSON.stringify({ alg: 'none', typ: 'JWT' })).toString('base64url')}.${payload}.`;
    const otherKey = await new SignJWT(claims)
      .setProtectedHeader({ alg: 'HS256', typ: 'at+jwt' })
      .sign(new TextEncoder().encode('x'.repeat(40)));
    // Signed with the service's real key, as by someone who read it: each breaks one rule.
    const realKey = new TextEncoder().encode(
      await deps.store.getOrCreateSigningSecret('unused-unused-unused-unused-unused'),
    );
    const signed = (over: Record<string, unknown>) =>
      new SignJWT({ ...claims, ...over }).setProtectedHeader({ alg: 'HS256', typ: 'at+jwt' }).sign(realKey);
    const nowS = Math.floor(Date.now() / 1000);
    const expired = await signed({ exp: nowS - 10 });
    const otherAccount = await signed({ account: 'globex' });
    const longLived = await signed({ iat: nowS, exp: nowS + 7201 });
    const postDated = await signed({ iat: nowS + 3600, exp: nowS + 3600 + 60 });
    const control = await signed({ jti: 'control' });
    assert.equal(
      (
        await app.inject({
          method: 'GET',
          url: `/interaction-content/interactions/${GUID}`,
          headers: { accept: V3, authorization: `Bearer ${control}` },
        })
      ).statusCode,
      404,
      'the control token signed the same way is accepted',
    );
    const tampered = `${header}.${Buffer.from(JSON.stringify({ ...claims, account: 'evil' })).toString('base64url')}.${good.split('.')[2]}`;
    const hmacNoneSig = `${header}.${payload}.${createHmac('sha256', 'k').update('x').digest('base64url')}`;

    for (const authorization of [
      undefined,
      'Bearer',
      'Basic abc',
      `Bearer ${good} extra`,
      `Bearer ${none}`,
      `Bearer ${otherKey}`,
      `Bearer ${expired}`,
      `Bearer ${otherAccount}`,
      `Bearer ${longLived}`,
      `Bearer ${postDated}`,
      `Bearer ${tampered}`,
      `Bearer ${hmacNoneSig}`,
      'Bearer not.a.jwt',
    ]) {
      for (const r of ROUTES) {
        const res = await app.inject({
          method: r.method as 'GET',
          url: r.url,
          headers: { accept: V3, ...(authorization && { authorization }) },
        });
        assert.equal(res.statusCode, 401, `${r.method} ${r.url} with ${authorization}`);
        assert.match(res.headers['www-authenticate'] as string, /^Bearer error="invalid_token"/);
        if (r.method !== 'HEAD')
          assert.equal(res.json().message, 'The access token is invalid or has expired');
        assert.ok(res.headers['x-request-id']);
      }
    }
  });

  test('every route needs its scope: 403 with insufficient_scope', async (t) => {
    const { app, token } = await buildTestApp(t, { backend });
    const scopes = [
      'interaction-content:read',
      'interaction-content:delete',
      'interaction-content:write',
      'interaction-content:admin',
    ];
    for (const r of ROUTES) {
      const others = await token({ scopes: scopes.filter((s) => s !== r.scope).join(' ') });
      const res = await app.inject({
        method: r.method as 'GET',
        url: r.url,
        headers: { accept: V3, authorization: `Bearer ${others}`, 'content-type': 'application/json' },
        ...(r.body !== undefined && {
          payload: typeof r.body === 'string' ? r.body : JSON.stringify(r.body),
        }),
      });
      assert.equal(res.statusCode, 403, `${r.method} ${r.url}`);
      assert.equal(res.headers['www-authenticate'], `Bearer error="insufficient_scope", scope="${r.scope}"`);
    }
  });

  test('JSON routes need a supported version in Accept; the download route does not', async (t) => {
    const { app, token, seed } = await buildTestApp(t, { backend });
    const bearer = await token();
    const guid = await seed(bearer);
    for (const accept of [undefined, 'application/json', '*/*', 'application/vnd.newvoicemedia.v1+json']) {
      const res = await app.inject({
        method: 'GET',
        url: `/interaction-content/interactions/${guid}`,
        headers: { authorization: `Bearer ${bearer}`, ...(accept && { accept }) },
      });
      assert.equal(res.statusCode, 400, String(accept));
      assert.equal(
        res.json().message,
        "Invalid api-version! Valid values: 'application/vnd.newvoicemedia.v2+json', 'application/vnd.newvoicemedia.v3+json'",
      );
    }
    const v2 = await app.inject({
      method: 'GET',
      url: `/interaction-content/interactions/${guid}`,
      headers: { authorization: `Bearer ${bearer}`, accept: 'application/vnd.newvoicemedia.v2+json' },
    });
    assert.equal(v2.statusCode, 200);
    const download = await app.inject({
      method: 'GET',
      url: `/interaction-content/interactions/${guid}/content/callRecording`,
      headers: { authorization: `Bearer ${bearer}`, accept: 'application/json' },
    });
    assert.equal(download.statusCode, 200);
  });

  test("another account's interaction is 404 on every route and is left untouched", async (t) => {
    const { app, api, token, seed } = await buildTestApp(t, { backend });
    const owner = await token({ account: 'acme' });
    const stranger = await token({ account: 'globex' });
    const guid = await seed(owner, { guid: GUID });
    for (const r of ROUTES) {
      if (
        r.url.includes('delete-batch') ||
        r.url.endsWith('/audit') ||
        r.url.endsWith('/clients') ||
        r.method === 'POST' ||
        r.url.includes('?start')
      )
        continue;
      const res = await app.inject({
        method: r.method as 'GET',
        url: r.url,
        headers: { accept: V3, authorization: `Bearer ${stranger}`, 'content-type': 'application/json' },
        ...(r.body !== undefined && {
          payload: typeof r.body === 'string' ? r.body : JSON.stringify(r.body),
        }),
      });
      assert.equal(res.statusCode, 404, `${r.method} ${r.url}`);
    }
    const batch = await api({
      method: 'POST',
      url: '/interaction-content/interactions/delete-batch',
      token: stranger,
      body: { guids: [guid] },
    });
    assert.equal(batch.statusCode, 200);
    assert.deepEqual(batch.json(), { failures: [] });
    const search = await api({
      method: 'GET',
      url: '/interaction-content/interactions?start=2024-03-01T00:00:00Z&end=2024-03-02T00:00:00Z',
      token: stranger,
    });
    assert.deepEqual(search.json().items, []);
    // Still all there for its owner.
    const mine = await api({ method: 'GET', url: `/interaction-content/interactions/${guid}`, token: owner });
    assert.equal(mine.statusCode, 200);
    assert.equal(mine.json().content.length, 1);
  });
});
