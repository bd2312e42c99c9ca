import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { isAppError } from '../../src/core/errors.js';

export const SECRET = new TextEncoder().encode('0123456789abcdef0123456789abcdef-test-secret');
export const OTHER_SECRET = new TextEncoder().encode('another-secret-another-secret-another-secret');

export const b64 = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');

/** A JWS built by hand, so tests can produce headers and claims that jose's SignJWT would not. */
export function handmadeToken(
  header: Record<string, unknown>,
  payload: Record<string, unknown>,
  secret?: Uint8Array,
): string {
  const input = `${b64(header)}.${b64(payload)}`;
  const sig = secret ? createHmac('sha256', secret).update(input).digest('base64url') : '';
  return `${input}.${sig}`;
}

/** A clock tests move by hand (epoch ms). */
export function manualClock(start = Date.UTC(2025, 0, 1)) {
  let t = start;
  return {
    now: () => t,
    advance: (ms: number) => {
      t += ms;
    },
  };
}

/** Asserts the promise rejects with the 401 invalid_token AppError, and returns its logged reason. */
export async function assertInvalidToken(promise: Promise<unknown>): Promise<string> {
  let reason = '';
  await assert.rejects(promise, (err: unknown) => {
    assert.ok(isAppError(err), `expected AppError, got ${String(err)}`);
    assert.equal(err.status, 401);
    assert.equal(err.code, 'invalid_token');
    assert.equal(err.message, 'The access token is invalid or has expired');
    assert.equal(err.headers['www-authenticate'], 'Bearer error="invalid_token"');
    assert.ok(err.cause instanceof Error, 'the reason is kept in cause for logging');
    const inner = err.cause.cause instanceof Error ? `: ${err.cause.cause.message}` : '';
    reason = `${err.cause.message}${inner}`;
    return true;
  });
  return reason;
}
