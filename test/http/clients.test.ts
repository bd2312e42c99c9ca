import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { FastifyInstance } from 'fastify';
import { addClient } from '../../src/auth/client-admin.js';
import { buildTestApp } from '../helpers/app.js';
import { describeBackends } from '../helpers/backends.js';

const C = '/interaction-content/clients';
const READ = 'interaction-content:read';
const DELETE = 'interaction-content:delete';
const ADMIN = 'interaction-content:admin';

async function tokenStatus(app: FastifyInstance, clientId: string, clientSecret: string) {
  const res = await app.inject({
    method: 'POST',
    url: '/Auth/connect/token',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    payload: new URLSearchParams({
      grant_type: 'client_credentials',
      client_id: clientId,
      client_secret: clientSecret,
    }).toString(),
  });
  return res.statusCode;
}

describeBackends('client administration over HTTP', (backend) => {
  test('an admin creates, lists, rotates and revokes clients of its own account', async (t) => {
    const { app, api, token } = await buildTestApp(t, { backend });
    const admin = await token({ account: 'acme' });

    const created = await api({
      method: 'POST',
      url: C,
      token: admin,
      body: { scopes: [READ], name: 'reporting' },
    });
    assert.equal(created.statusCode, 201, created.body);
    const c = created.json();
    assert.deepEqual(Object.keys(c).sort(), [
      'account',
      'clientId',
      'clientSecret',
      'createdAt',
      'name',
      'permissions',
      'scopes',
    ]);
    assert.equal(c.account, 'acme');
    assert.deepEqual(c.scopes, [READ]);
    assert.equal(created.headers.location, `${C}/${c.clientId}`);
    assert.equal(await tokenStatus(app, c.clientId, c.clientSecret), 200);

    const listed = await api({ method: 'GET', url: C, token: admin });
    assert.equal(listed.statusCode, 200);
    const mine = listed.json().items.find((x: { clientId: string }) => x.clientId === c.clientId);
    assert.deepEqual(mine, {
      clientId: c.clientId,
      account: 'acme',
      name: 'reporting',
      scopes: [READ],
      permissions: { read: { types: null, directions: null }, delete: { types: null, directions: null } },
      createdAt: c.createdAt,
      revokedAt: null,
    });
    assert.ok(
      !listed.body.includes(c.clientSecret) && !listed.body.includes('hmac-sha256'),
      'no secrets listed',
    );

    const rotated = await api({ method: 'POST', url: `${C}/${c.clientId}/rotate`, token: admin });
    assert.equal(rotated.statusCode, 200, rotated.body);
    const r = rotated.json();
    assert.notEqual(r.clientSecret, c.clientSecret);
    assert.equal(await tokenStatus(app, c.clientId, c.clientSecret), 401, 'the old secret stops working');
    assert.equal(await tokenStatus(app, c.clientId, r.clientSecret), 200, 'the new one works');

    const revoked = await api({ method: 'POST', url: `${C}/${c.clientId}/revoke`, token: admin });
    assert.equal(revoked.statusCode, 200);
    assert.ok(revoked.json().revokedAt);
    assert.equal(await tokenStatus(app, c.clientId, r.clientSecret), 401);
    const again = await api({ method: 'POST', url: `${C}/${c.clientId}/revoke`, token: admin });
    assert.equal(again.statusCode, 200, 'revoking twice is not an error');
    assert.equal(again.json().revokedAt, revoked.json().revokedAt, 'and keeps the first revocation time');
    const rotateRevoked = await api({ method: 'POST', url: `${C}/${c.clientId}/rotate`, token: admin });
    assert.equal(rotateRevoked.statusCode, 409);
    assert.equal(rotateRevoked.json().code, 'client_revoked');
  });

  test("another account's clients are invisible and untouchable", async (t) => {
    const { app, api, deps, token } = await buildTestApp(t, { backend });
    const admin = await token({ account: 'acme' });
    const other = await addClient(deps.store, { account: 'globex', scopes: READ });

    const listed = await api({ method: 'GET', url: C, token: admin });
    assert.ok(listed.json().items.every((x: { account: string }) => x.account === 'acme'));
    assert.ok(!listed.body.includes(other.clientId));
    for (const action of ['revoke', 'rotate']) {
      const res = await api({ method: 'POST', url: `${C}/${other.clientId}/${action}`, token: admin });
      assert.equal(res.statusCode, 404, action);
      assert.equal(res.json().code, 'client_not_found');
    }
    assert.equal(
      await tokenStatus(app, other.clientId, other.clientSecret),
      200,
      'the other client still works',
    );
    assert.equal((await deps.store.getClient(other.clientId))?.revokedAt, null);
  });

  test('no client gets scopes its creator lacks, by creation or by rotation', async (t) => {
    const { api, deps, token } = await buildTestApp(t, { backend });
    const limitedAdmin = await token({ account: 'acme', scopes: `${READ} ${ADMIN}` });
    const before = (await deps.store.listClients()).length;

    const wider = await api({
      method: 'POST',
      url: C,
      token: limitedAdmin,
      body: { scopes: [READ, DELETE] },
    });
    assert.equal(wider.statusCode, 403);
    assert.equal(wider.json().code, 'scope_not_held');
    assert.match(wider.json().message, /interaction-content:delete/);
    assert.equal((await deps.store.listClients()).length, before, 'nothing was created');

    const deleter = await addClient(deps.store, { account: 'acme', scopes: DELETE });
    const rotate = await api({ method: 'POST', url: `${C}/${deleter.clientId}/rotate`, token: limitedAdmin });
    assert.equal(rotate.statusCode, 403, 'rotating would hand over a secret with the delete scope');
    assert.equal(rotate.json().code, 'scope_not_held');
    assert.equal((await deps.store.getClient(deleter.clientId))?.secretHash !== undefined, true);

    const narrower = await api({ method: 'POST', url: C, token: limitedAdmin, body: { scopes: [READ] } });
    assert.equal(narrower.statusCode, 201);
  });

  test('bad bodies are 400s naming the field, and create nothing', async (t) => {
    const { api, deps, token } = await buildTestApp(t, { backend });
    const admin = await token({ account: 'acme' });
    const before = (await deps.store.listClients()).length;
    for (const [body, field] of [
      [{}, 'scopes'],
      [{ scopes: [] }, 'scopes'],
      [{ scopes: ['interaction-content:everything'] }, 'scopes'],
      [{ scopes: [READ], account: 'globex' }, 'account'],
      [{ scopes: [READ], name: 'x'.repeat(201) }, 'name'],
      [{ scopes: READ }, 'scopes'],
    ] as const) {
      const res = await api({ method: 'POST', url: C, token: admin, body });
      assert.equal(res.statusCode, 400, JSON.stringify(body));
      assert.match(res.json().message, new RegExp(field), JSON.stringify(body));
    }
    assert.equal((await deps.store.listClients()).length, before);
  });
});

