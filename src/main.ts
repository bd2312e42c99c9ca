import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { buildApp } from './app.js';
import { addClient } from './auth/client-admin.js';
import { type Config, loadConfig, localBaseUrl } from './config.js';
import { SCOPES } from './core/types.js';
import { createDeps, type Deps } from './deps.js';
import { type JobThread, startJobThread } from './job-thread.js';
import { PURGE_JOB } from './jobs/purge-job.js';
import { createLogger, logProcessWarnings } from './logging.js';
import { secureDataDir } from './process/file-modes.js';
import { ServerLock } from './process/server-lock.js';
import { DISPATCH_JOB } from './webhooks/types.js';

export interface RunningServer {
  app: FastifyInstance;
  deps: Deps;
  url: string;
  close(): Promise<void>;
}

/**
 * loadConfig → lock → createDeps → buildApp → recover → the job thread → listen. The caller owns
 * signals.
 */
export async function startServer(
  env: Record<string, string | undefined> = process.env,
): Promise<RunningServer> {
  const config = loadConfig(env);
  const tightened = await secureDataDir(config);
  // The embedded default allows one server per database; PostgreSQL nodes rely on heartbeats instead.
  const lock = config.database.kind === 'sqlite' ? ServerLock.acquire(config.database.path) : undefined;
  const log = createLogger({ level: config.logLevel });
  logProcessWarnings(log);
  let deps: Deps | undefined;
  let app: FastifyInstance | undefined;
  let thread: JobThread | undefined;
  try {
    deps = await createDeps(config, { loggerInstance: log, log, role: 'server' });
    app = await buildApp(deps);
    for (const t of tightened)
      app.log.warn(t, 'tightened the mode of a data file: it was readable by others');
    if (deps.secretsKey.source === 'file' && config.database.kind === 'postgres')
      app.log.warn(
        { keyId: deps.secretsKey.id },
        "ICS_SECRETS_KEY is not set: stored secrets are sealed with this node's own key file; give every node the same ICS_SECRETS_KEY",
      );
    await recover(deps, app, { embedded: lock !== undefined });
    await bootstrapClient(config, deps, app);
    // Background work runs on its own thread (job-thread.ts); this one answers requests. The thread
    // is up before the port opens.
    const jobs = startJobThread({ nodeId: deps.node.id, log });
    thread = jobs;
    deps.runner.runElsewhere(() => jobs.poke());
    deps.node.onBeat((held, at) => jobs.beat(held, at));
    await jobs.ready;
    await app.listen({ host: config.http.host, port: config.http.port });
    await deps.jobs.createJob(PURGE_JOB, Date.now());
    await deps.jobs.createJob(DISPATCH_JOB, Date.now());
    deps.runner.poke();
  } catch (err) {
    await thread?.stop().catch(() => undefined);
    await app?.close().catch(() => undefined);
    await deps?.close().catch(() => undefined);
    lock?.release();
    throw err;
  }
  const address = app.server.address();
  const port = typeof address === 'object' && address ? address.port : config.http.port;
  const running = app;
  const ready = deps;
  const jobs = thread;
  return {
    app: running,
    deps: ready,
    url: `${config.http.tls ? 'https' : 'http'}://${config.http.host.includes(':') ? `[${config.http.host}]` : config.http.host}:${port}`,
    async close() {
      try {
        await running.close();
        await jobs?.stop();
        await ready.close();
      } finally {
        lock?.release();
      }
    },
  };
}

/**
 * Finishes what dead processes left before serving, and only that: the work of nodes that provably
 * stopped (see NodeRegistry.reap). On the embedded store the server lock proves every earlier server
 * dead, so their upload intents are erased at once and purge entries they had claimed are taken
 * over; the in-flight uploads of a live CLI command (`ics seed`) are left alone. A failure here
 * (a bad entry, an outage) is logged and never stops start-up: the purge job retries.
 */
async function recover(deps: Deps, app: FastifyInstance, opts: { embedded: boolean }) {
  try {
    const reaped = await deps.node.reap({
      provenDead: opts.embedded ? (n) => n.role === 'server' : undefined,
    });
    const purged = opts.embedded ? await deps.purger.drainAbandoned() : await deps.purger.drain();
    if (reaped.nodes > 0 || purged > 0) app.log.info({ ...reaped, purged }, 'finished interrupted work');
  } catch (err) {
    app.log.error({ err }, 'could not finish interrupted work at start-up; the purge job will retry');
  }
}

/**
 * First start with no API clients: one client for account `default` with every scope. Its secret
 * goes to a file (0600) that is never overwritten — a later bootstrap, say a PostgreSQL node started
 * from the same folder, writes a file of its own — and never to stdout, which carries the JSON log.
 */
async function bootstrapClient(config: Config, deps: Deps, app: FastifyInstance) {
  if ((await deps.store.countClients()) > 0) return;
  const client = await addClient(deps.store, {
    account: 'default',
    scopes: SCOPES.join(' '),
    name: 'bootstrap',
  });
  const body = `${JSON.stringify(client, null, 2)}\n`;
  let file = join(config.dataDir, 'bootstrap-client.json');
  try {
    await writeFile(file, body, { mode: 0o600, flag: 'wx' });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    file = join(config.dataDir, `bootstrap-client-${client.clientId}.json`);
    await writeFile(file, body, { mode: 0o600, flag: 'wx' });
  }
  const base = localBaseUrl(config.http);
  process.stderr.write(
    [
      '',
      `No API clients existed, so one was created for account "default" with every scope: ${client.clientId}`,
      `Its secret is in ${file} (mode 0600); it is not shown anywhere else. Get a token:`,
      `  curl -s -u "$(node -p "const c=require('${file}');c.clientId+':'+c.clientSecret")" -d grant_type=client_credentials ${base}/Auth/connect/token`,
      '',
    ].join('\n'),
  );
  app.log.info({ clientId: client.clientId, file }, 'bootstrap client created; its secret is in the file');
}
