import { createCipheriv, createDecipheriv, createHash, randomBytes } from 'node:crypto';
import { link, mkdir, open, readFile, unlink } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { syncDir } from '../blobs/fs-durable.js';

// Secrets that ICS must keep but never show again (export credentials, webhook signing secrets) are
// sealed with AES-256-GCM under one key that does not live in the database: a database dump or
// backup alone reveals nothing. The key is ICS_SECRETS_KEY (32 bytes, base64 or hex) or, when that
// is unset, a random key created once in `<data dir>/secrets.key` (mode 0600). Several nodes on one
// PostgreSQL database must share the key, so they must all be given ICS_SECRETS_KEY.

const VERSION = 'v1';
const KEY_FILE = 'secrets.key';

/** A sealed value could not be opened: a different key, or a value that was changed. */
export class UnsealError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UnsealError';
  }
}

/**
 * Seals and opens small secrets. A sealed value is `v1.<key id>.<base64url(iv ‖ ciphertext ‖ tag)>`;
 * the key id (the first 8 hex digits of SHA-256 of the key) tells which key sealed it. `context`
 * (e.g. `export-storage:<account>:<id>`) is bound as additional data, so a value copied to another
 * row or account does not open.
 */
export class SealedBox {
  readonly keyId: string;
  readonly #key: Buffer;

  constructor(key: Buffer) {
    if (key.length !== 32) throw new Error('a sealing key is 32 bytes');
    this.#key = Buffer.from(key);
    this.keyId = keyIdOf(key);
  }

  seal(plaintext: string, context: string): string {
    const iv = randomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', this.#key, iv);
    cipher.setAAD(Buffer.from(context, 'utf8'));
    const body = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
    const sealed = Buffer.concat([iv, body, cipher.getAuthTag()]).toString('base64url');
    return `${VERSION}.${this.keyId}.${sealed}`;
  }

  /** The plaintext; UnsealError when another key sealed it, or the value or its context changed. */
  unseal(sealed: string, context: string): string {
    const [version, keyId, body] = sealed.split('.');
    if (version !== VERSION || !keyId || !body) throw new UnsealError('not a sealed value');
    if (keyId !== this.keyId) {
      throw new UnsealError(
        `the secret was sealed with key ${keyId}, but this node has key ${this.keyId}: give every node the same ICS_SECRETS_KEY`,
      );
    }
    const raw = Buffer.from(body, 'base64url');
    if (raw.length < 12 + 16) throw new UnsealError('the sealed value is damaged');
    try {
      const decipher = createDecipheriv('aes-256-gcm', this.#key, raw.subarray(0, 12));
      decipher.setAAD(Buffer.from(context, 'utf8'));
      decipher.setAuthTag(raw.subarray(raw.length - 16));
      return Buffer.concat([decipher.update(raw.subarray(12, raw.length - 16)), decipher.final()]).toString(
        'utf8',
      );
    } catch {
      throw new UnsealError('the sealed value is damaged or belongs to another record');
    }
  }
}

const keyIdOf = (key: Buffer) => createHash('sha256').update(key).digest('hex').slice(0, 8);

/** Decodes a configured key: 64 hex digits or the base64 (or base64url) of 32 bytes; else undefined. */
export function decodeSealingKey(text: string): Buffer | undefined {
  const t = text.trim();
  if (/^[0-9a-fA-F]{64}$/.test(t)) return Buffer.from(t, 'hex');
  if (/^[A-Za-z0-9+/_-]{43}=?$/.test(t)) {
    const key = Buffer.from(t.replace(/-/g, '+').replace(/_/g, '/'), 'base64');
    return key.length === 32 ? key : undefined;
  }
  return undefined;
}

/**
 * The node's SealedBox: from the configured key, else from `<dataDir>/secrets.key`, created (0600,
 * never overwritten) on first use. `source` tells which, for a start-up warning on shared databases.
 */
export async function openSealedBox(opts: {
  configuredKey: string | undefined;
  dataDir: string;
}): Promise<{ box: SealedBox; source: 'config' | 'file' }> {
  if (opts.configuredKey !== undefined) {
    const key = decodeSealingKey(opts.configuredKey);
    // config.ts validates it; a bad one here is a programming error.
    if (!key) throw new Error('ICS_SECRETS_KEY is not a 32-byte key');
    return { box: new SealedBox(key), source: 'config' };
  }
  const file = join(opts.dataDir, KEY_FILE);
  let text = await readFile(file, 'utf8').catch((err: NodeJS.ErrnoException) => {
    if (err.code === 'ENOENT') return undefined;
    throw err;
  });
  if (text === undefined) {
    await mkdir(dirname(file), { recursive: true, mode: 0o700 });
    // Written in full under a temporary name, then linked into place: link() fails when the file
    // exists, so the first process wins and nobody ever reads a half-written key.
    const temp = `${file}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
    const handle = await open(temp, 'wx', 0o600);
    try {
      await handle.writeFile(`${randomBytes(32).toString('base64')}\n`);
      await handle.sync(); // sealed rows in the database must never outlive their key
    } finally {
      await handle.close();
    }
    try {
      await link(temp, file);
      await syncDir(dirname(file));
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    } finally {
      await unlink(temp).catch(() => undefined);
    }
    text = await readFile(file, 'utf8');
  }
  const key = decodeSealingKey(text);
  if (!key) throw new Error(`${file} does not hold a 32-byte key (base64 or hex)`);
  return { box: new SealedBox(key), source: 'file' };
}
