// A retention sweep killed with SIGKILL (ICS_TEST_FAULTS) in a real `ics serve` process, then a
// clean restart on the same data directory: the sweep resumes from its last checkpoint and
// finishes; every due item is deleted exactly once (one ledger entry each), the counts add up, and
// `ics verify` and `ics audit verify` are clean.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import Sqlite from 'better-sqlite3';
import { Api, cli, dataDirFor, serve, verifyJson, waitFor, wav } from '../deletion/helpers.js';

const INTERACTIONS = 16;
const ENV = { ICS_RETENTION_GRACE_DAYS: '0', ICS_RETENTION_BATCH_SIZE: '4', ICS_RETENTION_TX_SIZE: '2' };
const R = '/interaction-content/retention';

async function lastSweep(api: Api) {
  const res = await api.fetch(R);
  return ((await res.json()) as { lastSweep: { at: string; deleted: number } | null }).lastSweep;
}

function scenario(name: string, fault: string) {
  test(name, { timeout: 240_000 }, async (t) => {
    const dataDir = await dataDirFor(t);
    const first = await serve(t, dataDir, { ...ENV, ICS_TEST_FAULTS: fault });
    const api = await Api.connect(first.url, dataDir);
    const guids: string[] = [];
    for (let i = 0; i < INTERACTIONS; i++) {
      const guid = await api.createInteraction(); // started 2024-03-01: long due under a 30-day rule
      await api.put(guid, 'callRecording', wav(randomBytes(1000 + i)), { contentType: 'audio/wav' });
      await api.put(guid, 'transcript', Buffer.from(`{"n":${i}}`), { contentType: 'application/json' });
      guids.push(guid);
    }
    const put = await api.fetch(R, {
      method: 'PUT',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ status: 'on', rules: [{ name: 'Everything 30 days', keepDays: 30 }] }),
    });
    assert.equal(put.status, 200, await put.text());
    assert.equal(await first.exited, 'SIGKILL', `the fault ${fault} killed the server`);

    // What the dead server left: part of the work, and a checkpoint that counts exactly that part.
    const db = new Sqlite(join(dataDir, 'ics.sqlite'));
    const left = (db.prepare('select count(*) as n from interactions').get() as { n: number }).n;
    const recorded = (
      db
        .prepare(
          `select count(*) as n from audit_log where reason = 'retention' and action = 'content.delete'`,
        )
        .get() as { n: number }
    ).n;
    const job = db.prepare(`select state from jobs where kind = 'retention-sweep'`).get() as {
      state: string;
    };
    db.close();
    assert.ok(left > 0 && left < INTERACTIONS, `killed part-way (${left} of ${INTERACTIONS} left)`);
    assert.equal(recorded, (INTERACTIONS - left) * 2, 'what was deleted is in the ledger');
    assert.equal(JSON.parse(job.state).deleted, recorded, 'and counted by the checkpoint, exactly');

    const second = await serve(t, dataDir, ENV);
    const again = api.at(second.url);
    const gone = async () => {
      let n = 0;
      for (const g of guids) if ((await again.interactionStatus(g)) === 404) n++;
      return n;
    };

    await waitFor('the resumed sweep to finish', async () => (await lastSweep(again)) !== null, 120_000);
    assert.equal(await gone(), INTERACTIONS);
    assert.equal((await lastSweep(again))?.deleted, INTERACTIONS * 2, 'the counts add up across the crash');

    const ledger = (await again.audit()).filter((e) => e.reason === 'retention');
    const items = ledger.filter((e) => e.action === 'content.delete');
    assert.equal(items.length, INTERACTIONS * 2, 'one ledger entry per item');
    assert.equal(new Set(items.map((e) => `${e.guid}/${e.contentKey}`)).size, INTERACTIONS * 2, 'none twice');
    assert.equal(ledger.filter((e) => e.action === 'interaction.delete').length, INTERACTIONS);

    await second.stop();
    const [storage, audit] = await Promise.all([verifyJson(dataDir), cli(dataDir, ['audit', 'verify'])]);
    assert.deepEqual(storage.report.findings, [], 'ics verify finds nothing');
    assert.equal(storage.code, 0);
    assert.equal(storage.report.rows, 0);
    assert.equal(audit.code, 0, audit.stdout + audit.stderr);
    assert.match(audit.stdout, /chain intact/);
  });
}

describe('retention sweep killed mid-run (SIGKILL), resumed by the next start', () => {
  // After the third committed batch (checkpoint included): the resumed sweep starts after it.
  scenario('killed after a batch committed → resumes after its checkpoint', 'retention.after-batch:3');
  // In the middle of a batch's transaction (the 5th interaction recorded): it rolls back, and the
  // resumed sweep redoes that batch from the previous checkpoint.
  scenario(
    'killed inside a batch transaction → the batch rolls back and is redone',
    'delete.before-commit:5',
  );
  // Right after a batch committed, before its blobs were erased: the checkpoint committed with it,
  // so the resumed sweep neither redoes nor miscounts it; the purge queue erases the blobs.
  scenario(
    'killed between commit and erasure → counted once, blobs erased by the purge queue',
    'delete.after-commit:3',
  );
});
