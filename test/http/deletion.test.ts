import assert from 'node:assert/strict';
import { test } from 'node:test';
import { buildTestApp } from '../helpers/app.js';
import { describeBackends } from '../helpers/backends.js';

const I = '/interaction-content/interactions';

describeBackends('deletion', (backend) => {
  test('DELETE content: 204 empty, gone from GET and the list; the call recording takes the screen recordings with it', async (t) => {
    const { app, api, token, seed } = await buildTestApp(t, { backend });
    const bearer = await token();
    const guid = await seed(bearer, {
      files: [
        { key: 'callRecording', body: 'wav', contentType: 'audio/wav' },
        { key: 'transcript', body: '{}', contentType: 'application/json' },
        { key: 'scr-1', body: 'webm1', contentType: 'video/webm', type: 'screenRecording' },
        { key: 'scr-2', body: 'webm2', contentType: 'video/webm', type: 'screenRecording' },
      ],
    });
    const del = await api({ method: 'DELETE', url: `${I}/${guid}/content/CallRecording`, token: bearer });
    assert.equal(del.statusCode, 204);
    assert.equal(del.body, '');
    assert.match(
      del.headers['x-deletion-receipt'] as string,
      /^acme:1:[0-9a-f]{64}, acme:2:[0-9a-f]{64}, acme:3:[0-9a-f]{64}$/,
    );
    const listed = await api({ method: 'GET', url: `${I}/${guid}`, token: bearer });
    assert.deepEqual(
      listed.json().content.map((c: { contentKey: string }) => c.contentKey),
      ['transcript'],
    );
    for (const key of ['callRecording', 'scr-1', 'scr-2']) {
      const res = await app.inject({
        method: 'GET',
        url: `${I}/${guid}/content/${key}`,
        headers: { authorization: `Bearer ${bearer}` },
      });
      assert.equal(res.statusCode, 404, key);
    }
    assert.equal(
      (await api({ method: 'DELETE', url: `${I}/${guid}/content/callRecording`, token: bearer })).statusCode,
      404,
      'repeat → 404',
    );

    // The last item's deletion hides the interaction (VCC), though it still exists until deleted itself.
    assert.equal(
      (await api({ method: 'DELETE', url: `${I}/${guid}/content/transcript`, token: bearer })).statusCode,
      204,
    );
    assert.equal((await api({ method: 'GET', url: `${I}/${guid}`, token: bearer })).statusCode, 404);
    const whole = await api({ method: 'DELETE', url: `${I}/${guid}`, token: bearer });
    assert.equal(whole.statusCode, 200);
    assert.deepEqual(whole.json(), {});
    assert.equal((await api({ method: 'DELETE', url: `${I}/${guid}`, token: bearer })).statusCode, 404);

    const audit = await api({ method: 'GET', url: '/interaction-content/audit?limit=100', token: bearer });
    assert.equal(audit.statusCode, 200);
    const items = audit.json().items;
    assert.deepEqual(
      items.map((e: { action: string; reason: string; contentKey: string | null }) => [
        e.action,
        e.reason,
        e.contentKey,
      ]),
      [
        ['content.delete', 'api', 'callRecording'],
        ['content.delete', 'cascade', 'scr-1'],
        ['content.delete', 'cascade', 'scr-2'],
        ['content.delete', 'api', 'transcript'],
        ['interaction.delete', 'api', null],
      ],
    );
    assert.equal(items[0].contentLength, 3);
    assert.match(items[0].sha256, /^[0-9a-f]{64}$/);
    assert.equal(items[1].prevHash, items[0].hash);
    assert.ok(items.every((e: { requestId: string | null }) => e.requestId));
    assert.ok(!JSON.stringify(items).includes('+441234567890'), 'the ledger holds no addresses');
  });

  test('type-name and legacy keys delete every item they address', async (t) => {
    const { api, token, seed } = await buildTestApp(t, { backend });
    const bearer = await token();
    const guid = await seed(bearer, {
      files: [
        { key: 'c1', body: '1', type: 'chatTranscript' },
        { key: 'c2', body: '2', type: 'chatTranscript' },
        { key: 'v1', body: '3', type: 'voicemail', owningAgentId: 'a7' },
        { key: 'v2', body: '4', type: 'voicemail', owningAgentId: 'a8' },
        { key: 'ivr1', body: '5', type: 'ivrAudioRecording' },
      ],
    });
    assert.equal(
      (await api({ method: 'DELETE', url: `${I}/${guid}/content/chattranscript`, token: bearer })).statusCode,
      204,
    );
    assert.equal(
      (await api({ method: 'DELETE', url: `${I}/${guid}/content/voicemail-a7`, token: bearer })).statusCode,
      204,
    );
    assert.equal(
      (await api({ method: 'DELETE', url: `${I}/${guid}/content/voicemail-a7`, token: bearer })).statusCode,
      404,
    );
    const left = (await api({ method: 'GET', url: `${I}/${guid}`, token: bearer }))
      .json()
      .content.map((c: { contentKey: string }) => c.contentKey)
      .sort();
    assert.deepEqual(left, ['ivr1', 'v2']);
  });

  test('delete-batch: limits, malformed GUIDs, unknown GUIDs are not failures', async (t) => {
    const { api, token, seed } = await buildTestApp(t, { backend });
    const bearer = await token();
    const a = await seed(bearer);
    const b = await seed(bearer);
    const batch = (body: unknown) => api({ method: 'POST', url: `${I}/delete-batch`, token: bearer, body });
    for (const [body, message] of [
      [{ guids: [] }, /1 to 1000/],
      [{ guids: Array.from({ length: 1001 }, () => a) }, /1 to 1000/],
      [{ guids: [a, 'short'] }, /^GUID must be 36 characters in length$/],
      [{ guids: ['zzzzzzzz-zzzz-zzzz-zzzz-zzzzzzzzzzzz'] }, /is not a valid UUID string/],
      [{}, /guids/],
      ['{bad json', /JSON/],
    ] as const) {
      const res = await batch(body);
      assert.equal(res.statusCode, 400, JSON.stringify(body).slice(0, 80));
      assert.match(res.json().message, message);
    }
    assert.equal(
      (await api({ method: 'GET', url: `${I}/${a}`, token: bearer })).statusCode,
      200,
      'nothing deleted by bad batches',
    );
    const ok = await batch({ guids: [a, b.toUpperCase(), '7d1e6f52-4b0a-4c8e-9a43-1f2b3c4d5e6f'] });
    assert.equal(ok.statusCode, 200);
    assert.deepEqual(ok.json(), { failures: [] });
    assert.equal((await api({ method: 'GET', url: `${I}/${a}`, token: bearer })).statusCode, 404);
    assert.equal((await api({ method: 'GET', url: `${I}/${b}`, token: bearer })).statusCode, 404);
  });

  test('a second delete-batch of the same account while one runs gets 429; another account is not blocked', async (t) => {
    // The first batch holds its account's lock for a second (test-only pause), so the overlap is certain.
    const { api, token, seed } = await buildTestApp(t, {
      backend,
      env: { ICS_TEST_FAULTS: 'batch.locked@pause=1000' },
    });
    const bearer = await token();
    const otherBearer = await token({ account: 'globex' });
    const guids: string[] = [];
    for (let i = 0; i < 5; i++) guids.push(await seed(bearer));
    const unknown = '7d1e6f52-4b0a-4c8e-9a43-1f2b3c4d5e6f';
    const first = api({ method: 'POST', url: `${I}/delete-batch`, token: bearer, body: { guids } });
    await new Promise((r) => setTimeout(r, 300));
    const [refused, other] = await Promise.all([
      api({ method: 'POST', url: `${I}/delete-batch`, token: bearer, body: { guids: [unknown] } }),
      api({ method: 'POST', url: `${I}/delete-batch`, token: otherBearer, body: { guids: [unknown] } }),
    ]);
    assert.equal(refused.statusCode, 429);
    assert.ok(Number(refused.headers['retry-after']) > 0);
    assert.equal(refused.json().code, 'batch_in_progress');
    assert.equal(other.statusCode, 200, 'another account is not blocked');
    assert.equal((await first).statusCode, 200);
    assert.deepEqual((await first).json(), { failures: [] });
    const after = await api({
      method: 'POST',
      url: `${I}/delete-batch`,
      token: bearer,
      body: { guids: [guids[0]] },
    });
    assert.equal(after.statusCode, 200, 'the lock is released when the batch ends');
  });

  test('legal hold blocks all three deletion paths until released; hold changes are in the ledger', async (t) => {
    const { api, token, seed } = await buildTestApp(t, { backend });
    const admin = await token();
    const reader = await token({ scopes: 'interaction-content:read interaction-content:delete' });
    const guid = await seed(admin);
    const place = await api({
      method: 'PUT',
      url: `${I}/${guid}/legal-hold`,
      token: admin,
      body: { reason: 'Litigation 42', caseId: 'CASE-42' },
    });
    assert.equal(place.statusCode, 200);
    assert.equal(place.json().reason, 'Litigation 42');
    assert.equal(place.json().caseId, 'CASE-42');

    const delContent = await api({
      method: 'DELETE',
      url: `${I}/${guid}/content/callRecording`,
      token: reader,
    });
    assert.equal(delContent.statusCode, 409);
    // The reason is legal information: only admin-scope callers read it (issue 9 item 13).
    assert.deepEqual(delContent.json(), {
      message: `Interaction '${guid}' is under legal hold and cannot be deleted`,
      code: 'legal_hold',
    });
    const whole = await api({ method: 'DELETE', url: `${I}/${guid}`, token: reader });
    assert.equal(whole.statusCode, 409);
    assert.doesNotMatch(whole.body, /Litigation/);
    const byAdmin = await api({ method: 'DELETE', url: `${I}/${guid}`, token: admin });
    assert.equal(byAdmin.statusCode, 409);
    assert.match(byAdmin.json().message, /legal hold \(Litigation 42\)/);
    const writer = await token({ scopes: 'interaction-content:write' });
    const replace = await api({
      method: 'PUT',
      url: `${I}/${guid}/content/callRecording`,
      token: writer,
      body: 'new bytes',
      headers: { 'content-type': 'audio/wav' },
    });
    assert.equal(replace.statusCode, 409);
    assert.doesNotMatch(replace.body, /Litigation/);
    const batch = await api({
      method: 'POST',
      url: `${I}/delete-batch`,
      token: reader,
      body: { guids: [guid] },
    });
    assert.equal(batch.statusCode, 200);
    assert.equal(batch.json().failures.length, 1);
    assert.equal(batch.json().failures[0].guid, guid);
    assert.equal(batch.json().failures[0].statusCode, 409);
    assert.match(batch.json().failures[0].message, /legal hold/);
    assert.doesNotMatch(batch.json().failures[0].message, /Litigation/);

    // VCC representation unchanged; admins may ask for the hold.
    assert.equal(
      'legalHold' in (await api({ method: 'GET', url: `${I}/${guid}`, token: reader })).json(),
      false,
    );
    assert.equal(
      (await api({ method: 'GET', url: `${I}/${guid}?include=legalHold`, token: reader })).statusCode,
      403,
    );
    const shown = await api({ method: 'GET', url: `${I}/${guid}?include=legalHold`, token: admin });
    assert.equal(shown.json().legalHold.caseId, 'CASE-42');

    for (const body of [{}, { reason: '' }, { reason: 'x', caseId: '' }, { reason: 'x', extra: 1 }]) {
      const res = await api({ method: 'PUT', url: `${I}/${guid}/legal-hold`, token: admin, body });
      assert.equal(res.statusCode, 400, JSON.stringify(body));
    }

    assert.equal(
      (await api({ method: 'DELETE', url: `${I}/${guid}/legal-hold`, token: admin })).statusCode,
      204,
    );
    assert.equal(
      (await api({ method: 'DELETE', url: `${I}/${guid}/legal-hold`, token: admin })).statusCode,
      404,
    );
    assert.equal((await api({ method: 'DELETE', url: `${I}/${guid}`, token: reader })).statusCode, 200);

    const actions = (await api({ method: 'GET', url: '/interaction-content/audit', token: admin }))
      .json()
      .items.map((e: { action: string }) => e.action);
    assert.deepEqual(actions, [
      'legal_hold.place',
      'legal_hold.release',
      'content.delete',
      'interaction.delete',
    ]);
  });
});
