import assert from 'node:assert/strict';
import { test } from 'node:test';
import { buildTestApp } from '../helpers/app.js';
import { describeBackends } from '../helpers/backends.js';

const GUID = '7D1E6F52-4B0A-4C8E-9A43-1F2B3C4D5E6F';

describeBackends('interactions: create and get', (backend) => {
  test('create answers 201 with the interaction; get shows it once it has content', async (t) => {
    const { api, token, seed } = await buildTestApp(t, { backend });
    const bearer = await token();
    const created = await api({
      method: 'POST',
      url: '/interaction-content/interactions',
      token: bearer,
      body: {
        guid: GUID,
        start: '2024-03-01T10:00:00.250+01:00',
        connectFrom: '+441234567890',
        connectTo: '+449876543210',
        direction: 'Inbound',
        handlingAgents: [{ id: 'agent-1' }, { id: 'agent-2' }],
      },
    });
    assert.equal(created.statusCode, 201);
    assert.deepEqual(created.json(), {
      guid: GUID.toLowerCase(),
      start: '2024-03-01T09:00:00Z',
      connectFrom: '+441234567890',
      connectTo: '+449876543210',
      direction: 'inbound',
      handlingAgents: [{ id: 'agent-1' }, { id: 'agent-2' }],
      content: [],
    });

    // VCC shows only interactions with content.
    assert.equal(
      (await api({ method: 'GET', url: `/interaction-content/interactions/${GUID}`, token: bearer }))
        .statusCode,
      404,
    );

    const again = await api({
      method: 'POST',
      url: '/interaction-content/interactions',
      token: bearer,
      body: {
        guid: GUID.toLowerCase(),
        start: '2024-03-01T10:00:00Z',
        connectFrom: 'a',
        connectTo: 'b',
        direction: 'inbound',
        handlingAgents: [],
      },
    });
    assert.equal(again.statusCode, 409);
    assert.equal(again.json().code, 'interaction_exists');

    const generated = await seed(bearer, {
      files: [{ key: 'transcript', body: '{"a":1}', contentType: 'application/json' }],
    });
    assert.match(
      generated,
      /^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/,
      'a time-ordered UUIDv7',
    );
    const got = await api({
      method: 'GET',
      url: `/interaction-content/interactions/${generated.toUpperCase()}`,
      token: bearer,
    });
    assert.equal(got.statusCode, 200);
    const body = got.json();
    assert.equal(body.guid, generated);
    assert.equal(body.content.length, 1);
    const [item] = body.content;
    assert.deepEqual(Object.keys(item).sort(), [
      'contentKey',
      'contentLength',
      'contentType',
      'lastModified',
      'properties',
      'type',
    ]);
    assert.equal(item.contentKey, 'transcript');
    assert.equal(item.type, 'transcript');
    assert.equal(item.contentType, 'application/json');
    assert.equal(item.contentLength, 7);
    assert.match(item.lastModified, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
    assert.deepEqual(item.properties, {});
    assert.equal('legalHold' in body, false);
  });

  test('bad GUIDs get VCC messages', async (t) => {
    const { api, token } = await buildTestApp(t, { backend });
    const bearer = await token();
    let res = await api({ method: 'GET', url: '/interaction-content/interactions/1234', token: bearer });
    assert.equal(res.statusCode, 400);
    assert.equal(res.json().message, 'GUID must be 36 characters in length');
    res = await api({
      method: 'GET',
      url: '/interaction-content/interactions/zzzzzzzz-zzzz-zzzz-zzzz-zzzzzzzzzzzz',
      token: bearer,
    });
    assert.equal(res.statusCode, 400);
    assert.equal(
      res.json().message,
      "GUID 'zzzzzzzz-zzzz-zzzz-zzzz-zzzzzzzzzzzz' is not a valid UUID string",
    );
    res = await api({ method: 'DELETE', url: '/interaction-content/interactions/abc', token: bearer });
    assert.equal(res.json().message, 'GUID must be 36 characters in length');
  });

  test('create refuses bad bodies with 400 naming the field, and stores nothing', async (t) => {
    const { api, token, deps } = await buildTestApp(t, { backend });
    const bearer = await token();
    const valid = {
      start: '2024-03-01T10:00:00Z',
      connectFrom: 'a',
      connectTo: 'b',
      direction: 'inbound',
      handlingAgents: [],
    };
    const cases: [unknown, RegExp][] = [
      ['{not json', /JSON/],
      [{ ...valid, start: 'yesterday' }, /'start'/],
      [{ ...valid, start: '2024-02-30T10:00:00Z' }, /'start'/],
      [{ ...valid, direction: 'sideways' }, /'direction'/],
      [{ ...valid, connectFrom: '' }, /'connectFrom'/],
      [{ ...valid, guid: 'nope' }, /GUID must be 36/],
      [{ ...valid, handlingAgents: [{ name: 'x' }] }, /handlingAgents/],
      [{ ...valid, extra: 1 }, /'extra'/],
      [{ connectFrom: 'a' }, /'start'|'connectTo'|'direction'/],
    ];
    for (const [body, message] of cases) {
      const res = await api({
        method: 'POST',
        url: '/interaction-content/interactions',
        token: bearer,
        body,
      });
      assert.equal(res.statusCode, 400, JSON.stringify(body));
      assert.match(res.json().message, message);
    }
    const none = await deps.store.count({ account: 'acme', start: 0, end: Date.now() });
    assert.equal(none, 0);
  });

  test('the OpenAPI 3.1 document lists every route', async (t) => {
    const { app } = await buildTestApp(t, { backend });
    const res = await app.inject({ method: 'GET', url: '/interaction-content/openapi.json' });
    assert.equal(res.statusCode, 200);
    const doc = res.json();
    assert.equal(doc.openapi, '3.1.0');
    const paths = Object.keys(doc.paths).sort();
    for (const p of [
      '/Auth/connect/token',
      '/interaction-content/interactions',
      '/interaction-content/interactions/{guid}',
      '/interaction-content/interactions/{guid}/content/{contentKey}',
      '/interaction-content/interactions/delete-batch',
      '/interaction-content/interactions/{guid}/legal-hold',
      '/interaction-content/audit',
    ]) {
      assert.ok(paths.includes(p), `${p} in ${paths.join(', ')}`);
    }
    const content = doc.paths['/interaction-content/interactions/{guid}/content/{contentKey}'];
    assert.deepEqual(Object.keys(content).sort(), ['delete', 'get', 'head', 'put']);
  });
});
