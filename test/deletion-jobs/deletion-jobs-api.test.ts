import assert from 'node:assert/strict';
import { it } from 'node:test';
import { buildTestApp } from '../helpers/app.js';
import { type Backend, describeBackends } from '../helpers/backends.js';
import { allItems, JOBS, waitForJob } from './helpers.js';

// The deletion-job API over app.inject() with the job runner started, on both backend pairs.

async function setup(t: Parameters<typeof buildTestApp>[0], backend: Backend) {
  const app = await buildTestApp(t, { backend, env: { ICS_DELETION_JOB_BATCH_SIZE: '3' } });
  app.deps.runner.start();
  const token = await app.token();
  return { app, token };
}

const get = async (app: Awaited<ReturnType<typeof setup>>['app'], token: string, guid: string) =>
  (await app.api({ method: 'GET', url: `/interaction-content/interactions/${guid}`, token })).statusCode;

describeBackends('deletion jobs', (backend) => {
  it('erases a subject: addresses normalised, both directions, dry run first, receipts in the ledger', async (t) => {
    const { app, token } = await setup(t, backend);
    const subject = [
      await app.seed(token, { connectFrom: '+44 20 7946 0018' }),
      await app.seed(token, { connectFrom: '+44-(20)-7946.0018', start: '2024-03-02T10:00:00Z' }),
      await app.seed(token, { connectTo: 'Alice@Example.com', direction: 'outbound' }),
      await app.seed(token, {
        connectFrom: '+442079460018',
        files: [
          { key: 'callRecording', body: 'a', contentType: 'audio/wav' },
          { key: 'transcript', body: '{}', contentType: 'application/json' },
        ],
      }),
    ];
    const others = [
      await app.seed(token, { connectFrom: '+442079460019' }),
      await app.seed(token, { connectTo: 'alice@example.org' }),
    ];
    const body = {
      match: { addresses: ['+44 20 7946 0018', 'alice@EXAMPLE.com'] },
      reason: 'GDPR Art. 17 request',
      reference: 'DSR-1',
    };

    const dry = await app.api({ method: 'POST', url: JOBS, token, body: { ...body, dryRun: true } });
    assert.equal(dry.statusCode, 202, dry.body);
    assert.equal(dry.headers.location, `${JOBS}/${dry.json().id}`);
    assert.equal(dry.json().status, 'queued');
    const dryDone = await waitForJob(app, token, dry.json().id);
    assert.equal(dryDone.status, 'completed');
    assert.deepEqual(dryDone.counts, { matched: 4, deleted: 0, held: 0, failed: 0 });
    const dryItems = await allItems(app, token, dry.json().id, 2);
    assert.deepEqual(dryItems.map((i) => i.guid).sort(), [...subject].sort());
    assert.ok(dryItems.every((i) => i.outcome === 'matched' && i.receipt === null));
    for (const g of subject) assert.equal(await get(app, token, g), 200, 'a dry run deletes nothing');

    const res = await app.api({ method: 'POST', url: JOBS, token, body });
    const job = await waitForJob(app, token, res.json().id);
    assert.equal(job.status, 'completed');
    assert.deepEqual(job.counts, { matched: 4, deleted: 4, held: 0, failed: 0 });
    assert.equal(job.reference, 'DSR-1');
    for (const g of subject) assert.equal(await get(app, token, g), 404);
    for (const g of others) assert.equal(await get(app, token, g), 200);

    const items = await allItems(app, token, res.json().id);
    assert.equal(items.length, 4);
    const audit = (
      await app.api({ method: 'GET', url: '/interaction-content/audit?limit=1000', token })
    ).json().items as {
      seq: number;
      hash: string;
      reason: string;
      action: string;
      guid: string;
      details: Record<string, unknown> | null;
    }[];
    for (const item of items) {
      assert.equal(item.outcome, 'deleted');
      const last = item.entries.at(-1);
      assert.ok(last && item.receipt === `acme:${last.seq}:${last.hash}`);
      for (const e of item.entries) {
        const entry = audit.find((a) => a.seq === e.seq);
        assert.ok(entry, `ledger entry ${e.seq}`);
        assert.equal(entry.hash, e.hash);
        assert.equal(entry.guid, item.guid);
        assert.equal(entry.reason, 'deletion-job');
        assert.equal(entry.details?.job, res.json().id);
        assert.equal(entry.details?.reason, 'GDPR Art. 17 request');
      }
      assert.equal(audit.find((a) => a.seq === last?.seq)?.action, 'interaction.delete');
    }
    // The one with two files: two content entries and the interaction's.
    assert.equal(items.find((i) => i.guid === subject[3])?.entries.length, 3);
  });

  it('deletes only the content types asked for; the interaction goes with its last item', async (t) => {
    const { app, token } = await setup(t, backend);
    const both = await app.seed(token, {
      agents: ['a-7'],
      files: [
        { key: 'callRecording', body: 'a', contentType: 'audio/wav' },
        { key: 'transcript', body: '{}', contentType: 'application/json' },
      ],
    });
    const onlyCall = await app.seed(token, { agents: ['a-7'] });
    const otherAgent = await app.seed(token, { agents: ['a-8'] });
    const res = await app.api({
      method: 'POST',
      url: JOBS,
      token,
      body: {
        match: { handlingAgentId: 'a-7', contentTypes: ['callRecording'] },
        reason: 'recordings of agent 7',
      },
    });
    assert.equal(res.statusCode, 202, res.body);
    const job = await waitForJob(app, token, res.json().id);
    assert.deepEqual(job.counts, { matched: 2, deleted: 2, held: 0, failed: 0 });
    const left = (
      await app.api({ method: 'GET', url: `/interaction-content/interactions/${both}`, token })
    ).json();
    assert.deepEqual(
      left.content.map((c: { type: string }) => c.type),
      ['transcript'],
    );
    assert.equal(await get(app, token, onlyCall), 404);
    assert.equal(await get(app, token, otherAgent), 200);
  });

  it('matches a time range without the 7-day window, with direction', async (t) => {
    const { app, token } = await setup(t, backend);
    const old = await app.seed(token, { start: '2023-01-15T00:00:00Z' });
    const oldOut = await app.seed(token, { start: '2023-06-15T00:00:00Z', direction: 'outbound' });
    const later = await app.seed(token, { start: '2024-01-01T00:00:00Z' });
    const res = await app.api({
      method: 'POST',
      url: JOBS,
      token,
      body: {
        match: { start: '2023-01-01T00:00:00Z', end: '2024-01-01T00:00:00Z', direction: 'inbound' },
        reason: 'last year',
      },
    });
    const job = await waitForJob(app, token, res.json().id);
    assert.deepEqual(job.counts, { matched: 1, deleted: 1, held: 0, failed: 0 });
    assert.equal(await get(app, token, old), 404);
    assert.equal(await get(app, token, oldOut), 200);
    assert.equal(await get(app, token, later), 200, 'end is exclusive');
  });

  it('waits for held interactions and deletes them when the hold is released', async (t) => {
    const { app, token } = await setup(t, backend);
    const free = await app.seed(token, { connectFrom: '+15550001' });
    const held = await app.seed(token, { connectFrom: '+1 555 0001' });
    const hold = await app.api({
      method: 'PUT',
      url: `/interaction-content/interactions/${held}/legal-hold`,
      token,
      body: { reason: 'litigation' },
    });
    assert.equal(hold.statusCode, 200, hold.body);
    const res = await app.api({
      method: 'POST',
      url: JOBS,
      token,
      body: { match: { addresses: ['+15550001'] }, reason: 'erasure' },
    });
    const waiting = await waitForJob(app, token, res.json().id, ['waiting']);
    assert.deepEqual(waiting.counts, { matched: 2, deleted: 1, held: 1, failed: 0 });
    assert.equal(await get(app, token, free), 404);
    assert.equal(await get(app, token, held), 200);
    const items = await allItems(app, token, res.json().id);
    assert.equal(items.find((i) => i.guid === held)?.outcome, 'held');

    const release = await app.api({
      method: 'DELETE',
      url: `/interaction-content/interactions/${held}/legal-hold`,
      token,
    });
    assert.equal(release.statusCode, 204);
    const done = await waitForJob(app, token, res.json().id);
    assert.equal(done.status, 'completed');
    assert.deepEqual(done.counts, { matched: 2, deleted: 2, held: 0, failed: 0 });
    assert.equal(await get(app, token, held), 404);
    assert.equal(
      (await allItems(app, token, res.json().id)).find((i) => i.guid === held)?.outcome,
      'deleted',
    );
  });

  it('refuses bad input with a 400 naming the field, and creates nothing', async (t) => {
    const { app, token } = await setup(t, backend);
    const bystander = await app.seed(token, { connectFrom: '+1555', agents: ['a'] });
    const cases: [unknown, RegExp][] = [
      [{ match: {}, reason: 'x' }, /'match'/],
      [{ match: { addresses: ['+1555'] } }, /'reason'/],
      [{ match: { addresses: ['+1555'] }, reason: '   ' }, /'reason'/],
      [{ match: { addresses: ['+1555'] }, reason: 'x'.repeat(501) }, /'reason'/],
      [
        { match: { addresses: Array.from({ length: 101 }, (_, i) => `+1555${i}`) }, reason: 'x' },
        /'match.addresses'/,
      ],
      [{ match: { addresses: [] }, reason: 'x' }, /'match.addresses'/],
      [{ match: { addresses: [' - '] }, reason: 'x' }, /'match.addresses.0'/],
      [{ match: { start: '2024-02-01T00:00:00Z', end: '2024-01-01T00:00:00Z' }, reason: 'x' }, /'match.end'/],
      [{ match: { start: '2024-02-01T00:00:00Z' }, reason: 'x' }, /'match.end'|'match.start'/],
      [{ match: { start: 'yesterday', end: '2024-01-01T00:00:00Z' }, reason: 'x' }, /'match.start'/],
      [
        { match: { handlingAgentId: 'a', contentTypes: ['callRecording', 'hologram'] }, reason: 'x' },
        /'match.contentTypes'/,
      ],
      [{ match: { handlingAgentId: 'a', contentTypes: [] }, reason: 'x' }, /'match.contentTypes'/],
      [{ match: { handlingAgentId: 'a', direction: 'sideways' }, reason: 'x' }, /'match.direction'/],
      [{ match: { handlingAgentId: 'a', colour: 'red' }, reason: 'x' }, /colour/],
    ];
    for (const [body, field] of cases) {
      const res = await app.api({ method: 'POST', url: JOBS, token, body });
      assert.equal(res.statusCode, 400, `${JSON.stringify(body).slice(0, 80)}: ${res.body}`);
      assert.match(res.json().message, field);
    }
    const list = await app.api({ method: 'GET', url: JOBS, token });
    assert.deepEqual(list.json().items, []);
    assert.equal(await get(app, token, bystander), 200, 'nothing was deleted');
  });

  it("lists newest first with continuation tokens; another account's job is 404; cancel", async (t) => {
    const { app, token } = await setup(t, backend);
    await app.deps.runner.stop(); // keep the jobs queued
    const ids: string[] = [];
    for (let i = 0; i < 5; i++) {
      const res = await app.api({
        method: 'POST',
        url: JOBS,
        token,
        body: { match: { handlingAgentId: `a-${i}` }, reason: 'r' },
      });
      ids.push(res.json().id);
    }
    const seen: string[] = [];
    let next: string | null = null;
    do {
      const res = await app.api({
        method: 'GET',
        url: `${JOBS}?limit=2${next ? `&continuationToken=${next}` : ''}`,
        token,
      });
      assert.equal(res.statusCode, 200, res.body);
      seen.push(...res.json().items.map((j: { id: string }) => j.id));
      next = res.json().meta.nextContinuationToken;
    } while (next);
    assert.deepEqual(seen, [...ids].reverse());
    const bad = await app.api({ method: 'GET', url: `${JOBS}?continuationToken=garbage!`, token });
    assert.equal(bad.statusCode, 400);

    const other = await app.token({ account: 'other' });
    for (const url of [`${JOBS}/${ids[0]}`, `${JOBS}/${ids[0]}/items`]) {
      assert.equal((await app.api({ method: 'GET', url, token: other })).statusCode, 404, url);
    }
    assert.equal(
      (await app.api({ method: 'DELETE', url: `${JOBS}/${ids[0]}`, token: other })).statusCode,
      404,
    );
    assert.equal((await app.api({ method: 'GET', url: `${JOBS}/not-a-uuid`, token })).statusCode, 404);
    assert.deepEqual((await app.api({ method: 'GET', url: JOBS, token: other })).json().items, []);

    const cancel = await app.api({ method: 'DELETE', url: `${JOBS}/${ids[0]}`, token });
    assert.equal(cancel.statusCode, 200, cancel.body);
    assert.equal(cancel.json().status, 'cancelled');
    assert.equal((await app.api({ method: 'DELETE', url: `${JOBS}/${ids[0]}`, token })).statusCode, 409);
  });
});
