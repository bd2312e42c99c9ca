import { startServer } from '../main.js';

export async function serveCommand(): Promise<number> {
  const server = await startServer(process.env);
  server.app.log.info(`ICS listening on ${server.url}`);
  await new Promise<void>((resolve) => {
    let closing = false;
    const stop = (signal: string) => {
      if (closing) return;
      closing = true;
      server.app.log.info({ signal }, 'shutting down');
      const force = setTimeout(() => process.exit(1), 15_000).unref();
      server.close().then(
        () => {
          clearTimeout(force);
          resolve();
        },
        (err) => {
          server.app.log.error({ err }, 'error while shutting down');
          resolve();
        },
      );
    };
    process.once('SIGINT', () => stop('SIGINT'));
    process.once('SIGTERM', () => stop('SIGTERM'));
  });
  return 0;
}
