import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { connect, type TLSSocket } from 'node:tls';
import { promisify } from 'node:util';
import { httpsStatus, startServerProcess } from '../helpers/cli.js';

const run = promisify(execFile);

/** A self-signed certificate for 127.0.0.1 with common name `name`, made by openssl. */
async function makeCert(dir: string, name: string) {
  const cert = join(dir, `${name}.crt`);
  const key = join(dir, `${name}.key`);
  await run('openssl', [
    'req',
    '-x509',
    '-newkey',
    'ec',
    '-pkeyopt',
    'ec_paramgen_curve:prime256v1',
    '-nodes',
    '-days',
    '2',
    '-subj',
    `/CN=${name}`,
    '-addext',
    'subjectAltName=IP:127.0.0.1',
    '-keyout',
    key,
    '-out',
    cert,
  ]);
  return { cert: await readFile(cert), key: await readFile(key) };
}

/** A kept-open TLS connection that sends HTTP/1.1 requests one after another. */
async function openConnection(port: number, ca: Buffer[]) {
  const socket: TLSSocket = await new Promise((resolve, reject) => {
    const s = connect({ host: '127.0.0.1', port, ca }, () => resolve(s)).on('error', reject);
  });
  let buffered = '';
  socket.setEncoding('utf8');
  socket.on('data', (d) => (buffered += d));
  return {
    socket,
    commonName: () => socket.getPeerCertificate().subject.CN,
    async get(path: string): Promise<string> {
      buffered = '';
      socket.write(`GET ${path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: keep-alive\r\n\r\n`);
      // Answers here are small JSON bodies with a content-length.
      for (;;) {
        const m = /content-length: (\d+)\r\n[\s\S]*?\r\n\r\n/i.exec(buffered);
        const head = buffered.indexOf('\r\n\r\n');
        if (m && head >= 0 && buffered.length >= head + 4 + Number(m[1])) return buffered.split('\r\n')[0];
        if (socket.destroyed) throw new Error(`connection closed after: ${buffered}`);
        await new Promise((r) => setTimeout(r, 20));
      }
    },
  };
}

test('HTTPS from ICS_TLS_*; SIGHUP swaps the certificate and keeps open connections', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'ics-tls-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const a = await makeCert(dir, 'ics-a');
  const b = await makeCert(dir, 'ics-b');
  const certFile = join(dir, 'server.crt');
  const keyFile = join(dir, 'server.key');
  await writeFile(certFile, a.cert);
  await writeFile(keyFile, a.key);

  const server = await startServerProcess(
    {
      ICS_DATA_DIR: join(dir, 'data'),
      ICS_TLS_CERT_FILE: certFile,
      ICS_TLS_KEY_FILE: keyFile,
      ICS_LOG_LEVEL: 'info',
    },
    { ca: a.cert, timeoutMs: 120_000 },
  );
  t.after(() => server.stop());
  assert.match(server.url, /^https:/);
  assert.equal(await httpsStatus(`${server.url}/readyz`, a.cert), 200);
  const port = Number(new URL(server.url).port);
  const before = await openConnection(port, [a.cert, b.cert]);
  t.after(() => before.socket.destroy());
  assert.equal(await before.get('/healthz'), 'HTTP/1.1 200 OK');
  assert.equal(before.commonName(), 'ics-a');

  // Renewal as certbot does it: new files moved into place, then a reload.
  await writeFile(`${certFile}.new`, b.cert);
  await writeFile(`${keyFile}.new`, b.key);
  await rename(`${keyFile}.new`, keyFile);
  await rename(`${certFile}.new`, certFile);
  server.child.kill('SIGHUP');
  while (!server.stdout().includes('reloaded the TLS certificate'))
    await new Promise((r) => setTimeout(r, 50));

  const after = await openConnection(port, [b.cert]);
  t.after(() => after.socket.destroy());
  assert.equal(after.commonName(), 'ics-b', 'new connections get the new certificate');
  assert.equal(await after.get('/healthz'), 'HTTP/1.1 200 OK');
  assert.equal(await before.get('/healthz'), 'HTTP/1.1 200 OK', 'the connection opened before still works');
  assert.equal(before.commonName(), 'ics-a');

  // A broken renewal (key of another certificate) is refused; the server keeps serving the last good pair.
  await writeFile(keyFile, a.key);
  server.child.kill('SIGHUP');
  while (!server.stdout().includes('could not reload the TLS certificate'))
    await new Promise((r) => setTimeout(r, 50));
  const still = await openConnection(port, [b.cert]);
  t.after(() => still.socket.destroy());
  assert.equal(still.commonName(), 'ics-b');
  assert.equal(await still.get('/healthz'), 'HTTP/1.1 200 OK');
  assert.equal(server.child.exitCode, null, 'SIGHUP never ends the process');
});

test('a certificate and key that do not match stop start-up with one clear line', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'ics-tls-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const a = await makeCert(dir, 'ics-a');
  const b = await makeCert(dir, 'ics-b');
  await writeFile(join(dir, 'c.pem'), a.cert);
  await writeFile(join(dir, 'k.pem'), b.key);
  const { runCli } = await import('../helpers/cli.js');
  const res = await runCli(['serve'], {
    ICS_DATA_DIR: join(dir, 'data'),
    PORT: '0',
    ICS_TLS_CERT_FILE: join(dir, 'c.pem'),
    ICS_TLS_KEY_FILE: join(dir, 'k.pem'),
  });
  assert.equal(res.code, 1);
  assert.match(
    res.stderr,
    /^ics: ICS_TLS_CERT_FILE and ICS_TLS_KEY_FILE are not a usable certificate and key: .*key values mismatch/,
  );
  assert.equal(res.stderr.trim().split('\n').length, 1);
});
