import { randomBytes, type ScryptOptions, scrypt, timingSafeEqual } from 'node:crypto';

// Client ids and secrets, and the slow salted hash that is all the database ever holds of a secret.
// Encoding: `scrypt$<N>$<r>$<p>$<salt b64url>$<hash b64url>`. The parameters travel with each hash,
// so the cost can be raised later without invalidating the secrets already stored.

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

/** 32 random bytes as base64url (43 characters). */
export function generateClientSecret(): string {
  return randomBytes(32).toString('base64url');
}

export async function hashSecret(secret: string, cost: ScryptCost = DEFAULT_SCRYPT_COST): Promise<string> {
  if (!validCost(cost)) throw new RangeError('invalid scrypt cost parameters');
  const salt = randomBytes(SALT_BYTES);
  const hash = await derive(secret, salt, HASH_BYTES, cost);
  return ['scrypt', cost.N, cost.r, cost.p, salt.toString('base64url'), hash.toString('base64url')].join('$');
}

/** True when `secret` matches; false for a wrong secret and for any malformed encoding (never throws on input). */
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
