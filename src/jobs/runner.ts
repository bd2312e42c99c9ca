import type { MetadataTx } from '../metadata/metadata-store.js';
import type { JobEnd, JobPatch, JobStore } from './job-store.js';
import type { NodeLogger, NodeRegistry } from './node-registry.js';
import type { JobFence, JobProgress, JobRecord, NewJob } from './types.js';

/** Why a run must stop before it finished. */
export type StopReason = 'cancelled' | 'lost' | 'shutdown';

/** Thrown by checkpoints (and available to handlers) when the run must stop. */
export class JobStopped extends Error {
  constructor(readonly reason: StopReason) {
    super(`job stopped: ${reason}`);
    this.name = 'JobStopped';
  }
}

export interface JobContext<P = unknown, S = unknown> {
  readonly job: JobRecord<P, S>;
  /** Aborted (with a JobStopped reason) when the job is cancelled, its claim is lost, or the node stops. */
  readonly signal: AbortSignal;
  /** Saves state/progress under the claim; throws JobStopped when the run must stop. */
  checkpoint(patch: { state?: S; progress?: JobProgress }): Promise<void>;
  /**
   * The same inside a metadata transaction, so the checkpoint commits with the work it records and a
   * run that lost its claim rolls its work back (this is what makes "never twice, never skipped").
   */
  checkpointIn(tx: MetadataTx, patch: { state?: S; progress?: JobProgress }): Promise<void>;
  /** Throws JobStopped if the signal is aborted. */
  throwIfStopped(): void;
}

export type JobResult<S = unknown> =
  | { status: 'completed'; state?: S; progress?: JobProgress }
  /** Run again at runAt: 'queued' for periodic work, 'waiting' for work blocked on something (holds). */
  | { status: 'queued' | 'waiting'; runAt: number; state?: S; progress?: JobProgress }
  | { status: 'failed'; error: string; state?: S; progress?: JobProgress };

export interface JobHandler<P = unknown, S = unknown> {
  readonly kind: string;
  /** Jobs of this kind running at once on one node (default 1). */
  readonly concurrency?: number;
  /** Failed runs in a row before the job is marked failed (default 5; Infinity for periodic work). */
  readonly maxFailures?: number;
  run(ctx: JobContext<P, S>): Promise<JobResult<S>>;
}

interface Running {
  fence: JobFence;
  kind: string;
  controller: AbortController;
  done: Promise<void>;
  launchedAt: number;
}

const key = (account: string, id: string) => `${account}\u0000${id}`;

/**
 * The one durable job runner. Job rows live in the metadata database; every node that serves runs a
 * runner, which claims due jobs of the kinds it has handlers for (with a lease that its node's
 * heartbeat extends), runs them, and records how each run ended. A node that dies stops
 * heart-beating; its claims run out within the node timeout and another node takes the jobs up
 * from their last checkpoint. Every write a worker makes is fenced by its claim, so a worker that
 * lost its claim can change nothing.
 */
export class JobRunner {
  readonly #handlers = new Map<string, JobHandler>();
  readonly #running = new Map<string, Running>();
  #timer: NodeJS.Timeout | undefined;
  #ticking: Promise<void> | undefined;
  #again = false;
  #stopped = true;
  #elsewhere: (() => void) | undefined;

