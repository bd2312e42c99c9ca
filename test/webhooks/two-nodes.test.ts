// Two nodes (two complete sets of services, each its own node, runner and connections) on one
// PostgreSQL database deliver the notifications of one outbox between them: each node delivers some,
// and no (subscription, event) is delivered twice.
import assert from 'node:assert/strict';
import { randomBytes, randomUUID } from 'node:crypto';
import { test } from 'node:test';
import { sqlHandle } from '../../src/metadata/sql-handle.js';
import { buildTestApp } from '../helpers/app.js';
import { createTestDatabase } from '../helpers/postgres.js';
import { FAST, startDelivery, startReceiver, subscribe, verifyLikeVcc, webhooksApi } from './helpers.js';

const db = await createTestDatabase();
const skip = 'skip' in db ? db.skip : false;

test('two nodes on PostgreSQL each deliver some notifications, none twice', {
  skip,
  timeout: 240_000,
}, async (t) => {
  if ('skip' in db) return;
  t.after(() => db.drop());
  // Two subscriptions at a time per node, so that neither node can take all of them at once.
  const env = {
    ...FAST,
    ICS_DATABASE_URL: db.url,
    ICS_SECRETS_KEY: randomBytes(32).toString('base64'),
    ICS_WEBHOOK_WORKERS: '2',
  };
  const a = await buildTestApp(t, { env });
  const b = await buildTestApp(t, { env });
  const receiver = await startReceiver(t);
  receiver.respond = () => ({ status: 200, delayMs: 20 });
  const account = `acct-${randomUUID().slice(0, 8)}`;
  const token = await a.token({ account });
  const call = webhooksApi(a, token);
  const subs = new Map<string, string>();
  for (let i = 0; i < 6; i++) {
    const s = await subscribe(call, { name: `sub ${i}`, url: `${receiver.url}/s${i}`, events: ['*'] });
    subs.set(`/s${i}`, s.secret);
  }
  await startDelivery(a);
  await startDelivery(b);

  // Changes through both nodes.
  const tokenB = await b.token({ account });
  const EVENTS = 24;
  for (let i = 0; i < EVENTS / 2; i++) {
    await a.seed(token, {
      files: [{ key: 'callRecording', body: randomBytes(10), contentType: 'audio/wav' }],
    });
    await b.seed(tokenB, {
      files: [{ key: 'callRecording', body: randomBytes(10), contentType: 'audio/wav' }],
    });
  }
  const total = EVENTS * subs.size;
  await receiver.waitFor(total, () => true, 180_000);
  // Settled: every delivery recorded as delivered, and nothing arrived beyond one per pair.
  const rows = async () =>
    sqlHandle(a.deps.store).read((k) =>
      k
        .selectFrom('webhook_deliveries')
        .select(['status', 'last_node', 'attempts'])
        .where('account', '=', account)
        .execute(),
    );
  for (;;) {
    const r = await rows();
    if (r.length === total && r.every((d) => d.status === 'delivered')) break;
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  const pairs = new Map<string, number>();
  for (const r of receiver.received) {
    const key = `${r.path} ${r.event.id}`;
    pairs.set(key, (pairs.get(key) ?? 0) + 1);
    verifyLikeVcc(r, subs.get(r.path) as string);
  }
  assert.equal(pairs.size, total, 'every event reached every subscription');
  assert.deepEqual([...new Set(pairs.values())], [1], 'none twice');
  assert.equal(receiver.received.length, total);

  const byNode = new Map<string, number>();
  for (const r of await rows()) {
    assert.equal(Number(r.attempts), 1);
    byNode.set(String(r.last_node), (byNode.get(String(r.last_node)) ?? 0) + 1);
  }
  assert.deepEqual(
    new Set(byNode.keys()),
    new Set([a.deps.node.id, b.deps.node.id]),
    `both delivered: ${[...byNode]}`,
  );
});
