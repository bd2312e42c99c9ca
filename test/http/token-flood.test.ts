import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { test } from 'node:test';
import { hashSecret } from '../../src/auth/secrets.js';
import { buildTestApp, V3 } from '../helpers/app.js';

// Issue 9 item 8, over real sockets and with the default limits: a flood of unauthenticated token
// requests (unknown ids, and wrong secrets for a client whose hash is still scrypt) meets 429s, and
// downloads running through the flood are all served, whole. Behaviour only, no timing.

test('a token flood is refused with 429s while downloads keep being served', async (t) => {
  const h = await buildTestApp(t);
  const bearer = await h.token();
  const bytes = randomBytes(1024 * 1024);
  const guid = await h.seed(bearer, {
    files: [{ key: 'callRecording', body: bytes, contentType: 'audio/wav' }],
  });
  await h.deps.store.createClient({
    clientId: 'ics_legacy',
    account: 'acme',
    name: null,
    scopes: ['interaction-content:read'],
    secretHash: await hashSecret(randomBytes(32).toString('base64url')),
    createdAt: Date.now(),
    revokedAt: null,
  });
  await h.app.listen({ port: 0, host: '127.0.0.1' });
  const base = `http://127.0.0.1:${(h.app.server.address() as { port: number }).port}`;

  const statuses = new Map<string, number[]>();
  const flood = async (worker: number) => {
    for (let i = 0; i < 50; i++) {
      const clientId = i % 2 ? 'ics_legacy' : `ics_${worker}_${i}`;
      const res = await fetch(`${base}/Auth/connect/token`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({
          grant_type: 'client_credentials',
          client_id: clientId,
          client_secret: 'guess',
        }),
      });
      await res.arrayBuffer();
      const kind = clientId === 'ics_legacy' ? 'legacy' : 'unknown';
      statuses.set(kind, [...(statuses.get(kind) ?? []), res.status]);
    }
  };
  const downloads = async () => {
    const got: boolean[] = [];
    for (let i = 0; i < 10; i++) {
      const res = await fetch(`${base}/interaction-content/interactions/${guid}/content/callRecording`, {
        headers: { authorization: `Bearer ${bearer}`, accept: V3 },
      });
      got.push(res.status === 200 && Buffer.from(await res.arrayBuffer()).equals(bytes));
    }
    return got;
  };
  const [served] = await Promise.all([downloads(), ...Array.from({ length: 8 }, (_, w) => flood(w))]);

  assert.deepEqual(served, Array(10).fill(true), 'every download was served whole');
  const legacy = statuses.get('legacy') ?? [];
  const unknown = statuses.get('unknown') ?? [];
  assert.equal(legacy.length + unknown.length, 400);
  // Per client id (a burst of 20, then 20 a minute): the legacy client's scrypt check ran for only a
  // few of its 200 guesses (the bucket refills a little while the flood runs).
  const checked = legacy.filter((s) => s === 401).length;
  assert.ok(checked >= 20 && checked < 100, `legacy 401s: ${checked}`);
  // Per source address (300 a minute by default): the rest of the flood was refused before any lookup.
  assert.ok(unknown.includes(429) && legacy.includes(429));
  assert.ok([...legacy, ...unknown].every((s) => s === 401 || s === 429));
  assert.ok([...legacy, ...unknown].filter((s) => s === 401).length <= 300);
});