describeBackends('GET …/legal-hold', (backend) => {
  test('reads the hold: 404 before, the hold while placed, 404 after release', async (t) => {
    const { api, seed, token } = await buildTestApp(t, { backend });
    const admin = await token({ account: 'acme' });
    const guid = await seed(admin);
    const url = `/interaction-content/interactions/${guid}/legal-hold`;

    const none = await api({ method: 'GET', url, token: admin });
    assert.equal(none.statusCode, 404);
    assert.equal(none.json().code, 'legal_hold_not_found');

    await api({ method: 'PUT', url, token: admin, body: { reason: 'Litigation', caseId: 'CASE-42' } });
    const held = await api({ method: 'GET', url, token: admin });
    assert.equal(held.statusCode, 200);
    const h = held.json();
    assert.equal(h.reason, 'Litigation');
    assert.equal(h.caseId, 'CASE-42');
    assert.ok(h.placedAt && h.placedBy);

    const otherAdmin = await token({ account: 'globex' });
    const foreign = await api({ method: 'GET', url, token: otherAdmin });
    assert.equal(foreign.statusCode, 404);
    assert.equal(foreign.json().code, 'interaction_not_found');
    const reader = await token({ account: 'acme', scopes: READ });
    assert.equal((await api({ method: 'GET', url, token: reader })).statusCode, 403);

    await api({ method: 'DELETE', url, token: admin });
    assert.equal((await api({ method: 'GET', url, token: admin })).statusCode, 404);
  });
});
