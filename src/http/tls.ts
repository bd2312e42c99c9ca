import { X509Certificate } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { createSecureContext } from 'node:tls';
import type { HttpConfig } from '../config.js';

/** A certificate and its key as the server takes them, with what the log says about them. */
export interface TlsFiles {
  cert: Buffer;
  key: Buffer;
  /** The leaf certificate's subject and expiry, for the log. */
  summary: { subject: string; validTo: string; fingerprint256: string };
}

/**
 * Reads ICS_TLS_CERT_FILE (a PEM chain, leaf first) and ICS_TLS_KEY_FILE and checks that they make a
 * usable pair, so a bad renewal is refused before it replaces a working certificate.
 */
export async function readTlsFiles(tls: NonNullable<HttpConfig['tls']>): Promise<TlsFiles> {
  const read = (name: string, path: string) =>
    readFile(path).catch((err: Error) => {
      throw new Error(`cannot read ${name} ${path}: ${err.message}`);
    });
  const [cert, key] = await Promise.all([
    read('ICS_TLS_CERT_FILE', tls.certFile),
    read('ICS_TLS_KEY_FILE', tls.keyFile),
  ]);
  let leaf: X509Certificate;
  try {
    // Throws on a malformed PEM and on a key that does not match the certificate.
    createSecureContext({ cert, key });
    leaf = new X509Certificate(cert);
  } catch (err) {
    throw new Error(
      `ICS_TLS_CERT_FILE and ICS_TLS_KEY_FILE are not a usable certificate and key: ${(err as Error).message}`,
    );
  }
  return {
    cert,
    key,
    summary: {
      subject: leaf.subject.replace(/\n/g, ', '),
      validTo: leaf.validTo,
      fingerprint256: leaf.fingerprint256,
    },
  };
}

/**
 * SIGHUP: re-reads the certificate and key and gives them to the listening server. Node's
 * setSecureContext applies to handshakes from then on; connections already open keep theirs, so
 * nothing is dropped. A file that does not read or does not match leaves the old pair in place.
 */
export async function reloadCertificate(
  server: unknown,
  tls: NonNullable<HttpConfig['tls']>,
  log: { info(obj: object, msg: string): void; error(obj: object, msg: string): void },
): Promise<void> {
  try {
    const files = await readTlsFiles(tls);
    (server as import('node:https').Server).setSecureContext({ cert: files.cert, key: files.key });
    log.info({ certificate: files.summary }, 'reloaded the TLS certificate; open connections keep theirs');
  } catch (err) {
    log.error({ err }, 'could not reload the TLS certificate; still serving the previous one');
  }
}
