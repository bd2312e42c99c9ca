import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { test } from 'node:test';
import { KyselyOutbox } from '../../src/events/outbox.js';
import { buildTestApp, type TestApp } from '../helpers/app.js';
import { describeBackends } from '../helpers/backends.js';
import {
  FAST,
  type Received,
  startDelivery,
  startReceiver,
  subscribe,
  verifyLikeVcc,
  webhooksApi,
} from './helpers.js';

// Delivery end to end, to a real HTTP receiver in this process: every event the API raises arrives,
// in order per interaction, signed exactly as VCC signs (verified the way VCC's consumer does).

const I = '/interaction-content/interactions';
const acct = () => `acct-${randomUUID().slice(0, 8)}`;

async function deliveries(call: ReturnType<typeof webhooksApi>, id: string) {
  const res = await call('GET', `/subscriptions/${id}/deliveries?limit=200`);
  assert.equal(res.statusCode, 200, res.body);
  return res.json().items as {
    eventId: string;
    eventType: string;
    status: string;
    attempts: number;
    lastStatusCode: number | null;
    lastError: string | null;
  }[];
}

async function until(what: string, check: () => Promise<boolean>, timeoutMs = 60_000) {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** Raises every event the API can raise on one interaction, then one batch deletion. */
async function raiseAll(app: TestApp, token: string) {
  const guid = await app.seed(token, {
    files: [
      { key: 'callRecording', body: 'rec', contentType: 'audio/wav' },
      { key: randomUUID(), body: 'screen', contentType: 'video/mp4', type: 'screenRecording' },
    ],
  });
  const put = await app.api({
    method: 'PUT',
    url: `${I}/${guid}/content/callRecording`,
    token,
    headers: { 'content-type': 'audio/wav' },
    body: 'rec2',
  });
  assert.equal(put.statusCode, 200);
  const hold = { reason: 'Smith v. Acme - confidential', caseId: 'CASE-7' };
  assert.equal(
    (await app.api({ method: 'PUT', url: `${I}/${guid}/legal-hold`, token, body: hold })).statusCode,
    200,
  );
  assert.equal((await app.api({ method: 'DELETE', url: `${I}/${guid}/legal-hold`, token })).statusCode, 204);
  const del = await app.api({ method: 'DELETE', url: `${I}/${guid}/content/callRecording`, token });
  assert.equal(del.statusCode, 204);
  const transcript = await app.api({
    method: 'PUT',
    url: `${I}/${guid}/content/transcript`,
    token,
    headers: { 'content-type': 'application/json' },
    body: '{"turns":[]}',
  });
  assert.equal(transcript.statusCode, 201, transcript.body);
  const whole = await app.api({ method: 'DELETE', url: `${I}/${guid}`, token });
  assert.equal(whole.statusCode, 200);
  const other = await app.seed(token);
  const batch = await app.api({ method: 'POST', url: `${I}/delete-batch`, token, body: { guids: [other] } });
  assert.equal(batch.statusCode, 200);
  return {
    guid,
    other,
    receipts: [
      ...String(del.headers['x-deletion-receipt']).split(', '),
      ...String(whole.headers['x-deletion-receipt']).split(', '),
    ],
  };
}

describeBackends('webhook delivery', (backend) => {
  test('every event arrives once, in order per interaction, signed as VCC signs', async (t) => {
    const app = await buildTestApp(t, { backend, env: FAST });
    const receiver = await startReceiver(t);
    const account = acct();
    const token = await app.token({ account });
    const call = webhooksApi(app, token);
    const sub = await subscribe(call, { name: 'everything', url: `${receiver.url}/hook`, events: ['*'] });
    await startDelivery(app);

    const { guid, other, receipts } = await raiseAll(app, token);
    // The two job events are recorded by their jobs (retention, deletion jobs); here straight into the outbox.
    await app.deps.store.transaction((tx) =>
      new KyselyOutbox().record(tx, [
        {
          type: 'deletion-job.completed.v1',
          account,
          subject: null,
          at: Date.now(),
          data: { account, jobId: 'j1' },
        },
        {
          type: 'retention.sweep-completed.v1',
          account,
          subject: null,
          at: Date.now(),
          data: { account, deleted: 0 },
        },
      ]),
    );
    const expected: [string, string | undefined][] = [
      ['interaction-content.added.v1', guid],
      ['interaction-content.added.v1', guid],
      ['interaction-content.added.v1', guid],
      ['interaction.legal-hold-placed.v1', guid],
      ['interaction.legal-hold-released.v1', guid],
      ['interaction-content.deleted.v1', guid],
      ['interaction-content.deleted.v1', guid],
      ['interaction-content.added.v1', guid],
      ['interaction-content.deleted.v1', guid],
      ['interaction.deleted.v1', guid],
      ['interaction-content.added.v1', other],
      ['interaction-content.deleted.v1', other],
      ['interaction.deleted.v1', other],
      ['deletion-job.completed.v1', undefined],
      ['retention.sweep-completed.v1', undefined],
    ];
    const got = await receiver.waitFor(expected.length);
    // Nothing more (each once): the deliveries list agrees, every one delivered at the first attempt.
    await until('all delivered', async () =>
      (await deliveries(call, sub.subscriptionId)).every((d) => d.status === 'delivered'),
    );
    assert.equal(receiver.received.length, expected.length);
    const ofGuid = (g: string) => got.filter((r) => r.event.subject === g).map((r) => r.event.type);
    assert.deepEqual(
      ofGuid(guid),
      expected.filter((e) => e[1] === guid).map((e) => e[0]),
      'in order',
    );
    assert.deepEqual(
      ofGuid(other),
      expected.filter((e) => e[1] === other).map((e) => e[0]),
    );
    assert.deepEqual(
      got.map((r) => r.event.type).sort(),
      expected.map((e) => e[0]).sort(),
      'every event type, each once',
    );
    assert.equal(new Set(got.map((r) => r.event.id)).size, got.length, 'distinct ids');

    for (const r of got) {
      assert.equal(r.path, '/hook');
      assert.equal(r.headers['content-type'], 'application/cloudevents+json');
      const claims = verifyLikeVcc(r, sub.secret);
      assert.equal(claims.exp, (claims.iat as number) + 300);
      assert.equal(r.event.specversion, '1.0');
      assert.match(r.event.source, /^\/interaction-content\//);
      assert.ok(!Number.isNaN(Date.parse(r.event.time)));
      assert.equal(r.event.data.account, account);
      if (r.event.subject) assert.equal(r.event.data.guid, r.event.subject);
    }
    const content = got.filter((r) => r.event.type.startsWith('interaction-content.'));
    assert.ok(
      content.every(
        (r) => typeof r.event.data.contentKey === 'string' && typeof r.event.data.type === 'string',
      ),
    );
    const deletedOfGuid = got.filter((r) => r.event.subject === guid && r.event.type.endsWith('deleted.v1'));
    assert.deepEqual(
      deletedOfGuid.map((r) => r.event.data.receipt),
      receipts,
      'deletions carry their ledger receipts (as x-deletion-receipt gave them)',
    );
    assert.ok(!got.some((r) => r.raw.includes('confidential')), 'hold reasons stay out of notifications');

    // A signature checked with another secret fails, as does a changed body.
    assert.throws(() => verifyLikeVcc(got[0], Buffer.alloc(32, 1).toString('base64')));
    const tampered: Received = { ...got[0], raw: Buffer.from(got[0].raw.toString().replace('1.0', '1.1')) };
    assert.throws(() => verifyLikeVcc(tampered, sub.secret));
  });
});

test('a 500 and a timeout are retried with the same id; failed after the budget', async (t) => {
  const app = await buildTestApp(t, {
    env: { ...FAST, ICS_WEBHOOK_TIMEOUT_SECONDS: '1', ICS_WEBHOOK_RETRY_SECONDS: '3' },
  });
  const flaky = await startReceiver(t);
  const slow = await startReceiver(t);
  const dead = await startReceiver(t);
  const seen = new Map<string, number>();
  flaky.respond = (r) => {
    const n = (seen.get(r.event.id) ?? 0) + 1;
    seen.set(r.event.id, n);
    return { status: n === 1 ? 500 : 204 };
  };
  let slowCalls = 0;
  slow.respond = () => (++slowCalls === 1 ? 'hang' : { status: 200 });
  dead.respond = () => ({ status: 503 });
  const account = acct();
  const token = await app.token({ account });
  const call = webhooksApi(app, token);
  const a = await subscribe(call, {
    name: 'flaky',
    url: flaky.url,
    events: ['interaction-content.added.v1'],
  });
  const b = await subscribe(call, { name: 'slow', url: slow.url, events: ['interaction-content.added.v1'] });
  const c = await subscribe(call, { name: 'dead', url: dead.url, events: ['interaction-content.added.v1'] });
  await startDelivery(app);
  await app.seed(token);

  const [first, second] = await flaky.waitFor(2);
  assert.equal(first.event.id, second.event.id, 'the same id on the retry after a 500');
  verifyLikeVcc(second, a.secret);
  const [hung, retried] = await slow.waitFor(2);
  assert.equal(hung.event.id, retried.event.id, 'the same id on the retry after a timeout');
  assert.equal(hung.raw.toString(), retried.raw.toString(), 'the same bytes');
  verifyLikeVcc(retried, b.secret);
  await until('the flaky and slow deliveries to succeed', async () => {
    const [da] = await deliveries(call, a.subscriptionId);
    const [db] = await deliveries(call, b.subscriptionId);
    return da?.status === 'delivered' && db?.status === 'delivered';
  });
  const [db] = await deliveries(call, b.subscriptionId);
  assert.equal(db.attempts, 2);

  await until(
    'the dead endpoint to be given up',
    async () => (await deliveries(call, c.subscriptionId))[0]?.status === 'failed',
  );
  const [dc] = await deliveries(call, c.subscriptionId);
  assert.ok(dc.attempts >= 2, `retried before failing (${dc.attempts} attempts)`);
  assert.equal(dc.lastStatusCode, 503);
  assert.equal(new Set(dead.received.map((r) => r.event.id)).size, 1);
  const attempts = dead.received.length;
  assert.equal(attempts, dc.attempts);
  // Retries were spread over the budget with growing gaps, and the last one was at its end.
  const gaps = dead.received.slice(1).map((r, i) => r.at - dead.received[i].at);
  assert.ok(dead.received[attempts - 1].at - dead.received[0].at >= 2000, `gaps ${gaps}`);
});

test('wildcards, disabled subscriptions, other accounts, a deleted subscription', async (t) => {
  const app = await buildTestApp(t, { env: FAST });
  const all = await startReceiver(t);
  const holds = await startReceiver(t);
  const disabled = await startReceiver(t);
  const foreign = await startReceiver(t);
  const deleted = await startReceiver(t);
  deleted.respond = () => ({ status: 500 });
  const account = acct();
  const token = await app.token({ account });
  const call = webhooksApi(app, token);
  await subscribe(call, { name: 'all', url: all.url, events: ['*'] });
  await subscribe(call, { name: 'interaction events', url: holds.url, events: ['interaction.*'] });
  const off = await subscribe(call, { name: 'off', url: disabled.url, events: ['*'], enabled: false });
  const gone = await subscribe(call, { name: 'to delete', url: deleted.url, events: ['*'] });
  const otherAccount = acct();
  const otherToken = await app.token({ account: otherAccount });
  await subscribe(webhooksApi(app, otherToken), {
    name: 'all',
    url: foreign.url,
    events: ['*'],
  });
  // Both accounts' events wait in the outbox before delivery starts: one dispatch batch holds both.
  const foreignGuid = await app.seed(otherToken);
  const guid = await app.seed(token);
  await startDelivery(app);

  const hold = { reason: 'r', caseId: 'C-1' };
  assert.equal(
    (await app.api({ method: 'PUT', url: `${I}/${guid}/legal-hold`, token, body: hold })).statusCode,
    200,
  );
  await all.waitFor(2);
  await holds.waitFor(1);
  await deleted.waitFor(1);
  assert.deepEqual(
    holds.received.map((r) => r.event.type),
    ['interaction.legal-hold-placed.v1'],
    '`interaction.*` takes interaction events only',
  );

  // Deleting a subscription stops its retries; enabling one starts deliveries of later events.
  assert.equal((await call('DELETE', `/subscriptions/${gone.subscriptionId}`)).statusCode, 204);
  assert.equal(
    (await call('PATCH', `/subscriptions/${off.subscriptionId}`, { enabled: true })).statusCode,
    200,
  );
  assert.equal((await app.api({ method: 'DELETE', url: `${I}/${guid}/legal-hold`, token })).statusCode, 204);
  await all.waitFor(3);
  await holds.waitFor(2);
  // A request in flight when the DELETE answered has arrived by now (later events went through).
  const deletedCount = deleted.received.length;
  const [late] = await disabled.waitFor(1);
  assert.equal(late.event.type, 'interaction.legal-hold-released.v1', 'only what happened after enabling');
  assert.equal(disabled.received.length, 1);
  // Several retry periods later, the deleted subscription has had nothing more.
  const more = await app.seed(token);
  await all.waitFor(4, (r) => r.event.subject === more || r.event.subject === guid);
  assert.equal(deleted.received.length, deletedCount);
  assert.deepEqual(
    foreign.received.map((r) => r.event.subject),
    [foreignGuid],
    "only its own account's events; another account's are never delivered",
  );
});

test('a slow endpoint does not hold up other subscriptions or the API', async (t) => {
  const app = await buildTestApp(t, { env: { ...FAST, ICS_WEBHOOK_TIMEOUT_SECONDS: '60' } });
  const slow = await startReceiver(t);
  const fast = await startReceiver(t);
  slow.respond = () => 'hang';
  const token = await app.token({ account: acct() });
  const call = webhooksApi(app, token);
  await subscribe(call, { name: 'slow', url: slow.url, events: ['*'] });
  await subscribe(call, { name: 'fast', url: fast.url, events: ['*'] });
  await startDelivery(app);
  const guids: string[] = [];
  for (let i = 0; i < 5; i++) guids.push(await app.seed(token));
  await fast.waitFor(5);
  await slow.waitFor(1);
  assert.ok(slow.received.length < 5, 'the slow endpoint is still on its first notifications');
});

test('ICS_WEBHOOK_DENY_CIDRS is checked after DNS resolution', async (t) => {
  const app = await buildTestApp(t, { env: { ...FAST, ICS_WEBHOOK_DENY_CIDRS: '127.0.0.0/8,::1/128' } });
  const receiver = await startReceiver(t);
  const token = await app.token({ account: acct() });
  const call = webhooksApi(app, token);
  const port = new URL(receiver.url).port;
  const sub = await subscribe(call, { name: 'loopback', url: `http://localhost:${port}/`, events: ['*'] });
  await startDelivery(app);
  await app.seed(token);
  await until('an attempt', async () => ((await deliveries(call, sub.subscriptionId))[0]?.attempts ?? 0) > 0);
  const [d] = await deliveries(call, sub.subscriptionId);
  assert.match(d.lastError ?? '', /ICS_WEBHOOK_DENY_CIDRS/);
  assert.equal(d.lastStatusCode, null);
  assert.equal(receiver.received.length, 0);
});
