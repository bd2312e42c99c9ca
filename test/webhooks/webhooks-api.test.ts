import assert from 'node:assert/strict';
import { randomBytes, randomUUID } from 'node:crypto';
import { test } from 'node:test';
import { sqlHandle } from '../../src/metadata/sql-handle.js';
import { buildTestApp, type TestApp } from '../helpers/app.js';
import { W1, webhooksApi } from './helpers.js';

// The Webhooks API [VCC]: v1 Accept, admin scopes, subscriptions CRUD with validation that names the
// field and changes nothing, secrets returned only at create and rotate, and sealed at rest.

const ADMIN = 'admin:read admin:write';
const acct = () => `acct-${randomUUID().slice(0, 8)}`;

async function setup(t: Parameters<typeof buildTestApp>[0], scopes = ADMIN) {
  const app = await buildTestApp(t);
  const account = acct();
  const token = await app.token({ account, scopes });
  return { app, account, call: webhooksApi(app, token) };
}

async function rows(app: TestApp) {
  return sqlHandle(app.deps.store).read((db) => db.selectFrom('webhook_subscriptions').selectAll().execute());
}

test('event types list what ICS raises, with version and source', async (t) => {
  const { call } = await setup(t);
  const res = await call('GET', '/event-types');
  assert.equal(res.statusCode, 200, res.body);
  const items = res.json().items as { name: string; version: string; source: string; description: string }[];
  assert.deepEqual(
    items.map((i) => i.name),
    [
      'interaction-content.added.v1',
      'interaction-content.deleted.v1',
      'interaction.deleted.v1',
      'interaction.legal-hold-placed.v1',
      'interaction.legal-hold-released.v1',
      'deletion-job.completed.v1',
      'retention.sweep-completed.v1',
    ],
  );
  assert.ok(items.every((i) => i.version === '1' && i.source.startsWith('/') && i.description.length > 0));
});

test('the v1 Accept header is required', async (t) => {
  const { app, account } = await setup(t);
  const token = await app.token({ account, scopes: ADMIN });
  const res = await app.app.inject({
    method: 'GET',
    url: '/webhooks/subscriptions',
    headers: { authorization: `Bearer ${token}`, accept: 'application/vnd.newvoicemedia.v3+json' },
  });
  assert.equal(res.statusCode, 400);
  assert.match(res.json().message, /v1\+json/);
});

test('scopes: admin:read reads, admin:write changes, interaction-content:admin does both', async (t) => {
  const app = await buildTestApp(t);
  const account = acct();
  const reader = webhooksApi(app, await app.token({ account, scopes: 'admin:read' }));
  const writer = webhooksApi(app, await app.token({ account, scopes: 'admin:write' }));
  const admin = webhooksApi(app, await app.token({ account, scopes: 'interaction-content:admin' }));
  const other = webhooksApi(app, await app.token({ account, scopes: 'interaction-content:read' }));
  const body = { name: 'crm', url: 'https://example.com/hook', events: ['*'] };
  assert.equal((await reader('POST', '/subscriptions', body)).statusCode, 403);
  assert.equal((await other('GET', '/subscriptions')).statusCode, 403);
  assert.equal((await writer('GET', '/subscriptions')).statusCode, 403);
  const created = await writer('POST', '/subscriptions', body);
  assert.equal(created.statusCode, 201, created.body);
  assert.equal((await reader('GET', '/subscriptions')).json().items.length, 1);
  assert.equal((await admin('GET', '/subscriptions')).json().items.length, 1);
  const id = created.json().subscriptionId;
  assert.equal((await admin('PATCH', `/subscriptions/${id}`, { enabled: false })).statusCode, 200);
  assert.equal((await admin('DELETE', `/subscriptions/${id}`)).statusCode, 204);
});

test('create, list, get, patch, rotate, delete; the secret is shown at create and rotate only', async (t) => {
  const { app, call } = await setup(t);
  const created = await call('POST', '/subscriptions', {
    name: 'Analytics feed',
    url: 'https://example.com/hooks/ics',
    events: ['interaction-content.*', 'interaction.deleted.v1'],
  });
  assert.equal(created.statusCode, 201, created.body);
  const sub = created.json();
  assert.equal(sub.enabled, true);
  assert.ok(Buffer.from(sub.secret, 'base64').length >= 32, 'a generated secret of 32 bytes or more');
  const id = sub.subscriptionId as string;

  const got = await call('GET', `/subscriptions/${id}`);
  assert.equal(got.statusCode, 200);
  assert.equal(got.json().secret, undefined);
  assert.deepEqual(got.json().events, ['interaction-content.*', 'interaction.deleted.v1']);
  const list = await call('GET', '/subscriptions');
  assert.ok(!list.body.includes(sub.secret));

  // Sealed at rest: the database holds no secret in clear.
  const [row] = await rows(app);
  assert.ok(!JSON.stringify(row).includes(sub.secret));
  assert.match(row.sealed_secret, /^v1\./);

  const patched = await call('PATCH', `/subscriptions/${id}`, { name: 'Analytics', enabled: false });
  assert.equal(patched.statusCode, 200, patched.body);
  assert.equal(patched.json().name, 'Analytics');
  assert.equal(patched.json().enabled, false);
  assert.equal(patched.json().secret, undefined);

  const rotated = await call('POST', `/subscriptions/${id}/rotate-secret`);
  assert.equal(rotated.statusCode, 200, rotated.body);
  assert.notEqual(rotated.json().secret, sub.secret);
  const own = randomBytes(40).toString('base64');
  const given = await call('POST', `/subscriptions/${id}/rotate-secret`, { secret: own });
  assert.equal(given.json().secret, own);

  assert.equal((await call('DELETE', `/subscriptions/${id}`)).statusCode, 204);
  assert.equal((await call('GET', `/subscriptions/${id}`)).statusCode, 404);
  assert.equal((await call('DELETE', `/subscriptions/${id}`)).statusCode, 404);
  assert.equal((await rows(app)).length, 0);
  const job = await app.deps.jobs.getJob(row.account, `webhook-delivery:${id}`);
  assert.equal(job?.status, 'cancelled', 'its delivery job stops');
});

