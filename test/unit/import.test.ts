import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { timeSlices } from '../../src/import/importer.js';
import { parseRate, RateLimiter, type Timer } from '../../src/import/rate-limiter.js';
import { type RetryEvent, retrying } from '../../src/import/retry.js';
import { parseRetryAfter, SourceError } from '../../src/import/source-error.js';
import { isInvalid, parseInteraction } from '../../src/import/source-records.js';

/** A clock that only moves when someone sleeps: sleeps resolve in time order, instantly. */
function fakeTimer(): Timer & { slept: number[] } {
  let now = 1_000_000;
  const queue: { at: number; resolve: () => void }[] = [];
  const slept: number[] = [];
  const pump = () => {
    queue.sort((a, b) => a.at - b.at);
    const next = queue.shift();
    if (!next) return;
    now = Math.max(now, next.at);
    next.resolve();
  };
  return {
    slept,
    now: () => now,
    sleep(ms) {
      slept.push(ms);
      return new Promise((resolve) => {
        queue.push({ at: now + ms, resolve });
        setImmediate(pump);
      });
    },
  };
}

describe('import: rates and windows', () => {
  test('parseRate', () => {
    assert.equal(parseRate('160/min'), 375);
    assert.equal(parseRate('5/s'), 200);
    assert.equal(parseRate(' 3600 / hour '), 1000);
    assert.equal(parseRate('unlimited'), 0);
    assert.equal(parseRate('0'), 0);
    for (const bad of ['fast', '10', '0/min', '-5/s', '5/fortnight', '/min', '1e3/s'])
      assert.equal(parseRate(bad), undefined, bad);
  });

  test('parseRetryAfter: seconds or an HTTP date', () => {
    const now = Date.parse('2025-01-01T00:00:00Z');
    assert.equal(parseRetryAfter('3', now), 3000);
    assert.equal(parseRetryAfter('Wed, 01 Jan 2025 00:00:10 GMT', now), 10_000);
    assert.equal(parseRetryAfter('Tue, 31 Dec 2024 23:00:00 GMT', now), 0);
    assert.equal(parseRetryAfter(undefined, now), undefined);
    assert.equal(parseRetryAfter('soon', now), undefined);
  });

  test('timeSlices cover the window in 7-day pieces, end exclusive', () => {
    const day = 86_400_000;
    assert.deepEqual(timeSlices(0, 15 * day, 7 * day), [
      { start: 0, end: 7 * day },
      { start: 7 * day, end: 14 * day },
      { start: 14 * day, end: 15 * day },
    ]);
    assert.deepEqual(timeSlices(0, 7 * day, 7 * day), [{ start: 0, end: 7 * day }]);
    assert.deepEqual(timeSlices(5, 5, 7 * day), []);
  });

  test('the limiter spaces callers evenly, however many there are', async () => {
    const timer = fakeTimer();
    const limiter = new RateLimiter(375, timer);
    const t0 = timer.now();
    const at: number[] = [];
    await Promise.all(
      Array.from({ length: 6 }, async () => {
        await limiter.take();
        at.push(timer.now() - t0);
      }),
    );
    assert.deepEqual(
      at.sort((a, b) => a - b),
      [0, 375, 750, 1125, 1500, 1875],
    );
  });

  test('a pause (429) holds every caller until it ends, then spacing resumes', async () => {
    const timer = fakeTimer();
    const limiter = new RateLimiter(100, timer);
    const t0 = timer.now();
    await limiter.take();
    limiter.pauseUntil(t0 + 5000);
    const at: number[] = [];
    await Promise.all(
      Array.from({ length: 3 }, async () => {
        await limiter.take();
        at.push(timer.now() - t0);
      }),
    );
    assert.deepEqual(
      at.sort((a, b) => a - b),
      [5000, 5100, 5200],
    );
    const unlimited = new RateLimiter(0, timer);
    const u0 = timer.now();
    await Promise.all([unlimited.take(), unlimited.take(), unlimited.take()]);
    assert.equal(timer.now(), u0, 'no limit: no waiting');
  });
});

