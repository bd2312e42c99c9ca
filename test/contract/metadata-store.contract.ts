import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { MetadataStore } from '../../src/metadata/metadata-store.js';
import { interactionCases } from '../metadata/contract/interaction-cases.js';
import { queueAndLedgerCases } from '../metadata/contract/queue-and-ledger-cases.js';
import { searchCases } from '../metadata/contract/search-cases.js';
import { auditDraft, cmp, content, interaction, newAccount, seed, T0 } from '../metadata/fixtures.js';

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

    interactionCases(() => store);
    searchCases(() => store);
    queueAndLedgerCases(() => store);

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
          await tx.appendAudit(account, auditDraft()).entry;
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

    test('clients: content permissions are stored, replaced and lifted (none has one stored form)', async () => {
      const clientId = `client-${newAccount()}`;
      const client = {
        clientId,
        account: newAccount(),
        name: null,
        scopes: ['interaction-content:read' as const],
        secretHash: 'hmac-sha256$x',
        createdAt: T0,
        revokedAt: null,
        permissions: { read: { types: ['voicemail' as const, 'callRecording' as const] } },
      };
      await store.createClient(client);
      assert.deepEqual((await store.getClient(clientId))?.permissions, {
        read: { types: ['callRecording', 'voicemail'] },
      });
      const next = { delete: { types: ['transcript' as const], directions: ['outbound' as const] } };
      assert.equal(await store.setClientPermissions(clientId, next), true);
      assert.deepEqual((await store.getClient(clientId))?.permissions, next);
      assert.deepEqual((await store.listClients()).find((c) => c.clientId === clientId)?.permissions, next);
      assert.equal(await store.setClientPermissions(clientId, { read: {}, delete: {} }), true);
      assert.equal('permissions' in ((await store.getClient(clientId)) ?? {}), false);
      assert.equal(await store.setClientPermissions('no-such-client', next), false);
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

    test('client secret key: the first writer wins, apart from the signing secret', async () => {
      const first = await store.getOrCreateClientSecretKey('key-one-xxxxxxxxxxxxxxxxxxxxxxxxxxxxx');
      assert.equal(first, 'key-one-xxxxxxxxxxxxxxxxxxxxxxxxxxxxx');
      assert.equal(await store.getOrCreateClientSecretKey('key-two-xxxxxxxxxxxxxxxxxxxxxxxxxxxxx'), first);
      assert.notEqual(await store.getOrCreateSigningSecret('secret-xxxxxxxxxxxxxxxxxxxxxxxxxxxxxx'), first);
    });

    test('replaceClientSecretHash swaps only the hash it was given', async () => {
      const c = {
        clientId: `ics_rehash-${newAccount()}`,
        account: newAccount(),
        name: null,
        scopes: ['interaction-content:read' as const],
        secretHash: 'scrypt$old',
        createdAt: T0,
        revokedAt: null,
      };
      await store.createClient(c);
      assert.equal(await store.replaceClientSecretHash(c.clientId, 'scrypt$other', 'hmac$new'), false);
      assert.equal(await store.replaceClientSecretHash(c.clientId, 'scrypt$old', 'hmac$new'), true);
      assert.equal((await store.getClient(c.clientId))?.secretHash, 'hmac$new');
      assert.equal(await store.replaceClientSecretHash(c.clientId, 'scrypt$old', 'hmac$again'), false);
      assert.equal(await store.replaceClientSecretHash('ics_nobody', 'a', 'b'), false);
    });
  });
}
