// Strict parsers for the two Authorization schemes the service reads. Pure: header string in, value or
// undefined out; the callers decide which error that becomes.

/** Longest token we look at; far above any real JWT, and it bounds what a request can make us parse. */
export const MAX_TOKEN_LENGTH = 8192;

// RFC 6750 section 2.1 b64token, after exactly one space. The scheme is case-insensitive (RFC 9110
// section 11.1); the i flag is harmless for the token since its charset holds both cases anyway.
const BEARER = /^Bearer ([A-Za-z0-9\-._~+/]+=*)$/i;

/** The token of `Bearer <token>`, or undefined when the header is absent or not exactly that shape. */
export function parseBearer(header: string | undefined): string | undefined {
  if (header === undefined || header.length > MAX_TOKEN_LENGTH + 7) return undefined;
  return BEARER.exec(header)?.[1];
}

export type BasicParseResult =
  | { kind: 'absent' }
  | { kind: 'malformed' }
  | { kind: 'ok'; clientId: string; clientSecret: string };

const BASIC = /^Basic ([A-Za-z0-9+/]+={0,2})$/i;

/**
 * HTTP Basic client credentials per RFC 6749 section 2.3.1: id and secret are each
 * application/x-www-form-urlencoded before being joined with ':' and base64-encoded, so they are
 * decoded here. `absent` when there is no header or it uses another scheme; `malformed` when it is
 * Basic but cannot be decoded.
 */
export function parseBasic(header: string | undefined): BasicParseResult {
  if (header === undefined || !/^basic(\s|$)/i.test(header)) return { kind: 'absent' };
  const m = BASIC.exec(header);
  if (!m || m[1].length % 4 !== 0) return { kind: 'malformed' };
  const decoded = Buffer.from(m[1], 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  if (colon < 0) return { kind: 'malformed' };
  const clientId = formDecode(decoded.slice(0, colon));
  const clientSecret = formDecode(decoded.slice(colon + 1));
  if (clientId === undefined || clientSecret === undefined) return { kind: 'malformed' };
  return { kind: 'ok', clientId, clientSecret };
}

function formDecode(text: string): string | undefined {
  try {
    return decodeURIComponent(text.replace(/\+/g, ' '));
  } catch {
    return undefined;
  }
}
