import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { AuditEntry } from '../../src/core/types.js';
import { verifyStorage } from '../../src/core/verify.js';
import { sqlHandle } from '../../src/metadata/sql-handle.js';
import { buildTestApp, type TestApp } from '../helpers/app.js';
import { describeBackends } from '../helpers/backends.js';
import { getPolicy, I, putPolicy, R, seedAged, waitFor } from './helpers.js';

// The retention sweep, run by the job runner inside the test app: what it deletes and records, and
// how it treats legal holds and pauses. Small pages and transactions exercise paging and resuming.

const ENV = {
  ICS_RETENTION_GRACE_DAYS: '0',
  ICS_RETENTION_BATCH_SIZE: '3',
  ICS_RETENTION_TX_SIZE: '2',
};
const both = [{ key: 'callRecording' }, { key: 'transcript' }];
const RULES = [
  { name: 'Recordings 30', contentTypes: ['callRecording'], keepDays: 30 },
  { name: 'Transcripts 100', contentTypes: ['transcript'], keepDays: 100 },
];

async function ledger(app: TestApp, account = 'acme'): Promise<AuditEntry[]> {
  return app.deps.store.listAudit({ account, limit: 100_000 });
}

async function sweepEvents(app: TestApp) {
  const rows = await sqlHandle(app.deps.store).read((db) =>
    db
      .selectFrom('outbox')
      .selectAll()
      .where('type', '=', 'retention.sweep-completed.v1')
      .orderBy('at_ms')
      .orderBy('id')
      .execute(),
  );
  return rows.map((r) => JSON.parse(r.data) as Record<string, unknown>);
}

async function sweptOnce(app: TestApp, admin: string, after: string | null = null) {
  let last: { at: string; deleted: number } | null = null;
  await waitFor('a sweep to finish', async () => {
    last = (await getPolicy(app, admin)).lastSweep;
    return last !== null && last.at !== after;
  });
  return last as unknown as { at: string; deleted: number };
}

async function clean(app: TestApp) {
  await app.deps.purger.flush();
  const report = await verifyStorage(
    { store: app.deps.store, blobs: app.deps.blobs, isLive: () => true },
    { repair: false, checksums: true },
  );
  assert.deepEqual(report.findings, [], 'verify finds nothing');
  assert.equal(report.orphans + report.missing + report.mismatches, 0);
  for (const chain of await app.deps.services.audit.verify())
    assert.equal(chain.break, undefined, chain.account);
}