  constructor(
    private readonly deps: { jobs: JobStore; node: NodeRegistry; log: NodeLogger },
    private readonly opts: { pollMs: number; retryBaseMs?: number } = { pollMs: 1000 },
  ) {
    deps.node.onBeat((held, at) => this.#onBeat(held, at));
  }

  register<P, S>(handler: JobHandler<P, S>): void {
    this.#handlers.set(handler.kind, handler as unknown as JobHandler);
  }

  get jobs(): JobStore {
    return this.deps.jobs;
  }

  /** Adds a job and wakes the runner. */
  async enqueue<P>(job: NewJob<P>): Promise<JobRecord<P>> {
    const { job: created } = await this.deps.jobs.createJob(job, Date.now());
    this.poke();
    return created as JobRecord<P>;
  }

  /**
   * This node's jobs run on another thread's runner (the job thread of `ics serve`,
   * src/job-thread.ts): from now on poke() wakes that one, and this one is never started.
   */
  runElsewhere(poke: () => void): void {
    this.#elsewhere = poke;
  }

  /** Wakes the runner now (a job was added or made due on this node). */
  poke(): void {
    if (this.#elsewhere) {
      this.#elsewhere();
      return;
    }
    if (this.#stopped) return;
    if (this.#ticking) {
      this.#again = true;
      return;
    }
    this.#schedule(0);
  }

  start(): void {
    if (this.#elsewhere) throw new Error('this runner relays to another thread; it does not run jobs itself');
    this.#stopped = false;
    this.#schedule(0);
  }

  /**
   * Stops claiming, tells running jobs to stop (JobStopped 'shutdown'), waits up to graceMs for them,
   * and gives their claims up so another node (or the next start) takes them over at once.
   */
  async stop(graceMs = 10_000): Promise<{ cut: number }> {
    this.#stopped = true;
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = undefined;
    await this.#ticking;
    const running = [...this.#running.values()];
    for (const r of running) r.controller.abort(new JobStopped('shutdown'));
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<void>((resolve) => {
      timer = setTimeout(resolve, graceMs).unref();
    });
    await Promise.race([Promise.all(running.map((r) => r.done)), timeout]);
    clearTimeout(timer);
    const cut = [...this.#running.values()];
    for (const r of cut) await this.deps.jobs.releaseJob(r.fence, Date.now()).catch(() => undefined);
    return { cut: cut.length };
  }

  /** How many jobs run on this node now. */
  get active(): number {
    return this.#running.size;
  }

  #schedule(delayMs: number) {
    if (this.#stopped) return;
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = setTimeout(() => {
      this.#timer = undefined;
      this.#ticking = this.#tick()
        .catch((err) => {
          this.deps.log.warn({ err }, 'job runner could not claim jobs; will retry');
          return this.opts.pollMs;
        })
        .then((next) => {
          this.#ticking = undefined;
          const again = this.#again;
          this.#again = false;
          this.#schedule(again ? 0 : (next ?? this.opts.pollMs));
        });
    }, delayMs).unref();
  }

  /** Claims and starts what is due; returns when to look again. */
  async #tick(): Promise<number> {
    const free = [...this.#handlers.values()].filter((h) => this.#count(h.kind) < (h.concurrency ?? 1));
    if (free.length === 0) return this.opts.pollMs;
    const now = Date.now();
    const next = await this.deps.jobs.nextRunAt(free.map((h) => h.kind));
    if (next === undefined || next > now) {
      return next === undefined ? this.opts.pollMs : Math.min(this.opts.pollMs, next - now);
    }
    for (const handler of free) {
      if (this.#stopped) break;
      const claimed = await this.deps.jobs.claimJobs({
        kind: handler.kind,
        node: this.deps.node.id,
        now,
        until: now + this.deps.node.leaseMs,
        limit: (handler.concurrency ?? 1) - this.#count(handler.kind),
      });
      for (const job of claimed) this.#launch(handler, job);
    }
    return 0;
  }

  #count(kind: string): number {
    let n = 0;
    for (const r of this.#running.values()) if (r.kind === kind) n++;
    return n;
  }

  #launch(handler: JobHandler, job: JobRecord) {
    const fence: JobFence = {
      account: job.account,
      id: job.id,
      node: this.deps.node.id,
      attempt: job.attempts,
    };
    const controller = new AbortController();
    const stop = (reason: StopReason) => {
      if (!controller.signal.aborted) controller.abort(new JobStopped(reason));
    };
    const stopped = () => {
      const reason = controller.signal.reason;
      return reason instanceof JobStopped ? reason : new JobStopped('lost');
    };
    const after = (saved: { saved: boolean; cancelRequested: boolean }) => {
      if (!saved.saved) stop('lost');
      else if (saved.cancelRequested) stop('cancelled');
      if (controller.signal.aborted) throw stopped();
    };
    const ctx: JobContext = {
      job,
      signal: controller.signal,
      checkpoint: async (patch) => after(await this.deps.jobs.saveJob(fence, patch as JobPatch, Date.now())),
      checkpointIn: async (tx, patch) =>
        after(await this.deps.jobs.saveJobIn(tx, fence, patch as JobPatch, Date.now())),
      throwIfStopped: () => {
        if (controller.signal.aborted) throw stopped();
      },
    };
    const done = (async () => {
      if (job.cancelRequested) {
        await this.deps.jobs.finishJob(fence, { status: 'cancelled' }, Date.now());
        return;
      }
      let end: JobEnd | undefined;
      try {
        const result = await handler.run(ctx);
        const patch = { state: result.state, progress: result.progress };
        end =
          result.status === 'failed'
            ? { status: 'failed', error: result.error, patch }
            : result.status === 'completed'
              ? { status: 'completed', patch }
              : { status: result.status, runAt: result.runAt, patch, claimedAt: job.updatedAt };
      } catch (err) {
        end = this.#afterError(handler, job, err);
      }
      if (end) {
        const kept = await this.deps.jobs.finishJob(fence, end, Date.now());
        if (!kept)
          this.deps.log.warn({ job: job.id, kind: job.kind }, 'job claim was lost before its run ended');
      } else if (stopped().reason === 'shutdown') {
        // Stopped for a shutdown: give the claim up, so another node (or the next start) resumes it.
        await this.deps.jobs.releaseJob(fence, Date.now());
      }
    })()
      .catch((err) => this.deps.log.warn({ err, job: job.id, kind: job.kind }, 'could not record a job run'))
      .finally(() => {
        this.#running.delete(key(job.account, job.id));
        this.poke();
      });
    this.#running.set(key(job.account, job.id), {
      fence,
      kind: handler.kind,
      controller,
      done,
      launchedAt: Date.now(),
    });
  }

  /** How a run that threw ends: cancelled, given up (shutdown, lost claim), retried, or failed. */
  #afterError(handler: JobHandler, job: JobRecord, err: unknown): JobEnd | undefined {
    if (err instanceof JobStopped || (err as { cause?: unknown })?.cause instanceof JobStopped) {
      const reason = err instanceof JobStopped ? err.reason : (err as { cause: JobStopped }).cause.reason;
      if (reason === 'cancelled') return { status: 'cancelled' };
      return undefined; // lost: someone else has it; shutdown: stop() releases the claim
    }
    const error = err instanceof Error ? err.message : String(err);
    const failures = job.failures + 1;
    if (failures >= (handler.maxFailures ?? 5)) {
      this.deps.log.warn({ err, job: job.id, kind: job.kind, failures }, 'job failed for good');
      return { status: 'failed', error };
    }
    // Exponential backoff with jitter: 1 s, 2 s, 4 s … up to 5 minutes.
    const base = this.opts.retryBaseMs ?? 1000;
    const delay = Math.min(300_000, base * 2 ** (failures - 1)) * (0.5 + Math.random() / 2);
    this.deps.log.warn({ err, job: job.id, kind: job.kind, failures }, 'job run failed; will retry');
    return {
      status: job.status === 'waiting' ? 'waiting' : 'queued',
      runAt: Date.now() + delay,
      error,
      failed: true,
    };
  }

  #onBeat(held: { account: string; id: string; attempt: number; cancelRequested: boolean }[], at: number) {
    const mine = new Map(held.map((h) => [key(h.account, h.id), h]));
    for (const [k, r] of this.#running) {
      if (r.launchedAt >= at) continue; // claimed after the beat looked

      const h = mine.get(k);
      if (!h || h.attempt !== r.fence.attempt) r.controller.abort(new JobStopped('lost'));
      else if (h.cancelRequested) r.controller.abort(new JobStopped('cancelled'));
    }
  }
}
