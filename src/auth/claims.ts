// What the service's own access tokens look like; shared by the issuer and the verifier so the two
// cannot drift apart.

export const TOKEN_ISSUER = 'ics';
export const TOKEN_AUDIENCE = 'interaction-content';
/** RFC 9068 JWT access-token type: keeps any other JWT signed with the same key from passing as one. */
export const TOKEN_TYPE = 'at+jwt';
export const TOKEN_ALGORITHM = 'HS256';

/** Account names as they may appear in a token (ours or an external issuer's claim). */
export const ACCOUNT_PATTERN = /^[A-Za-z0-9._-]{1,64}$/;

export const isValidAccount = (value: unknown): value is string =>
  typeof value === 'string' && ACCOUNT_PATTERN.test(value);
