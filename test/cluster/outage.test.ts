import assert from 'node:assert/strict';
import { after, describe, test } from 'node:test';
import { buildTestApp } from '../helpers/app.js';
import { createTestDatabase } from '../helpers/postgres.js';
import { startS3 } from '../helpers/s3.js';
import { TcpProxy } from '../helpers/tcp-proxy.js';

// A database or bucket that goes away while the node runs gives 503 with a message; the node recovers
// by itself when it comes back. The outage is real: a TCP proxy in front of each service is cut.

const db = await createTestDatabase();
const skip = 'skip' in db ? db.skip : false;

describe('outages of PostgreSQL and S3', { skip }, () => {
  after(async () => {
    if (!('skip' in db)) await db.drop();
  });

  test('503 while a store is gone, service again once it is back', async (t) => {
    if ('skip' in db) return;
    const s3 = await startS3();
    t.after(() => s3.stop());
    const pgUrl = new URL(db.url);
    const pgProxy = await new TcpProxy({ host: pgUrl.hostname, port: Number(pgUrl.port || 5432) }).start();
    const s3Proxy = await new TcpProxy({
      host: '127.0.0.1',
      port: Number(new URL(s3.config.endpoint as string).port),
    }).start();
    t.after(async () => {
      await pgProxy.cut();
      await s3Proxy.cut();
    });
    pgUrl.port = String(pgProxy.port);
    const blobUrl = s3.url.replace(
      encodeURIComponent(s3.config.endpoint as string),
      encodeURIComponent(`http://127.0.0.1:${s3Proxy.port}`),
    );
    const h = await buildTestApp(t, {
      env: { ...s3.env, ICS_DATABASE_URL: pgUrl.toString(), ICS_BLOB_URL: blobUrl },
    });
    const bearer = await h.token();
    const guid = await h.seed(bearer);
    const get = (path = '') =>
      h.api({ method: 'GET', url: `/interaction-content/interactions/${guid}${path}`, token: bearer });
    assert.equal((await get()).statusCode, 200);

    await s3Proxy.cut();
    const noBucket = await get('/content/callRecording');
    assert.equal(noBucket.statusCode, 503);
    assert.equal(noBucket.json().code, 'unavailable');
    assert.ok(noBucket.json().message.length > 0);
    const notReady = await h.app.inject({ method: 'GET', url: '/readyz' });
    assert.equal(notReady.statusCode, 503);
    assert.deepEqual(notReady.json().failed, ['storage'], 'the 503 names the dependency that failed');
    assert.equal(notReady.json().checks.database, 'ok');
    assert.match(notReady.json().message, /storage failed/);
    assert.equal((await get()).statusCode, 200, 'metadata still served while only storage is down');
    await s3Proxy.restore();
    assert.equal((await get('/content/callRecording')).statusCode, 200, 'storage back: downloads work again');

    await pgProxy.cut();
    const noDb = await get();
    assert.equal(noDb.statusCode, 503);
    assert.equal(noDb.json().code, 'unavailable');
    assert.doesNotMatch(noDb.body, /ECONN|stack|at /);
    const noDbReady = await h.app.inject({ method: 'GET', url: '/readyz' });
    assert.equal(noDbReady.statusCode, 503);
    assert.deepEqual(noDbReady.json().failed, ['database']);
    assert.doesNotMatch(noDbReady.body, /ECONN|127\.0\.0\.1/, 'internal addresses stay in the log');
    await pgProxy.restore();
    let res = await get();
    for (let i = 0; i < 20 && res.statusCode !== 200; i++) {
      await new Promise((r) => setTimeout(r, 250));
      res = await get();
    }
    assert.equal(res.statusCode, 200, 'database back: the pool reconnects by itself');
    assert.equal((await h.app.inject({ method: 'GET', url: '/readyz' })).statusCode, 200);
  });
});
