import rateLimit, { normalizeIP } from '@fastify/rate-limit';
import type { FastifyInstance, FastifyRequest, preHandlerAsyncHookHandler } from 'fastify';
import { parseBasic } from '../auth/http-credentials.js';
import type { BucketConfig, Config } from '../config.js';
import { rateLimited } from '../core/errors.js';
import type { BucketStore, TakeResult } from '../rate-limit/token-bucket.js';

// Rate limits through @fastify/rate-limit, with token buckets as its store: the plugin supplies
// the hooks, the per-route configuration and the IETF draft headers (RateLimit-Limit,
// RateLimit-Remaining, RateLimit-Reset, and Retry-After on a 429); the buckets live in memory or in
// Redis (rate-limit/). Every route is limited per client once the request is authenticated (the
// hook runs after the auth hook) and per source address when it is public. The token endpoint has
// its own two: per source address before anything is parsed, and per client id asked for.
//
// A bucket is described to the plugin as max = burst and timeWindow = the time to refill a full
// burst, so the plugin's own parameters carry the bucket's two numbers.

export interface RateLimitOptions {
  store: BucketStore;
  limits: Config['rateLimits'];
}

/** What the token route adds to its options. */
export interface TokenRateLimits {
  config: { rateLimit: object | false };
  preHandler: preHandlerAsyncHookHandler[];
}

const window = (b: BucketConfig) => Math.max(1, Math.round((b.burst / b.perSecond) * 1000));
const address = (request: FastifyRequest) => `addr:${normalizeIP(request.ip)}`;
const MAX_KEY = 128;

/** Registers the plugin (before the routes, whose onRoute it watches); returns the token route's part. */
export async function registerRateLimits(
  app: FastifyInstance,
  opts: RateLimitOptions,
): Promise<TokenRateLimits> {
  const { limits } = opts;
  let lastWarning = 0;
  const onStoreError = (err: unknown) => {
    if (Date.now() - lastWarning < 60_000) return;
    lastWarning = Date.now();
    app.log.warn({ err: (err as Error).message }, 'rate-limit store failed; requests pass unlimited');
  };
  await app.register(rateLimit, {
    global: limits.perClient !== undefined,
    hook: 'onRequest',
    enableDraftSpec: true,
    // Limits fail open: a broken Redis must not take the API down with it.
    skipOnError: true,
    store: pluginStore(opts.store, onStoreError),
    ...(limits.perClient && { max: limits.perClient.burst, timeWindow: window(limits.perClient) }),
    keyGenerator: (request) => (request.actor ? `client:${request.actor.clientId}` : address(request)),
    errorResponseBuilder: (_request, context) => rateLimited(Math.ceil(context.ttl / 1000)),
  });

  const perAddress = limits.tokenPerAddress;
  const perClientId = limits.tokenPerClientId;
  const preHandler: preHandlerAsyncHookHandler[] = [];
  if (perClientId !== undefined) {
    const check = app.createRateLimit({
      max: perClientId.burst,
      timeWindow: window(perClientId),
      keyGenerator: (request) => `token-client:${requestedClientId(request)}`,
    });
    preHandler.push(async (request, reply) => {
      if (requestedClientId(request) === undefined) return;
      const result = await check(request);
      if (result.isAllowed || !result.isExceeded) return;
      reply.headers({
        'ratelimit-limit': result.max,
        'ratelimit-remaining': 0,
        'ratelimit-reset': result.ttlInSeconds,
        'retry-after': result.ttlInSeconds,
      });
      throw rateLimited(result.ttlInSeconds);
    });
  }
  return {
    config: {
      rateLimit: perAddress
        ? {
            max: perAddress.burst,
            timeWindow: window(perAddress),
            keyGenerator: (request: FastifyRequest) => `token-${address(request)}`,
          }
        : false,
    },
    preHandler,
  };
}

/** The client id a token request names (HTTP Basic or the form), bounded in length; undefined if none. */
function requestedClientId(request: FastifyRequest): string | undefined {
  const basic = parseBasic(request.headers.authorization);
  const id =
    basic.kind === 'ok' ? basic.clientId : (request.body as { client_id?: unknown } | undefined)?.client_id;
  return typeof id === 'string' && id !== '' ? id.slice(0, MAX_KEY) : undefined;
}

/** The plugin's store interface (incr with a callback) over a BucketStore. */
function pluginStore(store: BucketStore, onError: (err: unknown) => void) {
  const toPlugin = (r: TakeResult, max: number) => ({
    current: r.allowed ? max - r.remaining : max + 1,
    ttl: r.resetMs,
  });
  const adapter = {
    incr(
      key: string,
      callback: (err: Error | null, result?: { current: number; ttl: number }) => void,
      timeWindow: number,
      max: number,
    ) {
      const bucket = { burst: max, perSecond: (max * 1000) / timeWindow };
      if (store.takeSync) return callback(null, toPlugin(store.takeSync(key, bucket), max));
      store.take(key, bucket).then(
        (r) => callback(null, toPlugin(r, max)),
        (err: Error) => {
          onError(err);
          callback(err);
        },
      );
    },
    child() {
      return adapter;
    },
  };
  // The plugin constructs its store; this "class" hands it the adapter over the shared buckets.
  return class {
    constructor() {
      // biome-ignore lint/correctness/noConstructorReturn: the plugin insists on a constructor
      return adapter;
    }
  } as unknown as new () => typeof adapter;
}
