/** The claims of a JWT, unverified: the console only reads its own token's account and expiry. */
export function jwtClaims(token: string): Record<string, unknown> {
  const part = token.split('.')[1];
  if (!part) return {};
  try {
    const b64 = part.replace(/-/g, '+').replace(/_/g, '/');
    const text = new TextDecoder().decode(Uint8Array.from(atob(b64), (c) => c.charCodeAt(0)));
    const claims = JSON.parse(text) as unknown;
    return typeof claims === 'object' && claims !== null ? (claims as Record<string, unknown>) : {};
  } catch {
    return {};
  }
}

/** When to renew a token that lives `expiresIn` seconds: at 80 % of its life, at least 5 s from now. */
export const renewDelayMs = (expiresInSeconds: number) => Math.max(5_000, expiresInSeconds * 800);
