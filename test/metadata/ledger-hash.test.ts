import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { canonicalParts, findChainBreak, GENESIS_HASH, hashAuditEntry } from '../../src/core/audit-chain.js';
import { AuditService } from '../../src/core/audit-service.js';
import { receiptOf } from '../../src/core/events.js';
import type { AuditDraft, AuditEntry } from '../../src/core/types.js';
import { KyselyOutbox } from '../../src/events/outbox.js';
import type { MetadataStore } from '../../src/metadata/metadata-store.js';
import { openMetadataStore } from '../../src/metadata/open-metadata-store.js';
import { sqlHandle } from '../../src/metadata/sql-handle.js';
import { createTestDatabase } from '../helpers/postgres.js';
import { auditDraft, newAccount, T0 } from './fixtures.js';

// The ledger's hash is computed in process on SQLite and by PostgreSQL itself (sha256() over the
// canonical form's bytes, in the statement that takes the account's head). Both must give exactly
// hashAuditEntry's hash, so that one verifier (`ics audit verify`: AuditService.verify) checks
// either backend's chain, and the outbox's receipts must name the entries the ledger holds.

const tricky = 'quote " backslash \\ slash / tab \t newline \n nul-free \u0001 \u001f \u007f \u2028 \u2029';
const unicode = 'é ü ß 漢字 😀 👩🏽‍💻 e\u0301 \ufeff \ud83d\ude00';

/** Drafts that exercise JSON escaping in every string field, numbers, nulls and nested details. */
function trickyDrafts(): AuditDraft[] {
  return [
    auditDraft({ reason: tricky, actorSubject: unicode, requestId: '"]' }),
    auditDraft({
      at: 0,
      actorClientId: null,
      actorSubject: null,
      contentKey: null,
      type: null,
      contentLength: null,
      sha256: null,
      requestId: null,
      details: null,
    }),
    auditDraft({
      at: 8_640_000_000_000_000,
      contentLength: Number.MAX_SAFE_INTEGER,
      action: 'interaction.delete',
      details: {
        zeta: [1, 'two', { b: unicode, a: tricky }, null, true],
        alpha: { '"quoted key"': '\\', ключ: '値', '': '' },
        n: -1.5e-7,
      },
    }),
    auditDraft({ guid: `${unicode}${tricky}`, contentKey: '\\"x"\\', details: { receipt: 'acct:1:abc' } }),
  ];
}

describe('the canonical form split for SQL', () => {
  test('before + seq + prevHash + after is the JSON hashAuditEntry hashes, for tricky drafts', () => {
    for (const account of ['acct', `a"\\${unicode}`]) {
      for (const draft of trickyDrafts()) {
        for (const seq of [1, 42, Number.MAX_SAFE_INTEGER]) {
          const { before, after } = canonicalParts(account, draft);
          const whole = `${before}${seq},"${GENESIS_HASH}",${after}`;
          const expected = JSON.stringify([
            account,
            seq,
            GENESIS_HASH,
            draft.at,
            draft.actorClientId,
            draft.actorSubject,
            draft.action,
            draft.guid,
            draft.contentKey,
            draft.type,
            draft.contentLength,
            draft.sha256,
            draft.reason,
            draft.requestId,
            draft.details === null ? null : sortKeys(draft.details),
          ]);
          assert.equal(whole, expected);
        }
      }
    }
  });
});

const pgProbe = await createTestDatabase();
const pgSkip = 'skip' in pgProbe ? pgProbe.skip : false;

const backends: {
  name: string;
  skip: string | false;
  open(): Promise<{ store: MetadataStore; done(): Promise<void> }>;
}[] = [
  {
    name: 'sqlite',
    skip: false,
    async open() {
      const dir = await mkdtemp(join(tmpdir(), 'ics-ledger-'));
      const store = await openMetadataStore({ kind: 'sqlite', path: join(dir, 'ics.sqlite') });
      return {
        store,
        done: async () => {
          await store.close();
          await rm(dir, { recursive: true, force: true });
        },
      };
    },
  },
  {
    name: 'postgres',
    skip: pgSkip,
    async open() {
      if ('skip' in pgProbe) throw new Error(pgProbe.skip);
      const store = await openMetadataStore({ kind: 'postgres', url: pgProbe.url, poolSize: 4 });
      return {
        store,
        done: async () => {
          await store.close();
          await pgProbe.drop();
        },
      };
    },
  },
];

