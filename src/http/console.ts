import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import fastifyStatic from '@fastify/static';
import type { FastifyPluginAsync, FastifyReply } from 'fastify';
import type { Config } from '../config.js';

// The web console (console/, built by `npm run build:console` into dist/console/) is static files
// plus one small generated document, /console/config.json. It is a client of the public API only:
// nothing here reads data, and every route is public like the files a browser needs to sign in.

/** dist/console of this package, whether the server runs from dist/ or from src/ through tsx. */
export const DEFAULT_CONSOLE_ROOT = fileURLToPath(new URL('../../dist/console/', import.meta.url));

export interface ConsoleOptions {
  /** The built console: index.html, sw.js, assets/. */
  root: string;
  /** What the console's search form allows (0 = unlimited), so it can say so before the API does. */
  searchWindowDays: number;
  oidc: { issuer: string; clientId: string; scope: string; accountClaim: string } | undefined;
}

/** The console's options from the configuration, or undefined when it is switched off. */
export function consoleOptions(config: Config, root = DEFAULT_CONSOLE_ROOT): ConsoleOptions | undefined {
  if (!config.console.enabled) return undefined;
  const { oidc } = config.auth;
  const { oidcClientId, oidcScope } = config.console;
  return {
    root,
    searchWindowDays: config.limits.searchWindowMs / 86_400_000,
    oidc:
      oidc && oidcClientId
        ? { issuer: oidc.issuer, clientId: oidcClientId, scope: oidcScope, accountClaim: oidc.accountClaim }
        : undefined,
  };
}

/**
 * No inline script or style, nothing from another origin except the OIDC issuer (discovery and
 * token requests), media and downloads from this origin (blob: for the fallback player).
 */
export function consoleCsp(opts: Pick<ConsoleOptions, 'oidc'>): string {
  const connect = ["'self'", ...(opts.oidc ? [new URL(opts.oidc.issuer).origin] : [])];
  return [
    "default-src 'none'",
    "script-src 'self'",
    "style-src 'self'",
    "img-src 'self' blob:",
    "media-src 'self' blob:",
    `connect-src ${connect.join(' ')}`,
    "worker-src 'self'",
    "manifest-src 'self'",
    "base-uri 'none'",
    "form-action 'none'",
    "frame-ancestors 'none'",
  ].join('; ');
}

const NOT_BUILT = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>ICS console not built</title></head>
<body><h1>The ICS console is not built</h1>
<p>This server has no console files in <code>dist/console/</code>. Run <code>npm run build</code>
in the ICS directory (it builds the server and the console), then reload this page.</p>
<p>The API under <code>/interaction-content</code> works without it.</p></body></html>
`;

export const consoleRoutes =
  (opts: ConsoleOptions): FastifyPluginAsync =>
  async (app) => {
    const headers = {
      'content-security-policy': consoleCsp(opts),
      'x-content-type-options': 'nosniff',
      'x-frame-options': 'DENY',
      'referrer-policy': 'no-referrer',
      'cross-origin-opener-policy': 'same-origin',
      'cross-origin-resource-policy': 'same-origin',
      'permissions-policy': 'camera=(), microphone=(), geolocation=(), payment=()',
    };
    app.addHook('onSend', (_request, reply, _payload, done) => {
      reply.headers(headers);
      done();
    });

    // The service worker's scope is /console/, so the page must live below it.
    app.get('/console', { schema: { hide: true } }, (_request, reply) => reply.redirect('/console/', 301));

    const config = {
      apiBase: '/interaction-content',
      tokenEndpoint: '/Auth/connect/token',
      searchWindowDays: opts.searchWindowDays,
      oidc: opts.oidc ?? null,
    };
    app.get('/console/config.json', { schema: { hide: true } }, (_request, reply) =>
      reply.header('cache-control', 'no-store').send(config),
    );

    if (!existsSync(join(opts.root, 'index.html'))) {
      app.log.warn({ root: opts.root }, 'the console is not built: /console answers 503');
      const notBuilt = (_request: unknown, reply: FastifyReply) =>
        reply.code(503).header('cache-control', 'no-store').type('text/html; charset=utf-8').send(NOT_BUILT);
      app.get('/console/', { schema: { hide: true } }, notBuilt);
      app.get('/console/*', { schema: { hide: true } }, notBuilt);
      return;
    }

    await app.register(fastifyStatic, {
      root: opts.root,
      prefix: '/console/',
      decorateReply: false,
      index: ['index.html'],
      // Vite writes .br and .gz beside each file (console/vite.config.ts); the smallest accepted one is sent.
      preCompressed: true,
      cacheControl: false,
      dotfiles: 'deny',
      schemaHide: true,
      setHeaders(res, path) {
        // Hashed file names never change their bytes; everything else is checked on every load.
        res.setHeader(
          'cache-control',
          path.includes(`${join(opts.root, 'assets')}`) ? 'public, max-age=31536000, immutable' : 'no-cache',
        );
      },
    });
  };
