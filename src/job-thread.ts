import { readlinkSync } from 'node:fs';
import { setPriority } from 'node:os';
import { isMainThread, parentPort, Worker, workerData } from 'node:worker_threads';
import { loadConfig } from './config.js';
import { createDeps } from './deps.js';
import type { HeldJobs } from './jobs/node-registry.js';
import { createLogger, type Logger, logProcessWarnings } from './logging.js';

// `ics serve` runs its background work — the job runner with every handler: purging, retention
// sweeps, deletion jobs, exports, webhook deliveries — on a worker thread of its own, with its own
// connections to the metadata store and storage, so that none of it runs on the thread that answers
// requests. On SQLite the driver is synchronous: a job's transaction on the serving thread held the
// event loop for its statements and its commit, and a request that arrived meanwhile waited for it
// (docs/performance.md, the deletion-jobs figure). On this thread the two only share the machine's
// cores; on SQLite they queue for the write lock as two connections do, without blocking the
// serving thread's loop (sqlite-dialect.ts).
//
// The process stays one node: the serving thread registers it and heart-beats it, and relays each
// beat here (the runner stops a job whose claim was lost); this thread claims jobs under the same
// node id. Pokes (a job was added, a hold released) go the other way. If this thread dies, the
// process exits (the supervisor restarts it): a server that answers requests while its background
// work has stopped would look healthy and erase nothing.

type ToThread = { type: 'poke' } | { type: 'beat'; held: HeldJobs; at: number } | { type: 'stop' };
type FromThread = { type: 'ready' } | { type: 'stopped' } | { type: 'failed'; error: string };

interface ThreadData {
  icsJobThread: true;
  nodeId: string;
}

export interface JobThread {
  /** Wakes the thread's runner (a job was added or made due). */
  poke(): void;
  /** Relays a heartbeat of the serving thread's node. */
  beat(held: HeldJobs, at: number): void;
  /**
   * Resolves once the thread runs its runner; rejects if it could not start. (Until then a fault
   * such as a lack of file descriptors would stop it while it loads its modules.)
   */
  readonly ready: Promise<void>;
  /** Stops the runner (running jobs are told to stop and their claims given up), closes, exits. */
  stop(): Promise<void>;
}

/** Starts the job thread for the node `nodeId` of this process. */
export function startJobThread(opts: { nodeId: string; log: Logger }): JobThread {
  const data: ThreadData = { icsJobThread: true, nodeId: opts.nodeId };
  const [script, how] = entry();
  const worker = new Worker(script, { ...how, workerData: data });
  let stopping = false;
  let started = false;
  let stopped: (() => void) | undefined;
  let settle: { resolve(): void; reject(err: Error): void } | undefined;
  const ready = new Promise<void>((resolve, reject) => {
    settle = { resolve, reject };
  });
  ready.catch(() => undefined); // the caller awaits it; a later stop() need not
  const exited = new Promise<void>((resolve) => worker.once('exit', () => resolve()));
  const send = (m: ToThread) => {
    if (!stopping) worker.postMessage(m);
  };
  worker.on('message', (m: FromThread) => {
    if (m.type === 'ready') {
      started = true;
      settle?.resolve();
    }
    if (m.type === 'stopped') stopped?.();
    if (m.type === 'failed') settle?.reject(new Error(`the job thread could not start: ${m.error}`));
  });
  worker.on('error', (err) => {
    opts.log.fatal({ err }, 'the job thread failed');
    settle?.reject(err);
  });
  worker.on('exit', (code) => {
    if (stopping) return;
    if (!started) {
      settle?.reject(new Error(`the job thread exited (code ${code}) before it started`));
      return;
    }
    opts.log.fatal({ code }, 'the job thread stopped unexpectedly; exiting so that the server is restarted');
    process.exit(1);
  });
  return {
    ready,
    poke: () => send({ type: 'poke' }),
    beat: (held, at) => send({ type: 'beat', held, at }),
    async stop() {
      if (stopping) return exited;
      const done = new Promise<void>((resolve) => {
        stopped = resolve;
      });
      worker.postMessage({ type: 'stop' } satisfies ToThread);
      stopping = true;
      await Promise.race([done, exited]);
      await worker.terminate();
    },
  };
}

/**
 * The thread loads this same module. Built, it is JavaScript; from the sources (tests, `tsx`) it is
 * TypeScript, and a worker does not inherit tsx's loader from `--import tsx`: it registers it first.
 */
function entry(): [string | URL, { eval?: boolean }] {
  if (!import.meta.url.endsWith('.ts')) return [new URL(import.meta.url), {}];
  const tsx = import.meta.resolve('tsx/esm/api');
  const boot = `import(${JSON.stringify(tsx)}).then((m) => { m.register(); return import(${JSON.stringify(import.meta.url)}); })`;
  return [boot, { eval: true }];
}

/** The thread's side: its own deps (stores, storage, the runner with every handler), run until stopped. */
async function runThread(data: ThreadData) {
  const port = parentPort;
  if (!port) return;
  const post = (m: FromThread) => port.postMessage(m);
  let log: Logger | undefined;
  try {
    const config = loadConfig(process.env);
    log = createLogger({ level: config.logLevel }).child({ thread: 'jobs' });
    // A worker has its own process warnings (the AWS SDK's Node-version notice, for one).
    logProcessWarnings(log);
    yieldToRequests(log);
    const deps = await createDeps(config, { log, role: 'server', relayedNodeId: data.nodeId });
    port.on('message', (m: ToThread) => {
      if (m.type === 'poke') deps.runner.poke();
      else if (m.type === 'beat') deps.node.relay(m.held, m.at);
      else if (m.type === 'stop')
        deps
          .close()
          .catch((err) => log?.warn({ err }, 'error while closing the job thread'))
          .finally(() => post({ type: 'stopped' }));
    });
    deps.runner.start();
    post({ type: 'ready' });
  } catch (err) {
    log?.error({ err }, 'the job thread could not start');
    post({ type: 'failed', error: err instanceof Error ? err.message : String(err) });
    process.exitCode = 1;
  }
}

/**
 * On Linux, lowers this thread's scheduling priority (nice JOB_THREAD_NICE; a thread may always lower
 * its own): when the job thread and the serving thread want the same core, requests get it first.
 * Elsewhere nothing changes (the job's rests still share the process).
 */
function yieldToRequests(log: Logger) {
  let tid: number;
  try {
    tid = Number(readlinkSync('/proc/thread-self').split('/').at(-1));
  } catch {
    return; // not Linux
  }
  try {
    setPriority(tid, JOB_THREAD_NICE);
  } catch (err) {
    log.warn({ err }, "could not lower the job thread's priority");
  }
}

const JOB_THREAD_NICE = 19;

if (!isMainThread && (workerData as Partial<ThreadData> | null)?.icsJobThread === true)
  void runThread(workerData as ThreadData);
