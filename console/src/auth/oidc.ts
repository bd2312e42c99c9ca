import type { ConsoleConfig } from './config.ts';

// OpenID Connect authorization-code flow with PKCE (RFC 7636, S256) for a public client. The
// verifier and state cross the redirect in sessionStorage (this tab only, removed on return); the
// tokens themselves live in memory only.

type Oidc = NonNullable<ConsoleConfig['oidc']>;

interface Discovery {
  issuer: string;
  authorization_endpoint: string;
  token_endpoint: string;
}

export interface OidcTokens {
  access_token: string;
  expires_in?: number;
  refresh_token?: string;
  scope?: string;
}

const PENDING = 'ics-console-oidc';

export const redirectUri = () => `${location.origin}/console/`;

const b64url = (bytes: Uint8Array) =>
  btoa(String.fromCharCode(...bytes))
    .replace(/\+/g, '-')
    .replace(/\//g, '_')
    .replace(/=+$/, '');

const random = (n: number) => b64url(crypto.getRandomValues(new Uint8Array(n)));

export async function challengeFor(verifier: string): Promise<string> {
  const digest = await crypto.subtle.digest('SHA-256', new TextEncoder().encode(verifier));
  return b64url(new Uint8Array(digest));
}

let discovered: { issuer: string; doc: Promise<Discovery> } | undefined;

function discover(oidc: Oidc): Promise<Discovery> {
  if (discovered?.issuer !== oidc.issuer) {
    const doc = fetchDiscovery(oidc);
    doc.catch(() => {
      discovered = undefined;
    });
    discovered = { issuer: oidc.issuer, doc };
  }
  return discovered.doc;
}

async function fetchDiscovery(oidc: Oidc): Promise<Discovery> {
  const url = `${oidc.issuer.replace(/\/+$/, '')}/.well-known/openid-configuration`;
  const res = await fetch(url, { credentials: 'omit' });
  if (!res.ok) throw new Error(`the issuer's discovery document answered ${res.status}`);
  const doc = (await res.json()) as Discovery;
  if (doc.issuer !== oidc.issuer) throw new Error('the discovery document names another issuer');
  if (!doc.authorization_endpoint || !doc.token_endpoint)
    throw new Error('the discovery document has no authorization or token endpoint');
  return doc;
}

/** Leaves the page for the issuer's sign-in. */
export async function startOidcSignIn(oidc: Oidc): Promise<void> {
  const doc = await discover(oidc);
  const verifier = random(48);
  const state = random(16);
  sessionStorage.setItem(PENDING, JSON.stringify({ verifier, state, at: Date.now() }));
  const url = new URL(doc.authorization_endpoint);
  url.search = new URLSearchParams({
    response_type: 'code',
    client_id: oidc.clientId,
    redirect_uri: redirectUri(),
    scope: oidc.scope,
    state,
    code_challenge: await challengeFor(verifier),
    code_challenge_method: 'S256',
  }).toString();
  location.assign(url.toString());
}

async function tokenRequest(oidc: Oidc, form: Record<string, string>): Promise<OidcTokens> {
  const doc = await discover(oidc);
  const res = await fetch(doc.token_endpoint, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ client_id: oidc.clientId, ...form }).toString(),
    credentials: 'omit',
  });
  const body = (await res.json().catch(() => ({}))) as OidcTokens & { error?: string };
  if (!res.ok || typeof body.access_token !== 'string')
    throw new Error(`the issuer refused the sign-in${body.error ? ` (${body.error})` : ''}`);
  return body;
}

/**
 * On return from the issuer (?code=…&state=…): checks the state, redeems the code with the verifier
 * and removes both from the URL. Undefined when this page load is not such a return.
 */
export async function completeOidcSignIn(oidc: Oidc | null): Promise<OidcTokens | undefined> {
  const params = new URLSearchParams(location.search);
  if (!params.has('code') && !params.has('error')) return undefined;
  const pending = sessionStorage.getItem(PENDING);
  sessionStorage.removeItem(PENDING);
  history.replaceState(null, '', `${location.pathname}${location.hash}`);
  if (params.has('error')) throw new Error(`the issuer refused the sign-in (${params.get('error')})`);
  if (!oidc) throw new Error('single sign-on is not configured on this server');
  const saved = pending
    ? (JSON.parse(pending) as { verifier: string; state: string; at: number })
    : undefined;
  if (!saved || saved.state !== params.get('state') || Date.now() - saved.at > 10 * 60_000)
    throw new Error('the sign-in response does not belong to this tab; sign in again');
  return tokenRequest(oidc, {
    grant_type: 'authorization_code',
    code: params.get('code')!,
    redirect_uri: redirectUri(),
    code_verifier: saved.verifier,
  });
}

export const refreshOidc = (oidc: Oidc, refreshToken: string) =>
  tokenRequest(oidc, { grant_type: 'refresh_token', refresh_token: refreshToken });
