import { setTimeout as sleep } from 'node:timers/promises';
import type { TestApp } from '../helpers/app.js';

export const JOBS = '/interaction-content/deletion-jobs';

/** Polls the job until its status is one of `statuses` (or throws after `ms`). */
export async function waitForJob(
  app: TestApp,
  token: string,
  id: string,
  statuses: string[] = ['completed', 'cancelled', 'failed'],
  ms = 60_000,
): Promise<Record<string, unknown> & { status: string; counts: Record<string, number> }> {
  const until = Date.now() + ms;
  for (;;) {
    const res = await app.api({ method: 'GET', url: `${JOBS}/${id}`, token });
    if (res.statusCode !== 200) throw new Error(`job GET ${res.statusCode} ${res.body}`);
    const job = res.json();
    if (statuses.includes(job.status)) return job;
    if (Date.now() > until) throw new Error(`job ${id} still ${job.status} after ${ms} ms`);
    await sleep(50);
  }
}

/** Every item of a job, through the paged items route. */
export async function allItems(app: TestApp, token: string, id: string, limit = 100) {
  const items: {
    guid: string;
    outcome: string;
    receipt: string | null;
    entries: { seq: number; hash: string }[];
  }[] = [];
  let next: string | null = null;
  do {
    const q = new URLSearchParams({ limit: String(limit) });
    if (next) q.set('continuationToken', next);
    const res = await app.api({ method: 'GET', url: `${JOBS}/${id}/items?${q}`, token });
    if (res.statusCode !== 200) throw new Error(`items GET ${res.statusCode} ${res.body}`);
    const body = res.json();
    items.push(...body.items);
    next = body.meta.nextContinuationToken;
  } while (next);
  return items;
}
