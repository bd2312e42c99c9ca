import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, test } from 'node:test';
import { exportJWK, generateKeyPair, type JWTPayload, SignJWT } from 'jose';
import { TokenIssuer } from '../../src/auth/token-issuer.js';
import { TokenVerifier } from '../../src/auth/token-verifier.js';
import type { OidcConfig } from '../../src/config.js';
import { isAppError } from '../../src/core/errors.js';
import { assertInvalidToken, SECRET } from './helpers.js';

// A real identity provider stand-in: node:http on 127.0.0.1 serving a JWKS made with jose.

const ISSUER = 'https://idp.example.test/';
const AUDIENCE = 'ics-api';
type KeyPair = Awaited<ReturnType<typeof generateKeyPair>>;

let server: Server;
let base: string;
let rsa: KeyPair;
let ec: KeyPair;
let jwksFetches = 0;

before(async () => {
  rsa = await generateKeyPair('RS256');
  ec = await generateKeyPair('ES256');
  const keys = [
    { ...(await exportJWK(rsa.publicKey)), kid: 'rsa-1', alg: 'RS256', use: 'sig' },
    { ...(await exportJWK(ec.publicKey)), kid: 'ec-1', alg: 'ES256', use: 'sig' },
  ];
  server = createServer((req, res) => {
    if (req.url === '/jwks') {
      jwksFetches++;
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ keys }));
    } else {
      res.writeHead(500).end('broken');
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

after(() => {
  server.closeAllConnections();
  server.close();
});

const oidc = (jwksPath = '/jwks'): OidcConfig => ({
  jwksUrl: `${base}${jwksPath}`,
  issuer: ISSUER,
  audience: AUDIENCE,
  accountClaim: 'tenant',
});

/** Defaults are plain claims (not SignJWT setters) so that each test can override any of them. */
function sign(
  payload: JWTPayload,
  opts: { key?: KeyPair['privateKey'] | Uint8Array; alg?: string; kid?: string } = {},
) {
  const now = Math.floor(Date.now() / 1000);
  const claims = {
    iss: ISSUER,
    aud: AUDIENCE,
    sub: 'user-7',
    iat: now,
    exp: now + 300,
    tenant: 'acme',
    client_id: 'svc-reporting',
    scope: 'interaction-content:read',
    ...payload,
  };
  return new SignJWT(claims)
    .setProtectedHeader({ alg: opts.alg ?? 'RS256', kid: opts.kid ?? 'rsa-1' })
    .sign(opts.key ?? rsa.privateKey);
}

describe('TokenVerifier: external OIDC tokens', () => {
  test('a valid RS256 token is accepted with the configured account claim and its scopes', async () => {
    const verifier = new TokenVerifier({ secret: SECRET, oidc: oidc() });
    const actor = await verifier.verify(`Bearer ${await sign({ scope: 'openid interaction-content:read' })}`);
    assert.equal(actor.account, 'acme');
    assert.equal(actor.clientId, 'svc-reporting');
    assert.equal(actor.subject, 'user-7');
    assert.deepEqual([...actor.scopes], ['interaction-content:read'], 'openid is ignored');
  });

  test('ES256 with scp array; client id falls back to azp, then sub', async () => {
    const verifier = new TokenVerifier({ secret: SECRET, oidc: oidc() });
    const scp = ['interaction-content:delete', 'interaction-content:read', 'profile'];
    const es = await sign(
      { scope: undefined, scp, client_id: undefined, azp: 'web-app' },
      { key: ec.privateKey, alg: 'ES256', kid: 'ec-1' },
    );
    const a = await verifier.verify(`Bearer ${es}`);
    assert.equal(a.clientId, 'web-app');
    assert.deepEqual([...a.scopes], ['interaction-content:read', 'interaction-content:delete']);
    const b = await verifier.verify(
      `Bearer ${await sign({ client_id: undefined, scope: undefined, scp: 'interaction-content:write' })}`,
    );
    assert.equal(b.clientId, 'user-7');
    assert.deepEqual([...b.scopes], ['interaction-content:write'], 'scp as a space-separated string');
  });

  test('wrong audience, wrong issuer, unknown kid, HS256, expired and missing account are refused', async () => {
    const verifier = new TokenVerifier({ secret: SECRET, oidc: oidc() });
    const stranger = await generateKeyPair('RS256');
    const rsaJwk = await exportJWK(rsa.publicKey);
    const refused: [string, RegExp][] = [
      [await sign({ aud: 'another-api' }), /external.*"aud"/],
      // Another issuer is not the OIDC one, so it is judged as an own token: HS256 only.
      [await sign({ iss: 'https://evil.example.test/' }), /own token.*"alg"/],
      [await sign({}, { key: stranger.privateKey, kid: 'unknown-kid' }), /external.*no applicable key/],
      [await sign({}, { key: stranger.privateKey }), /external.*signature verification failed/],
      [await sign({}, { key: SECRET, alg: 'HS256' }), /external.*"alg"/],
      // The classic confusion attack: the IdP's public key used as an HMAC secret.
      [
        await sign({}, { key: new TextEncoder().encode(JSON.stringify(rsaJwk)), alg: 'HS256' }),
        /external.*"alg"/,
      ],
      [await sign({ exp: Math.floor(Date.now() / 1000) - 1 }), /external.*"exp"/],
      [await sign({ tenant: undefined }), /claim 'tenant'/],
      [await sign({ tenant: 'not a valid account!' }), /claim 'tenant'/],
      [await sign({ client_id: undefined, sub: undefined }), /no client_id/],
    ];
    for (const [token, reason] of refused)
      assert.match(await assertInvalidToken(verifier.verify(`Bearer ${token}`)), reason);
  });

  test('own tokens keep working next to OIDC', async () => {
    const verifier = new TokenVerifier({ secret: SECRET, oidc: oidc() });
    const own = await new TokenIssuer({ secret: SECRET, ttlSeconds: 60 }).issue({
      clientId: 'ics_x',
      account: 'acme',
      scopes: ['interaction-content:read'],
    });
    assert.equal((await verifier.verify(`Bearer ${own.accessToken}`)).clientId, 'ics_x');
  });

  test('verified tokens come from cache: the JWKS is not fetched again', async () => {
    const verifier = new TokenVerifier({ secret: SECRET, oidc: oidc() });
    const header = `Bearer ${await sign({})}`;
    const before = jwksFetches;
    await verifier.verify(header);
    await verifier.verify(header);
    assert.equal(jwksFetches - before, 1);
  });

  test('an unreachable or broken JWKS is a 503, not a bad token', async () => {
    const token = `Bearer ${await sign({})}`;
    for (const verifier of [
      new TokenVerifier({ secret: SECRET, oidc: oidc('/broken') }),
      new TokenVerifier({ secret: SECRET, oidc: { ...oidc(), jwksUrl: 'http://127.0.0.1:1/jwks' } }),
    ]) {
      await assert.rejects(verifier.verify(token), (err: unknown) => isAppError(err) && err.status === 503);
    }
  });
});
