import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { JobStore } from '../../src/jobs/job-store.js';
import { KyselyJobStore } from '../../src/jobs/kysely-job-store.js';
import type { NodeRecord } from '../../src/jobs/types.js';
import type { MetadataStore } from '../../src/metadata/metadata-store.js';
import { sqlHandle } from '../../src/metadata/sql-handle.js';
import { newAccount, T0 } from '../metadata/fixtures.js';

/**
 * The JobStore contract (nodes, leases, jobs), run against every metadata backend. `make` returns a
 * fresh, migrated store; tests share it and work in fresh accounts and node ids.
 */
export function describeJobStore(
  name: string,
  make: () => Promise<{ store: MetadataStore; cleanup: () => Promise<void> }>,
  opts: { skip?: string | false } = {},
): void {
  describe(`JobStore contract: ${name}`, { skip: opts.skip || false }, () => {
    let store: MetadataStore;
    let jobs: JobStore;
    let cleanup: (() => Promise<void>) | undefined;
    before(async () => {
      ({ store, cleanup } = await make());
      await store.migrate();
      jobs = new KyselyJobStore(sqlHandle(store));
    });
    after(async () => {
      await cleanup?.();
    });
    const node = (id: string, at = T0): NodeRecord => ({
      id,
      role: 'server',
      host: 'h',
      pid: 1,
      startedAt: at,
      heartbeatAt: at,
      stoppedAt: null,
    });

    test("leases: one live holder per (account, name); a dead holder's lease is free", async () => {
      const account = newAccount();
      const lease = (token: string, now: number, n = 'n1') => ({
        account,
        name: 'delete-batch',
        node: n,
        token,
        now,
        until: now + 1000,
      });
      assert.equal(await jobs.tryAcquireLease(lease('a', T0)), true);
      assert.equal(await jobs.tryAcquireLease(lease('b', T0 + 10)), false, 'held');
      assert.equal(
        await jobs.tryAcquireLease({ ...lease('b', T0), account: newAccount() }),
        true,
        'other account',
      );
      assert.equal(await jobs.tryAcquireLease({ ...lease('b', T0), name: 'other' }), true, 'other name');
      await jobs.releaseLease({ account, name: 'delete-batch', token: 'b' });
      assert.equal(
        await jobs.tryAcquireLease(lease('c', T0 + 20)),
        false,
        "a non-holder's release is ignored",
      );
      await jobs.releaseLease({ account, name: 'delete-batch', token: 'a' });
      assert.equal(await jobs.tryAcquireLease(lease('c', T0 + 30)), true, 'released');
      assert.equal(await jobs.tryAcquireLease(lease('d', T0 + 1030)), true, 'expired leases are taken over');
      const racers = await Promise.all(
        ['e', 'f', 'g', 'h'].map((h) => jobs.tryAcquireLease({ ...lease(h, T0), account: `${account}x` })),
      );
      assert.equal(racers.filter(Boolean).length, 1, 'exactly one racer wins');

      // A heartbeat keeps a live holder's lease; forgetting its (dead) node frees it at once.
      const holder = `n-${account}`;
      await jobs.registerNode(node(holder));
      const other = newAccount();
      assert.equal(await jobs.tryAcquireLease({ ...lease('x', T0, holder), account: other }), true);
      await jobs.heartbeat({ node: holder, now: T0 + 900, until: T0 + 5000 });
      assert.equal(
        await jobs.tryAcquireLease({ ...lease('y', T0 + 2000), account: other }),
        false,
        'extended',
      );
      assert.deepEqual(await jobs.forgetNodes([holder]), { jobs: 0, leases: 1 });
      assert.equal(await jobs.tryAcquireLease({ ...lease('y', T0 + 2000), account: other }), true, 'freed');
    });

    test('nodes: register, heartbeat, stop, forget; a forgotten node cannot heartbeat', async () => {
      const id = `node-${newAccount()}`;
      await jobs.registerNode(node(id));
      await jobs.heartbeat({ node: id, now: T0 + 5, until: T0 + 100 });
      let rec = (await jobs.listNodes()).find((n) => n.id === id);
      assert.deepEqual(rec, { ...node(id), heartbeatAt: T0 + 5 });
      await jobs.stopNode(id, T0 + 9);
      rec = (await jobs.listNodes()).find((n) => n.id === id);
      assert.equal(rec?.stoppedAt, T0 + 9);
      await jobs.forgetNodes([id]);
      assert.equal(
        (await jobs.listNodes()).find((n) => n.id === id),
        undefined,
      );
      await assert.rejects(jobs.heartbeat({ node: id, now: T0 + 10, until: T0 + 100 }), /declared dead/);
    });

    test('jobs: create (singletons first-writer-wins), get, list newest first with paging', async () => {
      const account = newAccount();
      const a = await jobs.createJob({ account, kind: 'demo', payload: { n: 1 } }, T0);
      const b = await jobs.createJob({ account, kind: 'demo', payload: { n: 2 } }, T0 + 1);
      await jobs.createJob({ account, kind: 'other', payload: {} }, T0 + 2);
      assert.equal(a.created, true);
      assert.equal(a.job.status, 'queued');
      assert.deepEqual(a.job.payload, { n: 1 });
      assert.equal(a.job.runAt, T0);
      assert.deepEqual(await jobs.getJob(account, a.job.id), a.job);
      assert.equal(await jobs.getJob(newAccount(), a.job.id), undefined, 'another account');
      const one = await jobs.createJob({ account, id: 'single', kind: 'demo', payload: { v: 1 } }, T0 + 3);
      const two = await jobs.createJob({ account, id: 'single', kind: 'demo', payload: { v: 2 } }, T0 + 4);
      assert.equal(one.created, true);
      assert.equal(two.created, false);
      assert.deepEqual(two.job.payload, { v: 1 });
      const page1 = await jobs.listJobs({ account, kind: 'demo', limit: 2 });
      assert.deepEqual(
        page1.map((j) => j.id),
        ['single', b.job.id],
      );
      const last = page1[1];
      const page2 = await jobs.listJobs({
        account,
        kind: 'demo',
        limit: 2,
        before: { createdAt: last.createdAt, id: last.id },
      });
      assert.deepEqual(
        page2.map((j) => j.id),
        [a.job.id],
      );
    });

    test('pageJobs: several kinds, newest first, by offset, with the total; statuses filter', async () => {
      const account = newAccount();
      const ids: string[] = [];
      for (let i = 0; i < 5; i++) {
        const kind = i % 2 === 0 ? 'export-a' : 'export-b';
        ids.push((await jobs.createJob({ account, kind, payload: { i } }, T0 + i)).job.id);
      }
      await jobs.createJob({ account, kind: 'unrelated', payload: {} }, T0 + 10);
      await jobs.createJob({ account: newAccount(), kind: 'export-a', payload: {} }, T0 + 11);
      const kinds = ['export-a', 'export-b'];
      const first = await jobs.pageJobs({ account, kinds, limit: 2, offset: 0 });
      assert.equal(first.total, 5);
      assert.deepEqual(
        first.jobs.map((j) => j.id),
        [ids[4], ids[3]],
      );
      const last = await jobs.pageJobs({ account, kinds, limit: 2, offset: 4 });
      assert.deepEqual(
        last.jobs.map((j) => j.id),
        [ids[0]],
      );
      assert.equal((await jobs.pageJobs({ account, kinds, limit: 2, offset: 6 })).jobs.length, 0);
      await jobs.requestCancel(account, ids[1], T0 + 20);
      const active = await jobs.pageJobs({ account, kinds, statuses: ['queued'], limit: 10, offset: 0 });
      assert.equal(active.total, 4);
      assert.ok(!active.jobs.some((j) => j.id === ids[1]));
      assert.deepEqual(await jobs.pageJobs({ account, kinds: [], limit: 10, offset: 0 }), {
        jobs: [],
        total: 0,
      });
    });
    test('claims: due, unleased, one kind; fenced saves; finish; leases expire; waiting stays waiting', async () => {
      const account = newAccount();
      const kind = `k-${account}`;
      const due = await jobs.createJob({ account, kind, payload: {} }, T0);
      await jobs.createJob({ account, kind, payload: {}, runAt: T0 + 10_000 }, T0);
      assert.equal(await jobs.nextRunAt([kind]), T0);
      const [claimed, ...rest] = await jobs.claimJobs({
        kind,
        node: 'n1',
        now: T0 + 1,
        until: T0 + 500,
        limit: 5,
      });
      assert.equal(rest.length, 0, 'the future job is not due');
      assert.equal(claimed.id, due.job.id);
      assert.equal(claimed.status, 'running');
      assert.equal(claimed.attempts, 1);
      assert.equal(claimed.startedAt, T0 + 1);
      assert.deepEqual(
        await jobs.claimJobs({ kind, node: 'n2', now: T0 + 2, until: T0 + 500, limit: 5 }),
        [],
      );
      const fence = { account, id: claimed.id, node: 'n1', attempt: 1 };
      assert.deepEqual(await jobs.saveJob(fence, { state: { at: 3 }, progress: { done: 3 } }, T0 + 3), {
        saved: true,
        cancelRequested: false,
      });
      // The lease runs out; another node takes the job over from the checkpoint.
      const [taken] = await jobs.claimJobs({ kind, node: 'n2', now: T0 + 501, until: T0 + 1000, limit: 5 });
      assert.equal(taken.id, claimed.id);
      assert.equal(taken.attempts, 2);
      assert.deepEqual(taken.state, { at: 3 });
      assert.deepEqual(taken.progress, { done: 3 });
      assert.deepEqual(
        (await jobs.saveJob(fence, { state: { at: 4 } }, T0 + 502)).saved,
        false,
        'old worker fenced',
      );
      assert.equal(
        await jobs.finishJob(fence, { status: 'completed' }, T0 + 503),
        false,
        'old worker fenced',
      );
      const fence2 = { ...fence, node: 'n2', attempt: 2 };
      assert.equal(
        await jobs.finishJob(
          fence2,
          { status: 'waiting', runAt: T0 + 700, patch: { progress: { done: 9 } } },
          T0 + 600,
        ),
        true,
      );
      let rec = await jobs.getJob(account, claimed.id);
      assert.equal(rec?.status, 'waiting');
      assert.equal(rec?.leaseNode, null);
      assert.equal(rec?.finishedAt, null);
      const [rechecked] = await jobs.claimJobs({
        kind,
        node: 'n3',
        now: T0 + 700,
        until: T0 + 900,
        limit: 1,
      });
      assert.equal(rechecked.status, 'waiting', 'a waiting job stays waiting while rechecked');
      await jobs.finishJob({ ...fence, node: 'n3', attempt: 3 }, { status: 'completed' }, T0 + 800);
      rec = await jobs.getJob(account, claimed.id);
      assert.equal(rec?.status, 'completed');
      assert.equal(rec?.finishedAt, T0 + 800);
      assert.deepEqual(rec?.progress, { done: 9 });
    });

    test('failures count and retry; heartbeats extend claims and report cancels; cancel and wake', async () => {
      const account = newAccount();
      const kind = `k-${account}`;
      const n = `node-${account}`;
      await jobs.registerNode(node(n));
      const { job } = await jobs.createJob({ account, kind, payload: {} }, T0);
      const [c] = await jobs.claimJobs({ kind, node: n, now: T0, until: T0 + 100, limit: 1 });
      const fence = { account, id: job.id, node: n, attempt: c.attempts };
      await jobs.finishJob(fence, { status: 'queued', runAt: T0 + 50, error: 'boom', failed: true }, T0 + 1);
      let rec = await jobs.getJob(account, job.id);
      assert.equal(rec?.failures, 1);
      assert.equal(rec?.lastError, 'boom');
      const [c2] = await jobs.claimJobs({ kind, node: n, now: T0 + 50, until: T0 + 100, limit: 1 });
      const fence2 = { ...fence, attempt: c2.attempts };
      let held = await jobs.heartbeat({ node: n, now: T0 + 90, until: T0 + 10_000 });
      assert.deepEqual(held, [{ account, id: job.id, attempt: c2.attempts, cancelRequested: false }]);
      assert.deepEqual(
        await jobs.claimJobs({ kind, node: 'x', now: T0 + 200, until: T0 + 300, limit: 1 }),
        [],
        'extended',
      );
      const flagged = await jobs.requestCancel(account, job.id, T0 + 201);
      assert.equal(flagged?.status, 'running', 'a worked job is only flagged');
      assert.equal(flagged?.cancelRequested, true);
      held = await jobs.heartbeat({ node: n, now: T0 + 202, until: T0 + 10_000 });
      assert.equal(held[0].cancelRequested, true);
      assert.deepEqual(await jobs.saveJob(fence2, {}, T0 + 203), { saved: true, cancelRequested: true });
      await jobs.finishJob(fence2, { status: 'cancelled' }, T0 + 204);
      rec = await jobs.getJob(account, job.id);
      assert.equal(rec?.status, 'cancelled');
      assert.equal(rec?.failures, 0);
      assert.equal((await jobs.requestCancel(account, job.id, T0 + 205))?.status, 'cancelled', 'unchanged');
      assert.equal(await jobs.requestCancel(account, 'nope', T0), undefined);

      const idle = await jobs.createJob({ account, kind, payload: {}, runAt: T0 + 99_999 }, T0);
      assert.equal(await jobs.wakeJob(account, idle.job.id, T0 + 10), true);
      assert.equal((await jobs.getJob(account, idle.job.id))?.runAt, T0 + 10);
      const cancelled = await jobs.requestCancel(account, idle.job.id, T0 + 11);
      assert.equal(cancelled?.status, 'cancelled', 'a job nobody works is cancelled at once');
      assert.equal(cancelled?.finishedAt, T0 + 11);
      assert.equal(await jobs.wakeJob(account, idle.job.id, T0 + 12), false);
      await jobs.forgetNodes([n]);
    });

    test('a wake during a run is not lost: the run that ends after it is due again at once', async () => {
      const account = newAccount();
      const kind = `k-${account}`;
      const n = `node-${account}`;
      await jobs.registerNode(node(n));
      const { job } = await jobs.createJob({ account, kind, payload: {} }, T0);
      const [c] = await jobs.claimJobs({ kind, node: n, now: T0 + 5, until: T0 + 10_000, limit: 1 });
      const fence = { account, id: job.id, node: n, attempt: c.attempts };
      assert.equal(await jobs.wakeJob(account, job.id, T0 + 20), true);
      await jobs.finishJob(fence, { status: 'queued', runAt: T0 + 99_999, claimedAt: c.updatedAt }, T0 + 30);
      assert.equal((await jobs.getJob(account, job.id))?.runAt, T0 + 20, 'due at the wake');
      // Without a wake, the run's own runAt stands; a wake after the run ends makes it due as before.
      const [c2] = await jobs.claimJobs({ kind, node: n, now: T0 + 40, until: T0 + 10_000, limit: 1 });
      const fence2 = { ...fence, attempt: c2.attempts };
      await jobs.finishJob(
        fence2,
        { status: 'queued', runAt: T0 + 99_999, claimedAt: c2.updatedAt },
        T0 + 50,
      );
      assert.equal((await jobs.getJob(account, job.id))?.runAt, T0 + 99_999);
      assert.equal(await jobs.wakeJob(account, job.id, T0 + 60), true);
      assert.equal((await jobs.getJob(account, job.id))?.runAt, T0 + 60);
      // Claimed at exactly its run_at and not woken: not taken for woken (a periodic job runs once).
      const [c3] = await jobs.claimJobs({ kind, node: n, now: T0 + 60, until: T0 + 10_000, limit: 1 });
      await jobs.finishJob(
        { ...fence, attempt: c3.attempts },
        { status: 'queued', runAt: T0 + 99_999, claimedAt: c3.updatedAt },
        T0 + 70,
      );
      assert.equal((await jobs.getJob(account, job.id))?.runAt, T0 + 99_999);
      await jobs.forgetNodes([n]);
    });

    test('concurrent claimers never get the same job; forgetting a node frees its claims', async () => {
      const account = newAccount();
      const kind = `k-${account}`;
      for (let i = 0; i < 30; i++) await jobs.createJob({ account, kind, payload: { i } }, T0 + i);
      const claims = await Promise.all(
        Array.from({ length: 6 }, (_, i) =>
          jobs.claimJobs({ kind, node: `c${i}-${account}`, now: T0 + 100, until: T0 + 10_000, limit: 5 }),
        ),
      );
      const ids = claims.flat().map((j) => j.id);
      assert.equal(ids.length, 30);
      assert.equal(new Set(ids).size, 30);
      const freed = await jobs.forgetNodes([`c0-${account}`, `c1-${account}`]);
      assert.equal(freed.jobs, claims[0].length + claims[1].length);
      const again = await jobs.claimJobs({ kind, node: 'z', now: T0 + 200, until: T0 + 10_000, limit: 50 });
      assert.equal(again.length, freed.jobs);
    });

    test('createJobIn and saveJobIn commit and roll back with the metadata transaction', async () => {
      const account = newAccount();
      const kind = `k-${account}`;
      await assert.rejects(
        store.transaction(async (tx) => {
          await jobs.createJobIn(tx, { account, id: 'tx-job', kind, payload: {} }, T0);
          throw new Error('roll back');
        }),
      );
      assert.equal(await jobs.getJob(account, 'tx-job'), undefined);
      await store.transaction((tx) => jobs.createJobIn(tx, { account, id: 'tx-job', kind, payload: {} }, T0));
      const [c] = await jobs.claimJobs({ kind, node: 'n', now: T0, until: T0 + 100, limit: 1 });
      const fence = { account, id: c.id, node: 'n', attempt: c.attempts };
      await assert.rejects(
        store.transaction(async (tx) => {
          await jobs.saveJobIn(tx, fence, { state: { rolled: true } }, T0 + 1);
          throw new Error('roll back');
        }),
      );
      assert.equal((await jobs.getJob(account, c.id))?.state, null);
      const saved = await store.transaction((tx) =>
        jobs.saveJobIn(tx, fence, { state: { kept: 1 } }, T0 + 2),
      );
      assert.equal(saved.saved, true);
      assert.deepEqual((await jobs.getJob(account, c.id))?.state, { kept: 1 });
    });
  });
}
