import type { InFlightRequest } from '../http/in-flight.js';
import { reloadCertificate } from '../http/tls.js';
import { startServer } from '../main.js';

/**
 * `ics serve`: runs until SIGTERM or SIGINT, then drains. New connections are refused at once and
 * requests on kept-alive ones get 503; requests in flight have ICS_SHUTDOWN_GRACE_SECONDS to finish,
 * after which they are cut (and named in the log). A second signal cuts at once. Exits 0 either way:
 * a drained shutdown is the normal end of a server's life.
 */
export async function serveCommand(): Promise<number> {
  const server = await startServer(process.env);
  const { app } = server;
  const graceMs = server.deps.config.timeouts.shutdownGraceMs;
  app.log.info(`ICS listening on ${server.url}`);
  const tls = server.deps.config.http.tls;
  if (server.deps.tlsFiles) app.log.info({ certificate: server.deps.tlsFiles.summary }, 'serving HTTPS');
  // SIGHUP (systemctl reload) re-reads the certificate; without TLS it is noted and ignored, never
  // Node's default of ending the process.
  process.on('SIGHUP', () => {
    if (tls) void reloadCertificate(app.server, tls, app.log);
    else app.log.info('SIGHUP: no TLS certificate to reload');
  });
  return new Promise<number>((resolve) => {
    let closing = false;
    let cutTimer: NodeJS.Timeout | undefined;
    const cut = (why: string) => {
      if (cutTimer !== undefined) clearTimeout(cutTimer);
      const running = app.inFlight.list();
      if (running.length > 0)
        app.log.warn(
          { cut: running.map(describe) },
          `${why}; cutting ${running.length} request(s) still running`,
        );
      app.server.closeAllConnections();
    };
    const stop = (signal: string) => {
      if (closing) return cut(`second ${signal}`);
      closing = true;
      app.log.info({ signal, inFlight: app.inFlight.size, graceSeconds: graceMs / 1000 }, 'shutting down');
      cutTimer = setTimeout(() => cut(`shutdown grace of ${graceMs / 1000} s is over`), graceMs);
      // A kept-alive connection whose request has just been answered would otherwise hold the close
      // open until the end of the grace.
      const idleSweep = setInterval(() => app.server.closeIdleConnections(), 200);
      // If closing the stores hangs after that, give up rather than linger.
      setTimeout(() => process.exit(1), graceMs + 15_000).unref();
      server.close().then(
        () => {
          clearTimeout(cutTimer);
          clearInterval(idleSweep);
          app.log.info('shut down');
          resolve(0);
        },
        (err) => {
          clearInterval(idleSweep);
          app.log.error({ err }, 'error while shutting down');
          resolve(1);
        },
      );
    };
    process.on('SIGINT', () => stop('SIGINT'));
    process.on('SIGTERM', () => stop('SIGTERM'));
  });
}

function describe({ request, startedAt }: InFlightRequest) {
  return {
    reqId: request.id,
    method: request.method,
    path: request.url.split('?')[0],
    runningSeconds: Math.round((Date.now() - startedAt) / 100) / 10,
  };
}
