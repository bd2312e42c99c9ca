import assert from 'node:assert/strict';
import type { TestApp } from '../helpers/app.js';

export const R = '/interaction-content/retention';
export const I = '/interaction-content/interactions';

export async function getPolicy(app: TestApp, token: string) {
  const res = await app.api({ method: 'GET', url: R, token });
  assert.equal(res.statusCode, 200, res.body);
  return res.json();
}

export async function putPolicy(app: TestApp, token: string, body: unknown) {
  return app.api({ method: 'PUT', url: R, token, body });
}

/** Seeds an interaction that started `daysAgo` days ago with these content items. */
export function seedAged(
  app: TestApp,
  token: string,
  daysAgo: number,
  opts: { direction?: 'inbound' | 'outbound'; files?: { key: string; type?: string }[] } = {},
) {
  return app.seed(token, {
    start: new Date(Date.now() - daysAgo * 86_400_000).toISOString(),
    direction: opts.direction ?? 'inbound',
    files: (opts.files ?? [{ key: 'callRecording' }]).map((f) => ({
      key: f.key,
      type: f.type,
      body: `bytes of ${f.key}`,
      contentType: 'application/octet-stream',
    })),
  });
}

export async function waitFor(what: string, check: () => Promise<boolean>, timeoutMs = 60_000) {
  const until = Date.now() + timeoutMs;
  while (Date.now() < until) {
    if (await check()) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`timed out waiting for ${what}`);
}
