import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { ConfigError, loadConfig } from '../../src/config.js';

describe('loadConfig', () => {
  test('defaults: embedded SQLite and files under ./data', () => {
    const c = loadConfig({}, '/srv/ics');
    assert.deepEqual(c.http, { host: '127.0.0.1', port: 8080 });
    assert.equal(c.dataDir, '/srv/ics/data');
    assert.deepEqual(c.database, { kind: 'sqlite', path: '/srv/ics/data/ics.sqlite' });
    assert.deepEqual(c.blobs, { kind: 'fs', root: '/srv/ics/data/blobs' });
    assert.equal(c.limits.searchWindowMs, 7 * 86_400_000);
    assert.equal(c.auth.tokenTtlSeconds, 7200);
    assert.equal(c.auth.oidc, undefined);
    assert.ok(Object.isFrozen(c) && Object.isFrozen(c.database));
  });

  test('postgres and s3 URLs', () => {
    const c = loadConfig({
      ICS_DATABASE_URL: 'postgres://ics:pw@db:5432/ics',
      ICS_BLOB_URL: 's3://recordings/ics?endpoint=http://minio:9000&region=eu-west-1&forcePathStyle=true',
    });
    assert.deepEqual(c.database, { kind: 'postgres', url: 'postgres://ics:pw@db:5432/ics', poolSize: 10 });
    assert.deepEqual(c.blobs, {
      kind: 's3',
      bucket: 'recordings',
      prefix: 'ics/',
      endpoint: 'http://minio:9000',
      region: 'eu-west-1',
      forcePathStyle: true,
      credentials: undefined,
    });
  });

  test('every problem is reported at once', () => {
    try {
      loadConfig({
        PORT: 'eighty',
        ICS_DATABASE_URL: 'mysql://x',
        ICS_BLOB_URL: 'ftp://x',
        ICS_MAX_UPLOAD_BYTES: 'lots',
        ICS_SEARCH_WINDOW_DAYS: '-1',
        ICS_TOKEN_TTL_SECONDS: '5',
        ICS_OIDC_ISSUER: 'https://idp',
        ICS_TOKEN_SECRET: 'short',
        ICS_LOG_LEVEL: 'loud',
      });
      assert.fail('expected a ConfigError');
    } catch (err) {
      assert.ok(err instanceof ConfigError);
      assert.equal(err.problems.length, 9, err.problems.join('\n'));
      assert.match(err.message, /PORT/);
      assert.doesNotMatch(err.message, /pw@/);
    }
  });

  test('sizes and OIDC', () => {
    const c = loadConfig({
      ICS_MAX_UPLOAD_BYTES: '512MiB',
      ICS_SEARCH_WINDOW_DAYS: '0',
      ICS_OIDC_JWKS_URL: 'https://idp/jwks',
      ICS_OIDC_ISSUER: 'https://idp',
      ICS_OIDC_AUDIENCE: 'ics',
      ICS_OIDC_ACCOUNT_CLAIM: 'tenant',
    });
    assert.equal(c.limits.maxUploadBytes, 512 * 1024 ** 2);
    assert.equal(c.limits.searchWindowMs, 0);
    assert.deepEqual(c.auth.oidc, {
      jwksUrl: 'https://idp/jwks',
      issuer: 'https://idp',
      audience: 'ics',
      accountClaim: 'tenant',
    });
  });
});
