import type { FastifyInstance, FastifyServerOptions } from 'fastify';
import type { Config } from '../config.js';

// How long a connection may take over each part of a request (docs/security.md, "Limits"). Node's
// own requestTimeout counts until the whole body has arrived, which a 5 GiB upload cannot promise,
// so the body gets an inactivity timeout instead, and the time to answer is bounded on every route
// except the two that stream (upload and download) by the in-flight tracker (in-flight.ts).

declare module 'fastify' {
  interface FastifyContextConfig {
    /** The route streams a body in or out for as long as it needs: no overall time limit. */
    streams?: boolean;
  }
}

type Timeouts = Config['timeouts'];

/** Server options: headers deadline, keep-alive, and the idle (no byte either way) timeout. */
export function serverTimeouts(t: Timeouts): Partial<FastifyServerOptions> {
  return {
    connectionTimeout: t.idleMs,
    keepAliveTimeout: t.keepAliveMs,
    requestTimeout: 0,
    // Node checks the headers deadline on an interval (30 s by default), which would let a stalled
    // connection live up to twice the deadline; check at least every second.
    http: { headersTimeout: t.headersMs, connectionsCheckingInterval: Math.min(1000, t.headersMs) },
  } as Partial<FastifyServerOptions>;
}

/** The body inactivity timeout. */
export function installBodyTimeout(app: FastifyInstance, t: Timeouts) {
  app.addHook('onRequest', (request, _reply, done) => {
    const raw = request.raw;
    // Only requests that announce a body; 'request' fires once the headers are in, before a
    // bodiless request counts as complete. (app.inject's simulated requests have no socket to time.)
    const announced =
      raw.headers['transfer-encoding'] !== undefined || Number(raw.headers['content-length']) > 0;
    if (!announced || raw.complete || typeof raw.setTimeout !== 'function') return done();
    // While the body arrives, silence for bodyIdleMs cuts the connection; the upload (or the body
    // parser) then sees an aborted body and cleans up as for a client that went away.
    const socket = raw.socket;
    const idle = socket.timeout ?? t.idleMs;
    const stalled = () => {
      request.log.info({ timeoutSeconds: t.bodyIdleMs / 1000 }, 'request body stalled; connection closed');
      socket.destroy();
    };
    raw.setTimeout(t.bodyIdleMs, stalled);
    raw.once('end', () => {
      raw.off('timeout', stalled);
      // Back to the idle timeout, unless Node has moved on to the keep-alive one meanwhile.
      if (!socket.destroyed && socket.timeout === t.bodyIdleMs) socket.setTimeout(idle);
    });
    done();
  });
}
