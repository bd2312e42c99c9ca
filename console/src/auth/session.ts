import { setTokenSource, toApiError } from '../api/client.ts';
import type { ConsoleConfig } from './config.ts';
import { jwtClaims, renewDelayMs } from './jwt.ts';
import { type OidcTokens, refreshOidc } from './oidc.ts';

// The signed-in session, in this tab's memory only: never in localStorage, sessionStorage, cookies
// or URLs. A reload signs out. Client-credentials sessions keep the secret in memory to renew the
// token before it expires (the grant has no refresh token); OIDC sessions renew with the refresh
// token when the issuer gave one.

export interface Session {
  method: 'client' | 'oidc';
  /** Who: the client id, or the OIDC subject. */
  who: string;
  account: string;
  scopes: ReadonlySet<string>;
  expiresAt: number;
}

type Listener = (session: Session | undefined, reason?: string) => void;

let current: (Session & { token: string }) | undefined;
let renewTimer: ReturnType<typeof setTimeout> | undefined;
let renew: (() => Promise<void>) | undefined;
const listeners = new Set<Listener>();

setTokenSource({
  token: () => current?.token,
  rejected: () => signOut('Your session has ended: the server no longer accepts its token. Sign in again.'),
});

export const session = (): Session | undefined => current;
export const currentToken = () => current?.token;
export const hasScope = (scope: string) => current?.scopes.has(scope) ?? false;

export function onSessionChange(fn: Listener): () => void {
  listeners.add(fn);
  return () => listeners.delete(fn);
}

function emit(reason?: string) {
  for (const fn of listeners) fn(current, reason);
}

export function signOut(reason?: string) {
  clearTimeout(renewTimer);
  renewTimer = undefined;
  renew = undefined;
  const was = current !== undefined;
  current = undefined;
  if (was || reason) emit(reason);
}

function schedule(expiresIn: number) {
  clearTimeout(renewTimer);
  const again = renew;
  if (!again) {
    // Nothing to renew with (an issuer that gave no refresh token): the session ends with its token.
    renewTimer = setTimeout(() => signOut('Your session expired. Sign in again.'), expiresIn * 1000);
    return;
  }
  renewTimer = setTimeout(() => {
    again().catch(() => {
      // A failed renewal (network) is retried while the token still lives; a refusal has signed out.
      if (!current) return;
      if (current.expiresAt - Date.now() > 10_000) schedule(Math.min(30, expiresIn / 10));
      else signOut('Your session expired and could not be renewed. Sign in again.');
    });
  }, renewDelayMs(expiresIn));
}

function start(s: Session & { token: string }, expiresIn: number) {
  current = s;
  schedule(expiresIn);
  emit();
}

const scopesOf = (scope: unknown, token: string) => {
  const text = typeof scope === 'string' ? scope : jwtClaims(token).scope;
  return new Set(typeof text === 'string' ? text.split(' ').filter(Boolean) : []);
};

class SignInError extends Error {}

/** The client-credentials grant against this server's token endpoint. */
async function clientToken(config: ConsoleConfig, clientId: string, clientSecret: string) {
  const res = await fetch(config.tokenEndpoint, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({
      grant_type: 'client_credentials',
      client_id: clientId,
      client_secret: clientSecret,
    }),
    credentials: 'omit',
    cache: 'no-store',
  });
  if (res.status === 401)
    throw new SignInError('The client id or secret is not right (or the client was revoked).');
  if (!res.ok) {
    const err = await toApiError(res);
    if (res.status === 429)
      throw new SignInError(`Too many sign-in attempts; wait ${err.retryAfter ?? 'a while'} s.`);
    throw new SignInError(`The server refused the sign-in: ${err.message}`);
  }
  return (await res.json()) as { access_token: string; expires_in: number; scope: string };
}

export async function signInWithClient(config: ConsoleConfig, clientId: string, clientSecret: string) {
  const body = await clientToken(config, clientId, clientSecret);
  const account = jwtClaims(body.access_token).account;
  const make = (b: typeof body) => ({
    method: 'client' as const,
    who: clientId,
    account: typeof account === 'string' ? account : '',
    scopes: scopesOf(b.scope, b.access_token),
    expiresAt: Date.now() + b.expires_in * 1000,
    token: b.access_token,
  });
  renew = async () => {
    try {
      const next = await clientToken(config, clientId, clientSecret);
      start(make(next), next.expires_in);
    } catch (err) {
      if (err instanceof SignInError) signOut(`Your session could not be renewed: ${err.message}`);
      throw err;
    }
  };
  start(make(body), body.expires_in);
}

export function startOidcSession(config: ConsoleConfig, tokens: OidcTokens) {
  const oidc = config.oidc!;
  const make = (t: OidcTokens) => {
    const claims = jwtClaims(t.access_token);
    const exp =
      typeof claims.exp === 'number' ? claims.exp * 1000 : Date.now() + (t.expires_in ?? 300) * 1000;
    const account = claims[oidc.accountClaim];
    return {
      method: 'oidc' as const,
      who: String(claims.preferred_username ?? claims.email ?? claims.sub ?? 'single sign-on'),
      account: typeof account === 'string' ? account : '',
      scopes: scopesOf(
        t.scope ?? claims.scope ?? (Array.isArray(claims.scp) ? claims.scp.join(' ') : claims.scp),
        t.access_token,
      ),
      expiresAt: exp,
      token: t.access_token,
    };
  };
  let refreshToken = tokens.refresh_token;
  renew = refreshToken
    ? async () => {
        const next = await refreshOidc(oidc, refreshToken!);
        refreshToken = next.refresh_token ?? refreshToken;
        const s = make(next);
        start(s, (s.expiresAt - Date.now()) / 1000);
      }
    : undefined;
  const s = make(tokens);
  start(s, (s.expiresAt - Date.now()) / 1000);
}
