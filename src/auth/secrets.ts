import { createHmac, randomBytes, type ScryptOptions, scrypt, timingSafeEqual } from 'node:crypto';
import type { MetadataStore } from '../metadata/metadata-store.js';

// Client ids and secrets, and the hash that is all the database ever holds of a secret.
//
// Every client secret is generated here: 256 random bits. Nobody can guess such a secret, so a
// password KDF (scrypt, bcrypt, argon2) protects nothing that the entropy does not already protect,
// and it costs tens of milliseconds of libuv's thread pool per token request, the same pool that
// file reads use: a few dozen unauthenticated token requests a second once starved every download
// (issue 9). Secrets are therefore stored as HMAC-SHA-256 under a server key:
//
//   `hmac-sha256$<mac b64url>`
//
// The key is its own random setting in the database (`settings.client_secret_key`, created by the
// first node or CLI command that needs it, shared by all), not derived from the token-signing
// secret, so that rotating ICS_TOKEN_SECRET does not invalidate every client. See docs/security.md.
//
// Older installations stored `scrypt$<N>$<r>$<p>$<salt b64url>$<hash b64url>`; such a hash is still
// verified (scrypt, once) and replaced by the HMAC form on its next successful use.

const HMAC_PREFIX = 'hmac-sha256$';

/** Default cost: 2^15 x r=8 needs 32 MiB and takes tens of ms, slow for guessing, fine per token request. */
export const DEFAULT_SCRYPT_COST = { N: 2 ** 15, r: 8, p: 1 } as const;

export interface ScryptCost {
  N: number;
  r: number;
  p: number;
}

const SALT_BYTES = 16;
const HASH_BYTES = 32;

// Bounds for what verifySecret will run: a corrupted or hostile stored hash must not be able to ask
// for gigabytes of memory or minutes of CPU.
const MAX_LOG_N = 20;
const MAX_R = 32;
const MAX_P = 16;

/** 'ics_' + 20 url-safe characters (120 random bits): unique, and easy to recognise in logs. */
export function generateClientId(): string {
  return `ics_${randomBytes(15).toString('base64url')}`;
}

/**
 * 32 random bytes as base64url (43 characters), never starting with '-': command lines (`ics import
 * --client-secret <s>`, getopt-style tools) would take such a secret for an option.
 */
export function generateClientSecret(): string {
  for (;;) {
    const secret = randomBytes(32).toString('base64url');
    if (!secret.startsWith('-')) return secret;
  }
}

/** Hashes and checks client secrets under one server key. Synchronous: an HMAC costs microseconds. */
export class SecretHasher {
  readonly #key: Uint8Array;

  constructor(key: Uint8Array) {
    if (key.length < 32) throw new RangeError('the client secret key must be at least 32 bytes');
    this.#key = key;
  }

  hash(secret: string): string {
    return `${HMAC_PREFIX}${this.#mac(secret).toString('base64url')}`;
  }

  /**
   * Whether `secret` matches `encoded`, and, when it matched a legacy scrypt hash, the HMAC form to
   * store in its place. Never throws on input: a malformed encoding is a mismatch.
   */
  async verify(secret: string, encoded: string): Promise<{ matches: boolean; upgrade?: string }> {
    if (typeof encoded === 'string' && encoded.startsWith(HMAC_PREFIX)) {
      const stored = Buffer.from(encoded.slice(HMAC_PREFIX.length), 'base64url');
      const actual = this.#mac(secret);
      return { matches: stored.length === actual.length && timingSafeEqual(stored, actual) };
    }
    if (!(await verifySecret(secret, encoded))) return { matches: false };
    return { matches: true, upgrade: this.hash(secret) };
  }

  #mac(secret: string): Buffer {
    return createHmac('sha256', this.#key).update(secret, 'utf8').digest();
  }
}

/** The shared server key for client secrets, created once (first writer wins) in the metadata store. */
export async function resolveClientSecretKey(
  store: Pick<MetadataStore, 'getOrCreateClientSecretKey'>,
): Promise<Uint8Array> {
  const stored = await store.getOrCreateClientSecretKey(randomBytes(32).toString('base64url'));
  const key = new TextEncoder().encode(stored);
  if (key.length < 32) throw new Error('the stored client secret key is shorter than 32 bytes');
  return key;
}

/**
 * Legacy: the scrypt hash earlier versions stored. Kept to verify such hashes until they are
 * upgraded, and for tests that make them.
 */
export async function hashSecret(secret: string, cost: ScryptCost = DEFAULT_SCRYPT_COST): Promise<string> {
  if (!validCost(cost)) throw new RangeError('invalid scrypt cost parameters');
  const salt = randomBytes(SALT_BYTES);
  const hash = await derive(secret, salt, HASH_BYTES, cost);
  return ['scrypt', cost.N, cost.r, cost.p, salt.toString('base64url'), hash.toString('base64url')].join('$');
}

/**
 * Legacy scrypt check: true when `secret` matches; false for a wrong secret and for any malformed
 * encoding (never throws on input).
 */
export async function verifySecret(secret: string, encoded: string): Promise<boolean> {
  const parsed = parseEncoded(encoded);
  if (!parsed) return false;
  let actual: Buffer;
  try {
    actual = await derive(secret, parsed.salt, parsed.hash.length, parsed.cost);
  } catch {
    return false;
  }
  return timingSafeEqual(actual, parsed.hash);
}

function parseEncoded(encoded: string): { cost: ScryptCost; salt: Buffer; hash: Buffer } | undefined {
  if (typeof encoded !== 'string') return undefined;
  const parts = encoded.split('$');
  if (parts.length !== 6 || parts[0] !== 'scrypt') return undefined;
  const [N, r, p] = parts.slice(1, 4).map((s) => (/^\d{1,8}$/.test(s) ? Number(s) : Number.NaN));
  const cost = { N, r, p };
  if (!validCost(cost)) return undefined;
  const b64 = /^[A-Za-z0-9_-]+$/;
  if (!b64.test(parts[4]) || !b64.test(parts[5])) return undefined;
  const salt = Buffer.from(parts[4], 'base64url');
  const hash = Buffer.from(parts[5], 'base64url');
  if (salt.length < 8 || hash.length < 16 || hash.length > 64) return undefined;
  return { cost, salt, hash };
}

function validCost({ N, r, p }: ScryptCost): boolean {
  const isInt = (n: number, max: number) => Number.isInteger(n) && n >= 1 && n <= max;
  // N must be a power of two greater than 1.
  return isInt(N, 2 ** MAX_LOG_N) && N > 1 && (N & (N - 1)) === 0 && isInt(r, MAX_R) && isInt(p, MAX_P);
}

// The async scrypt runs on libuv's thread pool, so hashing never blocks the event loop.
function derive(secret: string, salt: Buffer, length: number, { N, r, p }: ScryptCost): Promise<Buffer> {
  // scrypt needs about 128*N*r bytes (+128*r*p); node's default maxmem (32 MiB) is exactly the
  // default cost's need and is refused, so allow twice the requirement.
  const options: ScryptOptions = { N, r, p, maxmem: 2 * (128 * N * r + 128 * r * p) };
  return new Promise((resolve, reject) => {
    scrypt(secret.normalize('NFC'), salt, length, options, (err, key) => (err ? reject(err) : resolve(key)));
  });
}
