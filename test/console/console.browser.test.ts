// The console in a real browser (Debian's Chromium through playwright-core) against one real server:
// sign in, find, look and listen, act, prove. One server and one browser for the whole file.
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import Sqlite from 'better-sqlite3';
import type { Browser, BrowserContext, Locator, Page } from 'playwright-core';
import { assertAccessible, newPage as newPageOf, until } from './browser-helpers.js';
import {
  buildConsole,
  type ConsoleServer,
  chromiumMissing,
  launchBrowser,
  makeWebm,
  type Seeded,
  seed,
  signIn,
  startConsoleServer,
} from './harness.js';

let server: ConsoleServer;
let browser: Browser;
let data: Seeded;
let context: BrowserContext;
let page: Page;
/** Content-Security-Policy reports and page errors seen by any page: there must be none. */
const problems: string[] = [];
const newPage = (viewport?: { width: number; height: number }) => newPageOf(browser, problems, viewport);
const requestsSince = (mark: number) => server.requests.slice(mark);

/** The part of HTMLMediaElement the tests touch (the test's TypeScript has no DOM library). */
interface Media {
  currentTime: number;
  muted: boolean;
  play(): Promise<void>;
}
const currentTime = (l: Locator) => l.evaluate((m: Media) => m.currentTime);

describe('console in Chromium', { skip: chromiumMissing, timeout: 240_000 }, () => {
  before(async () => {
    const root = join(tmpdir(), `ics-console-build-${process.pid}`);
    await buildConsole(root);
    server = await startConsoleServer({ root });
    browser = await launchBrowser();
    data = await seed(server.deps, { webm: await makeWebm(browser), count: 30 });
    ({ ctx: context, page } = await newPage());
  });
  after(async () => {
    await browser?.close();
    await server?.close();
  });

  test('sign-in: a wrong secret is refused; the token lives in memory only', async () => {
    const client = await server.client();
    await page.goto(`${server.url}/console`);
    assert.equal(new URL(page.url()).pathname, '/console/', '/console redirects into the worker scope');
    await assertAccessible(page, 'sign-in page');
    await page.getByLabel('Client id').fill(client.clientId);
    await page.getByLabel('Client secret').fill('not-the-secret');
    await page.getByRole('button', { name: 'Sign in', exact: true }).click();
    await page.getByRole('alert').filter({ hasText: 'not right' }).waitFor();

    await signIn(page, server.url, client);
    const stored = await page.evaluate(`[localStorage.length, sessionStorage.length, document.cookie]`);
    assert.deepEqual(stored, [0, 0, '']);
    assert.doesNotMatch(page.url(), /token|secret|ey[A-Za-z0-9]/);
  });

  test('find: time window, filters, continuation-token paging', async () => {
    await page.getByLabel('Per page').selectOption('25');
    await page.getByRole('button', { name: 'Search' }).click();
    await page.getByText('Page 1: 25 interactions, more on the next page.').waitFor();
    const first = await page.locator('table.results tbody tr').first().textContent();
    await page.getByRole('button', { name: 'Next page' }).click();
    await page.getByText('Page 2: 7 interactions.').waitFor();
    const search = server.requests.filter((r) => r.url.startsWith('/interaction-content/interactions?'));
    assert.match(search[search.length - 1].url, /continuationToken=/, 'page 2 follows the token');
    assert.ok(await page.getByRole('button', { name: 'Next page' }).isDisabled());
    await page.getByRole('button', { name: 'Previous page' }).click();
    await page.getByText('Page 1: 25 interactions').waitFor();
    assert.equal(await page.locator('table.results tbody tr').first().textContent(), first);

    // Times in the browser's zone, UTC on hover; a content icon per type, labelled.
    const time = page.locator('table.results tbody tr').first().locator('time');
    assert.match((await time.getAttribute('title')) ?? '', /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ UTC$/);
    assert.ok(await page.locator('table.results [aria-label="Call recording"]').first().isVisible());
    await assertAccessible(page, 'search results');

    await page.getByLabel('From address starts with').fill('+4420797100');
    await page.getByLabel('Direction').selectOption('outbound');
    await page.getByRole('button', { name: 'Search' }).click();
    // +44207971000 … +44207971009, every third one outbound: 1002, 1005, 1008.
    await page.getByText('Page 1: 3 interactions.').waitFor();
    await page.getByLabel('From address starts with').fill('');
    await page.getByLabel('Direction').selectOption('');
    await page.getByLabel('Agent id').fill('agent-2');
    await page.getByRole('button', { name: 'Search' }).click();
    await page.getByText(/Page 1: 9 interactions\./).waitFor();
    assert.match(page.url(), /#\/search\?.*agent=agent-2/, 'the search is in the URL, Back returns to it');
    await page.getByLabel('Agent id').fill('');
  });

  test('look and listen: metadata, audio streams and seeks with Range, video plays', async () => {
    await page.goto(`${server.url}/console/#/search`);
    await page.getByRole('button', { name: 'Search' }).click();
    await page.locator('table.results tbody tr').first().getByText('+442079460018').waitFor();
    // By keyboard: the first result's link, Enter.
    await page.locator('table.results tbody tr').first().getByRole('link').focus();
    await page.keyboard.press('Enter');
    await page.getByRole('heading', { name: 'Interaction', exact: true }).waitFor();
    assert.equal(new URL(page.url()).hash, `#/interactions/${data.call}`);
    await page.getByText('+442079460018').waitFor();
    await page.getByRole('heading', { name: /Call recording/ }).waitFor();
    await page.getByText('Streamed with Range requests').first().waitFor();

    const audio = page.locator('audio[aria-label="Call recording callRecording"]');
    await page.getByText('Duration 10:00').waitFor();
    await audio.evaluate((a: Media) => {
      a.muted = true;
      return a.play();
    });
    await until(async () => (await currentTime(audio)) > 0.5, 'playback to advance');
    const mark = server.requests.length;
    await audio.evaluate((a: Media) => {
      a.currentTime = 500;
    });
    await until(async () => (await currentTime(audio)) > 500.3, 'playback to go on after the seek');
    const url = `/interaction-content/interactions/${data.call}/content/callRecording`;
    const after = requestsSince(mark).filter((r) => r.url === url);
    // 8000 samples of 2 bytes a second after the 44-byte header: 500 s is byte 8,000,044.
    const seek = after.find((r) => Number(/^bytes=(\d+)-/.exec(r.range ?? '')?.[1]) >= 44 + 16_000 * 499);
    assert.ok(seek, `a Range request near 500 s after the seek: ${JSON.stringify(after)}`);
    assert.equal(seek.authorization, true, 'the worker added the Bearer token');
    assert.equal(seek.status, 206);

    const video = page.locator('video');
    await video.evaluate((v: Media) => {
      v.muted = true;
      return v.play();
    });
    await until(async () => (await currentTime(video)) > 0.3, 'the video to play');
  });

  test('read: the transcript and the chat as conversations; other files download', async () => {
    const turns = page.getByRole('list', { name: 'Transcript transcript' }).getByRole('listitem');
    assert.equal(await turns.count(), 6);
    assert.match((await turns.first().textContent()) ?? '', /agent\s*0:00\s*Thank you for calling/i);
    assert.match((await turns.nth(1).textContent()) ?? '', /customer\s*0:04\s*Hi, I would like/i);

    const download = page.waitForEvent('download');
    await page.getByRole('button', { name: /^Download Attachment/ }).click();
    const file = await (await download).path();
    assert.equal(await readFile(file, 'utf8'), 'Order 48151623: shipped, arrives Friday.\n');
    await assertAccessible(page, 'interaction page');

    await page.goto(`${server.url}/console/#/interactions/${data.chat}`);
    const chat = page.getByRole('list', { name: /^Chat transcript/ }).getByRole('listitem');
    await chat.first().waitFor();
    assert.match((await chat.nth(1).textContent()) ?? '', /alice\s*0:20\s*Hi, I would like/);
  });

  test('act: delete an item → confirmation names it → receipt → 404 afterwards', async () => {
    await page.goto(`${server.url}/console/#/interactions/${data.call}`);
    // Escape cancels, and the safe choice has the focus.
    await page.getByRole('button', { name: 'Delete Transcript transcript' }).click();
    const dialog = page.getByRole('dialog', { name: 'Delete this content?' });
    await dialog.waitFor();
    assert.equal(
      await dialog
        .getByRole('button', { name: 'Cancel' })
        .evaluate((b) => b === b.ownerDocument.activeElement),
      true,
    );
    await page.keyboard.press('Escape');
    await dialog.waitFor({ state: 'detached' });
    await page.getByRole('heading', { name: 'Content (7)' }).waitFor();
    await page.getByRole('button', { name: 'Delete Transcript transcript' }).click();
    await dialog.waitFor();
    assert.match((await dialog.textContent()) ?? '', /Transcript\s*transcript\s*\(application\/json/);
    await dialog.getByRole('button', { name: 'Delete' }).click();
    const receipt = page.getByRole('list', { name: 'Deletion receipt' });
    await receipt.waitFor();
    assert.match((await receipt.textContent()) ?? '', /Ledger entry #\d+ [0-9a-f]{64}/);
    await page.getByRole('heading', { name: 'Content (6)' }).waitFor();

    const token = await server.token('interaction-content:read');
    const res = await fetch(
      `${server.url}/interaction-content/interactions/${data.call}/content/transcript`,
      {
        headers: { authorization: `Bearer ${token}` },
      },
    );
    assert.equal(res.status, 404, 'the deleted item is gone from the API');
  });

  test('act: a legal hold is shown and makes deletion refuse; release works', async () => {
    await page.getByText('Place a legal hold').click();
    await page.getByLabel('Reason').fill('Litigation');
    await page.getByLabel('Case id (optional)').fill('CASE-42');
    await page.getByRole('button', { name: 'Place hold' }).click();
    await page.getByRole('heading', { name: 'Under legal hold' }).waitFor();
    await page.getByText('Litigation — case CASE-42').waitFor();

    await page.getByRole('button', { name: 'Delete Call recording callRecording' }).click();
    await page.getByRole('dialog').getByRole('button', { name: 'Delete' }).click();
    const refusal = page.getByRole('alert').filter({ hasText: 'under legal hold' });
    await refusal.waitFor();
    assert.match((await refusal.textContent()) ?? '', /Refused: .*Release the legal hold first/);
    await page.getByRole('heading', { name: 'Content (6)' }).waitFor();

    await page.getByRole('button', { name: 'Release the hold…' }).click();
    await page.getByRole('dialog').getByRole('button', { name: 'Release hold' }).click();
    await page.getByText('Legal hold released.').waitFor();
  });

  test('act: delete the whole interaction; it is gone afterwards', async () => {
    await page.goto(`${server.url}/console/#/interactions/${data.chat}`);
    await page.getByRole('button', { name: 'Delete the whole interaction…' }).click();
    const dialog = page.getByRole('dialog', { name: 'Delete the whole interaction?' });
    assert.match((await dialog.textContent()) ?? '', /alice@example\.com → support-chat.*Chat transcript/);
    await dialog.getByRole('button', { name: 'Delete interaction' }).click();
    await page.getByRole('list', { name: 'Deletion receipt' }).waitFor();
    await page.getByText('Not found: this interaction has no content left').waitFor();
  });

  test('prove: the ledger, filtered by interaction, verified in the browser; a tampered entry is caught', async () => {
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Audit ledger' }).click();
    await page.getByRole('heading', { name: 'Audit ledger' }).waitFor();
    await page.locator('table.audit tbody tr').first().waitFor();
    await page.getByLabel('Interaction GUID').fill(data.call);
    await page.getByRole('button', { name: 'Filter' }).click();
    const rows = page.locator('table.audit tbody tr');
    await until(async () => (await rows.count()) === 3, "the interaction's three entries");
    const text = await rows.allTextContents();
    assert.match(text.join('\n'), /content\.delete/);
    assert.match(text.join('\n'), /legal_hold\.place/);
    assert.match(text.join('\n'), /legal_hold\.release/);
    assert.ok(
      text.every((t) => t.includes('matches the entry')),
      text.join('\n'),
    );
    await assertAccessible(page, 'audit page');

    await page.getByRole('button', { name: 'Verify the whole chain' }).click();
    await page.getByText(/Chain verified: 5 entries from #1 to #5/).waitFor();

    const db = new Sqlite(join(server.dataDir, 'ics.sqlite'));
    try {
      db.prepare("update audit_log set reason = 'edited' where account = 'acme' and seq = 2").run();
    } finally {
      db.close();
    }
    await page.getByRole('button', { name: 'Verify the whole chain' }).click();
    await page.getByText(/Chain broken at entry #2: hash does not match the entry/).waitFor();
  });

  test('phone width: no sideways scrolling on the main pages', async () => {
    const phone = await newPage({ width: 390, height: 844 });
    try {
      await signIn(phone.page, server.url, await server.client());
      await phone.page.getByRole('button', { name: 'Search' }).click();
      await phone.page.locator('table.results tbody tr').first().waitFor();
      for (const hash of ['#/search', `#/interactions/${data.call}`, '#/audit']) {
        if (hash !== '#/search') await phone.page.goto(`${server.url}/console/${hash}`);
        await phone.page.locator('main h1').waitFor();
        await phone.page.waitForTimeout(200);
        const width = await phone.page.evaluate('document.documentElement.scrollWidth');
        assert.ok((width as number) <= 390, `${hash} is ${width}px wide`);
      }
    } finally {
      await phone.ctx.close();
    }
  });

  test('scopes: a read-only sign-in offers no deletion, no holds, no ledger', async () => {
    const ro = await newPage();
    try {
      await signIn(ro.page, server.url, await server.client('interaction-content:read'));
      const nav = ro.page.getByRole('navigation', { name: 'Main' });
      assert.equal(await nav.getByRole('link', { name: 'Audit ledger' }).count(), 0);
      await ro.page.goto(`${server.url}/console/#/interactions/${data.call}`);
      await ro.page.getByRole('heading', { name: /Call recording/ }).waitFor();
      assert.equal(await ro.page.getByRole('button', { name: /^Delete/ }).count(), 0);
      // The hold state comes from the retention answer (not why: that needs the admin scope); no hold panel.
      await ro.page.locator('.meta').getByText('None').waitFor();
      assert.equal(await ro.page.getByText('Place a legal hold').count(), 0);
      await ro.page.goto(`${server.url}/console/#/audit`);
      await ro.page.getByText('lacks the interaction-content:admin scope').waitFor();
    } finally {
      await ro.ctx.close();
    }
  });

  test('session: renewed before it expires; signed out on 401', async () => {
    const s = await newPage();
    try {
      await s.page.clock.install();
      const client = await server.client();
      await signIn(s.page, server.url, client);
      const tokenRequests = () =>
        server.requests.filter((r) => r.url === '/Auth/connect/token' && r.status === 200).length;
      const before = tokenRequests();
      // 7200 s tokens renew at 80 % of their life.
      await s.page.clock.fastForward(5800 * 1000);
      for (let i = 0; i < 50 && tokenRequests() === before; i++) await new Promise((r) => setTimeout(r, 100));
      assert.equal(tokenRequests(), before + 1, 'one renewal');

      await server.deps.store.revokeClient(client.clientId, Date.now());
      // The server notices a revocation within its client-status cache time (5 s).
      await s.page.getByRole('button', { name: 'Search' }).click();
      for (let i = 0; i < 30 && !(await s.page.getByLabel('Client id').isVisible()); i++) {
        await new Promise((r) => setTimeout(r, 500));
        if (await s.page.getByRole('button', { name: 'Search' }).isVisible())
          await s.page.getByRole('button', { name: 'Search' }).click();
      }
      // Signed out: the sign-in form again, saying why.
      await s.page.getByRole('heading', { name: 'Sign in to the ICS console' }).waitFor({ timeout: 5000 });
      await s.page.getByText('Your session has ended: the server no longer accepts its token').waitFor();
    } finally {
      await s.ctx.close();
    }
  });

  test('no Content-Security-Policy violation or page error anywhere', () => {
    assert.deepEqual(problems, []);
  });

  after(async () => {
    await context?.close();
  });
});