describe('import: retries', () => {
  const policy = { maxRetries: 2, baseDelayMs: 100, maxDelayMs: 1000, maxRateLimited: 3 };
  const failing = (errors: SourceError[]) => {
    let calls = 0;
    return {
      calls: () => calls,
      fn: async () => {
        const err = errors[calls++];
        if (err) throw err;
        return 'ok';
      },
    };
  };
  const http = (status: number, retryAfterMs?: number) =>
    new SourceError({
      kind: 'http',
      status,
      retryable: status >= 500 || status === 429,
      retryAfterMs,
      message: `answered ${status}`,
    });

  test('5xx backs off exponentially (with jitter) and succeeds within the budget', async () => {
    const timer = fakeTimer();
    const events: RetryEvent[] = [];
    const f = failing([http(503), http(500)]);
    assert.equal(await retrying('search', { policy, timer, onRetry: (e) => events.push(e) }, f.fn), 'ok');
    assert.equal(f.calls(), 3);
    assert.equal(events.length, 2);
    assert.ok(timer.slept[0] >= 50 && timer.slept[0] <= 100, String(timer.slept[0]));
    assert.ok(timer.slept[1] >= 100 && timer.slept[1] <= 200, String(timer.slept[1]));
  });

  test('gives up after maxRetries, saying so; 4xx is not retried', async () => {
    const timer = fakeTimer();
    const f = failing([http(500), http(502), http(503), http(504)]);
    await assert.rejects(
      retrying('get', { policy, timer }, f.fn),
      /answered 503 \(gave up after 3 attempts\)/,
    );
    assert.equal(f.calls(), 3);
    const g = failing([http(403)]);
    await assert.rejects(retrying('get', { policy, timer }, g.fn), /answered 403$/);
    assert.equal(g.calls(), 1);
  });

  test('429 waits exactly its Retry-After and does not use up the failure budget', async () => {
    const timer = fakeTimer();
    const f = failing([http(429, 2000), http(500), http(429, 1000), http(500), http(429)]);
    assert.equal(await retrying('download', { policy, timer }, f.fn), 'ok');
    assert.equal(f.calls(), 6);
    assert.equal(timer.slept[0], 2000);
    assert.equal(timer.slept[2], 1000);
    const g = failing([http(429, 10), http(429, 10), http(429, 10), http(429, 10)]);
    await assert.rejects(retrying('download', { policy, timer }, g.fn), /429.*gave up after 4 attempts/);
  });

  test('an abort is never retried', async () => {
    const timer = fakeTimer();
    const controller = new AbortController();
    controller.abort();
    const f = failing([http(503)]);
    await assert.rejects(retrying('search', { policy, timer, signal: controller.signal }, f.fn), /503/);
    assert.equal(f.calls(), 1);
  });
});

describe("import: the source's records", () => {
  const good = {
    guid: 'C0FFEE00-0000-4000-8000-000000000001',
    start: '2020-02-16T14:11:56Z',
    connectFrom: '+44100',
    connectTo: '+44200',
    direction: 'Inbound',
    handlingAgents: [{ id: '12' }],
    content: [
      {
        contentKey: 'voicemail-12',
        type: 'voicemail',
        contentType: 'audio/wav',
        contentLength: 10,
        lastModified: '2020-02-16T14:12:00Z',
        owningAgent: { id: '12' },
        properties: { a: 1 },
      },
    ],
  };

  test('a good record: GUID lower-cased, direction normalised, item fields kept', () => {
    const parsed = parseInteraction(good);
    assert.ok(parsed.ok);
    assert.equal(parsed.value.guid, 'c0ffee00-0000-4000-8000-000000000001');
    assert.equal(parsed.value.direction, 'inbound');
    assert.deepEqual(parsed.value.content[0], {
      contentKey: 'voicemail-12',
      type: 'voicemail',
      mediaType: 'audio/wav',
      length: 10,
      lastModified: Date.parse('2020-02-16T14:12:00Z'),
      owningAgentId: '12',
      owningInteractionPlanId: undefined,
      properties: { a: 1 },
    });
  });

  test('bad interactions are named, not stored; bad items fail alone', () => {
    const cases: [Record<string, unknown>, RegExp][] = [
      [{ guid: 'nope' }, /guid/],
      [{ start: 'yesterday' }, /start/],
      [{ connectFrom: '' }, /connectFrom/],
      [{ direction: 'sideways' }, /direction/],
      [{ handlingAgents: [{}] }, /handling agent/],
      [{ content: null }, /content/],
    ];
    for (const [patch, problem] of cases) {
      const parsed = parseInteraction({ ...good, ...patch });
      assert.ok(!parsed.ok, JSON.stringify(patch));
      assert.match(parsed.problem, problem);
    }
    const item = good.content[0];
    const items = [
      { ...item, type: 'hologram' },
      { ...item, contentLength: -1 },
      { ...item, contentLength: '10' },
      { ...item, contentKey: 'x'.repeat(37) },
      { ...item, owningAgent: { id: '' } },
    ];
    const parsed = parseInteraction({ ...good, content: [...items, { ...item, contentType: 'not a type' }] });
    assert.ok(parsed.ok);
    assert.deepEqual(
      parsed.value.content.map((c) => isInvalid(c)),
      [true, true, true, true, true, false],
    );
    const last = parsed.value.content[5];
    assert.ok(!isInvalid(last));
    assert.equal(last.mediaType, 'application/octet-stream', 'an invalid media type is not stored');
  });
});
