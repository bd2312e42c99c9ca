import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { ConfigError, loadConfig } from '../../src/config.js';

describe('loadConfig', () => {
  test('defaults: embedded SQLite and files under ./data', () => {
    const c = loadConfig({}, '/srv/ics');
    assert.deepEqual(c.http, { host: '127.0.0.1', port: 8080, tls: undefined, trustProxy: false });
    assert.equal(c.dataDir, '/srv/ics/data');
    assert.deepEqual(c.database, { kind: 'sqlite', path: '/srv/ics/data/ics.sqlite' });
    assert.deepEqual(c.blobs, { kind: 'fs', root: '/srv/ics/data/blobs' });
    assert.equal(c.limits.searchWindowMs, 7 * 86_400_000);
    assert.equal(c.auth.tokenTtlSeconds, 7200);
    assert.equal(c.auth.oidc, undefined);
    assert.ok(Object.isFrozen(c) && Object.isFrozen(c.database));
  });

  test('TLS files and ICS_TRUST_PROXY', () => {
    const c = loadConfig(
      {
        ICS_TLS_CERT_FILE: 'tls/cert.pem',
        ICS_TLS_KEY_FILE: '/etc/ics/key.pem',
        ICS_TRUST_PROXY: 'loopback, 10.0.0.0/8',
      },
      '/srv/ics',
    );
    assert.deepEqual(c.http.tls, { certFile: '/srv/ics/tls/cert.pem', keyFile: '/etc/ics/key.pem' });
    assert.equal(c.http.trustProxy, 'loopback,10.0.0.0/8');
    assert.equal(loadConfig({ ICS_TRUST_PROXY: 'true' }).http.trustProxy, true);
    assert.equal(loadConfig({ ICS_TRUST_PROXY: '2' }).http.trustProxy, 2);
    assert.equal(loadConfig({ ICS_TRUST_PROXY: 'off' }).http.trustProxy, false);
    assert.throws(
      () => loadConfig({ ICS_TLS_CERT_FILE: 'c.pem', ICS_TRUST_PROXY: '10.0.0.0/99,proxy.local' }),
      (err: Error) =>
        /ICS_TLS_CERT_FILE and ICS_TLS_KEY_FILE must be set together/.test(err.message) &&
        /ICS_TRUST_PROXY .*got '10\.0\.0\.0\/99,proxy\.local'/.test(err.message),
    );
  });

  test('postgres and s3 URLs', () => {
    const c = loadConfig({
      ICS_DATABASE_URL: 'postgres://ics:pw@db:5432/ics',
      ICS_BLOB_URL: 's3://recordings/ics?endpoint=http://minio:9000&region=eu-west-1&forcePathStyle=true',
    });
    assert.deepEqual(c.database, {
      kind: 'postgres',
      url: 'postgres://ics:pw@db:5432/ics',
      poolSize: 10,
      preparedStatements: true,
    });
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

  test('ICS_PG_PREPARED_STATEMENTS: on by default, off on request, anything else a problem', () => {
    const url = 'postgres://db/ics';
    const db = (v?: string) =>
      loadConfig({ ICS_DATABASE_URL: url, ...(v !== undefined && { ICS_PG_PREPARED_STATEMENTS: v }) })
        .database;
    const on = db();
    assert.equal(on.kind === 'postgres' && on.preparedStatements, true);
    const off = db('OFF');
    assert.equal(off.kind === 'postgres' ? off.preparedStatements : 'sqlite', false);
    assert.throws(
      () => db('sometimes'),
      (err: unknown) =>
        err instanceof ConfigError && /ICS_PG_PREPARED_STATEMENTS must be on or off/.test(err.message),
    );
  });

  test('limits and timeouts: defaults, overrides, zero switches a rate limit off, bad values reported together', () => {
    const c = loadConfig({});
    assert.deepEqual(c.timeouts, {
      headersMs: 30_000,
      bodyIdleMs: 60_000,
      requestMs: 60_000,
      keepAliveMs: 72_000,
      idleMs: 120_000,
      shutdownGraceMs: 30_000,
    });
    assert.deepEqual(c.rateLimits.perClient, { perSecond: 100, burst: 200 });
    assert.deepEqual(c.rateLimits.tokenPerClientId, { perSecond: 20 / 60, burst: 20 });
    assert.deepEqual(c.rateLimits.tokenPerAddress, { perSecond: 5, burst: 300 });
    assert.equal(c.redis, undefined);
    assert.equal(c.limits.maxConcurrentUploadsPerAccount, 32);

    const d = loadConfig({
      ICS_RATE_LIMIT_PER_SECOND: '0',
      ICS_TOKEN_RATE_LIMIT_PER_CLIENT: '0',
      ICS_REDIS_URL: 'redis://:pw@cache:6379/2',
      ICS_REDIS_KEY_PREFIX: 'tenant-a:',
      ICS_SHUTDOWN_GRACE_SECONDS: '0',
      ICS_BODY_TIMEOUT_SECONDS: '5',
    });
    assert.equal(d.rateLimits.perClient, undefined);
    assert.equal(d.rateLimits.tokenPerClientId, undefined);
    assert.deepEqual(d.redis, { url: 'redis://:pw@cache:6379/2', keyPrefix: 'tenant-a:' });
    assert.equal(d.timeouts.shutdownGraceMs, 0);
    assert.equal(d.timeouts.bodyIdleMs, 5000);

    assert.throws(
      () =>
        loadConfig({
          ICS_REDIS_URL: 'http://:secret@cache',
          ICS_HEADERS_TIMEOUT_SECONDS: '0',
          ICS_RATE_LIMIT_BURST: 'many',
          ICS_MAX_CONCURRENT_UPLOADS: '-3',
        }),
      (err: unknown) => {
        assert.ok(err instanceof ConfigError);
        assert.equal(err.problems.length, 4, err.message);
        assert.ok(!err.message.includes('secret'), 'the Redis password is not echoed');
        return true;
      },
    );
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
