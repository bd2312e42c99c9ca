import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { findChainBreak, GENESIS_HASH } from '../../src/core/audit-chain.js';
import type { InteractionWithContent, SearchFilters } from '../../src/core/types.js';
import type { MetadataStore } from '../../src/metadata/metadata-store.js';
import {
  auditDraft,
  byStartGuid,
  cmp,
  content,
  HOUR,
  interaction,
  type NewInteraction,
  newAccount,
  seed,
  T0,
} from '../metadata/fixtures.js';

/**
 * The MetadataStore contract, run against every implementation. `make` returns a fresh, NOT yet
 * migrated store (the suite migrates it, twice, to check that migrate() is idempotent) and a cleanup
 * that closes it and removes its data. Tests share the one store but each works in fresh accounts.
 *
 * Documented behaviour the suite pins down: connectFrom/connectTo are case-sensitive literal prefixes
 * compared by code point (`%` and `_` are plain characters); search/count see only interactions with
 * content; getInteraction and getInteractionWithContent return an interaction whatever its count.
 */
export function describeMetadataStore(
  name: string,
  make: () => Promise<{ store: MetadataStore; cleanup: () => Promise<void> }>,
  opts: { skip?: string | false } = {},
): void {
  describe(`MetadataStore contract: ${name}`, { skip: opts.skip || false }, () => {
    let store: MetadataStore;
    let cleanup: (() => Promise<void>) | undefined;
    before(async () => {
      ({ store, cleanup } = await make());
      await store.migrate();
      await store.migrate();
    });
    after(async () => {
      await cleanup?.();
    });

    test('ping resolves', async () => {
      await store.ping();
    });

    describe('interactions and content', () => {
      test('insertInteraction inserts once; a duplicate returns false and the transaction carries on', async () => {
        const account = newAccount();
        const rec = interaction(account, { handlingAgents: ['b-agent', 'a-agent', 'b-agent'] });
        const other = interaction(account);
        const results = await store.transaction(async (tx) => [
          await tx.insertInteraction(rec),
          await tx.insertInteraction({ ...rec, connectFrom: 'changed' }),
          await tx.insertInteraction(other),
        ]);
        assert.deepEqual(results, [true, false, true]);
        assert.deepEqual(await store.getInteraction(account, rec.guid), {
          ...rec,
          contentCount: 0,
          legalHold: null,
        });
        assert.ok(await store.getInteraction(account, other.guid));
        assert.equal(await store.getInteraction(newAccount(), rec.guid), undefined);
        assert.deepEqual(await store.getInteractionWithContent(account, rec.guid), {
          ...rec,
          contentCount: 0,
          legalHold: null,
          content: [],
        });
      });

      test('putContent keeps contentCount right and returns the replaced item', async () => {
        const account = newAccount();
        const rec = interaction(account);
        await seed(store, [{ rec, contents: 0 }]);
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
        await store.transaction(async (tx) => {
          assert.equal(await tx.putContent(call), undefined);
          assert.equal(await tx.putContent(transcript), undefined);
          assert.equal(await tx.putContent(voicemail), undefined);
        });
        assert.equal((await store.getInteraction(account, rec.guid))?.contentCount, 3);

        const replacement = content(rec, { length: 99, sha256: 'c'.repeat(64), lastModified: T0 + 30 });
        const replaced = await store.transaction((tx) => tx.putContent(replacement));
        assert.deepEqual(replaced, call);
        assert.equal((await store.getInteraction(account, rec.guid))?.contentCount, 3);
        // Ordered by lastModified, then contentKey (code-point order: digits before letters).
        assert.deepEqual(await store.listContent(account, rec.guid), [voicemail, transcript, replacement]);
        const full = await store.getInteractionWithContent(account, rec.guid);
        assert.deepEqual(full?.content, [voicemail, transcript, replacement]);
        assert.deepEqual(await store.listContent(newAccount(), rec.guid), []);
      });

      test('putContent rejects when the interaction does not exist', async () => {
        const account = newAccount();
        const rec = interaction(account);
        await assert.rejects(store.transaction((tx) => tx.putContent(content(rec))));
        assert.deepEqual(await store.listContent(account, rec.guid), []);
      });

      test('deleteContent returns what it deleted; an interaction without content leaves search', async () => {
        const account = newAccount();
        const rec = interaction(account);
        await seed(store, [{ rec, contents: 3 }]);
        const window = { account, start: T0, end: T0 + HOUR };
        assert.equal(await store.count(window), 1);

        const deleted = await store.transaction((tx) =>
          tx.deleteContent(account, rec.guid, ['att-1', 'nope']),
        );
        assert.deepEqual(
          deleted.map((c) => c.contentKey),
          ['att-1'],
        );
        assert.equal((await store.getInteraction(account, rec.guid))?.contentCount, 2);
        assert.deepEqual(await store.transaction((tx) => tx.deleteContent(account, rec.guid, [])), []);

        const rest = await store.transaction((tx) =>
          tx.deleteContent(account, rec.guid, ['callRecording', 'att-2']),
        );
        assert.equal(rest.length, 2);
        assert.equal((await store.getInteraction(account, rec.guid))?.contentCount, 0);
        assert.equal(await store.count(window), 0);
        assert.deepEqual(await store.search({ ...window, limit: 10 }), []);
        assert.deepEqual((await store.getInteractionWithContent(account, rec.guid))?.content, []);
      });

      test('deleteInteraction removes the row, its agents and its content', async () => {
        const account = newAccount();
        const rec = interaction(account, { handlingAgents: ['x-1', 'x-2'] });
        await seed(store, [{ rec, contents: 2 }]);
        const deleted = await store.transaction((tx) => tx.deleteInteraction(account, rec.guid));
        assert.deepEqual(deleted.map((c) => c.contentKey).sort(), ['att-1', 'callRecording']);
        assert.equal(await store.getInteraction(account, rec.guid), undefined);
        assert.deepEqual(await store.listContent(account, rec.guid), []);
        assert.deepEqual(await store.transaction((tx) => tx.deleteInteraction(account, rec.guid)), []);
        // The agent rows went too: the guid can be reused with other agents, and x-1 finds nothing.
        await seed(store, [{ rec: { ...rec, handlingAgents: ['x-3'] }, contents: 1 }]);
        assert.equal(await store.count({ account, start: T0, end: T0 + HOUR, handlingAgentId: 'x-1' }), 0);
        assert.equal(await store.count({ account, start: T0, end: T0 + HOUR, handlingAgentId: 'x-3' }), 1);
      });

      test('lockInteraction reads the interaction inside a transaction', async () => {
        const account = newAccount();
        const rec = interaction(account);
        await seed(store, [{ rec, contents: 1 }]);
        const [mine, theirs] = await store.transaction(async (tx) => [
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
        await seed(store, [{ rec, contents: 1 }]);
        const hold = { reason: 'litigation', caseId: 'CASE-1', placedAt: T0 + 7, placedBy: 'admin@x' };
        await store.transaction((tx) => tx.setLegalHold(account, rec.guid, hold));
        assert.deepEqual((await store.getInteraction(account, rec.guid))?.legalHold, hold);
        const noCase = { ...hold, caseId: null };
        await store.transaction((tx) => tx.setLegalHold(account, rec.guid, noCase));
        assert.deepEqual((await store.getInteraction(account, rec.guid))?.legalHold, noCase);
        await store.transaction((tx) => tx.setLegalHold(account, rec.guid, null));
        assert.equal((await store.getInteraction(account, rec.guid))?.legalHold, null);
      });

      test('another account never sees or touches an interaction', async () => {
        const owner = newAccount();
        const stranger = newAccount();
        const rec = interaction(owner);
        await seed(store, [{ rec, contents: 1 }]);
        const window = { account: stranger, start: T0, end: T0 + HOUR };
        assert.equal(await store.getInteraction(stranger, rec.guid), undefined);
        assert.equal(await store.getInteractionWithContent(stranger, rec.guid), undefined);
        assert.deepEqual(await store.listContent(stranger, rec.guid), []);
        assert.deepEqual(await store.search({ ...window, limit: 10 }), []);
        assert.equal(await store.count(window), 0);
        assert.equal(await store.count({ ...window, handlingAgentId: 'agent-1' }), 0);
        await store.transaction(async (tx) => {
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
        const mine = await store.getInteractionWithContent(owner, rec.guid);
        assert.equal(mine?.content.length, 1);
        assert.equal(mine?.legalHold, null);
        // The same guid may exist independently in another account.
        assert.equal(
          await store.transaction((tx) => tx.insertInteraction({ ...rec, account: stranger })),
          true,
        );
        assert.equal((await store.getInteraction(owner, rec.guid))?.contentCount, 1);
      });
    });

    describe('search', () => {
      const account = newAccount('search');
      const neighbour = newAccount('search');
      const all: NewInteraction[] = [];
      const visible: NewInteraction[] = [];
      const addresses = [
        '+4420%',
        '+4420x',
        '+44205',
        'a_b',
        'axb',
        'ABC',
        'abc',
        'ab😀',
        'ab\uffff',
        'abd',
        'ac',
        'é-1',
        'e-1',
        '\u{10ffff}x',
        '+15550100',
      ];

      before(async () => {
        const items: { rec: NewInteraction; contents: number }[] = [];
        for (let i = 0; i < 150; i++) {
          const rec = interaction(account, {
            // Three interactions per second: ties on start are broken by guid.
            start: T0 + Math.floor(i / 3) * 1000,
            connectFrom: addresses[i % addresses.length],
            connectTo: `${addresses[(i + 4) % addresses.length]}-${i}`,
            direction: i % 4 === 0 ? 'outbound' : 'inbound',
            handlingAgents: i % 5 === 0 ? ['agent-a', 'agent-b'] : i % 2 === 0 ? ['agent-a'] : ['agent-c'],
          });
          const contents = i % 10 === 9 ? 0 : 1 + (i % 3);
          items.push({ rec, contents });
          all.push(rec);
          if (contents > 0) visible.push(rec);
          if (i % 3 === 0) items.push({ rec: { ...interaction(neighbour), start: rec.start }, contents: 1 });
        }
        await seed(store, items);
        visible.sort(byStartGuid);
      });

      const window = (o: Partial<SearchFilters> = {}): SearchFilters => ({
        account,
        start: T0,
        end: T0 + HOUR,
        ...o,
      });
      const expected = (f: SearchFilters) =>
        visible.filter(
          (r) =>
            r.start >= f.start &&
            r.start < f.end &&
            (f.handlingAgentId === undefined || r.handlingAgents.includes(f.handlingAgentId)) &&
            (f.connectFrom === undefined || r.connectFrom.startsWith(f.connectFrom)) &&
            (f.connectTo === undefined || r.connectTo.startsWith(f.connectTo)) &&
            (f.direction === undefined || r.direction === f.direction),
        );
      const guids = (list: { guid: string }[]) => list.map((r) => r.guid);

      async function pageThrough(f: SearchFilters, limit: number): Promise<InteractionWithContent[]> {
        const out: InteractionWithContent[] = [];
        let after: { start: number; guid: string } | undefined;
        for (let pages = 0; pages < 1000; pages++) {
          const page = await store.search({ ...f, limit, after });
          assert.ok(page.length <= limit);
          out.push(...page);
          if (page.length < limit) return out;
          const last = page[page.length - 1];
          after = { start: last.start, guid: last.guid };
        }
        throw new Error('paging did not end');
      }

      test('keyset pages follow each other exactly, in (start, guid) order', async () => {
        const got = await pageThrough(window(), 7);
        assert.deepEqual(guids(got), guids(visible));
        assert.equal(new Set(guids(got)).size, got.length);
      });

      test('keyset paging through the agent filter', async () => {
        const f = window({ handlingAgentId: 'agent-a' });
        assert.deepEqual(guids(await pageThrough(f, 4)), guids(expected(f)));
      });

      test('offset pages (v2) are slices of the full result', async () => {
        const f = window({ direction: 'inbound' });
        const full = expected(f);
        for (const offset of [0, 10, 25, full.length - 3, full.length]) {
          assert.deepEqual(
            guids(await store.search({ ...f, limit: 10, offset })),
            guids(full.slice(offset, offset + 10)),
          );
        }
      });

      test('each item carries all its content, in listContent order', async () => {
        const page = await store.search({ ...window(), limit: 30 });
        for (const item of page) {
          assert.ok(item.content.length > 0);
          assert.equal(item.content.length, item.contentCount);
          assert.deepEqual(item.content, await store.listContent(account, item.guid));
          assert.equal(item.account, account);
        }
      });

      test('filters match what they promise, and count agrees', async () => {
        const cases: Partial<SearchFilters>[] = [
          {},
          { handlingAgentId: 'agent-a' },
          { handlingAgentId: 'agent-b' },
          { handlingAgentId: 'nobody' },
          { direction: 'outbound' },
          { direction: 'inbound' },
          { connectFrom: '+4420' },
          { connectTo: 'ab' },
          { connectFrom: 'a', direction: 'outbound', handlingAgentId: 'agent-a' },
          { connectFrom: 'ab', connectTo: '+44' },
          { start: T0 + 10_000, end: T0 + 20_000 },
        ];
        for (const c of cases) {
          const f = window(c);
          const want = expected(f);
          assert.deepEqual(guids(await store.search({ ...f, limit: 1000 })), guids(want), JSON.stringify(c));
          assert.equal(await store.count(f), want.length, JSON.stringify(c));
        }
      });

      test('prefixes are literal, case-sensitive and code-point exact', async () => {
        const from = async (connectFrom: string) =>
          [
            ...new Set(
              (await store.search({ ...window({ connectFrom }), limit: 1000 })).map((r) => r.connectFrom),
            ),
          ].sort(cmp);
        assert.deepEqual(await from('+4420%'), ['+4420%']);
        assert.deepEqual(await from('a_'), ['a_b']);
        assert.deepEqual(await from('ab'), ['ab\uffff', 'abc', 'abd', 'ab😀'].sort(cmp));
        assert.deepEqual(await from('AB'), ['ABC']);
        assert.deepEqual(await from('é'), ['é-1']);
        assert.deepEqual(await from('ab😀'), ['ab😀']);
        assert.deepEqual(await from('\u{10ffff}'), ['\u{10ffff}x']);
        assert.deepEqual(await from('%'), []);
        assert.deepEqual(await from('+4420x'), ['+4420x']);
      });

      test('start is inclusive and end exclusive', async () => {
        const at = visible[20].start;
        const exact = (f: SearchFilters) => store.search({ ...f, limit: 1000 });
        assert.ok((await exact(window({ start: at, end: at + 1 }))).every((r) => r.start === at));
        assert.equal(
          (await exact(window({ start: at, end: at + 1 }))).length,
          expected(window({ start: at, end: at + 1 })).length,
        );
        assert.ok((await exact(window({ start: at, end: at + 1 }))).length > 0);
        assert.equal(
          (await exact(window({ start: at - 1000, end: at }))).some((r) => r.start === at),
          false,
        );
        assert.equal(await store.count(window({ start: at + 1, end: at + 1000 })), 0);
      });

      test('another account with the same times is invisible', async () => {
        const mine = await store.search({ ...window(), limit: 1000 });
        assert.ok(mine.every((r) => r.account === account));
        const theirs = await store.search({ ...window({ account: neighbour }), limit: 1000 });
        assert.equal(theirs.length, 50);
        assert.ok(theirs.every((r) => r.account === neighbour));
        assert.equal(all.length, 150);
      });
    });

    describe('purge queue', () => {
      const far = T0 + 1000 * HOUR;
      async function drain() {
        for (;;) {
          const claimed = await store.claimPurge({
            limit: 500,
            now: Number.MAX_SAFE_INTEGER - HOUR,
            leaseMs: 0,
          });
          if (claimed.length === 0) return;
          await store.completePurge(claimed.map((e) => e.id));
        }
      }

      test('claim leases due entries; complete removes them; upload intents can be expedited', async () => {
        await drain();
        const account = newAccount();
        const enqueued = await store.transaction((tx) =>
          tx.enqueuePurge([
            { account, blobKey: 'b/1', notBefore: far, reason: 'delete' },
            { account, blobKey: 'b/2', notBefore: far - 1, reason: 'replace' },
            { account, blobKey: 'b/3', notBefore: far + HOUR, reason: 'upload-intent' },
          ]),
        );
        assert.equal(new Set(enqueued.map((e) => e.id)).size, 3);
        assert.deepEqual(enqueued[0], {
          id: enqueued[0].id,
          account,
          blobKey: 'b/1',
          notBefore: far,
          reason: 'delete',
        });
        assert.equal(await store.countPurge(), 3);

        assert.deepEqual(await store.claimPurge({ limit: 10, now: far - 2, leaseMs: 1000 }), []);
        const claimed = await store.claimPurge({ limit: 10, now: far, leaseMs: 1000 });
        assert.deepEqual(claimed.map((e) => e.blobKey).sort(), ['b/1', 'b/2']);
        assert.ok(claimed.every((e) => e.notBefore === far + 1000 && e.account === account));
        assert.deepEqual(await store.claimPurge({ limit: 10, now: far + 999, leaseMs: 1000 }), [], 'leased');
        const again = await store.claimPurge({ limit: 1, now: far + 1000, leaseMs: 1000 });
        assert.equal(again.length, 1, 'an expired lease can be claimed again; limit holds');

        await store.completePurge([...claimed.map((e) => e.id), 'unknown', 'x/unknown', '']);
        assert.equal(await store.countPurge(), 1);
        assert.equal(await store.expediteUploadIntents(far), 1);
        assert.equal(await store.expediteUploadIntents(far), 0);
        const intent = await store.claimPurge({ limit: 10, now: far, leaseMs: 0 });
        assert.deepEqual(
          intent.map((e) => [e.blobKey, e.reason]),
          [['b/3', 'upload-intent']],
        );
        await store.transaction((tx) => tx.removePurge([intent[0].id, 'nope']));
        assert.equal(await store.countPurge(), 0);
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
        await store.transaction((tx) => tx.enqueuePurge(entries));
        const claims = await Promise.all(
          Array.from({ length: 6 }, () => store.claimPurge({ limit: 5, now: far, leaseMs: HOUR })),
        );
        const keys = claims.flat().map((e) => e.blobKey);
        assert.equal(keys.length, 30);
        assert.equal(new Set(keys).size, keys.length);
        await drain();
        assert.equal(await store.countPurge(), 0);
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
        for (const d of drafts) appended.push(await store.transaction((tx) => tx.appendAudit(account, d)));
        assert.deepEqual(
          appended.map((e) => e.seq),
          [1, 2, 3, 4, 5],
        );
        assert.equal(appended[0].prevHash, GENESIS_HASH);
        const listed = await store.listAudit({ account, limit: 100 });
        assert.deepEqual(listed, appended);
        assert.equal(findChainBreak(listed), undefined);

        const q = { account, limit: 100 };
        const seqs = async (o: object) => (await store.listAudit({ ...q, ...o })).map((e) => e.seq);
        assert.deepEqual(await seqs({ start: T0 + 10, end: T0 + 40 }), [2, 3, 4]);
        assert.deepEqual(await seqs({ guid }), [1, 3, 5]);
        assert.deepEqual(await seqs({ action: 'legal_hold.place' }), [4]);
        assert.deepEqual(await seqs({ afterSeq: 3 }), [4, 5]);
        assert.deepEqual(await seqs({ limit: 2, afterSeq: 1 }), [2, 3]);
        assert.deepEqual(await seqs({ account: newAccount() }), []);

        const other = newAccount();
        const first = await store.transaction((tx) => tx.appendAudit(other, auditDraft()));
        assert.equal(first.seq, 1);
        assert.equal(first.prevHash, GENESIS_HASH);
        const accounts = await store.listAuditAccounts();
        assert.ok(accounts.includes(account) && accounts.includes(other));
      });

      test('50 concurrent appends produce a gap-free chain', async () => {
        const account = newAccount();
        await Promise.all(
          Array.from({ length: 50 }, (_, i) =>
            store.transaction((tx) => tx.appendAudit(account, auditDraft({ at: T0 + i }))),
          ),
        );
        const listed = await store.listAudit({ account, limit: 100 });
        assert.deepEqual(
          listed.map((e) => e.seq),
          Array.from({ length: 50 }, (_, i) => i + 1),
        );
        assert.equal(findChainBreak(listed), undefined);
      });

      test('a rolled-back append consumes no seq', async () => {
        const account = newAccount();
        await store.transaction((tx) => tx.appendAudit(account, auditDraft()));
        await assert.rejects(
          store.transaction(async (tx) => {
            await tx.appendAudit(account, auditDraft());
            throw new Error('boom');
          }),
          /boom/,
        );
        await store.transaction((tx) => tx.appendAudit(account, auditDraft()));
        const listed = await store.listAudit({ account, limit: 10 });
        assert.deepEqual(
          listed.map((e) => e.seq),
          [1, 2],
        );
        assert.equal(findChainBreak(listed), undefined);
      });
    });

    test('a transaction that throws leaves nothing behind and rethrows the same error', async () => {
      const account = newAccount();
      const rec = interaction(account);
      const purgeBefore = await store.countPurge();
      const boom = new Error('boom');
      await assert.rejects(
        store.transaction(async (tx) => {
          await tx.insertInteraction(rec);
          await tx.putContent(content(rec));
          await tx.enqueuePurge([{ account, blobKey: 'x', notBefore: T0, reason: 'upload-intent' }]);
          await tx.appendAudit(account, auditDraft());
          throw boom;
        }),
        (err) => err === boom,
      );
      assert.equal(await store.getInteraction(account, rec.guid), undefined);
      assert.deepEqual(await store.listContent(account, rec.guid), []);
      assert.equal(await store.countPurge(), purgeBefore);
      assert.deepEqual(await store.listAudit({ account, limit: 10 }), []);
      assert.equal((await store.listAuditAccounts()).includes(account), false);
      assert.equal(await store.transaction(async () => 42), 42);
    });

    test('listAllContent pages through every row by (account, guid, contentKey)', async () => {
      const account = newAccount('all');
      const recs = Array.from({ length: 5 }, () => interaction(account));
      await seed(
        store,
        recs.map((rec, i) => ({ rec, contents: i + 1 })),
      );
      const seen: string[] = [];
      let after: { account: string; guid: string; contentKey: string } | undefined;
      for (;;) {
        const page = await store.listAllContent({ limit: 4, after });
        if (page.length === 0) break;
        for (const c of page) {
          const key = [c.account, c.guid, c.contentKey];
          if (after)
            assert.ok(
              cmp(key.join('\u0000'), [after.account, after.guid, after.contentKey].join('\u0000')) > 0,
            );
          after = { account: c.account, guid: c.guid, contentKey: c.contentKey };
          if (c.account === account) seen.push(`${c.guid}/${c.contentKey}`);
        }
      }
      assert.equal(seen.length, 15);
      assert.equal(new Set(seen).size, 15);
    });

    test('clients: create, get, list, revoke, count', async () => {
      const clientId = `client-${newAccount()}`;
      const client = {
        clientId,
        account: newAccount(),
        name: 'Reporting',
        scopes: ['interaction-content:read' as const, 'interaction-content:delete' as const],
        secretHash: 'scrypt$abc$def',
        createdAt: T0,
        revokedAt: null,
      };
      const before = await store.countClients();
      await store.createClient(client);
      await assert.rejects(store.createClient({ ...client, name: 'again' }));
      assert.deepEqual(await store.getClient(clientId), client);
      assert.equal(await store.getClient('no-such-client'), undefined);
      assert.deepEqual(
        (await store.listClients()).find((c) => c.clientId === clientId),
        client,
      );
      assert.equal(await store.countClients(), before + 1);
      assert.equal(await store.revokeClient(clientId, T0 + 5), true);
      assert.equal(await store.revokeClient(clientId, T0 + 6), false);
      assert.equal(await store.revokeClient('no-such-client', T0), false);
      assert.deepEqual(await store.getClient(clientId), { ...client, revokedAt: T0 + 5 });
      const nameless = { ...client, clientId: `${clientId}-2`, name: null };
      await store.createClient(nameless);
      assert.deepEqual(await store.getClient(nameless.clientId), nameless);
    });

    test('signing secret: the first writer wins', async () => {
      const first = await store.getOrCreateSigningSecret('secret-one-xxxxxxxxxxxxxxxxxxxxxxxxxx');
      assert.equal(first, 'secret-one-xxxxxxxxxxxxxxxxxxxxxxxxxx');
      assert.equal(await store.getOrCreateSigningSecret('secret-two-xxxxxxxxxxxxxxxxxxxxxxxxxx'), first);
      const racing = await Promise.all(
        Array.from({ length: 5 }, (_, i) => store.getOrCreateSigningSecret(`other-${i}`)),
      );
      assert.ok(racing.every((s) => s === first));
    });
  });
}
