// A deletion job killed with SIGKILL (ICS_TEST_FAULTS) inside a batch's transaction, in a real
// `ics serve` process, then a clean restart on the same data directory: the job resumes from its
// last checkpoint and completes; every matched interaction is deleted exactly once with its ledger
// entries recorded, the counts add up, no blob is left, and `ics verify` / `ics audit verify` are clean.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import Sqlite from 'better-sqlite3';
import {
  Api,
  type AuditItem,
  blobFiles,
  cli,
  dataDirFor,
  serve,
  verifyJson,
  waitFor,
  wav,
} from '../deletion/helpers.js';

const INTERACTIONS = 12;
const BATCH = 3;
const JOBS = '/interaction-content/deletion-jobs';

async function job(api: Api, id: string) {
  const res = await api.fetch(`${JOBS}/${id}`);
  return (await res.json()) as { status: string; counts: Record<string, number> };
}

describe('deletion job killed mid-batch (SIGKILL), resumed by the next start', () => {
  test('the batch that was cut short is redone; nothing deleted twice, nothing skipped', {
    timeout: 280_000,
  }, async (t) => {
    const dataDir = await dataDirFor(t);
    // Batches of exactly BATCH: no time bound cuts one short (ICS_DELETION_JOB_TX_MS).
    const env = { ICS_DELETION_JOB_BATCH_SIZE: String(BATCH), ICS_DELETION_JOB_TX_MS: '60000' };
    // Killed inside the third batch's transaction, after its deletions and before its commit.
    const first = await serve(t, dataDir, { ...env, ICS_TEST_FAULTS: 'deletion-job.before-commit:3' });
    const api = await Api.connect(first.url, dataDir);
    const subject: string[] = [];
    for (let i = 0; i < INTERACTIONS; i++) {
      const guid = await api.createInteraction({ connectFrom: i % 2 ? '+1 555 0100' : '+1-555-0100' });
      assert.equal(
        await api.put(guid, 'callRecording', wav(randomBytes(500)), { contentType: 'audio/wav' }),
        201,
      );
      subject.push(guid);
    }
    const bystander = await api.createInteraction({ connectFrom: '+15550101' });
    assert.equal(
      await api.put(bystander, 'callRecording', wav(randomBytes(500)), { contentType: 'audio/wav' }),
      201,
    );

    const created = await api.fetch(JOBS, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        match: { addresses: ['+15550100'] },
        reason: 'erasure request',
        reference: 'DSR-9',
      }),
    });
    assert.equal(created.status, 202, await created.clone().text());
    const { id } = (await created.json()) as { id: string };
    assert.equal(await first.exited, 'SIGKILL', 'the fault killed the server');

    // What the killed server left: two batches committed, the third rolled back.
    const db = new Sqlite(join(dataDir, 'ics.sqlite'), { readonly: true });
    const row = db.prepare('select progress from jobs where id = ?').get(id) as { progress: string };
    const left = db.prepare('select count(*) as n from interactions').get() as { n: number };
    db.close();
    assert.equal(JSON.parse(row.progress).deleted, 2 * BATCH, 'two batches had committed');
    assert.equal(left.n, INTERACTIONS - 2 * BATCH + 1, 'the third batch rolled back');

    const second = await serve(t, dataDir, env);
    const again = api.at(second.url);
    await waitFor(
      'the resumed job to finish',
      async () => ['completed', 'failed'].includes((await job(again, id)).status),
      120_000,
    );
    const done = await job(again, id);
    assert.equal(done.status, 'completed');
    assert.deepEqual(done.counts, { matched: INTERACTIONS, deleted: INTERACTIONS, held: 0, failed: 0 });

    const items = ((await (await again.fetch(`${JOBS}/${id}/items?limit=1000`)).json()) as { items: unknown })
      .items as {
      guid: string;
      outcome: string;
      entries: { seq: number; hash: string }[];
    }[];
    assert.deepEqual(items.map((i) => i.guid).sort(), [...subject].sort());
    const ledger = await again.audit();
    const bySeq = new Map<number, AuditItem>(ledger.map((e) => [e.seq, e]));
    for (const item of items) {
      assert.equal(item.outcome, 'deleted');
      assert.equal(item.entries.length, 2, `content + interaction entries of ${item.guid}`);
      for (const e of item.entries) assert.equal(bySeq.get(e.seq)?.hash, e.hash);
      const deletes = ledger.filter((e) => e.guid === item.guid && e.action === 'interaction.delete');
      assert.equal(deletes.length, 1, `${item.guid} deleted exactly once`);
    }
    for (const guid of subject)
      assert.equal((await again.fetch(`/interaction-content/interactions/${guid}`)).status, 404);
    assert.equal((await again.fetch(`/interaction-content/interactions/${bystander}`)).status, 200);
    await waitFor('the purge queue to finish', async () => (await blobFiles(dataDir)).length === 1, 30_000);

    const [verify, audit] = await Promise.all([verifyJson(dataDir), cli(dataDir, ['audit', 'verify'])]);
    assert.deepEqual(verify.report.findings, [], 'ics verify is clean');
    assert.equal(verify.code, 0, verify.stderr);
    assert.equal(audit.code, 0, audit.stdout + audit.stderr);
    assert.match(audit.stdout, /chain intact/);
  });
});
