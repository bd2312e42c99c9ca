import { randomBytes } from 'node:crypto';
import type { Subscription } from './types.js';

// Signing secrets: base64 of at least 32 random bytes, as VCC's signing keys. Sealed in the database
// under the subscription's own context, so a sealed value copied to another row does not open.

export const MIN_SECRET_BYTES = 32;
const MAX_SECRET_BYTES = 512;

export const generateSecret = (): string => randomBytes(32).toString('base64');

export const secretContext = (s: Pick<Subscription, 'account' | 'id'>) =>
  `webhook-secret:${s.account}:${s.id}`;

/** Why a given secret is not acceptable, or undefined when it is. */
export function secretProblem(secret: string): string | undefined {
  if (!/^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/.test(secret))
    return 'must be base64 (RFC 4648, with padding)';
  const bytes = Buffer.from(secret, 'base64').length;
  if (bytes < MIN_SECRET_BYTES) return `must encode at least ${MIN_SECRET_BYTES} bytes (got ${bytes})`;
  if (bytes > MAX_SECRET_BYTES) return `must encode at most ${MAX_SECRET_BYTES} bytes`;
  return undefined;
}
