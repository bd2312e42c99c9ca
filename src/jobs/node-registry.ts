import { readFileSync, readlinkSync } from 'node:fs';
import { hostname } from 'node:os';
import { v7 as uuidv7 } from 'uuid';
import type { MetadataStore } from '../metadata/metadata-store.js';
import type { JobStore } from './job-store.js';
import { NodeForgottenError } from './kysely-job-store.js';
import type { NodeRecord, NodeRole } from './types.js';

export interface NodeLogger {
  warn(obj: object, msg: string): void;
  info(obj: object, msg: string): void;
}

export type HeldJobs = Awaited<ReturnType<JobStore['heartbeat']>>;

/**
 * This process as a node: a row in the nodes table, heart-beaten every timeout / 6. What the node
 * owns — upload intents, named leases, job claims — names it, and other nodes recover it only once
 * the node is provably dead: it stopped cleanly, its heartbeat is older than the timeout, or it ran
 * on this very host (same kernel and pid namespace) under a pid that no longer exists.
 */
export class NodeRegistry {
  readonly id: string;
  readonly #host = hostIdentity();
  #timer: NodeJS.Timeout | undefined;
  #beating: Promise<void> | undefined;
  readonly #listeners: ((held: HeldJobs, at: number) => void)[] = [];

  constructor(
    private readonly deps: { jobs: JobStore; store: MetadataStore; log: NodeLogger },
    readonly opts: {
      role: NodeRole;
      timeoutMs: number;
      /**
       * The id of a node registered and heart-beaten by another thread of this process (the job
       * thread, src/job-thread.ts, runs under its serving thread's node): this registry then never
       * registers, beats or stops it, and its listeners hear the beats that thread relays.
       */
      relayedId?: string;
    },
  ) {
    this.id = opts.relayedId ?? uuidv7();
  }

  /** Whether this registry is another thread's node, seen from here (opts.relayedId). */
  get relayed(): boolean {
    return this.opts.relayedId !== undefined;
  }

  /** A beat of the thread that owns the node, relayed to this one's listeners. */
  relay(held: HeldJobs, at: number): void {
    for (const listener of this.#listeners) listener(held, at);
  }

  /** How long a claim or lease of this node lasts without a heartbeat. */
  get leaseMs(): number {
    return this.opts.timeoutMs;
  }

  async register(now = Date.now()): Promise<void> {
    if (this.relayed) return;
    await this.deps.jobs.registerNode(this.#record(now));
  }

  /** Heart-beats until stop(); servers also reap dead nodes on every beat. */
  start(): void {
    if (this.relayed) return;
    const every = Math.max(200, Math.floor(this.opts.timeoutMs / 6));
    const tick = () => {
      this.#beating = this.beat()
        .catch((err) => this.deps.log.warn({ err }, 'node heartbeat failed; will retry'))
        .finally(() => {
          this.#beating = undefined;
          if (this.#timer) this.#timer = setTimeout(tick, every).unref();
        });
    };
    this.#timer = setTimeout(tick, every).unref();
  }

  /** Called after every heartbeat with the jobs this node held at `at` (when the beat began). */
  onBeat(listener: (held: HeldJobs, at: number) => void): void {
    this.#listeners.push(listener);
  }

  async beat(now = Date.now()): Promise<void> {
    let held: HeldJobs;
    try {
      held = await this.deps.jobs.heartbeat({ node: this.id, now, until: now + this.leaseMs });
    } catch (err) {
      if (!(err instanceof NodeForgottenError)) throw err;
      // Another node took us for dead (we stalled past the timeout) and freed what we held; our
      // fenced writes fail from here, so carrying on with a fresh row is safe.
      this.deps.log.warn({ node: this.id }, 'this node was declared dead by another; registering again');
      await this.register(now);
      held = [];
    }
    for (const listener of this.#listeners) listener(held, now);
    if (this.opts.role === 'server') await this.reap({ now });
  }

  /**
   * Frees the work of dead nodes: their upload intents become due (the purge job erases the partial
   * blobs), their job claims and leases are released, their rows removed. `provenDead` adds nodes the
   * caller knows to be dead (on the embedded store, the server lock proves every other server dead).
   */
  async reap(opts: { now?: number; provenDead?: (node: NodeRecord) => boolean } = {}) {
    const now = opts.now ?? Date.now();
    const dead = (await this.deps.jobs.listNodes()).filter(
      (n) => n.id !== this.id && (this.#isDead(n, now) || opts.provenDead?.(n) === true),
    );
    if (dead.length === 0) return { nodes: 0, intents: 0, jobs: 0, leases: 0 };
    const ids = dead.map((n) => n.id);
    // Intents first: once the rows are gone, nothing would name these nodes any more.
    const intents = await this.deps.store.releaseUploadIntents(ids, now);
    const freed = await this.deps.jobs.forgetNodes(ids);
    const result = { nodes: ids.length, intents, ...freed };
    this.deps.log.info({ ...result, dead: ids }, 'released the work of dead nodes');
    return result;
  }

  /** A clean stop: the node's claims and leases are free at once, its intents due at the next reap. */
  async stop(now = Date.now()): Promise<void> {
    if (this.relayed) return;
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = undefined;
    await this.#beating;
    await this.deps.jobs.stopNode(this.id, now);
  }

  #isDead(n: NodeRecord, now: number): boolean {
    return isNodeDead(n, { now, timeoutMs: this.opts.timeoutMs, host: this.#host });
  }

  #record(now: number): NodeRecord {
    return {
      id: this.id,
      role: this.opts.role,
      host: this.#host,
      pid: process.pid,
      startedAt: now,
      heartbeatAt: now,
      stoppedAt: null,
    };
  }
}

/**
 * Whether a node provably stopped: cleanly (stoppedAt), by silence (no heartbeat within the
 * timeout), or — on this very host — because its pid no longer exists.
 */
export function isNodeDead(n: NodeRecord, opts: { now: number; timeoutMs: number; host?: string }): boolean {
  if (n.stoppedAt !== null) return true;
  if (n.heartbeatAt < opts.now - opts.timeoutMs) return true;
  return n.host === (opts.host ?? hostIdentity()) && !pidAlive(n.pid);
}

/**
 * The host name, plus (on Linux) the boot id and the pid namespace: two nodes with the same identity
 * see the same pids, so a missing pid proves a node dead. Containers sharing a host name but not a
 * pid namespace get different identities and fall back to the heartbeat timeout.
 */
export function hostIdentity(): string {
  const parts = [hostname()];
  try {
    parts.push(readFileSync('/proc/sys/kernel/random/boot_id', 'utf8').trim());
    parts.push(readlinkSync('/proc/self/ns/pid'));
  } catch {
    // Not Linux: the host name alone, and the pid check only proves what it can.
  }
  return parts.join('|');
}

function pidAlive(pid: number): boolean {
  if (pid === process.pid) return true;
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}
