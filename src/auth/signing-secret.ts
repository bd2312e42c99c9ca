import { randomBytes } from 'node:crypto';
import type { MetadataStore } from '../metadata/metadata-store.js';

/**
 * The HMAC key for own tokens. ICS_TOKEN_SECRET when configured; otherwise a random secret kept in
 * the metadata store, where the first node to start writes it and every later node reads the same
 * one, so a token issued by any node verifies on all of them and survives restarts.
 *
 * Either way the key is the UTF-8 bytes of the secret string, so both sources follow one rule.
 */
export async function resolveSigningSecret(
  configSecret: string | undefined,
  store: Pick<MetadataStore, 'getOrCreateSigningSecret'>,
): Promise<Uint8Array> {
  if (configSecret !== undefined && configSecret !== '') return toKey(configSecret, 'ICS_TOKEN_SECRET');
  const candidate = randomBytes(32).toString('base64url');
  const stored = await store.getOrCreateSigningSecret(candidate);
  return toKey(stored, 'the stored signing secret');
}

function toKey(secret: string, what: string): Uint8Array {
  const key = new TextEncoder().encode(secret);
  // Config already enforces this for ICS_TOKEN_SECRET; a short stored one means a damaged row.
  if (key.length < 32) throw new Error(`${what} is shorter than 32 bytes`);
  return key;
}
