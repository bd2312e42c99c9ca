import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { test } from 'node:test';
import { sqlHandle } from '../../src/metadata/sql-handle.js';
import { buildTestApp, type TestApp, V3 } from '../helpers/app.js';
import { describeBackends } from '../helpers/backends.js';

// Every change that reports an event writes it into the outbox in the same transaction; a refused
// or failed change writes none.

async function outbox(app: TestApp, account: string) {
  const rows = await sqlHandle(app.deps.store).read((db) =>
    db.selectFrom('outbox').selectAll().where('account', '=', account).orderBy('id').execute(),
  );
  return rows.map((r) => ({
    type: r.type,
    subject: r.subject,
    data: JSON.parse(r.data) as Record<string, unknown>,
  }));
}

describeBackends('the outbox', (backend) => {
  test('uploads, replaces, deletions (every path) and holds each leave their event, in order', async (t) => {
    const app = await buildTestApp(t, { backend });
    const account = `acct-${randomUUID().slice(0, 8)}`;
    const token = await app.token({ account });
    const guid = await app.seed(token, {
      files: [
        { key: 'callRecording', body: 'rec', contentType: 'audio/wav' },
        { key: randomUUID(), body: 'screen', contentType: 'video/mp4', type: 'screenRecording' },
      ],
    });
    const replaced = await app.api({
      method: 'PUT',
      url: `/interaction-content/interactions/${guid}/content/callRecording`,
      token,
      headers: { 'content-type': 'audio/wav' },
      body: 'rec2',
    });
    assert.equal(replaced.statusCode, 200);
    const hold = await app.api({
      method: 'PUT',
      url: `/interaction-content/interactions/${guid}/legal-hold`,
      token,
      body: { reason: 'Smith v. Acme - confidential', caseId: 'CASE-7' },
    });
    assert.equal(hold.statusCode, 200, hold.body);
    const refused = await app.api({
      method: 'DELETE',
      url: `/interaction-content/interactions/${guid}`,
      token,
    });
    assert.equal(refused.statusCode, 409);
    await app.api({ method: 'DELETE', url: `/interaction-content/interactions/${guid}/legal-hold`, token });
    // The call recording takes the screen recording with it (cascade).
    const del = await app.api({
      method: 'DELETE',
      url: `/interaction-content/interactions/${guid}/content/callRecording`,
      token,
    });
    assert.equal(del.statusCode, 204);
    const receipts = String(del.headers['x-deletion-receipt']).split(', ');

    const other = await app.seed(token);
    const batch = await app.api({
      method: 'POST',
      url: '/interaction-content/interactions/delete-batch',
      token,
      body: { guids: [other] },
    });
    assert.equal(batch.statusCode, 200);

    const events = await outbox(app, account);
    assert.deepEqual(
      events.map((e) => [e.type, e.subject]),
      [
        ['interaction-content.added.v1', guid],
        ['interaction-content.added.v1', guid],
        ['interaction-content.added.v1', guid],
        ['interaction.legal-hold-placed.v1', guid],
        ['interaction.legal-hold-released.v1', guid],
        ['interaction-content.deleted.v1', guid],
        ['interaction-content.deleted.v1', guid],
        ['interaction-content.added.v1', other],
        ['interaction-content.deleted.v1', other],
        ['interaction.deleted.v1', other],
      ],
    );
    assert.equal(events[2].data.replaced, true);
    assert.equal(events[0].data.replaced, false);
    assert.equal(events[0].data.contentKey, 'callRecording');
    assert.equal(events[0].data.type, 'callRecording');
    assert.deepEqual(events[3].data, { account, guid, caseId: 'CASE-7', placedBy: events[3].data.placedBy });
    assert.ok(!JSON.stringify(events).includes('confidential'), 'hold reasons stay out of events');
    // In ledger order, each with the receipt of its own ledger entry.
    assert.deepEqual(
      events.slice(5, 7).map((e) => e.data.receipt),
      receipts,
    );
    assert.deepEqual(
      events
        .slice(5, 7)
        .map((e) => e.data.reason)
        .sort(),
      ['api', 'cascade'],
    );
    assert.equal(events[8].data.reason, 'batch');
    assert.match(String(events[9].data.receipt), new RegExp(`^${account}:\\d+:[0-9a-f]{64}$`));
  });
});

test('a change that rolls back leaves no event', async (t) => {
  const app = await buildTestApp(t);
  const account = `acct-${randomUUID().slice(0, 8)}`;
  const token = await app.token({ account });
  const guid = await app.seed(token, { files: [] });
  const before = await outbox(app, account);
  const tooLarge = await buildTestApp(t, { env: { ICS_MAX_UPLOAD_BYTES: '10' } });
  const small = await tooLarge.token({ account });
  const g2 = await tooLarge.seed(small, { files: [] });
  const res = await tooLarge.app.inject({
    method: 'PUT',
    url: `/interaction-content/interactions/${g2}/content/callRecording`,
    headers: { authorization: `Bearer ${small}`, 'content-type': 'audio/wav', accept: V3 },
    payload: 'x'.repeat(100),
  });
  assert.equal(res.statusCode, 413);
  assert.deepEqual(await outbox(tooLarge, account), []);
  const missing = await app.api({
    method: 'DELETE',
    url: `/interaction-content/interactions/${guid}/content/callRecording`,
    token,
  });
  assert.equal(missing.statusCode, 404);
  assert.deepEqual(await outbox(app, account), before);
});
