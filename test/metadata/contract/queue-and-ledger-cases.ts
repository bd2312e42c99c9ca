import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { findChainBreak, GENESIS_HASH } from '../../../src/core/audit-chain.js';
import type { MetadataStore } from '../../../src/metadata/metadata-store.js';
import { auditDraft, HOUR, newAccount, T0 } from '../fixtures.js';

// Part of the MetadataStore contract (test/contract/metadata-store.contract.ts): the purge queue
// (claim, lease, complete) and the hash-chained audit ledger.
// `store` is a getter because the suite creates the store in its before hook.
export function queueAndLedgerCases(store: () => MetadataStore): void {
  describe('purge queue', () => {
    const far = T0 + 1000 * HOUR;
    async function drain() {
      for (;;) {
        const claimed = await store().claimPurge({
          limit: 500,
          now: Number.MAX_SAFE_INTEGER - HOUR,
          leaseMs: 0,
        });
        if (claimed.length === 0) return;
        await store().completePurge(claimed.map((e) => e.id));
      }
    }

    test("claim leases due entries; complete removes them; a dead node's intents become due", async () => {
      await drain();
      const account = newAccount();
      const enqueued = await store().transaction((tx) =>
        tx.enqueuePurge([
          { account, blobKey: 'b/1', notBefore: far, reason: 'delete' },
          { account, blobKey: 'b/2', notBefore: far - 1, reason: 'replace' },
          { account, blobKey: 'b/3', notBefore: far + HOUR, reason: 'upload-intent', ownerNode: 'node-a' },
        ]),
      );
      assert.equal(new Set(enqueued.map((e) => e.id)).size, 3);
      assert.deepEqual(enqueued[0], {
        id: enqueued[0].id,
        account,
        blobKey: 'b/1',
        notBefore: far,
        reason: 'delete',
        ownerNode: null,
        attempts: 0,
        lastError: null,
        quarantinedAt: null,
      });
      assert.equal(await store().countPurge(), 3);
      assert.deepEqual(await store().listPurgeBlobKeys(), ['b/1', 'b/2', 'b/3']);

      assert.deepEqual(await store().claimPurge({ limit: 10, now: far - 2, leaseMs: 1000 }), []);
      const claimed = await store().claimPurge({ limit: 10, now: far, leaseMs: 1000 });
      assert.deepEqual(claimed.map((e) => e.blobKey).sort(), ['b/1', 'b/2']);
      assert.ok(claimed.every((e) => e.notBefore === far + 1000 && e.account === account));
      assert.deepEqual(await store().claimPurge({ limit: 10, now: far + 999, leaseMs: 1000 }), [], 'leased');
      const again = await store().claimPurge({ limit: 1, now: far + 1000, leaseMs: 1000 });
      assert.equal(again.length, 1, 'an expired lease can be claimed again; limit holds');

      await store().completePurge([...claimed.map((e) => e.id), 'unknown', 'x/unknown', '']);
      assert.equal(await store().countPurge(), 1);
      assert.equal(await store().releaseUploadIntents(['node-b'], far), 0, "another node's intents stay");
      assert.equal(await store().releaseUploadIntents(['node-a', 'node-c'], far), 1);
      assert.equal(await store().releaseUploadIntents(['node-a'], far), 0, 'already due');
      const intent = await store().claimPurge({ limit: 10, now: far, leaseMs: 0 });
      assert.deepEqual(
        intent.map((e) => [e.blobKey, e.reason]),
        [['b/3', 'upload-intent']],
      );
      await store().transaction((tx) => tx.removePurge([intent[0].id, 'nope']));
      assert.equal(await store().countPurge(), 0);
      assert.deepEqual(await store().listPurgeBlobKeys(), []);
    });

    test('an upload intent is taken only while nobody took it over', async () => {
      await drain();
      const account = newAccount();
      const [kept, released, claimed] = await store().transaction((tx) =>
        tx.enqueuePurge(
          ['k', 'r', 'c'].map((k) => ({
            account,
            blobKey: `i/${k}`,
            notBefore: far,
            reason: 'upload-intent' as const,
            ownerNode: `node-${k}`,
          })),
        ),
      );
      assert.equal(await store().releaseUploadIntents(['node-r'], far - 10), 1);
      assert.equal((await store().claimPurge({ limit: 10, now: far, leaseMs: 1000 })).length, 3);
      // Claiming moved every notBefore: no upload may commit on any of them now.
      for (const intent of [kept, released, claimed])
        assert.equal(await store().transaction((tx) => tx.takeUploadIntent(intent)), false);
      await drain();
      const [fresh] = await store().transaction((tx) =>
        tx.enqueuePurge([
          { account, blobKey: 'i/f', notBefore: far, reason: 'upload-intent', ownerNode: 'n' },
        ]),
      );
      assert.equal(await store().transaction((tx) => tx.takeUploadIntent(fresh)), true);
      assert.equal(await store().transaction((tx) => tx.takeUploadIntent(fresh)), false, 'gone');
      assert.equal(await store().countPurge(), 0);
    });

    test('failed erases retry later; quarantined entries are never claimed and are listed', async () => {
      await drain();
      const account = newAccount();
      const [retry, bad, intent] = await store().transaction((tx) =>
        tx.enqueuePurge([
          { account, blobKey: 'f/1', notBefore: far, reason: 'delete' },
          { account, blobKey: '../bad', notBefore: far, reason: 'delete' },
          { account, blobKey: 'f/3', notBefore: far + HOUR, reason: 'upload-intent', ownerNode: 'x' },
        ]),
      );
      await store().failPurge({
        id: retry.id,
        error: 'disk hiccup',
        retryAt: far + 50,
        quarantine: false,
        now: far,
      });
      await store().failPurge({ id: bad.id, error: 'invalid key', retryAt: far, quarantine: true, now: far });
      assert.deepEqual(await store().claimPurge({ limit: 10, now: far + 49, leaseMs: 0 }), []);
      const again = await store().claimPurge({ limit: 10, now: far + 50, leaseMs: 0 });
      assert.deepEqual(
        again.map((e) => [e.blobKey, e.attempts, e.lastError]),
        [['f/1', 1, 'disk hiccup']],
      );
      const late = await store().claimPurge({ limit: 10, now: Number.MAX_SAFE_INTEGER - HOUR, leaseMs: 0 });
      assert.ok(!late.some((e) => e.id === bad.id), 'quarantined entries are never claimed');
      const quarantined = await store().listPurge({ kind: 'quarantined', limit: 10 });
      assert.deepEqual(
        quarantined.map((e) => [e.blobKey, e.quarantinedAt, e.lastError]),
        [['../bad', far, 'invalid key']],
      );
      assert.deepEqual(
        (await store().listPurge({ kind: 'upload-intent', limit: 10 })).map((e) => e.id),
        [intent.id],
      );
      await store().completePurge([retry.id, bad.id, intent.id]);
    });

    test('concurrent claimers never get the same entry', async () => {
      await drain();
      const account = newAccount();
      const entries = Array.from({ length: 40 }, (_, i) => ({
        account,
        blobKey: `c/${i}`,
        notBefore: far - i,
        reason: 'delete' as const,
      }));
      await store().transaction((tx) => tx.enqueuePurge(entries));
      const claims = await Promise.all(
        Array.from({ length: 6 }, () => store().claimPurge({ limit: 5, now: far, leaseMs: HOUR })),
      );
      const keys = claims.flat().map((e) => e.blobKey);
      assert.equal(keys.length, 30);
      assert.equal(new Set(keys).size, keys.length);
      await drain();
      assert.equal(await store().countPurge(), 0);
    });
  });

  describe('audit ledger', () => {
    test('entries chain per account from the genesis hash, and list back unchanged', async () => {
      const account = newAccount();
      const guid = '0f0e0d0c-0b0a-4909-8807-060504030201';
      const drafts = [
        auditDraft({ at: T0, guid, details: { zeta: 1, alpha: { b: [1, 'x'], a: null } } }),
        auditDraft({
          at: T0 + 10,
          action: 'interaction.delete',
          contentKey: null,
          type: null,
          contentLength: null,
        }),
        auditDraft({
          at: T0 + 20,
          guid,
          actorClientId: null,
          actorSubject: null,
          sha256: null,
          requestId: null,
        }),
        auditDraft({ at: T0 + 30, action: 'legal_hold.place', reason: 'retention' }),
        auditDraft({ at: T0 + 40, guid, action: 'legal_hold.release' }),
      ];
      const appended = [];
      for (const d of drafts)
        appended.push(await store().transaction((tx) => tx.appendAudit(account, d).entry));
      assert.deepEqual(
        appended.map((e) => e.seq),
        [1, 2, 3, 4, 5],
      );
      assert.equal(appended[0].prevHash, GENESIS_HASH);
      const listed = await store().listAudit({ account, limit: 100 });
      assert.deepEqual(listed, appended);
      assert.equal(findChainBreak(listed), undefined);

      const q = { account, limit: 100 };
      const seqs = async (o: object) => (await store().listAudit({ ...q, ...o })).map((e) => e.seq);
      assert.deepEqual(await seqs({ start: T0 + 10, end: T0 + 40 }), [2, 3, 4]);
      assert.deepEqual(await seqs({ guid }), [1, 3, 5]);
      assert.deepEqual(await seqs({ action: 'legal_hold.place' }), [4]);
      assert.deepEqual(await seqs({ afterSeq: 3 }), [4, 5]);
      assert.deepEqual(await seqs({ limit: 2, afterSeq: 1 }), [2, 3]);
      assert.deepEqual(await seqs({ account: newAccount() }), []);

      const other = newAccount();
      const first = await store().transaction((tx) => tx.appendAudit(other, auditDraft()).entry);
      assert.equal(first.seq, 1);
      assert.equal(first.prevHash, GENESIS_HASH);
      const accounts = await store().listAuditAccounts();
      assert.ok(accounts.includes(account) && accounts.includes(other));
    });

    test('50 concurrent appends produce a gap-free chain', async () => {
      const account = newAccount();
      await Promise.all(
        Array.from({ length: 50 }, (_, i) =>
          store().transaction((tx) => tx.appendAudit(account, auditDraft({ at: T0 + i })).entry),
        ),
      );
      const listed = await store().listAudit({ account, limit: 100 });
      assert.deepEqual(
        listed.map((e) => e.seq),
        Array.from({ length: 50 }, (_, i) => i + 1),
      );
      assert.equal(findChainBreak(listed), undefined);
    });

    test('a rolled-back append consumes no seq', async () => {
      const account = newAccount();
      await store().transaction((tx) => tx.appendAudit(account, auditDraft()).entry);
      await assert.rejects(
        store().transaction(async (tx) => {
          await tx.appendAudit(account, auditDraft()).entry;
          throw new Error('boom');
        }),
        /boom/,
      );
      await store().transaction((tx) => tx.appendAudit(account, auditDraft()).entry);
      const listed = await store().listAudit({ account, limit: 10 });
      assert.deepEqual(
        listed.map((e) => e.seq),
        [1, 2],
      );
      assert.equal(findChainBreak(listed), undefined);
    });
  });
}
