// The console's admin pages in a real browser (Debian's Chromium through playwright-core) against
// one real server: API clients, retention, deletion jobs, webhooks. Each page is driven the way a
// person would, and what it did is checked through the API beside the browser.
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { compactVerify, createRemoteJWKSet, jwtVerify } from 'jose';
import type { Browser, Page } from 'playwright-core';
import {
  assertAccessible,
  assertFitsPhone,
  newPage as newPageOf,
  tokenFor,
  until,
} from './browser-helpers.js';
import {
  buildConsole,
  type ConsoleServer,
  chromiumMissing,
  launchBrowser,
  type Seeded,
  seed,
  signIn,
  startConsoleServer,
} from './harness.js';

let server: ConsoleServer;
let browser: Browser;
let data: Seeded;
let page: Page;
/** The page of the real deletion job, for the certificate test. */
let jobUrl = '';
const problems: string[] = [];
const newPage = (viewport?: { width: number; height: number }) => newPageOf(browser, problems, viewport);
const nav = (p: Page, name: string) =>
  p.getByRole('navigation', { name: 'Main' }).getByRole('link', { name, exact: true }).click();

describe('console admin pages in Chromium', { skip: chromiumMissing, timeout: 240_000 }, () => {
  before(async () => {
    const root = join(tmpdir(), `ics-console-admin-build-${process.pid}`);
    await buildConsole(root);
    server = await startConsoleServer({ root });
    browser = await launchBrowser();
    data = await seed(server.deps, { count: 6 });
    ({ page } = await newPage());
    await signIn(page, server.url, await server.client());
  });
  after(async () => {
    await browser?.close();
    await server?.close();
  });

  test('clients: create one with scopes, its secret is shown once and works; rotate; revoke', async () => {
    await nav(page, 'API clients');
    await page.getByRole('heading', { name: 'API clients' }).waitFor();
    await page.locator('table.clients tbody tr').filter({ hasText: 'you' }).waitFor();

    await page.getByText('Create a client').click();
    await page.getByLabel('Name (optional)').fill('QA recorder');
    // Read is ticked by default; add delete.
    await page.getByRole('checkbox', { name: /interaction-content:delete/ }).check();
    await page.getByRole('button', { name: 'Create client' }).click();
    const shown = page.locator('.secret-once');
    await shown.getByRole('heading', { name: 'Client created: QA recorder' }).waitFor();
    const clientId = (await shown.locator('dd code').nth(0).textContent()) ?? '';
    const secret = (await shown.locator('dd code.secret').textContent()) ?? '';
    assert.match(clientId, /\S{8,}/);
    assert.ok(secret.length >= 20, secret);
    const row = page.locator('table.clients tbody tr').filter({ hasText: clientId });
    assert.match(
      (await row.textContent()) ?? '',
      /interaction-content:delete.*interaction-content:read|interaction-content:read.*interaction-content:delete/,
    );
    const token = await tokenFor(server.url, clientId, secret);
    assert.equal(typeof token, 'string', 'the secret shown works at the token endpoint');
    await assertAccessible(page, 'clients page');

    // Once: dismissed, it is nowhere in the page, and a reload of the list does not bring it back.
    await shown.getByRole('button', { name: /dismiss/ }).click();
    await shown.waitFor({ state: 'detached' });
    await page.reload();
    await signIn(page, server.url, await server.client());
    await nav(page, 'API clients');
    await row.waitFor();
    assert.equal(((await page.content()) as string).includes(secret), false, 'the secret is not shown again');

    await row.getByRole('button', { name: /^Rotate/ }).click();
    await page.getByRole('dialog').getByRole('button', { name: 'Rotate' }).click();
    await page.getByRole('heading', { name: 'New secret for QA recorder' }).waitFor();
    const rotated = (await page.locator('.secret-once dd code.secret').textContent()) ?? '';
    assert.notEqual(rotated, secret);
    assert.equal(await tokenFor(server.url, clientId, secret), 401, 'the old secret stops working');
    assert.equal(typeof (await tokenFor(server.url, clientId, rotated)), 'string', 'the new one works');
    await page.getByRole('button', { name: /dismiss/ }).click();

    await row.getByRole('button', { name: /^Revoke/ }).click();
    const dialog = page.getByRole('dialog', { name: 'Revoke this client?' });
    assert.match((await dialog.textContent()) ?? '', /QA recorder/);
    await dialog.getByRole('button', { name: 'Revoke' }).click();
    await page.getByText('Client QA recorder revoked').waitFor();
    await row.getByText('revoked').waitFor();
    assert.equal(await row.getByRole('button').count(), 0, 'a revoked client offers no actions');
    assert.notEqual(typeof (await tokenFor(server.url, clientId, rotated)), 'string', 'revoked: no token');
  });

  test("clients: restrict a client's content permissions; its token then reads only what is permitted", async () => {
    const reader = await server.client('interaction-content:read');
    await nav(page, 'Webhooks'); // away and back: the list is loaded again, with the new client
    await nav(page, 'API clients');
    const row = page.locator('table.clients tbody tr').filter({ hasText: reader.clientId });
    await row.getByRole('button', { name: /^Permissions/ }).waitFor();
    assert.equal(await row.getByText(/Restricted/).count(), 0, 'an unrestricted client shows none');
    await row.getByRole('button', { name: /^Permissions/ }).click();
    const dialog = page.getByRole('dialog');
    await dialog.getByRole('checkbox', { name: 'read: Call recording' }).check();
    await dialog.getByRole('checkbox', { name: 'read: inbound' }).check();
    await assertAccessible(page, 'permissions dialog');
    await dialog.getByRole('button', { name: 'Save permissions' }).click();
    await page.getByText(/Permissions of .* saved/).waitFor();
    await row.getByText(/Restricted/).waitFor();
    assert.match((await row.textContent()) ?? '', /Restricted — read: Call recording; inbound/);

    const token = await tokenFor(server.url, reader.clientId, reader.clientSecret);
    assert.equal(typeof token, 'string');
    const get = (guid: string) =>
      fetch(`${server.url}/interaction-content/interactions/${guid}`, {
        headers: { authorization: `Bearer ${token}`, accept: 'application/vnd.newvoicemedia.v3+json' },
      });
    const call = await get(data.call);
    assert.equal(call.status, 200);
    const body = (await call.json()) as { content: { type: string }[] };
    assert.deepEqual([...new Set(body.content.map((c) => c.type))], ['callRecording']);
    assert.equal((await get(data.chat)).status, 404, 'a chat has no call recording: nothing permitted');

    // Opened again, the dialog shows what is stored; clearing every box lifts the restriction.
    await row.getByRole('button', { name: /^Permissions/ }).click();
    assert.equal(await dialog.getByRole('checkbox', { name: 'read: Call recording' }).isChecked(), true);
    await dialog.getByRole('checkbox', { name: 'read: Call recording' }).uncheck();
    await dialog.getByRole('checkbox', { name: 'read: inbound' }).uncheck();
    await dialog.getByRole('button', { name: 'Save permissions' }).click();
    await page.getByText(/Permissions of .* saved/).waitFor();
    await row.getByText(/Restricted/).waitFor({ state: 'detached' });
  });

  test('clients: a sign-in cannot grant scopes it lacks', async () => {
    const limited = await newPage();
    try {
      await signIn(
        limited.page,
        server.url,
        await server.client('interaction-content:admin interaction-content:read'),
      );
      await nav(limited.page, 'API clients');
      await limited.page.getByText('Create a client').click();
      assert.equal(
        await limited.page.getByRole('checkbox', { name: /interaction-content:delete/ }).isDisabled(),
        true,
      );
      assert.equal(
        await limited.page.getByRole('checkbox', { name: /interaction-content:read/ }).isDisabled(),
        false,
      );
      // Nor get the secret of a client that has them (rotating would hand it over).
      const wider = limited.page
        .locator('table.clients tbody tr')
        .filter({ hasText: 'interaction-content:delete' });
      assert.equal(
        await wider
          .first()
          .getByRole('button', { name: /^Rotate/ })
          .isDisabled(),
        true,
      );
    } finally {
      await limited.ctx.close();
    }
  });

  test('retention: edit the policy, see it pending with its grace period, preview what it would delete', async () => {
    await nav(page, 'Retention');
    await page.getByRole('heading', { name: 'Retention', exact: true }).waitFor();
    await page.getByRole('button', { name: 'Edit the policy' }).click();
    // A new account's retention is paused; turn it on.
    await page.getByLabel('Status').selectOption('on');
    await page.getByRole('button', { name: 'Add a rule' }).click();
    await page.getByLabel('Name', { exact: true }).fill('Calls 1 day');
    await page.getByLabel('Keep (days)').fill('1');
    await page.getByText('Content types: every type').click();
    await page.getByRole('checkbox', { name: 'Call recording' }).check();
    await page.getByRole('button', { name: 'Add a rule' }).click();
    await page.getByLabel('Name', { exact: true }).nth(1).fill('Transcripts 10 years');
    await page.getByLabel('Keep (days)').nth(1).fill('3650');
    await page.getByText('Content types: every type').click();
    await page.getByRole('checkbox', { name: 'Transcript', exact: true }).nth(1).check();
    await assertAccessible(page, 'retention editor');
    await page.getByRole('button', { name: 'Save the policy' }).click();
    await page
      .getByRole('dialog', { name: 'Save the retention policy?' })
      .getByRole('button', { name: 'Save' })
      .click();
    await page.getByText('Saved. The new rules wait out the grace period').waitFor();
    await page.getByText(/Pending:.*the changed rules below act from/).waitFor();
    const pending = page.getByRole('table', { name: 'Pending rules' });
    assert.match((await pending.textContent()) ?? '', /Calls 1 day\s*1 days\s*Call recording/);

    // Now: the rules in force (none) delete nothing; at the end of the grace period every call recording
    // (all seeded within the last day) is due under "Calls 1 day".
    await page.getByRole('button', { name: 'Preview', exact: true }).click();
    await page.getByRole('status').filter({ hasText: 'would be deleted by' }).getByText('0 items').waitFor();
    await page.getByRole('button', { name: 'At the end of the grace period' }).click();
    const calls = 1 + data.others.length;
    await page.getByText(`${calls} items`).waitFor();
    await page.locator('.preview .chips').getByText(`Call recording: ${calls}`).waitFor();
    await page.locator('.preview .chips').getByText(`rule Calls 1 day: ${calls}`).waitFor();
    assert.equal(await page.locator('table.sample tbody tr').count(), calls);
    await assertAccessible(page, 'retention preview');

    // The interaction page says, per item, until when it is kept and under which rule.
    await page.goto(`${server.url}/console/#/interactions/${data.call}`);
    const recording = page.locator('.content-card').filter({ hasText: 'Call recording' }).first();
    await recording.locator('.retention').getByText('(rule Calls 1 day)').waitFor();
    assert.match(
      (await recording.locator('.retention').textContent()) ?? '',
      /^kept until .+ \(rule Calls 1 day\)$/,
    );
    const transcript = page.locator('.content-card').filter({ hasText: 'Transcript' }).first();
    await transcript.locator('.retention').getByText('(rule Transcripts 10 years)').waitFor();

    // Nothing was deleted by any of it.
    const token = await server.token('interaction-content:read');
    const res = await fetch(
      `${server.url}/interaction-content/interactions/${data.call}/content/callRecording`,
      {
        method: 'HEAD',
        headers: { authorization: `Bearer ${token}` },
      },
    );
    assert.equal(res.status, 200);
  });

  test('deletion jobs: a dry run counts what matches, the real job deletes with live progress and receipts', async () => {
    await nav(page, 'Deletion jobs');
    await page.getByRole('heading', { name: 'Deletion jobs', exact: true }).waitFor();
    // A job needs a reason: the form says so before the API does.
    await page.getByLabel(/^Addresses/).fill('+44 20 7946 0018\nALICE@example.com');
    await page.getByRole('button', { name: 'Start a dry run' }).click();
    await page.getByRole('alert').filter({ hasText: 'A reason is required' }).waitFor();
    await page.getByLabel(/^Reason/).fill('GDPR Art. 17 request');
    await page.getByLabel('Reference (optional)').fill('DSR-2026-0042');
    await assertAccessible(page, 'deletion job form');
    await page.getByRole('button', { name: 'Start a dry run' }).click();
    await page.getByRole('heading', { name: 'Dry run' }).waitFor();
    // The call (+442079460018, spaces ignored) and the chat (alice@example.com, case ignored).
    await page.getByText('2 interactions match. Nothing was deleted.').waitFor();
    assert.equal(await page.locator('table.job-items tbody tr').count(), 2);
    assert.match((await page.locator('table.job-items').textContent()) ?? '', /matched/);
    assert.equal(await page.getByRole('button', { name: 'Download the certificate' }).count(), 0);

    await page.getByRole('button', { name: 'Run the deletion for real…' }).click();
    const dialog = page.getByRole('dialog', { name: 'Run the deletion?' });
    assert.match((await dialog.textContent()) ?? '', /2 interactions.*GDPR Art\. 17 request/s);
    const mark = server.requests.length;
    await dialog.getByRole('button', { name: 'Delete' }).click();
    await page.getByRole('heading', { name: 'Deletion job' }).waitFor();
    await page.getByTestId('job-status').getByText('completed').waitFor({ timeout: 30_000 });
    await page.getByText('2 of 2 done: 2 deleted, 0 held, 0 failed').waitFor();
    const progress = page.getByRole('progressbar');
    assert.equal(await progress.getAttribute('value'), '2');
    assert.equal(await progress.getAttribute('max'), '2');
    const polls = server.requests
      .slice(mark)
      .filter((r) => r.method === 'GET' && /^\/interaction-content\/deletion-jobs\/[^/?]+$/.test(r.url));
    assert.ok(polls.length >= 1, 'the page polled the job');
    assert.equal(await page.locator('table.job-items tbody tr').filter({ hasText: 'deleted' }).count(), 2);
    await assertAccessible(page, 'deletion job page');
    jobUrl = page.url();
    const token = await server.token('interaction-content:read');
    const gone = await fetch(`${server.url}/interaction-content/interactions/${data.chat}`, {
      headers: { authorization: `Bearer ${token}`, accept: 'application/vnd.newvoicemedia.v3+json' },
    });
    assert.equal(gone.status, 404, `the job deleted the chat: ${gone.status} ${await gone.text()}`);
  });

  test('deletion jobs: the certificate downloads, verifies offline and in the page, and matches the ledger', async () => {
    await page.goto(jobUrl);
    await page.getByTestId('job-status').getByText('completed').waitFor();
    const download = page.waitForEvent('download');
    await page.getByRole('button', { name: 'Download the certificate' }).click();
    const jws = (await readFile(await (await download).path(), 'utf8')).trim();
    assert.match(jws, /^[\w-]+\.[\w-]+\.[\w-]+$/, 'a compact JWS');
    // Offline, as a third party would: jose against the published JWKS.
    const jwks = createRemoteJWKSet(new URL(`${server.url}/interaction-content/.well-known/jwks.json`));
    await compactVerify(jws, jwks);

    await page.getByRole('button', { name: 'Verify the signature' }).click();
    await page.getByText(/Signature valid/).waitFor();
    await page.getByRole('button', { name: 'Check the entries against the ledger' }).click();
    await page.getByText(/All \d+ entries are in the ledger with the certified hashes/).waitFor();
    await assertAccessible(page, 'certificate panel');
  });

  test('webhooks: create a subscription (secret shown once), see its deliveries, disable, delete', async () => {
    const received: { type: string; signature: string | undefined }[] = [];
    const receiver = createServer((req, res) => {
      let body = '';
      req.on('data', (c) => {
        body += c;
      });
      req.on('end', () => {
        received.push({
          type: (JSON.parse(body) as { type: string }).type,
          signature: req.headers['vonage-signature'] as string | undefined,
        });
        res.writeHead(204).end();
      });
    });
    await new Promise<void>((r) => receiver.listen(0, '127.0.0.1', r));
    const port = (receiver.address() as AddressInfo).port;
    try {
      await nav(page, 'Webhooks');
      await page.getByRole('heading', { name: 'Webhooks', exact: true }).waitFor();
      await page.getByText('Create a subscription').click();
      await page.getByLabel('Name', { exact: true }).fill('Holds to the case system');
      await page.getByLabel('Endpoint URL').fill(`http://127.0.0.1:${port}/ics`);
      await page.getByRole('checkbox', { name: /interaction\.legal-hold-placed\.v1/ }).check();
      await assertAccessible(page, 'webhooks form');
      await page.getByRole('button', { name: 'Create subscription' }).click();
      const shown = page.locator('.secret-once');
      await shown.getByRole('heading', { name: 'Subscription created: Holds to the case system' }).waitFor();
      const secret = (await shown.locator('dd code.secret').textContent()) ?? '';
      assert.ok(Buffer.from(secret, 'base64').length >= 32, 'a base64 secret of at least 32 bytes');
      await shown.getByRole('button', { name: /dismiss/ }).click();
      const row = page.locator('table.hooks tbody tr').filter({ hasText: 'Holds to the case system' });
      await row.getByText('enabled').waitFor();

      // An event it subscribes to: a legal hold, placed through the API.
      const admin = await server.token();
      const placeHold = async (reason: string) => {
        const res = await fetch(
          `${server.url}/interaction-content/interactions/${data.others[0]}/legal-hold`,
          {
            method: 'PUT',
            headers: {
              authorization: `Bearer ${admin}`,
              'content-type': 'application/json',
              accept: 'application/vnd.newvoicemedia.v3+json',
            },
            body: JSON.stringify({ reason }),
          },
        );
        assert.equal(res.status, 200);
      };
      await placeHold('webhook test');
      await until(async () => received.length > 0, 'the endpoint to receive the event', 30_000);
      assert.equal(received[0].type, 'interaction.legal-hold-placed.v1');
      assert.ok(received[0].signature, 'signed with Vonage-Signature');

      await row.getByRole('link', { name: 'Holds to the case system' }).click();
      await page.getByRole('heading', { name: 'Holds to the case system' }).waitFor();
      const delivery = page.locator('table.deliveries tbody tr').first();
      await delivery.getByText('interaction.legal-hold-placed.v1').waitFor({ timeout: 15_000 });
      await delivery.getByText('delivered').waitFor();
      assert.match((await delivery.locator('td[data-label="Answer"]').textContent()) ?? '', /^204/);
      await assertAccessible(page, 'deliveries page');
      assert.ok(
        await signedWith(received[0].signature, secret),
        'the first event is signed with the first secret',
      );

      // Rotate the secret: shown once, different, and the next event is signed with it alone.
      await page.getByRole('button', { name: 'Rotate secret' }).click();
      await page.getByRole('dialog').getByRole('button', { name: 'Rotate' }).click();
      const rotated = page.locator('.secret-once');
      await rotated.getByRole('heading', { name: 'New signing secret' }).waitFor();
      const secret2 = (await rotated.locator('dd code.secret').textContent()) ?? '';
      assert.notEqual(secret2, secret);
      await assertAccessible(page, 'rotated secret');
      await rotated.getByRole('button', { name: /dismiss/ }).click();
      await placeHold('webhook test, again'); // updating a hold is placing it again: the same event
      await until(async () => received.length > 1, 'the endpoint to receive the second event', 30_000);
      assert.ok(await signedWith(received[1].signature, secret2), 'signed with the rotated secret');
      assert.ok(!(await signedWith(received[1].signature, secret)), 'not with the old one');

      await page.getByRole('link', { name: '← Webhooks' }).click();
      await row.getByRole('button', { name: 'Disable Holds to the case system' }).click();
      await row.getByText('disabled').waitFor();
      await row.getByRole('button', { name: 'Delete Holds to the case system' }).click();
      await page.getByRole('dialog').getByRole('button', { name: 'Delete' }).click();
      await row.waitFor({ state: 'detached' });
    } finally {
      receiver.close();
    }
  });

  test('scopes: admin:read sees the subscriptions but cannot change them, and no other admin page', async () => {
    const made = await fetch(`${server.url}/webhooks/subscriptions`, {
      method: 'POST',
      headers: {
        authorization: `Bearer ${await server.token()}`,
        'content-type': 'application/json',
        accept: 'application/vnd.newvoicemedia.v1+json',
      },
      body: JSON.stringify({ name: 'Everything', url: 'https://example.com/hook', events: ['*'] }),
    });
    assert.equal(made.status, 201);
    const reader = await newPage();
    try {
      await signIn(reader.page, server.url, await server.client('interaction-content:read admin:read'));
      const links = reader.page.getByRole('navigation', { name: 'Main' }).getByRole('link');
      assert.deepEqual(await links.allTextContents(), ['Find', 'Webhooks']);
      await nav(reader.page, 'Webhooks');
      await reader.page.locator('table.hooks tbody tr').filter({ hasText: 'Everything' }).waitFor();
      assert.equal(await reader.page.getByText('Create a subscription').count(), 0);
      assert.equal(await reader.page.locator('table.hooks').getByRole('button').count(), 0);
      await reader.page.goto(`${server.url}/console/#/clients`);
      await reader.page.getByText('lacks the interaction-content:admin scope').waitFor();
    } finally {
      await reader.ctx.close();
    }
  });

  test('phone width: the admin pages fit', async () => {
    const phone = await newPage({ width: 390, height: 844 });
    try {
      await signIn(phone.page, server.url, await server.client());
      for (const hash of ['#/clients', '#/retention', '#/deletion-jobs', '#/webhooks']) {
        await phone.page.goto(`${server.url}/console/${hash}`);
        await phone.page.locator('main h1').waitFor();
        await phone.page.locator('main h2').first().waitFor();
        await assertFitsPhone(phone.page, hash);
      }
    } finally {
      await phone.ctx.close();
    }
  });

  test('no Content-Security-Policy violation or page error anywhere', () => {
    assert.ok(data.call);
    assert.deepEqual(problems, []);
  });
});

/** Whether a `Vonage-Signature: Bearer <JWT>` verifies with the base64 subscription secret (HS256). */
async function signedWith(header: string | undefined, secret: string): Promise<boolean> {
  const jwt = header?.replace(/^Bearer /, '');
  if (!jwt) return false;
  try {
    await jwtVerify(jwt, Buffer.from(secret, 'base64'), { algorithms: ['HS256'] });
    return true;
  } catch {
    return false;
  }
}
