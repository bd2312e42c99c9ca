// Takes the screenshots in docs/console.md: a fresh console build, a seeded server, Debian's
// Chromium. Run with `npx tsx scripts/console-screenshots.ts` (writes docs/console/*.png).
import { mkdir } from 'node:fs/promises';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Page } from 'playwright-core';
import {
  buildConsole,
  launchBrowser,
  makeWebm,
  seed,
  signIn,
  startConsoleServer,
} from '../test/console/harness.js';

const out = fileURLToPath(new URL('../docs/console/', import.meta.url));
await mkdir(out, { recursive: true });
const root = join(tmpdir(), `ics-console-shots-${process.pid}`);
await buildConsole(root);
const server = await startConsoleServer({ root });
const browser = await launchBrowser();
try {
  const data = await seed(server.deps, { webm: await makeWebm(browser), count: 14 });
  const client = await server.client();
  const shot = async (page: Page, name: string) => {
    await page.waitForTimeout(300);
    await page.screenshot({ path: join(out, `${name}.png`) });
    process.stdout.write(`docs/console/${name}.png\n`);
  };

  const ctx = await browser.newContext({
    viewport: { width: 1280, height: 800 },
    timezoneId: 'Europe/London',
    locale: 'en-GB',
  });
  const page = await ctx.newPage();
  await page.goto(`${server.url}/console/`);
  await page.getByLabel('Client id').fill(client.clientId);
  await shot(page, 'sign-in');

  await signIn(page, server.url, client);
  await page.getByRole('button', { name: 'Search' }).click();
  await page.locator('table.results tbody tr').first().waitFor();
  await shot(page, 'search');

  await page.locator('table.results tbody tr').first().getByRole('link').click();
  await page
    .getByText(/Duration \d+:\d\d/)
    .first()
    .waitFor();
  await page
    .locator('audio')
    .first()
    .evaluate((a: { currentTime: number }) => {
      a.currentTime = 200;
    });
  await shot(page, 'interaction');
  await page
    .getByRole('heading', { name: /^Transcript/ })
    .evaluate((h: { scrollIntoView(o: object): void }) => h.scrollIntoView({ block: 'start' }));
  await page.evaluate('window.scrollBy(0, -24)');
  await shot(page, 'transcript');
  await page.getByRole('heading', { name: /^Screen recording/ }).scrollIntoViewIfNeeded();
  await page.locator('video').evaluate((v: { muted: boolean; play(): Promise<void> }) => {
    v.muted = true;
    return v.play();
  });
  await page.waitForTimeout(1200);
  await page.locator('video').evaluate((v: { pause(): void }) => v.pause());
  await shot(page, 'video');

  await page.getByRole('button', { name: 'Delete Voicemail' }).click();
  await shot(page, 'delete-confirm');
  await page.getByRole('dialog').getByRole('button', { name: 'Delete' }).click();
  await page.getByRole('list', { name: 'Deletion receipt' }).waitFor();
  await page.evaluate('window.scrollTo(0, 0)');
  await shot(page, 'receipt');

  await page.getByText('Place a legal hold').click();
  await page.getByLabel('Reason').fill('Litigation hold: complaint 2026-311');
  await page.getByLabel('Case id (optional)').fill('CASE-42');
  await page.getByRole('button', { name: 'Place hold' }).click();
  await page.getByRole('heading', { name: 'Under legal hold' }).waitFor();
  await page.getByRole('button', { name: 'Delete Call recording callRecording' }).click();
  await page.getByRole('dialog').getByRole('button', { name: 'Delete' }).click();
  await page.getByRole('alert').filter({ hasText: 'under legal hold' }).waitFor();
  await page.evaluate('window.scrollTo(0, 0)');
  await shot(page, 'hold-refused');

  await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Audit ledger' }).click();
  await page.locator('table.audit tbody tr').first().waitFor();
  await page.getByRole('button', { name: 'Verify the whole chain' }).click();
  await page.getByText(/Chain verified/).waitFor();
  await shot(page, 'audit');

  const nav = (name: string) =>
    page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name, exact: true }).click();

  await nav('API clients');
  await page.getByText('Create a client').click();
  await page.getByLabel('Name (optional)').fill('QA recorder integration');
  await page.getByRole('button', { name: 'Create client' }).click();
  await page.locator('.secret-once').waitFor();
  await page.getByText('Create a client').click();
  await shot(page, 'clients');

  await nav('Retention');
  await page.getByRole('button', { name: 'Edit the policy' }).click();
  await page.getByLabel('Status').selectOption('on');
  for (const [name, days, type] of [
    ['Call recordings 1 day', '1', 'Call recording'],
    ['Transcripts 7 years', '2555', 'Transcript'],
  ] as const) {
    await page.getByRole('button', { name: 'Add a rule' }).click();
    await page.getByLabel('Name', { exact: true }).last().fill(name);
    await page.getByLabel('Keep (days)').last().fill(days);
    await page.getByText('Content types: every type').click();
    await page.getByRole('checkbox', { name: type, exact: true }).last().check();
  }
  await page.getByRole('button', { name: 'Save the policy' }).click();
  await page.getByRole('dialog').getByRole('button', { name: 'Save' }).click();
  await page.getByRole('button', { name: 'At the end of the grace period' }).click();
  await page.locator('table.sample tbody tr').first().waitFor();
  await page.evaluate('window.scrollTo(0, 0)');
  await shot(page, 'retention');
  // Scrolled so the preview's heading is at the top (scrollIntoViewIfNeeded left it where it was:
  // in view already, at the bottom, so both shots were the same).
  await page.evaluate("document.getElementById('preview-title').scrollIntoView({ block: 'start' })");
  await shot(page, 'retention-preview');

  await page.goto(`${server.url}/console/#/interactions/${data.call}`);
  await page.locator('.retention').first().waitFor();
  await page.getByRole('heading', { name: /^Content/ }).scrollIntoViewIfNeeded();
  await shot(page, 'interaction-retention');

  await nav('Deletion jobs');
  await page.getByLabel(/^Addresses/).fill('+44 20 7946 0018');
  await page.getByLabel(/^Reason/).fill('GDPR Art. 17 request');
  await page.getByLabel('Reference (optional)').fill('DSR-2026-0042');
  await page.getByRole('button', { name: 'Start a dry run' }).click();
  await page.getByText(/interactions? match\. Nothing was deleted/).waitFor();
  // The call is held (above): release it, so the job can go through.
  await page.goto(`${server.url}/console/#/interactions/${data.call}`);
  await page.getByRole('button', { name: 'Release the hold…' }).click();
  await page.getByRole('dialog').getByRole('button', { name: 'Release hold' }).click();
  await page.getByText('Legal hold released.').waitFor();
  await page.goBack();
  await page.getByRole('button', { name: 'Run the deletion for real…' }).click();
  await page.getByRole('dialog').getByRole('button', { name: 'Delete' }).click();
  await page.getByRole('heading', { name: 'Deletion job' }).waitFor();
  await page.getByTestId('job-status').getByText('completed').waitFor({ timeout: 30_000 });
  await page.getByRole('button', { name: 'Verify the signature' }).click();
  await page.getByText(/Signature valid/).waitFor();
  await page.getByRole('button', { name: 'Check the entries against the ledger' }).click();
  await page.getByText(/All \d+ entries are in the ledger/).waitFor();
  await shot(page, 'deletion-job');

  // A real endpoint for the webhook deliveries.
  const receiver = createServer((req, res) => {
    req.resume();
    req.on('end', () => res.writeHead(204).end());
  });
  await new Promise<void>((r) => receiver.listen(0, '127.0.0.1', r));
  const port = (receiver.address() as AddressInfo).port;
  await nav('Webhooks');
  await page.getByText('Create a subscription').click();
  await page.getByLabel('Name', { exact: true }).fill('Case system');
  await page.getByLabel('Endpoint URL').fill(`http://127.0.0.1:${port}/ics-events`);
  await page
    .getByRole('checkbox', { name: /^interaction\.\*|interaction\.legal-hold-placed\.v1/ })
    .first()
    .check();
  await page.getByRole('checkbox', { name: /interaction\.deleted\.v1/ }).check();
  await page.getByRole('button', { name: 'Create subscription' }).click();
  await page.locator('.secret-once').waitFor();
  await page.getByText('Create a subscription').click();
  await shot(page, 'webhooks');
  await page.goto(`${server.url}/console/#/interactions/${data.others[1]}`);
  await page.getByText('Place a legal hold').click();
  await page.getByLabel('Reason').fill('Complaint 2026-318');
  await page.getByRole('button', { name: 'Place hold' }).click();
  await page.getByRole('heading', { name: 'Under legal hold' }).waitFor();
  await nav('Webhooks');
  await page.getByRole('link', { name: 'Case system' }).click();
  await page.locator('table.deliveries tbody tr').getByText('delivered').first().waitFor({ timeout: 30_000 });
  await shot(page, 'webhook-deliveries');
  receiver.close();
  await ctx.close();

  const phone = await browser.newContext({
    viewport: { width: 390, height: 844 },
    timezoneId: 'Europe/London',
    locale: 'en-GB',
  });
  const p = await phone.newPage();
  await signIn(p, server.url, client);
  await p.getByRole('button', { name: 'Search' }).click();
  await p.locator('table.results tbody tr').first().waitFor();
  await p.evaluate('window.scrollTo(0, 520)');
  await shot(p, 'phone-search');
  await p.goto(`${server.url}/console/#/interactions/${data.chat}`);
  await p.getByRole('list', { name: /^Chat transcript/ }).waitFor();
  await p.evaluate('window.scrollTo(0, 560)');
  await shot(p, 'phone-chat');
  await phone.close();
} finally {
  await browser.close();
  await server.close();
}
