import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { MetadataStore } from '../../../src/metadata/metadata-store.js';
import { content, HOUR, interaction, newAccount, seed, T0 } from '../fixtures.js';

// Part of the MetadataStore contract (test/contract/metadata-store.contract.ts): interactions, content
// items, legal holds and account isolation.
// `store` is a getter because the suite creates the store in its before hook.
export function interactionCases(store: () => MetadataStore): void {
  describe('interactions and content', () => {
    test('insertInteraction inserts once; a duplicate returns false and the transaction carries on', async () => {
      const account = newAccount();
      const rec = interaction(account, { handlingAgents: ['b-agent', 'a-agent', 'b-agent'] });
      const other = interaction(account);
      const results = await store().transaction(async (tx) => [
        await tx.insertInteraction(rec),
        await tx.insertInteraction({ ...rec, connectFrom: 'changed' }),
        await tx.insertInteraction(other),
      ]);
      assert.deepEqual(results, [true, false, true]);
      assert.deepEqual(await store().getInteraction(account, rec.guid), {
        ...rec,
        contentCount: 0,
        legalHold: null,
      });
      assert.ok(await store().getInteraction(account, other.guid));
      assert.equal(await store().getInteraction(newAccount(), rec.guid), undefined);
      assert.deepEqual(await store().getInteractionWithContent(account, rec.guid), {
        ...rec,
        contentCount: 0,
        legalHold: null,
        content: [],
      });
    });

    test('putContent keeps contentCount right and returns the replaced item', async () => {
      const account = newAccount();
      const rec = interaction(account);
      await seed(store(), [{ rec, contents: 0 }]);
      const call = content(rec, { lastModified: T0 + 20 });
      const transcript = content(rec, {
        contentKey: 'transcript',
        type: 'transcript',
        mediaType: 'application/json',
        lastModified: T0 + 10,
        properties: { language: 'en', nested: { scores: [1, 2.5] } },
      });
      const voicemail = content(rec, {
        contentKey: '0b0c9d3a-6d6f-4a40-9a7e-4f5d5c1e2f3a',
        type: 'voicemail',
        lastModified: T0 + 10,
        owningAgentId: 'agent-7',
        owningInteractionPlanId: 'plan-3',
      });
      await store().transaction(async (tx) => {
        assert.equal(await tx.putContent(call), undefined);
        assert.equal(await tx.putContent(transcript), undefined);
        assert.equal(await tx.putContent(voicemail), undefined);
      });
      assert.equal((await store().getInteraction(account, rec.guid))?.contentCount, 3);

      const replacement = content(rec, { length: 99, sha256: 'c'.repeat(64), lastModified: T0 + 30 });
      const replaced = await store().transaction((tx) => tx.putContent(replacement));
      assert.deepEqual(replaced, call);
      assert.equal((await store().getInteraction(account, rec.guid))?.contentCount, 3);
      // Ordered by lastModified, then contentKey (code-point order: digits before letters).
      assert.deepEqual(await store().listContent(account, rec.guid), [voicemail, transcript, replacement]);
      const full = await store().getInteractionWithContent(account, rec.guid);
      assert.deepEqual(full?.content, [voicemail, transcript, replacement]);
      assert.deepEqual(await store().listContent(newAccount(), rec.guid), []);
    });

    test('after lockInteractionWithContent, puts and deletes in the same transaction answer as the rows are', async () => {
      // On PostgreSQL these writes are answered from the listing taken under the lock and sent
      // without waiting; what they return and what commits must be the same as when they are waited for.
      const account = newAccount();
      const rec = interaction(account);
      await seed(store(), [{ rec, contents: 0 }]);
      const first = content(rec, { lastModified: T0 + 10 });
      await store().transaction((tx) => tx.putContent(first));
      const transcript = content(rec, {
        contentKey: 'transcript',
        type: 'transcript',
        lastModified: T0 + 20,
        owningAgentId: 'agent-1',
      });
      const summary = content(rec, { contentKey: 'att-1', type: 'attachment', lastModified: T0 + 30 });
      const second = content(rec, { length: 7, lastModified: T0 + 40 });
      const out = await store().transaction(async (tx) => {
        const { content: listed } = await tx.lockInteractionWithContent(account, rec.guid);
        assert.deepEqual(listed, [first]);
        const results = [
          await tx.putContent(transcript),
          await tx.putContent(summary),
          await tx.putContent(second),
        ];
        const deleted = await tx.deleteContent(account, rec.guid, ['att-1', 'transcript', 'absent']);
        const again = await tx.deleteContent(account, rec.guid, ['att-1']);
        return { results, deleted, again };
      });
      assert.deepEqual(out.results, [undefined, undefined, first]);
      assert.deepEqual(out.deleted, [transcript, summary]);
      assert.deepEqual(out.again, []);
      assert.deepEqual(await store().listContent(account, rec.guid), [second]);
      assert.equal((await store().getInteraction(account, rec.guid))?.contentCount, 1);
    });

    test('putContent rejects when the interaction does not exist', async () => {
      const account = newAccount();
      const rec = interaction(account);
      await assert.rejects(store().transaction((tx) => tx.putContent(content(rec))));
      assert.deepEqual(await store().listContent(account, rec.guid), []);
    });

    test('deleteContent returns what it deleted; an interaction without content leaves search', async () => {
      const account = newAccount();
      const rec = interaction(account);
      await seed(store(), [{ rec, contents: 3 }]);
      const window = { account, start: T0, end: T0 + HOUR };
      assert.equal(await store().count(window), 1);

      const deleted = await store().transaction((tx) =>
        tx.deleteContent(account, rec.guid, ['att-1', 'nope']),
      );
      assert.deepEqual(
        deleted.map((c) => c.contentKey),
        ['att-1'],
      );
      assert.equal((await store().getInteraction(account, rec.guid))?.contentCount, 2);
      assert.deepEqual(await store().transaction((tx) => tx.deleteContent(account, rec.guid, [])), []);

      const rest = await store().transaction((tx) =>
        tx.deleteContent(account, rec.guid, ['callRecording', 'att-2']),
      );
      assert.equal(rest.length, 2);
      assert.equal((await store().getInteraction(account, rec.guid))?.contentCount, 0);
      assert.equal(await store().count(window), 0);
      assert.deepEqual(await store().search({ ...window, limit: 10 }), []);
      assert.deepEqual((await store().getInteractionWithContent(account, rec.guid))?.content, []);
    });

    test('deleteInteraction removes the row, its agents and its content', async () => {
      const account = newAccount();
      const rec = interaction(account, { handlingAgents: ['x-1', 'x-2'] });
      await seed(store(), [{ rec, contents: 2 }]);
      const deleted = await store().transaction((tx) => tx.deleteInteraction(account, rec.guid));
      assert.deepEqual(deleted.map((c) => c.contentKey).sort(), ['att-1', 'callRecording']);
      assert.equal(await store().getInteraction(account, rec.guid), undefined);
      assert.deepEqual(await store().listContent(account, rec.guid), []);
      assert.deepEqual(await store().transaction((tx) => tx.deleteInteraction(account, rec.guid)), []);
      // The agent rows went too: the guid can be reused with other agents, and x-1 finds nothing.
      await seed(store(), [{ rec: { ...rec, handlingAgents: ['x-3'] }, contents: 1 }]);
      assert.equal(await store().count({ account, start: T0, end: T0 + HOUR, handlingAgentId: 'x-1' }), 0);
      assert.equal(await store().count({ account, start: T0, end: T0 + HOUR, handlingAgentId: 'x-3' }), 1);
    });

    test('lockInteraction reads the interaction inside a transaction', async () => {
      const account = newAccount();
      const rec = interaction(account);
      await seed(store(), [{ rec, contents: 1 }]);
      const [mine, theirs] = await store().transaction(async (tx) => [
        await tx.lockInteraction(account, rec.guid),
        await tx.lockInteraction(newAccount(), rec.guid),
      ]);
      assert.equal(mine?.guid, rec.guid);
      assert.equal(mine?.contentCount, 1);
      assert.equal(theirs, undefined);
    });

    test('legal hold round trip', async () => {
      const account = newAccount();
      const rec = interaction(account);
      await seed(store(), [{ rec, contents: 1 }]);
      const hold = { reason: 'litigation', caseId: 'CASE-1', placedAt: T0 + 7, placedBy: 'admin@x' };
      await store().transaction((tx) => tx.setLegalHold(account, rec.guid, hold));
      assert.deepEqual((await store().getInteraction(account, rec.guid))?.legalHold, hold);
      const noCase = { ...hold, caseId: null };
      await store().transaction((tx) => tx.setLegalHold(account, rec.guid, noCase));
      assert.deepEqual((await store().getInteraction(account, rec.guid))?.legalHold, noCase);
      await store().transaction((tx) => tx.setLegalHold(account, rec.guid, null));
      assert.equal((await store().getInteraction(account, rec.guid))?.legalHold, null);
    });

    test('another account never sees or touches an interaction', async () => {
      const owner = newAccount();
      const stranger = newAccount();
      const rec = interaction(owner);
      await seed(store(), [{ rec, contents: 1 }]);
      const window = { account: stranger, start: T0, end: T0 + HOUR };
      assert.equal(await store().getInteraction(stranger, rec.guid), undefined);
      assert.equal(await store().getInteractionWithContent(stranger, rec.guid), undefined);
      assert.deepEqual(await store().listContent(stranger, rec.guid), []);
      assert.deepEqual(await store().search({ ...window, limit: 10 }), []);
      assert.equal(await store().count(window), 0);
      assert.equal(await store().count({ ...window, handlingAgentId: 'agent-1' }), 0);
      await store().transaction(async (tx) => {
        assert.equal(await tx.lockInteraction(stranger, rec.guid), undefined);
        assert.deepEqual(await tx.deleteContent(stranger, rec.guid, ['callRecording']), []);
        assert.deepEqual(await tx.deleteInteraction(stranger, rec.guid), []);
        await tx.setLegalHold(stranger, rec.guid, {
          reason: 'x',
          caseId: null,
          placedAt: 1,
          placedBy: 'y',
        });
      });
      const mine = await store().getInteractionWithContent(owner, rec.guid);
      assert.equal(mine?.content.length, 1);
      assert.equal(mine?.legalHold, null);
      // The same guid may exist independently in another account.
      assert.equal(
        await store().transaction((tx) => tx.insertInteraction({ ...rec, account: stranger })),
        true,
      );
      assert.equal((await store().getInteraction(owner, rec.guid))?.contentCount, 1);
    });
  });
}
