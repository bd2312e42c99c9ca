// How the server serves the console (src/http/console.ts), over app.inject with a small stand-in build.
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { brotliCompressSync } from 'node:zlib';
import type { FastifyInstance } from 'fastify';
import { buildApp } from '../../src/app.js';
import { ConfigError, loadConfig } from '../../src/config.js';
import { createDeps } from '../../src/deps.js';
import { consoleOptions } from '../../src/http/console.js';

const OIDC = {
  ICS_OIDC_JWKS_URL: 'https://idp.example/jwks',
  ICS_OIDC_ISSUER: 'https://idp.example/realms/cc',
  ICS_OIDC_AUDIENCE: 'ics',
};

async function tempDir(t: { after(fn: () => Promise<void>): void }, prefix: string) {
  const dir = await mkdtemp(join(tmpdir(), prefix));
  t.after(() => rm(dir, { recursive: true, force: true }));
  return dir;
}

/** A stand-in for dist/console: what Vite writes, in miniature. */
async function fakeBuild(t: { after(fn: () => Promise<void>): void }) {
  const root = await tempDir(t, 'ics-console-root-');
  await mkdir(join(root, 'assets'));
  await writeFile(join(root, 'index.html'), '<!doctype html><title>ICS console</title>');
  await writeFile(join(root, 'sw.js'), 'self.addEventListener("fetch", () => {});');
  const js = 'console.log("console");'.repeat(50);
  await writeFile(join(root, 'assets', 'index-abc123.js'), js);
  await writeFile(join(root, 'assets', 'index-abc123.js.br'), brotliCompressSync(js));
  return root;
}

async function app(
  t: { after(fn: () => Promise<void>): void },
  opts: { env?: Record<string, string>; root?: string } = {},
): Promise<FastifyInstance> {
  const dataDir = await tempDir(t, 'ics-console-data-');
  const config = loadConfig({ ICS_DATA_DIR: dataDir, ...opts.env });
  const deps = await createDeps(config);
  if (opts.root) deps.console = consoleOptions(config, opts.root);
  const server = await buildApp(deps);
  t.after(async () => {
    await server.close();
    await deps.close();
  });
  return server;
}

describe('serving the console', () => {
  test('/console redirects into the service worker scope; the page has a strict CSP and security headers', async (t) => {
    const server = await app(t, { root: await fakeBuild(t) });
    const redirect = await server.inject('/console');
    assert.equal(redirect.statusCode, 301);
    assert.equal(redirect.headers.location, '/console/');

    const page = await server.inject('/console/');
    assert.equal(page.statusCode, 200);
    assert.match(String(page.headers['content-type']), /^text\/html/);
    assert.equal(
      page.headers['content-security-policy'],
      "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' blob:; media-src 'self' blob:; " +
        "connect-src 'self'; worker-src 'self'; manifest-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
    );
    assert.equal(page.headers['x-content-type-options'], 'nosniff');
    assert.equal(page.headers['x-frame-options'], 'DENY');
    assert.equal(page.headers['referrer-policy'], 'no-referrer');
    assert.equal(page.headers['cache-control'], 'no-cache');
    assert.equal((await server.inject('/console/sw.js')).headers['cache-control'], 'no-cache');
  });

  test('hashed assets are immutable and sent pre-compressed when the browser takes it', async (t) => {
    const server = await app(t, { root: await fakeBuild(t) });
    const res = await server.inject({
      url: '/console/assets/index-abc123.js',
      headers: { 'accept-encoding': 'br, gzip' },
    });
    assert.equal(res.statusCode, 200);
    assert.equal(res.headers['content-encoding'], 'br');
    assert.equal(res.headers['cache-control'], 'public, max-age=31536000, immutable');
    assert.match(String(res.headers['content-security-policy']), /script-src 'self'/);
    const plain = await server.inject('/console/assets/index-abc123.js');
    assert.equal(plain.headers['content-encoding'], undefined);
    assert.equal(plain.body, 'console.log("console");'.repeat(50));
  });

  test('nothing outside the build is reachable; unknown files are 404', async (t) => {
    const server = await app(t, { root: await fakeBuild(t) });
    for (const url of [
      '/console/../package.json',
      '/console/%2e%2e/package.json',
      '/console/nope.js',
      '/console/.env',
    ])
      assert.ok([403, 404].includes((await server.inject(url)).statusCode), url);
  });

  test('config.json tells the console what it needs, and nothing secret', async (t) => {
    const server = await app(t, { root: await fakeBuild(t), env: { ICS_SEARCH_WINDOW_DAYS: '31' } });
    const res = await server.inject('/console/config.json');
    assert.equal(res.statusCode, 200);
    assert.equal(res.headers['cache-control'], 'no-store');
    assert.deepEqual(res.json(), {
      apiBase: '/interaction-content',
      tokenEndpoint: '/Auth/connect/token',
      searchWindowDays: 31,
      oidc: null,
    });
  });

  test('with an OIDC issuer and a console client id: single sign-on, and the issuer is allowed to connect', async (t) => {
    const server = await app(t, {
      root: await fakeBuild(t),
      env: { ...OIDC, ICS_OIDC_ACCOUNT_CLAIM: 'tenant', ICS_CONSOLE_OIDC_CLIENT_ID: 'ics-console' },
    });
    assert.deepEqual((await server.inject('/console/config.json')).json().oidc, {
      issuer: 'https://idp.example/realms/cc',
      clientId: 'ics-console',
      scope: 'openid interaction-content:read interaction-content:delete interaction-content:admin',
      accountClaim: 'tenant',
    });
    const csp = String((await server.inject('/console/')).headers['content-security-policy']);
    assert.match(csp, /connect-src 'self' https:\/\/idp\.example;/);
  });

  test('not built: a clear 503 page, the API unaffected', async (t) => {
    const server = await app(t, { root: await tempDir(t, 'ics-console-empty-') });
    for (const url of ['/console/', '/console/assets/x.js']) {
      const res = await server.inject(url);
      assert.equal(res.statusCode, 503);
      assert.match(res.body, /The ICS console is not built.*npm run build/s);
      assert.match(String(res.headers['content-security-policy']), /default-src 'none'/);
    }
    assert.equal((await server.inject('/console/config.json')).statusCode, 200);
    assert.equal((await server.inject('/healthz')).statusCode, 200);
  });

  test('ICS_CONSOLE=off: no console at all', async (t) => {
    const server = await app(t, { env: { ICS_CONSOLE: 'off' } });
    assert.equal((await server.inject('/console/')).statusCode, 404);
    assert.equal((await server.inject('/console/config.json')).statusCode, 404);
  });

  test('bad console settings are reported with the others', () => {
    const problems = (env: Record<string, string>) => {
      try {
        loadConfig(env);
        return [];
      } catch (err) {
        assert.ok(err instanceof ConfigError);
        return err.problems;
      }
    };
    assert.deepEqual(problems({ ICS_CONSOLE: 'maybe' }), ["ICS_CONSOLE must be on or off (got 'maybe')"]);
    assert.deepEqual(problems({ ICS_CONSOLE_OIDC_CLIENT_ID: 'c' }), [
      'ICS_CONSOLE_OIDC_CLIENT_ID needs the ICS_OIDC_* settings',
    ]);
    assert.deepEqual(problems({ ...OIDC, ICS_OIDC_ISSUER: 'urn:idp', ICS_CONSOLE_OIDC_CLIENT_ID: 'c' }), [
      'ICS_CONSOLE_OIDC_CLIENT_ID needs ICS_OIDC_ISSUER to be an http(s) URL',
    ]);
    assert.equal(loadConfig({}).console.enabled, true);
  });
});
