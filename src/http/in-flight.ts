import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { requestTimeout } from '../core/errors.js';

// The requests this process is working on: for the request timeout (one sweep a second instead of
// a timer per request) and for shutdown, which reports the ones it had to cut.
//
// Fastify's own handlerTimeout is not used: its timer is cleared when the request stream closes,
// which happens as soon as a body has been read, so it never fires on a POST (Fastify 5.12).

export interface InFlightRequest {
  request: FastifyRequest;
  reply: FastifyReply;
  startedAt: number;
  /** Epoch ms after which an unanswered request gets 503; undefined for routes that stream. */
  deadline: number | undefined;
}

declare module 'fastify' {
  interface FastifyInstance {
    inFlight: InFlight;
  }
}

export class InFlight {
  readonly #requests = new Set<InFlightRequest>();
  #sweeper: NodeJS.Timeout | undefined;

  constructor(private readonly requestMs: number | undefined) {}

  /** onRequest: tracks the request until its response closes (finished or cut). */
  track(request: FastifyRequest, reply: FastifyReply): void {
    const startedAt = Date.now();
    const deadline =
      this.requestMs === undefined || request.routeOptions.config.streams
        ? undefined
        : startedAt + this.requestMs;
    const entry: InFlightRequest = { request, reply, startedAt, deadline };
    this.#requests.add(entry);
    reply.raw.once('close', () => this.#requests.delete(entry));
    if (deadline !== undefined && this.#sweeper === undefined) {
      this.#sweeper = setInterval(() => this.#sweep(), Math.min(1000, this.requestMs!));
      this.#sweeper.unref();
    }
  }

  /** Snapshot of what is running now. */
  list(): InFlightRequest[] {
    return [...this.#requests];
  }

  get size(): number {
    return this.#requests.size;
  }

  stop(): void {
    if (this.#sweeper !== undefined) clearInterval(this.#sweeper);
    this.#sweeper = undefined;
  }

  #sweep() {
    const now = Date.now();
    for (const entry of this.#requests) {
      if (entry.deadline === undefined || entry.deadline > now) continue;
      entry.deadline = undefined;
      const { reply, request } = entry;
      if (reply.sent) continue;
      if (reply.raw.headersSent) {
        reply.raw.destroy();
        continue;
      }
      request.log.warn({ timeoutSeconds: this.requestMs! / 1000 }, 'request timed out; answered 503');
      reply.send(requestTimeout());
      // The handler is still running (work is not cancelled); its answer, when it comes, is dropped.
      reply.hijack();
    }
  }
}

/** Registers the tracker (app.inFlight) and its hook. */
export function installInFlight(app: FastifyInstance, requestMs: number | undefined): InFlight {
  const inFlight = new InFlight(requestMs);
  app.decorate('inFlight', inFlight);
  app.addHook('onRequest', (request, reply, done) => {
    inFlight.track(request, reply);
    done();
  });
  app.addHook('onClose', (_app, done) => {
    inFlight.stop();
    done();
  });
  return inFlight;
}
