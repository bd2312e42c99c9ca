import assert from 'node:assert/strict';
import { test } from 'node:test';
import { buildTestApp } from '../helpers/app.js';
import { describeBackends } from '../helpers/backends.js';
import { getPolicy, I, putPolicy, R, seedAged } from './helpers.js';

// The retention policy API over app.inject(): validation (400 naming the field, nothing changed),
// the pending state and grace period, the preview and the per-interaction explanation.

const DAY = 86_400_000;
const recordings = {
  name: 'Recordings 90 days',
  contentTypes: ['callRecording', 'screenRecording'],
  keepDays: 90,
};
const everything = { name: 'Everything 400 days', keepDays: 400 };

describeBackends('retention policy API', (backend) => {
  test('a fresh account reads as paused with no rules; admin scope only', async (t) => {
    const app = await buildTestApp(t, { backend });
    const admin = await app.token();
    assert.deepEqual(await getPolicy(app, admin), {
      status: 'paused',
      pendingUntil: null,
      rules: [],
      pendingRules: null,
      lastSweep: null,
    });
    const reader = await app.token({ scopes: 'interaction-content:read' });
    for (const [method, url] of [
      ['GET', R],
      ['PUT', R],
      ['GET', `${R}/preview`],
      ['POST', `${R}/sweep`],
    ]) {
      const res = await app.api({
        method,
        url,
        token: reader,
        body: method === 'PUT' ? { status: 'on', rules: [] } : undefined,
      });
      assert.equal(res.statusCode, 403, `${method} ${url}`);
    }
  });

  test('bad input → 400 naming the field, and nothing changed', async (t) => {
    const app = await buildTestApp(t, { backend, env: { ICS_RETENTION_GRACE_DAYS: '0' } });
    const admin = await app.token();
    const ok = await putPolicy(app, admin, { status: 'on', rules: [recordings] });
    assert.equal(ok.statusCode, 200, ok.body);
    const before = await getPolicy(app, admin);
    const many = Array.from({ length: 101 }, (_, i) => ({ name: `rule ${i}`, keepDays: 10 }));
    const cases: [string, unknown, RegExp][] = [
      ['keepDays 0', { status: 'on', rules: [{ name: 'a', keepDays: 0 }] }, /rules\[0\]\.keepDays/],
      ['keepDays 40000', { status: 'on', rules: [{ name: 'a', keepDays: 40000 }] }, /rules\[0\]\.keepDays/],
      ['keepDays 1.5', { status: 'on', rules: [{ name: 'a', keepDays: 1.5 }] }, /keepDays/],
      [
        'duplicate names',
        {
          status: 'on',
          rules: [
            { name: 'a', keepDays: 1 },
            { name: 'a', keepDays: 2 },
          ],
        },
        /rules\[1\]\.name.*unique/,
      ],
      ['101 rules', { status: 'on', rules: many }, /'rules'.*at most 100/],
      [
        'unknown content type',
        { status: 'on', rules: [{ name: 'a', keepDays: 1, contentTypes: ['callRecording', 'hologram'] }] },
        /rules\[0\]\.contentTypes\[1\].*hologram/,
      ],
      [
        'empty contentTypes',
        { status: 'on', rules: [{ name: 'a', keepDays: 1, contentTypes: [] }] },
        /contentTypes/,
      ],
      [
        'bad direction',
        { status: 'on', rules: [{ name: 'a', keepDays: 1, direction: 'sideways' }] },
        /direction/,
      ],
      ['empty name', { status: 'on', rules: [{ name: '  ', keepDays: 1 }] }, /rules\[0\]\.name/],
      ['long name', { status: 'on', rules: [{ name: 'x'.repeat(129), keepDays: 1 }] }, /rules\[0\]\.name/],
      [
        'unknown rule field',
        { status: 'on', rules: [{ name: 'a', keepDays: 1, keepYears: 2 }] },
        /keepYears/,
      ],
      ['unknown field', { status: 'on', rules: [], mode: 'strict' }, /mode/],
      ['bad status', { status: 'off', rules: [] }, /status/],
      ['missing rules', { status: 'on' }, /rules/],
      [
        'unknown rule id',
        { status: 'on', rules: [{ id: 'nope', name: 'a', keepDays: 1 }] },
        /rules\[0\]\.id/,
      ],
    ];
    for (const [what, body, message] of cases) {
      const res = await putPolicy(app, admin, body);
      assert.equal(res.statusCode, 400, `${what}: ${res.body}`);
      assert.match(res.json().message, message, what);
    }
    assert.deepEqual(await getPolicy(app, admin), before, 'nothing changed');
  });

  test('pending: a change waits out the grace period; pausing acts at once; repeats change nothing', async (t) => {
    const app = await buildTestApp(t, { backend }); // ICS_RETENTION_GRACE_DAYS defaults to 30
    const admin = await app.token();
    const t0 = Date.now();
    const res = await putPolicy(app, admin, { status: 'on', rules: [recordings] });
    assert.equal(res.statusCode, 200, res.body);
    const p = res.json();
    assert.equal(p.status, 'pending');
    assert.deepEqual(p.rules, []);
    assert.equal(p.pendingRules.length, 1);
    assert.match(p.pendingRules[0].id, /^[0-9a-f-]{36}$/);
    const until = Date.parse(p.pendingUntil);
    assert.ok(Math.abs(until - (t0 + 30 * DAY)) < 5000, p.pendingUntil);

    // The same request again keeps the pending change as it is (the same id and pendingUntil).
    const again = (await putPolicy(app, admin, { status: 'on', rules: [recordings] })).json();
    assert.deepEqual(again, p);
    // A GET round trip of the rules (with their ids) is the same policy too.
    const round = (await putPolicy(app, admin, { status: 'on', rules: p.pendingRules })).json();
    assert.deepEqual(round, p);

    // Nothing is in force while pending: the preview now deletes nothing; at pendingUntil it does.
    const guid = await seedAged(app, admin, 100);
    const now = (await app.api({ method: 'GET', url: `${R}/preview`, token: admin })).json();
    assert.equal(now.total, 0);
    const later = await app.api({
      method: 'GET',
      url: `${R}/preview?at=${encodeURIComponent(p.pendingUntil)}`,
      token: admin,
    });
    assert.equal(later.json().total, 1, later.body);
    assert.equal(later.json().sample[0].guid, guid);

    const paused = (await putPolicy(app, admin, { status: 'paused', rules: [recordings] })).json();
    assert.equal(paused.status, 'paused');
    assert.equal(paused.pendingRules, null);
    assert.equal(paused.pendingUntil, null);
    const afterPause = await app.api({
      method: 'GET',
      url: `${R}/preview?at=${encodeURIComponent(p.pendingUntil)}`,
      token: admin,
    });
    assert.equal(afterPause.json().total, 0, 'paused: nothing would be deleted');
    // Turning it on again is a change like any other: pending again.
    const on = (await putPolicy(app, admin, { status: 'on', rules: [recordings] })).json();
    assert.equal(on.status, 'pending');
  });

  test('grace 0: changes act at once; a rule keeps its id across edits when it names it', async (t) => {
    const app = await buildTestApp(t, { backend, env: { ICS_RETENTION_GRACE_DAYS: '0' } });
    const admin = await app.token();
    const p = (await putPolicy(app, admin, { status: 'on', rules: [recordings, everything] })).json();
    assert.equal(p.status, 'on');
    assert.equal(p.pendingUntil, null);
    assert.deepEqual(
      p.rules.map((r: { name: string; direction: unknown; contentTypes: unknown }) => [
        r.name,
        r.direction,
        r.contentTypes,
      ]),
      [
        ['Recordings 90 days', null, ['callRecording', 'screenRecording']],
        ['Everything 400 days', null, null],
      ],
    );
    const edited = (
      await putPolicy(app, admin, {
        status: 'on',
        rules: [
          { ...p.rules[0], keepDays: 120 },
          { name: 'New', keepDays: 5 },
        ],
      })
    ).json();
    assert.equal(edited.rules[0].id, p.rules[0].id);
    assert.equal(edited.rules[0].keepDays, 120);
    assert.notEqual(edited.rules[1].id, p.rules[1].id);
  });

  test('preview: longest keepDays wins, unmatched items are kept, legal holds respected', async (t) => {
    const app = await buildTestApp(t, { backend, env: { ICS_RETENTION_GRACE_DAYS: '0' } });
    const admin = await app.token();
    const p = (
      await putPolicy(app, admin, {
        status: 'on',
        rules: [
          { name: 'Recordings 30', contentTypes: ['callRecording'], keepDays: 30 },
          {
            name: 'Inbound recordings 200',
            contentTypes: ['callRecording'],
            direction: 'inbound',
            keepDays: 200,
          },
          { name: 'Transcripts 10', contentTypes: ['transcript'], keepDays: 10 },
        ],
      })
    ).json();
    const [r30, r200, r10] = p.rules.map((r: { id: string }) => r.id);
    const both = [{ key: 'callRecording' }, { key: 'transcript' }];
    const oldIn = await seedAged(app, admin, 300, { files: both }); // both due (200 and 10)
    const midIn = await seedAged(app, admin, 100, { files: both }); // transcript due; recording kept by the 200-day rule
    const midOut = await seedAged(app, admin, 100, { direction: 'outbound', files: both }); // both due (30, 10)
    const young = await seedAged(app, admin, 5, { files: both }); // nothing due
    const unmatched = await seedAged(app, admin, 5000, { files: [{ key: 'sentimentSummary' }] }); // no rule
    const held = await seedAged(app, admin, 300, { files: both });
    const hold = await app.api({
      method: 'PUT',
      url: `${I}/${held}/legal-hold`,
      token: admin,
      body: { reason: 'Smith v. Acme' },
    });
    assert.equal(hold.statusCode, 200, hold.body);

    const res = await app.api({ method: 'GET', url: `${R}/preview`, token: admin });
    assert.equal(res.statusCode, 200, res.body);
    const preview = res.json();
    assert.equal(preview.total, 5);
    assert.deepEqual(preview.byType, { callRecording: 2, transcript: 3 });
    assert.deepEqual(preview.byRule, [
      { ruleId: r30, count: 1 },
      { ruleId: r200, count: 1 },
      { ruleId: r10, count: 3 },
    ]);
    const keys = preview.sample.map((s: { guid: string; contentKey: string }) => `${s.guid}/${s.contentKey}`);
    assert.equal(keys.length, 5);
    for (const g of [young, unmatched, held]) assert.ok(!keys.some((k: string) => k.startsWith(g)), g);
    assert.ok(keys.includes(`${oldIn}/callRecording`) && keys.includes(`${midOut}/callRecording`));
    assert.ok(!keys.includes(`${midIn}/callRecording`));
    const after = preview.sample.map((s: { deleteAfter: string }) => Date.parse(s.deleteAfter));
    assert.deepEqual(
      [...after].sort((a, b) => a - b),
      after,
      'sample ordered by deleteAfter',
    );

    // At a later date, more falls due: the 200-day recording of midIn after another 100 days.
    const at = new Date(Date.now() + 101 * DAY).toISOString();
    const later = (await app.api({ method: 'GET', url: `${R}/preview?at=${at}`, token: admin })).json();
    // + midIn's recording (200 days) and young's transcript; young's inbound recording is kept 200 days.
    assert.equal(later.total, 7);
    const bad = await app.api({ method: 'GET', url: `${R}/preview?at=yesterday`, token: admin });
    assert.equal(bad.statusCode, 400);
    assert.match(bad.json().message, /'at'/);
  });

  test('explanation: deleteAfter and the deciding rule per item; 404 across accounts; hold reason for admins only', async (t) => {
    const app = await buildTestApp(t, { backend, env: { ICS_RETENTION_GRACE_DAYS: '0' } });
    const admin = await app.token();
    const p = (
      await putPolicy(app, admin, {
        status: 'on',
        rules: [
          { name: 'Recordings 30', contentTypes: ['callRecording'], keepDays: 30 },
          { name: 'Recordings 60', contentTypes: ['callRecording'], keepDays: 60 },
        ],
      })
    ).json();
    const start = Date.now() - 10 * DAY;
    const guid = await app.seed(admin, {
      start: new Date(start).toISOString(),
      files: [
        { key: 'callRecording', body: 'a' },
        { key: 'transcript', body: 'b' },
      ],
    });
    const reader = await app.token({ scopes: 'interaction-content:read' });
    const res = await app.api({ method: 'GET', url: `${I}/${guid}/retention`, token: reader });
    assert.equal(res.statusCode, 200, res.body);
    const e = res.json();
    assert.equal(e.guid, guid);
    assert.equal(e.legalHold, null);
    const byKey = Object.fromEntries(e.content.map((c: { contentKey: string }) => [c.contentKey, c]));
    assert.equal(byKey.callRecording.ruleId, p.rules[1].id, 'the longest rule decides');
    const startSec = Math.floor(start / 1000) * 1000;
    assert.equal(Date.parse(byKey.callRecording.deleteAfter), startSec + 60 * DAY);
    assert.deepEqual(byKey.transcript, {
      contentKey: 'transcript',
      type: 'transcript',
      deleteAfter: null,
      ruleId: null,
    });

    await app.api({
      method: 'PUT',
      url: `${I}/${guid}/legal-hold`,
      token: admin,
      body: { reason: 'Secret case', caseId: 'C-1' },
    });
    const asReader = (await app.api({ method: 'GET', url: `${I}/${guid}/retention`, token: reader })).json();
    assert.deepEqual(Object.keys(asReader.legalHold), ['placedAt']);
    const asAdmin = (await app.api({ method: 'GET', url: `${I}/${guid}/retention`, token: admin })).json();
    assert.equal(asAdmin.legalHold.reason, 'Secret case');

    const other = await app.token({ account: 'globex' });
    const cross = await app.api({ method: 'GET', url: `${I}/${guid}/retention`, token: other });
    assert.equal(cross.statusCode, 404);
  });
});
