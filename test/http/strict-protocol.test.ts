import assert from 'node:assert/strict';
import { test } from 'node:test';
import { acceptedVersion } from '../../src/http/auth-hooks.js';
import { buildTestApp, V3 } from '../helpers/app.js';

// Issue 9 items 14 and 16: If-Range dates are strong validators only when they can be; bodies are
// parsed strictly; the Accept version is a media range of its own; huge Range numbers are handled
// the same way as small ones.

const I = '/interaction-content/interactions';

test('If-Range with a date: only an exact match, and never across a replacement in the same second', async (t) => {
  const h = await buildTestApp(t);
  const token = await h.token();
  const guid = await h.seed(token, { files: [] });
  const put = (body: string) =>
    h.app.inject({
      method: 'PUT',
      url: `${I}/${guid}/content/callRecording`,
      headers: { authorization: `Bearer ${token}`, accept: V3, 'content-type': 'audio/wav' },
      payload: body,
    });
  const get = (headers: Record<string, string>) =>
    h.app.inject({
      method: 'GET',
      url: `${I}/${guid}/content/callRecording`,
      headers: { authorization: `Bearer ${token}`, ...headers },
    });

  // Start early in a second, so that the replacement below lands in the same one.
  while (Date.now() % 1000 > 300) await new Promise((r) => setTimeout(r, 20));
  assert.equal((await put('version-one')).statusCode, 201);
  const v1 = await get({});
  const date1 = v1.headers['last-modified'] as string;
  assert.equal(
    (await get({ range: 'bytes=0-2', 'if-range': date1 })).statusCode,
    206,
    'the exact date validates',
  );
  const later = new Date(Date.parse(date1) + 5000).toUTCString();
  assert.equal(
    (await get({ range: 'bytes=0-2', 'if-range': later })).statusCode,
    200,
    'a later date does not',
  );
  const earlier = new Date(Date.parse(date1) - 5000).toUTCString();
  assert.equal((await get({ range: 'bytes=0-2', 'if-range': earlier })).statusCode, 200);

  assert.equal((await put('version-TWO')).statusCode, 200);
  const v2 = await get({});
  assert.notEqual(v2.headers['last-modified'], date1, 'each version has its own date');
  const stale = await get({ range: 'bytes=8-10', 'if-range': date1 });
  assert.equal(stale.statusCode, 200, "the first version's date does not validate the second");
  assert.equal(stale.body, 'version-TWO');
  assert.equal(
    (await get({ range: 'bytes=8-10', 'if-range': v2.headers['last-modified'] as string })).body,
    'TWO',
  );
  // Entity-tags compare strongly: a weak one never matches.
  assert.equal((await get({ range: 'bytes=0-2', 'if-range': `W/${v2.headers.etag}` })).statusCode, 200);
});

test('a body is never coerced: {"guids": "<one guid>"} is 400, nothing deleted', async (t) => {
  const h = await buildTestApp(t);
  const token = await h.token();
  const guid = await h.seed(token);
  const res = await h.api({ method: 'POST', url: `${I}/delete-batch`, token, body: { guids: guid } });
  assert.equal(res.statusCode, 400);
  assert.equal(res.json().code, 'invalid_request');
  assert.equal((await h.api({ method: 'GET', url: `${I}/${guid}`, token })).statusCode, 200, 'still there');
  const agents = await h.api({
    method: 'POST',
    url: I,
    token,
    body: {
      start: '2024-03-01T10:00:00Z',
      connectFrom: '1',
      connectTo: '2',
      direction: 'inbound',
      handlingAgents: { id: 'a' },
    },
  });
  assert.equal(agents.statusCode, 400);
  // Query strings are text and still become numbers.
  const search = await h.api({
    method: 'GET',
    url: `${I}?start=2024-03-01T00:00:00Z&end=2024-03-02T00:00:00Z&limit=5`,
    token,
  });
  assert.equal(search.statusCode, 200);
});

test('the Accept version counts only as a media range of its own', async (t) => {
  assert.equal(acceptedVersion('application/vnd.newvoicemedia.v3+json'), 3);
  assert.equal(acceptedVersion('text/html, Application/Vnd.NewVoiceMedia.V2+JSON;q=0.9'), 2);
  assert.equal(
    acceptedVersion('application/vnd.newvoicemedia.v2+json, application/vnd.newvoicemedia.v3+json'),
    3,
  );
  for (const bad of [
    'application/vnd.newvoicemedia.v3+jsonx',
    'xapplication/vnd.newvoicemedia.v3+json',
    'text/plain; note="application/vnd.newvoicemedia.v3+json"',
    'application/vnd.newvoicemedia.v3+json;q=0',
    'application/vnd.newvoicemedia.v4+json',
  ])
    assert.equal(acceptedVersion(bad), undefined, bad);

  const h = await buildTestApp(t);
  const token = await h.token();
  const res = await h.api({
    method: 'GET',
    url: `${I}/0e2bd9a2-9f3f-4a39-9d5b-5a1c3b8e8f10`,
    token,
    headers: { accept: 'application/vnd.newvoicemedia.v3+jsonx' },
  });
  assert.equal(res.statusCode, 400);
  assert.equal(res.json().code, 'invalid_api_version');
});

test('Range positions beyond 2^53: 416 past the end, clamped ends, whole-file suffixes', async (t) => {
  const h = await buildTestApp(t);
  const token = await h.token();
  const guid = await h.seed(token, {
    files: [{ key: 'callRecording', body: '0123456789', contentType: 'audio/wav' }],
  });
  const get = (range: string) =>
    h.app.inject({
      method: 'GET',
      url: `${I}/${guid}/content/callRecording`,
      headers: { authorization: `Bearer ${token}`, range },
    });
  const huge = '99999999999999999999';
  const past = await get(`bytes=${huge}-`);
  assert.equal(past.statusCode, 416);
  assert.equal(past.headers['content-range'], 'bytes */10');
  assert.equal((await get(`bytes=9007199254740993-`)).statusCode, 416);
  const clamped = await get(`bytes=4-${huge}`);
  assert.equal(clamped.statusCode, 206);
  assert.equal(clamped.body, '456789');
  const suffix = await get(`bytes=-${huge}`);
  assert.equal(suffix.statusCode, 206);
  assert.equal(suffix.body, '0123456789');
});
