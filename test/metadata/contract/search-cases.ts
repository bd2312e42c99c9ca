import assert from 'node:assert/strict';
import { before, describe, test } from 'node:test';
import type { InteractionWithContent, SearchFilters } from '../../../src/core/types.js';
import type { MetadataStore } from '../../../src/metadata/metadata-store.js';
import {
  byStartGuid,
  cmp,
  HOUR,
  interaction,
  type NewInteraction,
  newAccount,
  seed,
  T0,
} from '../fixtures.js';

// Part of the MetadataStore contract (test/contract/metadata-store.contract.ts): search and count:
// keyset and offset paging, every filter, prefix edge cases, window bounds.
// `store` is a getter because the suite creates the store in its before hook.
export function searchCases(store: () => MetadataStore): void {
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
      await seed(store(), items);
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
        const page = await store().search({ ...f, limit, after });
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
          guids(await store().search({ ...f, limit: 10, offset })),
          guids(full.slice(offset, offset + 10)),
        );
      }
    });

    test('each item carries all its content, in listContent order', async () => {
      const page = await store().search({ ...window(), limit: 30 });
      for (const item of page) {
        assert.ok(item.content.length > 0);
        assert.equal(item.content.length, item.contentCount);
        assert.deepEqual(item.content, await store().listContent(account, item.guid));
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
        assert.deepEqual(guids(await store().search({ ...f, limit: 1000 })), guids(want), JSON.stringify(c));
        assert.equal(await store().count(f), want.length, JSON.stringify(c));
      }
    });

    test('prefixes are literal, case-sensitive and code-point exact', async () => {
      const from = async (connectFrom: string) =>
        [
          ...new Set(
            (await store().search({ ...window({ connectFrom }), limit: 1000 })).map((r) => r.connectFrom),
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
      const exact = (f: SearchFilters) => store().search({ ...f, limit: 1000 });
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
      assert.equal(await store().count(window({ start: at + 1, end: at + 1000 })), 0);
    });

    test('another account with the same times is invisible', async () => {
      const mine = await store().search({ ...window(), limit: 1000 });
      assert.ok(mine.every((r) => r.account === account));
      const theirs = await store().search({ ...window({ account: neighbour }), limit: 1000 });
      assert.equal(theirs.length, 50);
      assert.ok(theirs.every((r) => r.account === neighbour));
      assert.equal(all.length, 150);
    });
  });
}
