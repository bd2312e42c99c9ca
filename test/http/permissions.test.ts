import assert from 'node:assert/strict';
import { test } from 'node:test';
import { addClient, setClientPermissions } from '../../src/auth/client-admin.js';
import type { ContentPermissions } from '../../src/core/types.js';
import { ALL_SCOPES, buildTestApp, type TestApp, V2 } from '../helpers/app.js';
import { type Backend, describeBackends } from '../helpers/backends.js';

// Per-client content permissions over real servers and stores (docs/security.md, "Content
// permissions"): what a restricted client sees, downloads and deletes.

const I = '/interaction-content/interactions';
const C = '/interaction-content/clients';
const ANY = { types: null, directions: null };
const DAY = '?start=2024-03-01T00:00:00Z&end=2024-03-02T00:00:00Z';

async function tokenOf(h: TestApp, clientId: string, clientSecret: string): Promise<string> {
  const res = await h.app.inject({
    method: 'POST',
    url: '/Auth/connect/token',
    payload: new URLSearchParams({
      grant_type: 'client_credentials',
      client_id: clientId,
      client_secret: clientSecret,
    }).toString(),
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
  });
  assert.equal(res.statusCode, 200, res.body);
  return res.json().access_token;
}

/** A client of `account` with `permissions`, and a token from the real token endpoint. */
async function restricted(
  h: TestApp,
  permissions: ContentPermissions,
  account = 'acme',
): Promise<{ clientId: string; bearer: string }> {
  const client = await addClient(h.deps.store, { account, scopes: ALL_SCOPES, permissions });
  return { clientId: client.clientId, bearer: await tokenOf(h, client.clientId, client.clientSecret) };
}

const FILES = {
  call: { key: 'callRecording', body: 'wav', contentType: 'audio/wav' },
  transcript: { key: 'transcript', body: '{}', contentType: 'application/json' },
  screen: { key: 'scr-1', body: 'webm', contentType: 'video/webm', type: 'screenRecording' },
  voicemail: { key: 'vm-1', body: 'vm', contentType: 'audio/wav', type: 'voicemail' },
};

const keys = (body: { content: { contentKey: string }[] }) => body.content.map((c) => c.contentKey).sort();

