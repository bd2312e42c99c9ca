import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import type { JobStore } from '../../src/jobs/job-store.js';
import { KyselyJobStore } from '../../src/jobs/kysely-job-store.js';
import { NodeRegistry } from '../../src/jobs/node-registry.js';
import { type JobHandler, JobRunner } from '../../src/jobs/runner.js';
import type { JobRecord } from '../../src/jobs/types.js';
import type { MetadataStore } from '../../src/metadata/metadata-store.js';
import { openMetadataStore } from '../../src/metadata/open-metadata-store.js';
import { sqlHandle } from '../../src/metadata/sql-handle.js';
import { interaction, newAccount } from '../metadata/fixtures.js';

// The job runner over a real SQLite database: several runners (nodes) share one file, as a server
// and a second server would on PostgreSQL. Nodes "die" by never heart-beating.

const quiet = { warn() {}, info() {} };

async function until<T>(what: string, fn: () => Promise<T | undefined>, ms = 15_000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = await fn();
    if (v !== undefined) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await sleep(25);
  }
}

describe('job runner', () => {
  let dir: string;
  let store: MetadataStore;
  let jobs: JobStore;
  const cleanups: (() => Promise<void>)[] = [];

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'ics-runner-'));
    store = await openMetadataStore({ kind: 'sqlite', path: join(dir, 'ics.sqlite') });
    await store.migrate();
    jobs = new KyselyJobStore(sqlHandle(store));
  });
  after(async () => {
    for (const c of cleanups.reverse()) await c();
    await store.close();
    await rm(dir, { recursive: true, force: true });
  });

  /** A node with a runner. `beat: false` never heart-beats: the node is dead once its claims lapse. */
  async function node(opts: { timeoutMs?: number; beat?: boolean } = {}) {
    const registry = new NodeRegistry(
      { jobs, store, log: quiet },
      { role: 'server', timeoutMs: opts.timeoutMs ?? 600 },
    );
    await registry.register();
    if (opts.beat !== false) registry.start();
    const runner = new JobRunner({ jobs, node: registry, log: quiet }, { pollMs: 50, retryBaseMs: 20 });
    cleanups.push(async () => {
      await runner.stop(500);
      await registry.stop().catch(() => undefined);
    });
    return { registry, runner };
  }

  const finished = (account: string, id: string) =>
    until(`job ${id} to finish`, async () => {
      const j = await jobs.getJob(account, id);
      return j && ['completed', 'failed', 'cancelled'].includes(j.status) ? j : undefined;
    });

  test('runs a job to completion, recording its progress; periodic jobs come back', async () => {
    const { runner } = await node();
    const kind = `once-${newAccount()}`;
    const runs: number[] = [];
    runner.register<{ n: number }, { seen: number }>({
      kind,
      async run(ctx) {
        await ctx.checkpoint({ state: { seen: ctx.job.payload.n }, progress: { half: 1 } });
        return { status: 'completed', progress: { done: ctx.job.payload.n } };
      },
    });
    const periodic = `tick-${newAccount()}`;
    runner.register({
      kind: periodic,
      maxFailures: Number.POSITIVE_INFINITY,
      async run() {
        runs.push(Date.now());
        return runs.length < 3 ? { status: 'queued', runAt: Date.now() + 30 } : { status: 'completed' };
      },
    });
    runner.start();
    const job = await runner.enqueue({ account: 'a', kind, payload: { n: 7 } });
    const done = await finished('a', job.id);
    assert.equal(done.status, 'completed');
    assert.deepEqual(done.progress, { done: 7 });
    assert.deepEqual(done.state, { seen: 7 });
    assert.equal(done.attempts, 1);
    await runner.enqueue({ account: '', id: periodic, kind: periodic, payload: {} });
    await finished('', periodic);
    assert.equal(runs.length, 3, 'rescheduled twice, then done');
  });

  test('a failing run is retried with backoff, then marked failed with its error', async () => {
    const { runner } = await node();
    const kind = `flaky-${newAccount()}`;
    let calls = 0;
    runner.register({
      kind,
      maxFailures: 3,
      async run() {
        calls++;
        throw new Error(`boom ${calls}`);
      },
    });
    runner.start();
    const job = await runner.enqueue({ account: 'a', kind, payload: {} });
    const done = await finished('a', job.id);
    assert.equal(done.status, 'failed');
    assert.equal(done.lastError, 'boom 3');
    assert.equal(done.failures, 3);
    assert.equal(calls, 3);
  });

  test('cancelling a running job stops it at its next checkpoint; a queued one is cancelled at once', async () => {
    const { runner } = await node();
    const kind = `long-${newAccount()}`;
    let steps = 0;
    runner.register({
      kind,
      async run(ctx) {
        for (;;) {
          steps++;
          await ctx.checkpoint({ progress: { steps } });
          await sleep(10);
        }
      },
    });
    runner.start();
    const job = await runner.enqueue({ account: 'a', kind, payload: {} });
    await until('the job to run', async () => (steps > 3 ? true : undefined));
    const flagged = await jobs.requestCancel('a', job.id, Date.now());
    assert.equal(flagged?.cancelRequested, true);
    const done = await finished('a', job.id);
    assert.equal(done.status, 'cancelled');
    const queued = await jobs.createJob(
      { account: 'a', kind, payload: {}, runAt: Date.now() + 60_000 },
      Date.now(),
    );
    assert.equal((await jobs.requestCancel('a', queued.job.id, Date.now()))?.status, 'cancelled');
  });

  test("a dead node's job is taken over from its checkpoint: every item exactly once", async () => {
    const account = newAccount('takeover');
    const kind = `items-${account}`;
    const ITEMS = 40;
    const guids = Array.from({ length: ITEMS }, () => interaction(account));
    let duplicates = 0;
    // Each step does its "work" (an insert) and checkpoints in one transaction, as deletion jobs do.
    const handler = (
      label: string,
      delayMs: number,
      stopAt?: number,
    ): JobHandler<unknown, { next: number }> => ({
      kind,
      async run(ctx) {
        let next = ctx.job.state?.next ?? 0;
        while (next < ITEMS) {
          if (stopAt !== undefined && next === stopAt) await sleep(60_000, undefined, { signal: ctx.signal });
          await store.transaction(async (tx) => {
            if (!(await tx.insertInteraction(guids[next]))) duplicates++;
            await ctx.checkpointIn(tx, { state: { next: next + 1 }, progress: { [label]: next + 1 } });
          });
          next++;
          await sleep(delayMs);
        }
        return { status: 'completed' };
      },
    });
    // Node A never heart-beats and stalls at item 10, as a frozen or killed process would.
    const a = await node({ timeoutMs: 400, beat: false });
    a.runner.register(handler('a', 0, 10));
    a.runner.start();
    const job = await a.runner.enqueue({ account, kind, payload: {} });
    await until('A to reach item 10', async () => {
      const j = await jobs.getJob(account, job.id);
      return (j?.state as { next?: number } | null)?.next === 10 ? true : undefined;
    });
    const b = await node({ timeoutMs: 400 });
    b.runner.register(handler('b', 1));
    b.runner.start();
    const done = await finished(account, job.id);
    assert.equal(done.status, 'completed');
    assert.equal(done.attempts, 2, 'claimed by A, then by B');
    assert.equal(duplicates, 0, 'no item twice');
    for (const g of guids) assert.ok(await store.getInteraction(account, g.guid), 'no item skipped');
    assert.equal(
      (await jobs.listNodes()).some((n) => n.id === a.registry.id),
      false,
      'A was reaped',
    );
  });

  test('stop() gives claims up so that another node takes the job at once', async () => {
    const kind = `resume-${newAccount()}`;
    const seen: string[] = [];
    const first = await node({ timeoutMs: 60_000 });
    const handler = (name: string): JobHandler => ({
      kind,
      async run(ctx) {
        seen.push(name);
        if (name === 'first') await sleep(60_000, undefined, { signal: ctx.signal });
        return { status: 'completed' };
      },
    });
    first.runner.register(handler('first'));
    first.runner.start();
    const job: JobRecord = await first.runner.enqueue({ account: 'a', kind, payload: {} });
    await until('the first run', async () => (seen.length === 1 ? true : undefined));
    assert.deepEqual(await first.runner.stop(2000), { cut: 0 }, 'the run stopped on its signal');
    const j = await jobs.getJob('a', job.id);
    assert.equal(j?.leaseNode, null, 'released, though the lease had a minute left');
    const second = await node({ timeoutMs: 60_000 });
    second.runner.register(handler('second'));
    second.runner.start();
    assert.equal((await finished('a', job.id)).status, 'completed');
    assert.deepEqual(seen, ['first', 'second']);
  });
});
