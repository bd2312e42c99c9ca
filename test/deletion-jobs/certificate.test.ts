import assert from 'node:assert/strict';
import { it } from 'node:test';
import { calculateJwkThumbprint, compactVerify, createLocalJWKSet, decodeProtectedHeader } from 'jose';
import { buildTestApp } from '../helpers/app.js';
import { type Backend, describeBackends } from '../helpers/backends.js';
import { JOBS, waitForJob } from './helpers.js';

// Erasure certificates: a third party checks one with jose against the published JWKS alone, then
// finds every ledger entry it names in the account's ledger with that hash.

async function setup(t: Parameters<typeof buildTestApp>[0], backend: Backend) {
  const app = await buildTestApp(t, { backend });
  app.deps.runner.start();
  return { app, token: await app.token() };
}

describeBackends('erasure certificates', (backend) => {
  it('verifies offline against the JWKS, and names ledger entries that exist with those hashes', async (t) => {
    const { app, token } = await setup(t, backend);
    const guids = [
      await app.seed(token, { connectFrom: '+1 (555) 010-2000' }),
      await app.seed(token, {
        connectTo: '+1.555.010.2000',
        files: [
          { key: 'callRecording', body: 'a', contentType: 'audio/wav' },
          { key: 'transcript', body: '{}', contentType: 'application/json' },
        ],
      }),
    ];
    const survivor = await app.seed(token, { connectFrom: '+15550102001' });
    const res = await app.api({
      method: 'POST',
      url: JOBS,
      token,
      body: { match: { addresses: ['+15550102000'] }, reason: 'GDPR Art. 17', reference: 'DSR-7' },
    });
    const job = await waitForJob(app, token, res.json().id);
    assert.equal(job.status, 'completed');

    const cert = await app.api({
      method: 'GET',
      url: `${JOBS}/${job.id}/certificate`,
      token,
      headers: { accept: 'application/jose' },
    });
    assert.equal(cert.statusCode, 200, cert.body);
    assert.match(String(cert.headers['content-type']), /^application\/jose/);
    const again = await app.api({ method: 'GET', url: `${JOBS}/${job.id}/certificate`, token });
    assert.equal(again.body, cert.body, 'the same job gives the same certificate');

    // The verifier's side: no token, only the published keys.
    const jwksRes = await app.app.inject({
      method: 'GET',
      url: '/interaction-content/.well-known/jwks.json',
    });
    assert.equal(jwksRes.statusCode, 200);
    const jwks = jwksRes.json();
    assert.equal(jwks.keys.length, 1);
    const [jwk] = jwks.keys;
    assert.equal(jwk.kty, 'OKP');
    assert.equal(jwk.crv, 'Ed25519');
    assert.equal(jwk.d, undefined, 'no private part is published');
    assert.equal(jwk.kid, await calculateJwkThumbprint({ kty: jwk.kty, crv: jwk.crv, x: jwk.x }));
    const header = decodeProtectedHeader(cert.body);
    assert.equal(header.kid, jwk.kid);
    const { payload, protectedHeader } = await compactVerify(cert.body, createLocalJWKSet(jwks), {
      algorithms: ['EdDSA'],
    });
    assert.equal(protectedHeader.typ, 'ics-erasure-certificate+jws');
    const body = JSON.parse(new TextDecoder().decode(payload));
    assert.equal(body.job.id, job.id);
    assert.equal(body.job.reason, 'GDPR Art. 17');
    assert.equal(body.job.reference, 'DSR-7');
    assert.deepEqual(body.match, { addresses: ['+15550102000'] });
    assert.deepEqual(body.counts, { matched: 2, deleted: 2, held: 0, failed: 0 });
    assert.deepEqual(body.deleted.map((d: { guid: string }) => d.guid).sort(), [...guids].sort());

    const audit = (
      await app.api({ method: 'GET', url: '/interaction-content/audit?limit=1000', token })
    ).json().items as { seq: number; hash: string; guid: string }[];
    let named = 0;
    for (const d of body.deleted as { guid: string; entries: { seq: number; hash: string }[] }[]) {
      for (const e of d.entries) {
        const entry = audit.find((a) => a.seq === e.seq);
        assert.ok(entry, `ledger entry ${e.seq} exists`);
        assert.equal(entry.hash, e.hash);
        assert.equal(entry.guid, d.guid);
        named++;
      }
    }
    assert.equal(named, 2 + 3, 'one entry per content item and one per interaction');

    // A tampered payload does not verify.
    const [h, p, s] = cert.body.split('.');
    const forged = JSON.parse(Buffer.from(p, 'base64url').toString());
    forged.deleted.push({ guid: survivor, entries: [] });
    await assert.rejects(
      compactVerify(
        `${h}.${Buffer.from(JSON.stringify(forged)).toString('base64url')}.${s}`,
        createLocalJWKSet(jwks),
      ),
    );
  });

  it('is 404 for a dry run and for another account, 409 until the job has finished', async (t) => {
    const { app, token } = await setup(t, backend);
    await app.seed(token, { connectFrom: '+15550103000' });
    const dry = await app.api({
      method: 'POST',
      url: JOBS,
      token,
      body: { match: { addresses: ['+15550103000'] }, reason: 'check', dryRun: true },
    });
    await waitForJob(app, token, dry.json().id);
    const dryCert = await app.api({ method: 'GET', url: `${JOBS}/${dry.json().id}/certificate`, token });
    assert.equal(dryCert.statusCode, 404);

    await app.deps.runner.stop();
    const queued = await app.api({
      method: 'POST',
      url: JOBS,
      token,
      body: { match: { addresses: ['+15550103000'] }, reason: 'erase' },
    });
    const early = await app.api({ method: 'GET', url: `${JOBS}/${queued.json().id}/certificate`, token });
    assert.equal(early.statusCode, 409, early.body);
    assert.match(early.json().message, /queued/);
    const other = await app.token({ account: 'other' });
    const foreign = await app.api({
      method: 'GET',
      url: `${JOBS}/${queued.json().id}/certificate`,
      token: other,
    });
    assert.equal(foreign.statusCode, 404);
  });

  it('is 409 while the job runs and while it waits for a legal hold, 200 once it completed', async (t) => {
    // Each batch of the job pauses 1.5 s before it starts: the job stays running meanwhile.
    const app = await buildTestApp(t, {
      backend,
      env: { ICS_TEST_FAULTS: 'deletion-job.before-batch@pause=1500' },
    });
    app.deps.runner.start();
    const token = await app.token();
    await app.seed(token, { connectFrom: '+15550104000' });
    const res = await app.api({
      method: 'POST',
      url: JOBS,
      token,
      body: { match: { addresses: ['+15550104000'] }, reason: 'erase' },
    });
    const id = res.json().id;
    await waitForJob(app, token, id, ['running']);
    const running = await app.api({ method: 'GET', url: `${JOBS}/${id}/certificate`, token });
    assert.equal(running.statusCode, 409, running.body);
    assert.match(running.json().message, /running/);
    assert.equal((await waitForJob(app, token, id)).status, 'completed');
    const done = await app.api({ method: 'GET', url: `${JOBS}/${id}/certificate`, token });
    assert.equal(done.statusCode, 200, done.body);

    const held = await app.seed(token, { connectFrom: '+15550104001' });
    const hold = await app.api({
      method: 'PUT',
      url: `/interaction-content/interactions/${held}/legal-hold`,
      token,
      body: { reason: 'litigation' },
    });
    assert.equal(hold.statusCode, 200, hold.body);
    const second = await app.api({
      method: 'POST',
      url: JOBS,
      token,
      body: { match: { addresses: ['+15550104001'] }, reason: 'erase' },
    });
    await waitForJob(app, token, second.json().id, ['waiting']);
    const waiting = await app.api({
      method: 'GET',
      url: `${JOBS}/${second.json().id}/certificate`,
      token,
    });
    assert.equal(waiting.statusCode, 409, waiting.body);
    assert.match(waiting.json().message, /waiting/);
  });
});