describeBackends('retention sweep', (backend) => {
  test('deletes what is due through the deletion path: ledger reason retention + ruleId, the interaction with its last item', async (t) => {
    const app = await buildTestApp(t, { backend, env: ENV });
    app.deps.runner.start();
    const admin = await app.token();
    const old = await Promise.all(
      Array.from({ length: 5 }, () => seedAged(app, admin, 300, { files: both })),
    );
    const mid = await Promise.all(Array.from({ length: 2 }, () => seedAged(app, admin, 50, { files: both })));
    const young = await seedAged(app, admin, 5, { files: both });
    const unmatched = await seedAged(app, admin, 900, { files: [{ key: 'sentimentSummary' }] });
    const other = await app.token({ account: 'globex' });
    const foreign = await seedAged(app, other, 300, { files: both });

    const p = (await putPolicy(app, admin, { status: 'on', rules: RULES })).json();
    assert.equal(p.status, 'on');
    const [recordings, transcripts] = p.rules.map((r: { id: string }) => r.id);
    const swept = await sweptOnce(app, admin);
    assert.equal(swept.deleted, 5 * 2 + 2);

    for (const g of old) {
      const res = await app.api({ method: 'GET', url: `${I}/${g}`, token: admin });
      assert.equal(res.statusCode, 404, 'the interaction went with its last item');
    }
    for (const g of mid) {
      const res = await app.api({ method: 'GET', url: `${I}/${g}`, token: admin });
      assert.deepEqual(
        res.json().content.map((c: { contentKey: string }) => c.contentKey),
        ['transcript'],
      );
    }
    for (const g of [young, unmatched]) {
      const res = await app.api({ method: 'GET', url: `${I}/${g}`, token: admin });
      assert.equal(res.statusCode, 200);
    }
    assert.equal((await app.api({ method: 'GET', url: `${I}/${foreign}`, token: other })).statusCode, 200);

    const entries = (await ledger(app)).filter((e) => e.reason === 'retention');
    const items = entries.filter((e) => e.action === 'content.delete');
    assert.equal(items.length, 12, 'one ledger entry per item, none twice');
    assert.equal(new Set(items.map((e) => `${e.guid}/${e.contentKey}`)).size, 12);
    for (const e of items) {
      assert.equal(e.details?.ruleId, e.contentKey === 'callRecording' ? recordings : transcripts);
      assert.equal(e.actorClientId, 'ics:retention');
    }
    const wholes = entries.filter((e) => e.action === 'interaction.delete');
    assert.deepEqual(wholes.map((e) => e.guid).sort(), [...old].sort());
    assert.equal((await ledger(app, 'globex')).length, 0, 'another account is not touched');

    const events = await sweepEvents(app);
    assert.equal(events.length, 1);
    assert.equal(events[0].deleted, 12);
    assert.equal(events[0].interactionsDeleted, 5);
    const deletedEvents = await sqlHandle(app.deps.store).read((db) =>
      db
        .selectFrom('outbox')
        .select('data')
        .where('type', '=', 'interaction-content.deleted.v1')
        .where('account', '=', 'acme')
        .execute(),
    );
    assert.equal(deletedEvents.filter((r) => JSON.parse(r.data).reason === 'retention').length, 12);
    const preview = (await app.api({ method: 'GET', url: `${R}/preview`, token: admin })).json();
    assert.equal(preview.total, 0, 'nothing left due');
    await clean(app);

    // A second sweep (asked for) finds nothing more, and says so in its own event.
    const again = await app.api({ method: 'POST', url: `${R}/sweep`, token: admin });
    assert.equal(again.statusCode, 202);
    assert.deepEqual(again.json(), { requested: true });
    await waitFor('the second event', async () => (await sweepEvents(app)).length === 2);
    assert.equal((await sweepEvents(app))[1].deleted, 0);
  });

  test('legal holds: a held interaction is skipped, and swept soon after its release', async (t) => {
    const app = await buildTestApp(t, { backend, env: ENV });
    app.deps.runner.start();
    const admin = await app.token();
    const held = await seedAged(app, admin, 300, { files: both });
    const free = await seedAged(app, admin, 300, { files: both });
    const hold = await app.api({
      method: 'PUT',
      url: `${I}/${held}/legal-hold`,
      token: admin,
      body: { reason: 'Smith v. Acme' },
    });
    assert.equal(hold.statusCode, 200);
    await putPolicy(app, admin, { status: 'on', rules: RULES });
    const swept = await sweptOnce(app, admin);
    assert.equal(swept.deleted, 2);
    assert.equal((await app.api({ method: 'GET', url: `${I}/${free}`, token: admin })).statusCode, 404);
    assert.equal((await app.api({ method: 'GET', url: `${I}/${held}`, token: admin })).statusCode, 200);
    assert.equal((await sweepEvents(app))[0].held, 2, 'the held items are counted');

    // The interval is an hour: the release itself brings the sweep.
    const release = await app.api({ method: 'DELETE', url: `${I}/${held}/legal-hold`, token: admin });
    assert.equal(release.statusCode, 204);
    await waitFor(
      'the released interaction to be swept',
      async () => (await app.api({ method: 'GET', url: `${I}/${held}`, token: admin })).statusCode === 404,
    );
    const items = (await ledger(app)).filter(
      (e) => e.reason === 'retention' && e.action === 'content.delete',
    );
    assert.equal(items.length, 4);
    await clean(app);
  });

  test('paused or pending: nothing is deleted', async (t) => {
    const app = await buildTestApp(t, { backend, env: { ...ENV, ICS_RETENTION_GRACE_DAYS: '30' } });
    app.deps.runner.start();
    const admin = await app.token();
    const guid = await seedAged(app, admin, 300, { files: both });
    const pending = (await putPolicy(app, admin, { status: 'on', rules: RULES })).json();
    assert.equal(pending.status, 'pending');
    const ran = async () => {
      const asked = Date.now();
      assert.equal((await app.api({ method: 'POST', url: `${R}/sweep`, token: admin })).statusCode, 202);
      await waitFor('the sweep job to run', async () => {
        const job = await app.deps.jobs.getJob('acme', 'retention-sweep');
        return (
          job !== undefined && job.status === 'queued' && job.updatedAt >= asked && job.runAt > Date.now()
        );
      });
    };
    await ran();
    assert.equal((await app.api({ method: 'GET', url: `${I}/${guid}`, token: admin })).statusCode, 200);
    await putPolicy(app, admin, { status: 'paused', rules: RULES });
    await ran();
    assert.equal((await app.api({ method: 'GET', url: `${I}/${guid}`, token: admin })).statusCode, 200);
    assert.equal((await ledger(app)).filter((e) => e.reason === 'retention').length, 0);
    assert.equal((await getPolicy(app, admin)).lastSweep, null);
  });
});
