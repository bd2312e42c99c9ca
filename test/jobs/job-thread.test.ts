// `ics serve` runs its jobs on a thread of their own (src/job-thread.ts). A real server's deletion job
// is stopped dead inside its transaction (the `@hold` fault blocks the job's thread synchronously,
// event loop and all, with SQLite's write lock held); meanwhile the server must still answer reads
// and its health check — which it could not if jobs ran on the thread that answers requests — and
// once released the job completes, under the process's one node.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import Sqlite from 'better-sqlite3';
import { Api, dataDirFor, serve, waitFor, wav } from '../deletion/helpers.js';

const JOBS = '/interaction-content/deletion-jobs';

describe('the job thread of ics serve', () => {
  test('a job blocked inside its transaction does not stop the server answering', {
    timeout: 200_000,
  }, async (t) => {
    const dataDir = await dataDirFor(t);
    const gate = join(dataDir, 'release-the-job');
    const server = await serve(t, dataDir, {
      ICS_TEST_FAULTS: `deletion-job.before-commit@hold=${gate}`,
    });
    const api = await Api.connect(server.url, dataDir);
    const victim = await api.createInteraction({ connectFrom: '+1 555 0199' });
    assert.equal(
      await api.put(victim, 'callRecording', wav(randomBytes(400)), { contentType: 'audio/wav' }),
      201,
    );
    const bystander = await api.createInteraction({ connectFrom: '+15550188' });
    assert.equal(
      await api.put(bystander, 'callRecording', wav(randomBytes(400)), { contentType: 'audio/wav' }),
      201,
    );

    const created = await api.fetch(JOBS, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ match: { addresses: ['+15550199'] }, reason: 'erasure request' }),
    });
    assert.equal(created.status, 202, await created.clone().text());
    const { id } = (await created.json()) as { id: string };
    await waitFor('the job to reach its commit', () => existsSync(`${gate}.reached`), 60_000);

    // The job's thread is blocked with its transaction open: this thread still answers, from the
    // last commit (the victim is still there; the job has deleted nothing yet).
    const read = await api.fetch(`/interaction-content/interactions/${bystander}`, {
      signal: AbortSignal.timeout(30_000),
    });
    assert.equal(read.status, 200);
    const health = await fetch(`${server.url}/readyz`, { signal: AbortSignal.timeout(30_000) });
    assert.equal(health.status, 200);
    const during = await api.fetch(`${JOBS}/${id}`, { signal: AbortSignal.timeout(30_000) });
    assert.equal(((await during.json()) as { counts: { deleted: number } }).counts.deleted, 0);
    assert.equal((await api.fetch(`/interaction-content/interactions/${victim}`)).status, 200);

    await writeFile(gate, '');
    await waitFor(
      'the job to complete',
      async () =>
        ((await (await api.fetch(`${JOBS}/${id}`)).json()) as { status: string }).status === 'completed',
      60_000,
    );
    assert.equal((await api.fetch(`/interaction-content/interactions/${victim}`)).status, 404);
    assert.equal((await api.fetch(`/interaction-content/interactions/${bystander}`)).status, 200);

    // One process, one node: the job was claimed under the node the serving thread registered.
    const db = new Sqlite(join(dataDir, 'ics.sqlite'), { readonly: true });
    t.after(() => db.close());
    const nodes = db.prepare("select id from nodes where stopped_ms is null and role = 'server'").all() as {
      id: string;
    }[];
    assert.equal(nodes.length, 1, 'the server registered one node');
    const attempts = db.prepare('select attempts from jobs where id = ?').get(id) as { attempts: number };
    assert.equal(attempts.attempts, 1, 'claimed once, by that node');
  });
});
