// Single sign-on in Chromium: the authorization-code flow with PKCE against a real (small) OIDC
// provider, the resulting token used against the API, renewal by refresh token, a stale callback.
import assert from 'node:assert/strict';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { Browser } from 'playwright-core';
import { type FakeIdp, startFakeIdp } from './fake-idp.js';
import {
  buildConsole,
  type ConsoleServer,
  chromiumMissing,
  launchBrowser,
  seed,
  startConsoleServer,
} from './harness.js';

let idp: FakeIdp;
let server: ConsoleServer;
let browser: Browser;

describe('console single sign-on in Chromium', { skip: chromiumMissing, timeout: 120_000 }, () => {
  before(async () => {
    const root = join(tmpdir(), `ics-console-build-oidc-${process.pid}`);
    await buildConsole(root);
    idp = await startFakeIdp({ audience: 'ics', account: 'acme' });
    server = await startConsoleServer({
      root,
      env: {
        ICS_OIDC_ISSUER: idp.issuer,
        ICS_OIDC_JWKS_URL: `${idp.issuer}/jwks`,
        ICS_OIDC_AUDIENCE: 'ics',
        ICS_CONSOLE_OIDC_CLIENT_ID: idp.clientId,
      },
    });
    await seed(server.deps, { count: 2 });
    browser = await launchBrowser();
  });
  after(async () => {
    await browser?.close();
    await server?.close();
    await idp?.close();
  });

  test('sign in through the issuer with PKCE, use the API, renew with the refresh token', async () => {
    const ctx = await browser.newContext();
    const page = await ctx.newPage();
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    page.on('console', (m) => /Content Security Policy|Refused to/.test(m.text()) && errors.push(m.text()));
    try {
      await page.clock.install();
      await page.goto(`${server.url}/console/`);
      await page.getByRole('button', { name: /Sign in with single sign-on \(127\.0\.0\.1:\d+\)/ }).click();
      await page.getByRole('heading', { name: 'Find interactions' }).waitFor();
      assert.deepEqual(
        idp.tokenRequests,
        [{ grant: 'authorization_code', ok: true }],
        'the verifier matched',
      );
      assert.equal(new URL(page.url()).search, '', 'the code is gone from the address bar');
      assert.deepEqual(await page.evaluate('[localStorage.length, sessionStorage.length]'), [0, 0]);
      await page.getByText('alice · acme').waitFor();

      await page.getByRole('button', { name: 'Search' }).click();
      await page.getByText('Page 1: 4 interactions.').waitFor();
      // The token carries the scopes the console asked the issuer for, admin among them.
      await page
        .getByRole('navigation', { name: 'Main' })
        .getByRole('link', { name: 'Audit ledger' })
        .waitFor();

      // 300 s tokens renew at 240 s, with the refresh token.
      await page.clock.fastForward(250_000);
      for (let i = 0; i < 50 && idp.tokenRequests.length < 2; i++)
        await new Promise((r) => setTimeout(r, 100));
      assert.deepEqual(idp.tokenRequests[1], { grant: 'refresh_token', ok: true });
      await page.getByRole('button', { name: 'Search' }).click();
      await page.getByText('Page 1: 4 interactions.').waitFor();
      assert.deepEqual(errors, []);
    } finally {
      await ctx.close();
    }
  });

  test('a callback this tab did not start is refused', async () => {
    const ctx = await browser.newContext();
    const page = await ctx.newPage();
    try {
      await page.goto(`${server.url}/console/?code=stolen&state=whatever`);
      await page
        .getByText(/Single sign-on failed: the sign-in response does not belong to this tab/)
        .waitFor();
      assert.equal(new URL(page.url()).search, '');
      assert.equal(
        idp.tokenRequests.filter((r) => r.grant === 'authorization_code').length,
        1,
        'no code was redeemed',
      );
    } finally {
      await ctx.close();
    }
  });
});