for (const backend of backends) {
  describe(`ledger hashes and receipts: ${backend.name}`, { skip: backend.skip }, () => {
    let store: MetadataStore;
    let done: (() => Promise<void>) | undefined;
    before(async () => {
      ({ store, done } = await backend.open());
      await store.migrate();
    });
    after(async () => {
      await done?.();
    });

    const verify = (account: string) => new AuditService({ store }).verify([account]);

    test('entries with tricky fields, one per transaction and several in one, hash as in JS and verify', async () => {
      for (const account of [newAccount(), `${newAccount()}-"\\${unicode}`]) {
        const drafts = trickyDrafts();
        const appended: AuditEntry[] = [];
        for (const d of drafts.slice(0, 2))
          appended.push(await store.transaction((tx) => tx.appendAudit(account, d).entry));
        // A cascade: appends issued without waiting, answered after the commit.
        const pending = await store.transaction(async (tx) =>
          drafts.slice(2).map((d) => tx.appendAudit(account, d)),
        );
        for (const p of pending) appended.push(await p.entry);

        assert.deepEqual(
          appended.map((e) => e.seq),
          [1, 2, 3, 4],
        );
        appended.forEach((e, i) => {
          assert.equal(e.hash, hashAuditEntry(account, e.seq, e.prevHash, drafts[i]), `entry ${e.seq}`);
          assert.equal(e.prevHash, i === 0 ? GENESIS_HASH : appended[i - 1].hash);
        });
        const listed = await store.listAudit({ account, limit: 10 });
        assert.deepEqual(listed, appended);
        assert.equal(findChainBreak(listed), undefined);
        assert.deepEqual(await verify(account), [{ account, entries: 4, break: undefined }]);
        assert.deepEqual(await store.getAuditHead(account), { seq: 4, hash: appended[3].hash });
      }
    });

    test('a seq near 2^53 hashes as in JS', async () => {
      const account = newAccount();
      const seq = Number.MAX_SAFE_INTEGER - 3;
      const prevHash = 'f'.repeat(64);
      await sqlHandle(store).write((db) =>
        db.insertInto('audit_heads').values({ account, last_seq: seq, last_hash: prevHash }).execute(),
      );
      const drafts = trickyDrafts().slice(0, 3);
      const entries = await Promise.all(
        await store
          .transaction(async (tx) => drafts.map((d) => tx.appendAudit(account, d)))
          .then((ps) => ps.map((p) => p.entry)),
      );
      assert.deepEqual(
        entries.map((e) => e.seq),
        [seq + 1, seq + 2, seq + 3],
      );
      for (const [i, e] of entries.entries())
        assert.equal(e.hash, hashAuditEntry(account, e.seq, e.prevHash, drafts[i]));
      assert.equal(findChainBreak(entries, { seq: seq + 1, prevHash }), undefined);
    });

    test("events carry their own entry's receipt, whatever the order of appends and events", async () => {
      const a = `${newAccount()}-"\\${unicode}`;
      const b = newAccount();
      const outbox = new KyselyOutbox();
      const appends = await store.transaction(async (tx) => {
        const a1 = tx.appendAudit(a, auditDraft({ at: T0 + 1 }));
        const b1 = tx.appendAudit(b, auditDraft({ at: T0 + 2 }));
        const a2 = tx.appendAudit(a, auditDraft({ at: T0 + 3 }));
        // Recorded after a2: a1's receipt is one back from the head.
        await outbox.record(tx, [
          {
            type: 'interaction.deleted.v1',
            account: a,
            subject: null,
            at: T0,
            data: { receipt: a1.receipt },
          },
          {
            type: 'interaction.deleted.v1',
            account: b,
            subject: null,
            at: T0,
            data: { n: tricky, both: [a2.receipt, b1.receipt], nested: { r: a1.receipt } },
          },
        ]);
        const a3 = tx.appendAudit(a, auditDraft({ at: T0 + 4 }));
        await outbox.record(tx, [
          {
            type: 'interaction.deleted.v1',
            account: a,
            subject: null,
            at: T0,
            data: { receipt: a3.receipt },
          },
        ]);
        return { a1, a2, a3, b1 };
      });
      const e = {
        a1: await appends.a1.entry,
        a2: await appends.a2.entry,
        a3: await appends.a3.entry,
        b1: await appends.b1.entry,
      };
      assert.deepEqual([e.a1.seq, e.a2.seq, e.a3.seq, e.b1.seq], [1, 2, 3, 1]);
      const rows = await sqlHandle(store).read((db) =>
        db
          .selectFrom('outbox')
          .select(['account', 'data'])
          .where('account', 'in', [a, b])
          .orderBy('id')
          .execute(),
      );
      assert.deepEqual(
        rows.map((r) => JSON.parse(r.data)),
        [
          { receipt: receiptOf(e.a1) },
          { n: tricky, both: [receiptOf(e.a2), receiptOf(e.b1)], nested: { r: receiptOf(e.a1) } },
          { receipt: receiptOf(e.a3) },
        ],
      );
      for (const acct of [a, b]) assert.equal((await verify(acct))[0].break, undefined);
    });

    test('a failing append that nobody awaited fails the commit, and nothing commits', async () => {
      const account = newAccount();
      await assert.rejects(
        store.transaction(async (tx) => {
          // A NOT NULL column left null: the append's own statement fails.
          tx.appendAudit(account, { ...auditDraft(), action: null as unknown as string });
        }),
      );
      assert.deepEqual(await store.listAudit({ account, limit: 10 }), []);
      assert.equal(await store.getAuditHead(account), undefined);
    });
  });
}

function sortKeys(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(sortKeys);
  if (v && typeof v === 'object')
    return Object.fromEntries(
      Object.keys(v)
        .sort()
        .map((k) => [k, sortKeys((v as Record<string, unknown>)[k])]),
    );
  return v;
}
