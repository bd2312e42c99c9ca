import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { ConfigError, loadConfig } from '../../src/config.js';
import { decodeSealingKey, openSealedBox, SealedBox, UnsealError } from '../../src/secrets/sealed-box.js';

describe('sealed secrets (secrets/sealed-box.ts)', () => {
  test('seal and unseal: bound to their context and key; a changed value does not open', () => {
    const box = new SealedBox(randomBytes(32));
    const sealed = box.seal('{"secretAccessKey":"s3cr3t"}', 'export-storage:acme:1');
    assert.match(sealed, new RegExp(`^v1\\.${box.keyId}\\.[A-Za-z0-9_-]+$`));
    assert.doesNotMatch(sealed, /s3cr3t/);
    assert.notEqual(box.seal('x', 'c'), box.seal('x', 'c'), 'a fresh IV every time');
    assert.equal(box.unseal(sealed, 'export-storage:acme:1'), '{"secretAccessKey":"s3cr3t"}');
    assert.throws(() => box.unseal(sealed, 'export-storage:other:1'), UnsealError, 'another row or account');
    const [v, id, body] = sealed.split('.');
    const flipped = Buffer.from(body, 'base64url');
    flipped[14] ^= 1;
    assert.throws(
      () => box.unseal(`${v}.${id}.${flipped.toString('base64url')}`, 'export-storage:acme:1'),
      UnsealError,
    );
    const other = new SealedBox(randomBytes(32));
    assert.throws(
      () => other.unseal(sealed, 'export-storage:acme:1'),
      (err: Error) =>
        err instanceof UnsealError &&
        err.message.includes(box.keyId) &&
        err.message.includes('ICS_SECRETS_KEY'),
    );
  });

  test('the key: ICS_SECRETS_KEY (hex or base64, validated by config) or one 0600 file, made once', async (t) => {
    const dir = await mkdtemp(join(tmpdir(), 'ics-sealed-'));
    t.after(() => rm(dir, { recursive: true, force: true }));
    const opened = await Promise.all(
      [1, 2, 3].map(() => openSealedBox({ configuredKey: undefined, dataDir: join(dir, 'data') })),
    );
    assert.deepEqual(
      opened.map((o) => o.source),
      ['file', 'file', 'file'],
    );
    assert.equal(new Set(opened.map((o) => o.box.keyId)).size, 1, 'concurrent first uses agree on one key');
    const file = join(dir, 'data', 'secrets.key');
    assert.equal((await stat(file)).mode & 0o777, 0o600);
    const again = await openSealedBox({ configuredKey: undefined, dataDir: join(dir, 'data') });
    assert.equal(again.box.keyId, opened[0].box.keyId, 'kept across starts');
    assert.ok(decodeSealingKey(await readFile(file, 'utf8')));

    const key = randomBytes(32);
    for (const text of [key.toString('hex'), key.toString('base64'), key.toString('base64url')]) {
      const c = loadConfig({ ICS_SECRETS_KEY: text });
      const { box, source } = await openSealedBox({ configuredKey: c.secrets.key, dataDir: dir });
      assert.equal(source, 'config');
      assert.equal(box.keyId, new SealedBox(key).keyId);
    }
    for (const bad of ['short', randomBytes(16).toString('hex'), randomBytes(31).toString('base64')]) {
      assert.throws(
        () => loadConfig({ ICS_SECRETS_KEY: bad }),
        (err: Error) => err instanceof ConfigError && /ICS_SECRETS_KEY must be 32 bytes/.test(err.message),
      );
    }
  });

  test('export settings are validated with the rest of the configuration', () => {
    const c = loadConfig({});
    assert.deepEqual(c.export, {
      concurrency: 4,
      batchSize: 100,
      intervalMs: 3_600_000,
      settleMs: 600_000,
      allowedEndpoints: undefined,
    });
    assert.deepEqual(loadConfig({ ICS_EXPORT_ENDPOINTS: 'none' }).export.allowedEndpoints, []);
    assert.deepEqual(
      loadConfig({ ICS_EXPORT_ENDPOINTS: 'https://minio.internal:9000/, http://127.0.0.1:9000' }).export
        .allowedEndpoints,
      ['https://minio.internal:9000', 'http://127.0.0.1:9000'],
    );
    assert.throws(
      () => loadConfig({ ICS_EXPORT_CONCURRENCY: '0', ICS_EXPORT_ENDPOINTS: 'ftp://x' }),
      (err: Error) =>
        err instanceof ConfigError &&
        err.problems.length === 2 &&
        /ICS_EXPORT_CONCURRENCY/.test(err.problems[0]) &&
        /ICS_EXPORT_ENDPOINTS/.test(err.problems[1]),
    );
  });
});
