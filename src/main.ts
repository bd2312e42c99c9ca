import { chmod, mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { buildApp } from './app.js';
import { addClient } from './auth/client-admin.js';
import { type Config, loadConfig } from './config.js';
import { SCOPES } from './core/types.js';
import { createDeps, type Deps } from './deps.js';

export interface RunningServer {
  app: FastifyInstance;
  deps: Deps;
  url: string;
  close(): Promise<void>;
}

/** loadConfig → createDeps → recover → buildApp → listen. The caller owns signals. */
export async function startServer(
  env: Record<string, string | undefined> = process.env,
): Promise<RunningServer> {
  const config = loadConfig(env);
  await mkdir(config.dataDir, { recursive: true });
  const logger = { level: config.logLevel, redact: ['req.headers.authorization'] };
  const deps = await createDeps(config, { logger });
  let app: FastifyInstance | undefined;
  try {
    app = await buildApp(deps);
    await recover(deps, app);
    await bootstrapClient(config, deps, app);
    await app.listen({ host: config.http.host, port: config.http.port });
    deps.purger.start();
  } catch (err) {
    await app?.close().catch(() => undefined);
    await deps.close().catch(() => undefined);
    throw err;
  }
  const address = app.server.address();
  const port = typeof address === 'object' && address ? address.port : config.http.port;
  const running = app;
  return {
    app: running,
    deps,
    url: `http://${config.http.host.includes(':') ? `[${config.http.host}]` : config.http.host}:${port}`,
    async close() {
      await running.close();
      await deps.close();
    },
  };
}

/**
 * Finishes what a crash interrupted before serving: on the embedded single-node store no upload can
 * still be in flight and no other purge worker runs, so reserved upload keys are erased at once and
 * entries a killed process had leased are taken over; then the purge queue is drained.
 */
async function recover(deps: Deps, app: FastifyInstance) {
  const singleNode = deps.config.database.kind === 'sqlite';
  if (singleNode) await deps.store.expediteUploadIntents(Date.now());
  const purged = singleNode ? await deps.purger.drainAbandoned() : await deps.purger.drain();
  const swept = await deps.blobs.sweepTemporary(singleNode ? 0 : 24 * 3600_000);
  if (purged > 0 || swept > 0) app.log.info({ purged, swept }, 'finished interrupted work');
}

/** First start with no API clients: one client for account `default`, shown once, kept 0600. */
async function bootstrapClient(config: Config, deps: Deps, app: FastifyInstance) {
  if ((await deps.store.countClients()) > 0) return;
  const client = await addClient(deps.store, {
    account: 'default',
    scopes: SCOPES.join(' '),
    name: 'bootstrap',
  });
  const file = join(config.dataDir, 'bootstrap-client.json');
  await writeFile(file, `${JSON.stringify(client, null, 2)}\n`, { mode: 0o600 });
  await chmod(file, 0o600);
  const host = config.http.host === '0.0.0.0' || config.http.host === '::' ? '127.0.0.1' : config.http.host;
  const base = `http://${host.includes(':') ? `[${host}]` : host}:${config.http.port}`;
  process.stdout.write(
    [
      '',
      'No API clients existed, so one was created for account "default" with every scope:',
      `  client id:     ${client.clientId}`,
      `  client secret: ${client.clientSecret}`,
      `(also written to ${file}, mode 0600; it is not shown again)`,
      'Get a token:',
      `  curl -s -u '${client.clientId}:${client.clientSecret}' -d grant_type=client_credentials ${base}/Auth/connect/token`,
      '',
    ].join('\n'),
  );
  app.log.info({ clientId: client.clientId, file }, 'bootstrap client created');
}
