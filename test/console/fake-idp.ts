// A small but real OpenID Connect provider on 127.0.0.1 for the console's single sign-on test:
// discovery, an authorization endpoint that signs "alice" in at once, a token endpoint that checks
// the PKCE verifier (S256) and the redirect URI, refresh tokens, and a JWKS. CORS as SPAs need it.
import { createHash, randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { exportJWK, generateKeyPair, SignJWT } from 'jose';

export interface FakeIdp {
  issuer: string;
  clientId: string;
  /** Every token request: its grant and whether it was granted. */
  tokenRequests: { grant: string; ok: boolean; error?: string }[];
  close(): Promise<void>;
}

const b64url = (b: Buffer) => b.toString('base64url');

export async function startFakeIdp(opts: {
  audience: string;
  account: string;
  ttlSeconds?: number;
}): Promise<FakeIdp> {
  const { publicKey, privateKey } = await generateKeyPair('ES256');
  const jwk = { ...(await exportJWK(publicKey)), kid: 'idp-1', alg: 'ES256', use: 'sig' };
  const clientId = 'ics-console';
  const codes = new Map<string, { challenge: string; redirectUri: string; scope: string }>();
  const refreshTokens = new Map<string, string>();
  const tokenRequests: FakeIdp['tokenRequests'] = [];
  let issuer = '';

  const json = (res: ServerResponse, status: number, body: unknown) =>
    res
      .writeHead(status, {
        'content-type': 'application/json',
        'access-control-allow-origin': '*',
        'cache-control': 'no-store',
      })
      .end(JSON.stringify(body));

  const issue = async (scope: string) => {
    const now = Math.floor(Date.now() / 1000);
    const refresh = b64url(randomBytes(24));
    refreshTokens.set(refresh, scope);
    const accessToken = await new SignJWT({
      scope,
      account: opts.account,
      preferred_username: 'alice',
      azp: clientId,
    })
      .setProtectedHeader({ alg: 'ES256', kid: 'idp-1', typ: 'at+jwt' })
      .setIssuer(issuer)
      .setAudience(opts.audience)
      .setSubject('alice')
      .setIssuedAt(now)
      .setExpirationTime(now + (opts.ttlSeconds ?? 300))
      .sign(privateKey);
    return {
      access_token: accessToken,
      token_type: 'Bearer',
      expires_in: opts.ttlSeconds ?? 300,
      refresh_token: refresh,
      scope,
    };
  };

  const token = async (req: IncomingMessage, res: ServerResponse) => {
    let body = '';
    for await (const chunk of req) body += chunk;
    const form = new URLSearchParams(body);
    const grant = form.get('grant_type') ?? '';
    const refuse = (error: string) => {
      tokenRequests.push({ grant, ok: false, error });
      json(res, 400, { error });
    };
    if (form.get('client_id') !== clientId) return refuse('invalid_client');
    if (grant === 'authorization_code') {
      const code = codes.get(form.get('code') ?? '');
      codes.delete(form.get('code') ?? '');
      if (!code) return refuse('invalid_grant');
      if (form.get('redirect_uri') !== code.redirectUri) return refuse('invalid_grant');
      const verifier = form.get('code_verifier') ?? '';
      if (b64url(createHash('sha256').update(verifier).digest()) !== code.challenge)
        return refuse('invalid_grant');
      tokenRequests.push({ grant, ok: true });
      return json(res, 200, await issue(code.scope));
    }
    if (grant === 'refresh_token') {
      const scope = refreshTokens.get(form.get('refresh_token') ?? '');
      if (scope === undefined) return refuse('invalid_grant');
      refreshTokens.delete(form.get('refresh_token')!);
      tokenRequests.push({ grant, ok: true });
      return json(res, 200, await issue(scope));
    }
    return refuse('unsupported_grant_type');
  };

  const server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', issuer);
    if (req.method === 'GET' && url.pathname === '/.well-known/openid-configuration')
      return json(res, 200, {
        issuer,
        authorization_endpoint: `${issuer}/authorize`,
        token_endpoint: `${issuer}/token`,
        jwks_uri: `${issuer}/jwks`,
        response_types_supported: ['code'],
        code_challenge_methods_supported: ['S256'],
      });
    if (req.method === 'GET' && url.pathname === '/jwks') return json(res, 200, { keys: [jwk] });
    if (req.method === 'GET' && url.pathname === '/authorize') {
      const q = url.searchParams;
      const redirectUri = q.get('redirect_uri') ?? '';
      if (
        q.get('response_type') !== 'code' ||
        q.get('client_id') !== clientId ||
        q.get('code_challenge_method') !== 'S256' ||
        !q.get('code_challenge') ||
        !/^http:\/\/127\.0\.0\.1:\d+\/console\/$/.test(redirectUri)
      )
        return res.writeHead(400, { 'content-type': 'text/plain' }).end('bad authorization request');
      const code = b64url(randomBytes(16));
      const scope = (q.get('scope') ?? '')
        .split(' ')
        .filter((s) => s !== 'openid')
        .join(' ');
      codes.set(code, { challenge: q.get('code_challenge')!, redirectUri, scope });
      const back = new URL(redirectUri);
      back.searchParams.set('code', code);
      back.searchParams.set('state', q.get('state') ?? '');
      return res.writeHead(302, { location: back.toString() }).end();
    }
    if (req.method === 'POST' && url.pathname === '/token') {
      token(req, res).catch(() => res.writeHead(500).end());
      return;
    }
    res.writeHead(404).end();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  issuer = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    issuer,
    clientId,
    tokenRequests,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