describeBackends('content permissions', (backend: Backend) => {
  test('get shows only permitted items; an interaction with none, or of another direction, is 404', async (t) => {
    const h = await buildTestApp(t, { backend });
    const admin = await h.token();
    const mixed = await h.seed(admin, { files: [FILES.call, FILES.transcript, FILES.voicemail] });
    const onlyVoicemail = await h.seed(admin, { files: [FILES.voicemail] });
    const outbound = await h.seed(admin, { direction: 'outbound', files: [FILES.transcript] });
    const { bearer } = await restricted(h, {
      read: { types: ['transcript', 'callRecording'], directions: ['inbound'] },
    });

    const got = await h.api({ method: 'GET', url: `${I}/${mixed}`, token: bearer });
    assert.equal(got.statusCode, 200);
    assert.deepEqual(keys(got.json()), ['callRecording', 'transcript']);
    for (const guid of [onlyVoicemail, outbound]) {
      const res = await h.api({ method: 'GET', url: `${I}/${guid}`, token: bearer });
      assert.equal(res.statusCode, 404, guid);
      assert.equal(res.json().code, 'interaction_not_found');
    }
    // The unrestricted client of the same account sees everything, as before.
    assert.deepEqual(keys((await h.api({ method: 'GET', url: `${I}/${mixed}`, token: admin })).json()), [
      'callRecording',
      'transcript',
      'vm-1',
    ]);
  });

  test('a download of a forbidden item is 404 (GET and HEAD); a permitted one is served', async (t) => {
    const h = await buildTestApp(t, { backend });
    const admin = await h.token();
    const guid = await h.seed(admin, { files: [FILES.call, FILES.voicemail] });
    const outbound = await h.seed(admin, { direction: 'outbound', files: [FILES.call] });
    const { bearer } = await restricted(h, { read: { types: ['callRecording'], directions: ['inbound'] } });
    const fetch = (method: 'GET' | 'HEAD', url: string) =>
      h.app.inject({ method, url, headers: { authorization: `Bearer ${bearer}` } });

    const ok = await fetch('GET', `${I}/${guid}/content/callRecording`);
    assert.equal(ok.statusCode, 200);
    assert.equal(ok.body, 'wav');
    for (const method of ['GET', 'HEAD'] as const) {
      const vm = await fetch(method, `${I}/${guid}/content/vm-1`);
      assert.equal(vm.statusCode, 404, method);
      if (method === 'GET') assert.equal(vm.json().code, 'content_not_found');
      const dir = await fetch(method, `${I}/${outbound}/content/callRecording`);
      assert.equal(dir.statusCode, 404, method);
      if (method === 'GET') assert.equal(dir.json().code, 'interaction_not_found');
    }
  });

  test('search shows only interactions with a permitted item, with only those items; v2 totals agree', async (t) => {
    const h = await buildTestApp(t, { backend });
    const admin = await h.token();
    const visible: string[] = [];
    for (let i = 0; i < 9; i++) {
      const start = `2024-03-01T${String(8 + i).padStart(2, '0')}:00:00Z`;
      const kind = i % 3; // 0: transcript + voicemail, 1: voicemail only, 2: outbound transcript
      const guid = await h.seed(admin, {
        start,
        direction: kind === 2 ? 'outbound' : 'inbound',
        files:
          kind === 0
            ? [FILES.transcript, FILES.voicemail]
            : kind === 1
              ? [FILES.voicemail]
              : [FILES.transcript],
      });
      if (kind === 0) visible.push(guid);
    }
    const { bearer } = await restricted(h, { read: { types: ['transcript'], directions: ['inbound'] } });

    const v3 = await h.api({ method: 'GET', url: `${I}${DAY}`, token: bearer });
    assert.equal(v3.statusCode, 200);
    const items = v3.json().items as { guid: string; content: { contentKey: string }[] }[];
    assert.deepEqual(
      items.map((i) => i.guid),
      visible,
    );
    for (const item of items) assert.deepEqual(keys(item), ['transcript']);

    const v2 = await h.api({
      method: 'GET',
      url: `${I}${DAY}&limit=2&page=2`,
      token: bearer,
      headers: { accept: V2 },
    });
    assert.equal(v2.statusCode, 200);
    assert.deepEqual(v2.json().meta, { page: 2, count: 1, pageCount: 2, totalCount: 3 });
    assert.deepEqual(
      v2.json().items.map((i: { guid: string }) => i.guid),
      visible.slice(2),
    );
    // Asking for a direction the client may not read finds nothing, not an error.
    const outbound = await h.api({ method: 'GET', url: `${I}${DAY}&direction=outbound`, token: bearer });
    assert.deepEqual(outbound.json(), { items: [], meta: { nextContinuationToken: null } });
  });

  test('v3 paging under a restriction: full pages, every permitted interaction once, and an all-forbidden window ends at once', async (t) => {
    const h = await buildTestApp(t, { backend });
    const admin = await h.token();
    const expected: string[] = [];
    // 30 interactions; only every fifth holds a permitted item, so most rows of each page's walk are
    // filtered out. Pages must still be full (VCC semantics), never short with a token.
    for (let i = 0; i < 30; i++) {
      const start = `2024-03-01T${String(Math.floor(i / 2)).padStart(2, '0')}:${i % 2 ? '30' : '00'}:00Z`;
      const guid = await h.seed(admin, { start, files: [i % 5 === 0 ? FILES.transcript : FILES.voicemail] });
      if (i % 5 === 0) expected.push(guid);
    }
    const { bearer } = await restricted(h, { read: { types: ['transcript'] } });
    const seen: string[] = [];
    const sizes: number[] = [];
    let next: string | null = null;
    do {
      const url: string = `${I}${DAY}&limit=2${next ? `&continuationToken=${encodeURIComponent(next)}` : ''}`;
      const res = await h.api({ method: 'GET', url, token: bearer });
      assert.equal(res.statusCode, 200, res.body);
      sizes.push(res.json().items.length);
      seen.push(...res.json().items.map((i: { guid: string }) => i.guid));
      next = res.json().meta.nextContinuationToken;
    } while (next);
    assert.deepEqual(seen, expected);
    assert.deepEqual(sizes, [2, 2, 2]);

    // Nothing permitted in the window: one empty page, no token (not an endless walk of short pages).
    const none = await restricted(h, { read: { types: ['chatTranscript'] } });
    const empty = await h.api({ method: 'GET', url: `${I}${DAY}&limit=2`, token: none.bearer });
    assert.deepEqual(empty.json(), { items: [], meta: { nextContinuationToken: null } });
  });

  test('deleting a forbidden item is 403 and changes nothing; a permitted one goes', async (t) => {
    const h = await buildTestApp(t, { backend });
    const admin = await h.token();
    const guid = await h.seed(admin, { files: [FILES.call, FILES.transcript, FILES.voicemail] });
    const withScreen = await h.seed(admin, { files: [FILES.call, FILES.screen] });
    const outbound = await h.seed(admin, { direction: 'outbound', files: [FILES.transcript] });
    const { bearer } = await restricted(h, {
      delete: { types: ['transcript', 'callRecording'], directions: ['inbound'] },
    });
    const del = (g: string, key: string) =>
      h.api({ method: 'DELETE', url: `${I}/${g}/content/${key}`, token: bearer });

    const vm = await del(guid, 'vm-1');
    assert.equal(vm.statusCode, 403);
    assert.deepEqual(vm.json(), {
      message: "Not authorized to remove content 'vm-1'",
      code: 'not_authorized',
    });
    const dir = await del(outbound, 'transcript');
    assert.equal(dir.statusCode, 403);
    // The call recording would take the screen recording with it, which this client may not delete.
    const cascade = await del(withScreen, 'callRecording');
    assert.equal(cascade.statusCode, 403);
    assert.match(cascade.json().message, /screen recordings/);
    assert.equal((await del(guid, 'transcript')).statusCode, 204);
    // Unknown content stays 404, not 403.
    assert.equal((await del(guid, 'sentimentSummary')).statusCode, 404);

    const left = async (g: string) =>
      keys((await h.api({ method: 'GET', url: `${I}/${g}`, token: admin })).json());
    assert.deepEqual(await left(guid), ['callRecording', 'vm-1']);
    assert.deepEqual(await left(withScreen), ['callRecording', 'scr-1']);
    assert.deepEqual(await left(outbound), ['transcript']);
  });

  test('DELETE of an interaction the client may not fully delete is 403 and changes nothing', async (t) => {
    const h = await buildTestApp(t, { backend });
    const admin = await h.token();
    const mixed = await h.seed(admin, { files: [FILES.call, FILES.voicemail] });
    const permitted = await h.seed(admin, { files: [FILES.call] });
    const outbound = await h.seed(admin, { direction: 'outbound', files: [FILES.call] });
    const { bearer } = await restricted(h, { delete: { types: ['callRecording'], directions: ['inbound'] } });

    for (const guid of [mixed, outbound]) {
      const res = await h.api({ method: 'DELETE', url: `${I}/${guid}`, token: bearer });
      assert.equal(res.statusCode, 403, guid);
      assert.deepEqual(res.json(), { message: 'Not authorized to remove GUID', code: 'not_authorized' });
      assert.equal((await h.api({ method: 'GET', url: `${I}/${guid}`, token: admin })).statusCode, 200);
    }
    const ok = await h.api({ method: 'DELETE', url: `${I}/${permitted}`, token: bearer });
    assert.equal(ok.statusCode, 200);
    assert.equal((await h.api({ method: 'GET', url: `${I}/${permitted}`, token: admin })).statusCode, 404);
  });

  test("delete-batch: 403 failures for what the client may not fully delete; another account's GUIDs stay silently absent", async (t) => {
    const h = await buildTestApp(t, { backend });
    const admin = await h.token();
    const otherAdmin = await h.token({ account: 'globex' });
    const permitted = [
      await h.seed(admin, { files: [FILES.call] }),
      await h.seed(admin, { files: [FILES.transcript] }),
    ];
    const forbidden = [
      await h.seed(admin, { files: [FILES.call, FILES.voicemail] }),
      await h.seed(admin, { direction: 'outbound', files: [FILES.call] }),
    ];
    // Another account's interaction the client could delete by type and direction, were it its own.
    const foreign = await h.seed(otherAdmin, { files: [FILES.call] });
    const missing = '00000000-0000-4000-8000-000000000001';
    const { bearer } = await restricted(h, {
      delete: { types: ['callRecording', 'transcript'], directions: ['inbound'] },
    });

    const res = await h.api({
      method: 'POST',
      url: `${I}/delete-batch`,
      token: bearer,
      body: { guids: [permitted[0], forbidden[0], foreign, missing, forbidden[1], permitted[1]] },
    });
    assert.equal(res.statusCode, 200, res.body);
    assert.deepEqual(res.json(), {
      failures: forbidden.map((guid) => ({
        guid,
        message: 'Not authorized to remove GUID',
        statusCode: 403,
      })),
    });
    for (const guid of permitted)
      assert.equal((await h.api({ method: 'GET', url: `${I}/${guid}`, token: admin })).statusCode, 404);
    for (const guid of forbidden)
      assert.equal((await h.api({ method: 'GET', url: `${I}/${guid}`, token: admin })).statusCode, 200);
    assert.equal((await h.api({ method: 'GET', url: `${I}/${foreign}`, token: otherAdmin })).statusCode, 200);
  });

  test("a change to a client's permissions reaches its tokens already issued", async (t) => {
    const h = await buildTestApp(t, { backend });
    const admin = await h.token();
    const guid = await h.seed(admin, { files: [FILES.call, FILES.voicemail] });
    const { clientId, bearer } = await restricted(h, { read: { types: ['voicemail'] } });
    const shown = async () => {
      const res = await h.api({ method: 'GET', url: `${I}/${guid}`, token: bearer });
      return res.statusCode === 200 ? keys(res.json()) : res.statusCode;
    };
    assert.deepEqual(await shown(), ['vm-1']);
    await setClientPermissions(h.deps.store, clientId, { read: { types: ['callRecording'] } });
    // The verifier re-reads the client every few seconds (clientStatusTtlMs); poll until it has.
    let now = await shown();
    for (let i = 0; i < 100 && JSON.stringify(now) !== '["callRecording"]'; i++) {
      await new Promise((r) => setTimeout(r, 100));
      now = await shown();
    }
    assert.deepEqual(now, ['callRecording']);
    // Lifting every restriction stores none at all (one form for "unrestricted").
    await setClientPermissions(h.deps.store, clientId, { read: {}, delete: { types: undefined } });
    assert.equal((await h.deps.store.getClient(clientId))?.permissions, undefined);
  });

  test('client-admin API: create with permissions, replace them, see them; the new client is held to them', async (t) => {
    const h = await buildTestApp(t, { backend });
    const admin = await h.token();
    const guid = await h.seed(admin, { files: [FILES.call, FILES.voicemail] });
    const created = await h.api({
      method: 'POST',
      url: C,
      token: admin,
      body: {
        scopes: ['interaction-content:read'],
        permissions: { read: { types: ['Voicemail'], directions: ['inbound'] }, delete: null },
      },
    });
    assert.equal(created.statusCode, 201, created.body);
    const c = created.json();
    const expected = { read: { types: ['voicemail'], directions: ['inbound'] }, delete: ANY };
    assert.deepEqual(c.permissions, expected);
    const bearer = await tokenOf(h, c.clientId, c.clientSecret);
    assert.deepEqual(keys((await h.api({ method: 'GET', url: `${I}/${guid}`, token: bearer })).json()), [
      'vm-1',
    ]);

    const put = await h.api({
      method: 'PUT',
      url: `${C}/${c.clientId}/permissions`,
      token: admin,
      body: { delete: { types: ['transcript'] } },
    });
    assert.equal(put.statusCode, 200, put.body);
    assert.deepEqual(put.json().permissions, {
      read: ANY,
      delete: { types: ['transcript'], directions: null },
    });
    const listed = (await h.api({ method: 'GET', url: C, token: admin })).json().items;
    assert.deepEqual(
      listed.find((x: { clientId: string }) => x.clientId === c.clientId).permissions,
      put.json().permissions,
    );
    const lifted = await h.api({
      method: 'PUT',
      url: `${C}/${c.clientId}/permissions`,
      token: admin,
      body: {},
    });
    assert.deepEqual(lifted.json().permissions, { read: ANY, delete: ANY });
  });

  test('client-admin API: unknown types, directions or fields are 400s naming the field, and change nothing', async (t) => {
    const h = await buildTestApp(t, { backend });
    const admin = await h.token();
    const other = await h.token({ account: 'globex' });
    const before = (await h.api({ method: 'GET', url: C, token: admin })).json().items.length;
    const cases: [unknown, RegExp][] = [
      [
        { read: { types: ['podcast'] } },
        /^permissions\.read\.types: unknown content type 'podcast'; expected callRecording/,
      ],
      [
        { delete: { directions: ['up'] } },
        /^permissions\.delete\.directions: unknown direction 'up'; expected inbound, outbound$/,
      ],
      [{ reed: {} }, /^permissions: unknown field 'reed'/],
      [{ read: { types: [] } }, /must name at least one content type/],
    ];
    for (const [permissions, message] of cases) {
      const res = await h.api({
        method: 'POST',
        url: C,
        token: admin,
        body: { scopes: ['interaction-content:read'], permissions },
      });
      assert.equal(res.statusCode, 400, res.body);
      assert.equal(res.json().code, 'invalid_permissions');
      assert.match(res.json().message, message);
    }
    assert.equal(
      (await h.api({ method: 'GET', url: C, token: admin })).json().items.length,
      before,
      'no client created',
    );

    const { clientId } = await restricted(h, { read: { types: ['transcript'] } });
    for (const [permissions, message] of cases) {
      const res = await h.api({
        method: 'PUT',
        url: `${C}/${clientId}/permissions`,
        token: admin,
        body: permissions,
      });
      assert.equal(res.statusCode, 400, res.body);
      assert.match(res.json().message, message);
    }
    assert.deepEqual((await h.deps.store.getClient(clientId))?.permissions, {
      read: { types: ['transcript'] },
    });
    // Another account's client is not found, whatever the body.
    const foreign = await h.api({
      method: 'PUT',
      url: `${C}/${clientId}/permissions`,
      token: other,
      body: {},
    });
    assert.equal(foreign.statusCode, 404);
    assert.deepEqual((await h.deps.store.getClient(clientId))?.permissions, {
      read: { types: ['transcript'] },
    });
  });

  test('client-admin API: a restricted admin cannot make, widen or rotate a client beyond its own permissions', async (t) => {
    const h = await buildTestApp(t, { backend });
    const { bearer } = await restricted(h, { read: { types: ['transcript', 'voicemail'] } });
    const unrestricted = await restricted(h, {});
    const create = (permissions?: unknown) =>
      h.api({
        method: 'POST',
        url: C,
        token: bearer,
        body: { scopes: ['interaction-content:read'], permissions },
      });
    for (const permissions of [undefined, { read: { types: ['transcript', 'callRecording'] } }]) {
      const res = await create(permissions);
      assert.equal(res.statusCode, 403, res.body);
      assert.equal(res.json().code, 'permissions_not_held');
    }
    const narrower = await create({ read: { types: ['transcript'] } });
    assert.equal(narrower.statusCode, 201, narrower.body);
    const widen = await h.api({
      method: 'PUT',
      url: `${C}/${narrower.json().clientId}/permissions`,
      token: bearer,
      body: {},
    });
    assert.equal(widen.statusCode, 403);
    const rotate = await h.api({
      method: 'POST',
      url: `${C}/${unrestricted.clientId}/rotate`,
      token: bearer,
    });
    assert.equal(rotate.statusCode, 403);
    assert.equal(rotate.json().code, 'permissions_not_held');
  });

  test('the retention explanation (read scope) names only items the client may read; none is 404', async (t) => {
    const h = await buildTestApp(t, { backend });
    const admin = await h.token();
    const guid = await h.seed(admin, { files: [FILES.call, FILES.voicemail] });
    const onlyCall = await h.seed(admin, { files: [FILES.call] });
    const { bearer } = await restricted(h, { read: { types: ['voicemail'] } });
    const res = await h.api({ method: 'GET', url: `${I}/${guid}/retention`, token: bearer });
    assert.equal(res.statusCode, 200, res.body);
    assert.deepEqual(
      res.json().content.map((c: { contentKey: string }) => c.contentKey),
      ['vm-1'],
    );
    const none = await h.api({ method: 'GET', url: `${I}/${onlyCall}/retention`, token: bearer });
    assert.equal(none.statusCode, 404);
    const all = await h.api({ method: 'GET', url: `${I}/${guid}/retention`, token: admin });
    assert.equal(all.json().content.length, 2);
  });
});
