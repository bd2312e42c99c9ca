import assert from 'node:assert/strict';
import { PassThrough } from 'node:stream';
import { test } from 'node:test';
import { buildTestApp } from '../helpers/app.js';

function collect() {
  const stream = new PassThrough();
  const lines: Record<string, unknown>[] = [];
  stream.on('data', (d: Buffer) => {
    for (const l of d.toString().split('\n').filter(Boolean)) lines.push(JSON.parse(l));
  });
  return { stream, lines };
}

test('at info every request leaves one line: method, path without the query string, status, time', async (t) => {
  const logs = collect();
  const h = await buildTestApp(t, { logger: { level: 'info', stream: logs.stream } });
  const bearer = await h.token();
  const before = logs.lines.length;
  const res = await h.api({
    method: 'GET',
    url: '/interaction-content/interactions?start=2024-03-01T00:00:00Z&end=2024-03-02T00:00:00Z&connectFrom=%2B4412',
    token: bearer,
  });
  assert.equal(res.statusCode, 200);
  await new Promise((resolve) => setImmediate(resolve));
  const lines = logs.lines.slice(before);
  assert.equal(lines.length, 1, JSON.stringify(lines));
  const [line] = lines;
  assert.equal(line.msg, 'request');
  assert.equal(line.level, 30);
  assert.equal(line.method, 'GET');
  assert.equal(line.path, '/interaction-content/interactions');
  assert.equal(line.statusCode, 200);
  assert.equal(typeof line.responseTime, 'number');
  assert.equal(line.reqId, res.headers['x-request-id']);
  assert.doesNotMatch(JSON.stringify(line), /4412|authorization|Bearer/i);
});

test('at warn a request leaves no line', async (t) => {
  const logs = collect();
  const h = await buildTestApp(t, { logger: { level: 'warn', stream: logs.stream } });
  const bearer = await h.token();
  const res = await h.api({
    method: 'GET',
    url: '/interaction-content/interactions/not-a-guid',
    token: bearer,
  });
  assert.equal(res.statusCode, 400);
  await new Promise((resolve) => setImmediate(resolve));
  assert.deepEqual(logs.lines, []);
});
