// What the browser tests share: a page that records CSP violations and page errors, axe-core in
// the page, and polling from the test's side (the console's CSP forbids page.waitForFunction's eval).
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import type { Browser, Page } from 'playwright-core';
import { requestToken } from '../helpers/cli.js';

const axeSource = await readFile(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');

/** Records Content-Security-Policy reports and page errors of `p` into `problems`. */
export function watch(p: Page, problems: string[]) {
  p.on('console', (m) => {
    if (/Content Security Policy|Refused to/i.test(m.text())) problems.push(m.text());
  });
  p.on('pageerror', (e) => problems.push(`pageerror: ${e.message}`));
  return p;
}

export async function newPage(browser: Browser, problems: string[], viewport = { width: 1280, height: 800 }) {
  const ctx = await browser.newContext({ viewport, acceptDownloads: true });
  return { ctx, page: watch(await ctx.newPage(), problems) };
}

/** axe-core in the page: no serious or critical violations. */
export async function assertAccessible(p: Page, what: string) {
  await p.evaluate(axeSource);
  const result = (await p.evaluate(
    `axe.run(document, { resultTypes: ['violations'] }).then(r => r.violations.filter(v => v.impact === 'serious' || v.impact === 'critical').map(v => v.id + ': ' + v.help + ' — ' + v.nodes.map(n => n.target.join(' ')).slice(0, 3).join(', ')))`,
  )) as string[];
  assert.deepEqual(result, [], `${what}: ${result.join('\n')}`);
}

/** Polls until `check` holds. */
export async function until(check: () => Promise<boolean>, what: string, ms = 15_000) {
  const end = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > end) assert.fail(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** No sideways scrolling at phone width. */
export async function assertFitsPhone(p: Page, what: string) {
  await p.waitForTimeout(200);
  const width = (await p.evaluate('document.documentElement.scrollWidth')) as number;
  assert.ok(width <= 390, `${what} is ${width}px wide`);
}

/** A token from the real token endpoint, or its HTTP status when refused. */
export async function tokenFor(
  base: string,
  clientId: string,
  clientSecret: string,
): Promise<string | number> {
  const res = await requestToken(base, clientId, clientSecret);
  if (!res.ok) return res.status;
  return ((await res.json()) as { access_token: string }).access_token;
}