test('a given secret is kept; names are unique per account', async (t) => {
  const { app, call } = await setup(t);
  const secret = randomBytes(32).toString('base64');
  const a = await call('POST', '/subscriptions', {
    name: 'one',
    url: 'http://a.example/',
    events: ['*'],
    secret,
  });
  assert.equal(a.statusCode, 201, a.body);
  assert.equal(a.json().secret, secret);
  const dup = await call('POST', '/subscriptions', { name: 'one', url: 'http://b.example/', events: ['*'] });
  assert.equal(dup.statusCode, 409);
  assert.match(dup.json().message, /'name'/);
  const b = await call('POST', '/subscriptions', { name: 'two', url: 'http://b.example/', events: ['*'] });
  assert.equal(
    (await call('PATCH', `/subscriptions/${b.json().subscriptionId}`, { name: 'one' })).statusCode,
    409,
  );
  // Another account may use the same name, and never sees this account's subscriptions.
  const other = webhooksApi(app, await app.token({ account: acct(), scopes: ADMIN }));
  assert.equal(
    (await other('POST', '/subscriptions', { name: 'one', url: 'http://c.example/', events: ['*'] }))
      .statusCode,
    201,
  );
  assert.equal((await other('GET', '/subscriptions')).json().items.length, 1);
  assert.equal((await other('GET', `/subscriptions/${a.json().subscriptionId}`)).statusCode, 404);
  assert.equal((await other('DELETE', `/subscriptions/${a.json().subscriptionId}`)).statusCode, 404);
  assert.equal((await other('GET', `/subscriptions/${a.json().subscriptionId}/deliveries`)).statusCode, 404);
});

test('bad input is a 400 that names the field, and changes nothing', async (t) => {
  const { app, call } = await setup(t);
  const ok = { name: 'valid name', url: 'https://example.com/x', events: ['*'] };
  const cases: [Record<string, unknown>, string][] = [
    [{ ...ok, name: 'ab' }, 'name'],
    [{ ...ok, name: 'x'.repeat(129) }, 'name'],
    [{ ...ok, name: 42 }, 'name'],
    [{ ...ok, url: '/relative' }, 'url'],
    [{ ...ok, url: 'ftp://example.com/' }, 'url'],
    [{ ...ok, url: 'https://user:pw@example.com/' }, 'url'],
    [{ ...ok, events: [] }, 'events'],
    [{ ...ok, events: ['interaction.nope.v1'] }, 'events[0]'],
    [{ ...ok, events: ['*', 'nothing.*'] }, 'events[1]'],
    [{ ...ok, events: 'interaction.*' }, 'events'],
    [{ ...ok, enabled: 'yes' }, 'enabled'],
    [{ ...ok, secret: 'not base64!' }, 'secret'],
    [{ ...ok, secret: randomBytes(16).toString('base64') }, 'secret'],
    [{ ...ok, extra: 1 }, 'extra'],
    [{ name: 'no url', events: ['*'] }, 'url'],
  ];
  for (const [body, field] of cases) {
    const res = await call('POST', '/subscriptions', body);
    assert.equal(res.statusCode, 400, `${JSON.stringify(body)} -> ${res.body}`);
    assert.ok(res.json().message.includes(field), `${res.json().message} names ${field}`);
  }
  assert.equal((await rows(app)).length, 0);

  const created = await call('POST', '/subscriptions', ok);
  const id = created.json().subscriptionId;
  const before = await rows(app);
  for (const [body, field] of [
    [{ url: 'mailto:a@b.c' }, 'url'],
    [{ name: 'fine name', events: ['bogus'] }, 'events[0]'],
    [{ secret: 'c2hvcnQ=' }, 'secret'],
    [{}, 'body'],
  ] as const) {
    const res = await call('PATCH', `/subscriptions/${id}`, body);
    assert.equal(res.statusCode, 400, res.body);
    assert.ok(res.json().message.includes(field), res.json().message);
  }
  assert.deepEqual(await rows(app), before, 'a refused patch changes nothing');
  assert.equal((await call('GET', '/subscriptions/not-a-uuid')).statusCode, 404);
});

test('ICS_WEBHOOK_DENY_CIDRS refuses literal addresses in a URL at once', async (t) => {
  const app = await buildTestApp(t, {
    env: { ICS_WEBHOOK_DENY_CIDRS: '10.0.0.0/8, 169.254.0.0/16, ::1/128' },
  });
  const call = webhooksApi(app, await app.token({ account: acct(), scopes: ADMIN }));
  for (const url of ['http://10.1.2.3/x', 'http://169.254.169.254/latest/meta-data', 'http://[::1]:8080/']) {
    const res = await call('POST', '/subscriptions', { name: 'meta', url, events: ['*'] });
    assert.equal(res.statusCode, 400, url);
    assert.match(res.json().message, /'url'/);
  }
  assert.equal(
    (await call('POST', '/subscriptions', { name: 'fine', url: 'http://192.0.2.1/', events: ['*'] }))
      .statusCode,
    201,
  );
  assert.equal(W1, 'application/vnd.newvoicemedia.v1+json');
});
