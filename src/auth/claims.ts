// What the service's own access tokens look like; shared by the issuer and the verifier so the two
// cannot drift apart.

export const TOKEN_ISSUER = 'ics';
export const TOKEN_AUDIENCE = 'interaction-content';
/** RFC 9068 JWT access-token type: keeps any other JWT signed with the same key from passing as one. */
export const TOKEN_TYPE = 'at+jwt';
export const TOKEN_ALGORITHM = 'HS256';

/**
 * The one rule for account ids, wherever they come from (clients, an external issuer's claim): a
 * letter or digit first, then letters, digits, '-', '_' and '.', never '..', at most 64 characters.
 * An account id is the first segment of every blob key, so '.', '..' and '.tmp' must be impossible.
 */
export const ACCOUNT_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;

export const ACCOUNT_RULE =
  "1–64 characters: a letter or digit first, then letters, digits, '-', '_' or '.' (no '..')";

export const isValidAccount = (value: unknown): value is string =>
  typeof value === 'string' && ACCOUNT_PATTERN.test(value) && !value.includes('..');
