import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { decodeJwt, decodeProtectedHeader, generateKeyPair, SignJWT } from 'jose';
import { TokenIssuer } from '../../src/auth/token-issuer.js';
import { TokenVerifier } from '../../src/auth/token-verifier.js';
import type { ContentPermissions, Scope } from '../../src/core/types.js';
import { assertInvalidToken, handmadeToken, manualClock, OTHER_SECRET, SECRET } from './helpers.js';

const READ_DELETE: Scope[] = ['interaction-content:read', 'interaction-content:delete'];
const request = { clientId: 'ics_client1', account: 'acme', scopes: READ_DELETE };

function setup(ttlSeconds = 7200) {
  const clock = manualClock();
  const issuer = new TokenIssuer({ secret: SECRET, ttlSeconds, now: clock.now });
  const verifier = new TokenVerifier({ secret: SECRET, now: clock.now });
  return { clock, issuer, verifier };
}

/** Valid own-token claims at the clock's time, for tests that then break one thing. */
function claims(nowMs: number, overrides: Record<string, unknown> = {}) {
  const iat = Math.floor(nowMs / 1000);
  return {
    iss: 'ics',
    aud: 'interaction-content',
    sub: 'ics_client1',
    client_id: 'ics_client1',
    account: 'acme',
    scope: 'interaction-content:read',
    iat,
    exp: iat + 3600,
    jti: 'j1',
    ...overrides,
  };
}
const HEADER = { alg: 'HS256', typ: 'at+jwt' };

describe('TokenIssuer', () => {
  test('issues an HS256 at+jwt with the documented claims', async () => {
    const { clock, issuer } = setup(7200);
    const issued = await issuer.issue(request);
    assert.equal(issued.expiresIn, 7200);
    assert.equal(issued.scope, 'interaction-content:read interaction-content:delete');
    assert.deepEqual(decodeProtectedHeader(issued.accessToken), { alg: 'HS256', typ: 'at+jwt' });
    const c = decodeJwt(issued.accessToken);
    const iat = Math.floor(clock.now() / 1000);
    assert.deepEqual(
      { ...c, jti: undefined },
      { ...claims(clock.now(), { scope: issued.scope, exp: iat + 7200 }), jti: undefined },
    );
    assert.match(String(c.jti), /^[0-9a-f-]{36}$/);
    assert.notEqual(decodeJwt((await issuer.issue(request)).accessToken).jti, c.jti);
  });

  test('refuses short secrets and accounts the verifier would refuse', async () => {
    assert.throws(() => new TokenIssuer({ secret: new Uint8Array(16), ttlSeconds: 60 }), RangeError);
    const { issuer } = setup();
    await assert.rejects(issuer.issue({ ...request, account: 'bad account/' }));
  });
});

describe('TokenVerifier: own tokens', () => {
  test('issue -> verify round trip gives the actor', async () => {
    const { issuer, verifier } = setup();
    const { accessToken } = await issuer.issue(request);
    for (const header of [`Bearer ${accessToken}`, `bearer ${accessToken}`]) {
      const actor = await verifier.verify(header);
      assert.equal(actor.account, 'acme');
      assert.equal(actor.clientId, 'ics_client1');
      assert.equal(actor.subject, 'ics_client1');
      assert.deepEqual([...actor.scopes], READ_DELETE);
    }
  });

  test('malformed Authorization headers are refused', async () => {
    const { issuer, verifier } = setup();
    const { accessToken } = await issuer.issue(request);
    for (const h of [
      undefined,
      '',
      'Bearer',
      'bearer  x',
      'Basic x',
      'Bearer a b',
      `Bearer  ${accessToken}`,
      accessToken,
    ]) {
      await assertInvalidToken(verifier.verify(h));
    }
    await assertInvalidToken(verifier.verify('Bearer not-a-jwt'));
  });

  test('alg none is refused', async () => {
    const { clock, verifier } = setup();
    const token = handmadeToken({ alg: 'none', typ: 'at+jwt' }, claims(clock.now()));
    assert.ok(token.endsWith('.'));
    await assertInvalidToken(verifier.verify(`Bearer ${token}`));
  });

  test('a token signed with another secret is refused', async () => {
    const { clock, verifier } = setup();
    const other = await new TokenIssuer({ secret: OTHER_SECRET, ttlSeconds: 60, now: clock.now }).issue(
      request,
    );
    await assertInvalidToken(verifier.verify(`Bearer ${other.accessToken}`));
  });

  test('the hand-made control token is accepted, so the refusals below test one thing each', async () => {
    const { clock, verifier } = setup();
    const actor = await verifier.verify(`Bearer ${handmadeToken(HEADER, claims(clock.now()), SECRET)}`);
    assert.equal(actor.account, 'acme');
  });

  test('HS512 and RS256 tokens with a valid-looking payload are refused', async () => {
    const { clock, verifier } = setup();
    const payload = claims(clock.now());
    const hs512 = await new SignJWT(payload).setProtectedHeader({ alg: 'HS512', typ: 'at+jwt' }).sign(SECRET);
    const { privateKey } = await generateKeyPair('RS256');
    const rs256 = await new SignJWT(payload)
      .setProtectedHeader({ alg: 'RS256', typ: 'at+jwt' })
      .sign(privateKey);
    for (const token of [hs512, rs256]) await assertInvalidToken(verifier.verify(`Bearer ${token}`));
  });

  test('expired and not-yet-valid tokens are refused', async () => {
    const { clock, issuer } = setup(60);
    const { accessToken } = await issuer.issue(request);
    const later = new TokenVerifier({ secret: SECRET, now: () => clock.now() + 60_000 });
    assert.match(await assertInvalidToken(later.verify(`Bearer ${accessToken}`)), /own token/);
    const nbf = handmadeToken(
      HEADER,
      claims(clock.now(), { nbf: Math.floor(clock.now() / 1000) + 30 }),
      SECRET,
    );
    await assertInvalidToken(new TokenVerifier({ secret: SECRET, now: clock.now }).verify(`Bearer ${nbf}`));
  });

  test('missing, ill-typed or wrong claims are refused', async () => {
    const { clock, verifier } = setup();
    const now = clock.now();
    const broken: Record<string, unknown>[] = [
      { account: undefined },
      { scope: undefined },
      { client_id: undefined },
      { sub: undefined },
      { exp: undefined },
      { account: 42 },
      { account: 'has space' },
      { account: 'x'.repeat(65) },
      { scope: ['interaction-content:read'] },
      { scope: 'interaction-content:read openid' },
      { client_id: 'ics_other' },
      { iss: 'someone-else' },
      { aud: 'another-api' },
      { exp: 'tomorrow' },
    ];
    for (const override of broken) {
      const token = handmadeToken(HEADER, claims(now, override), SECRET);
      await assertInvalidToken(verifier.verify(`Bearer ${token}`));
    }
    // Without typ at+jwt: another JWT signed with the same key must not pass as an access token.
    await assertInvalidToken(
      verifier.verify(`Bearer ${handmadeToken({ alg: 'HS256' }, claims(now), SECRET)}`),
    );
  });
});

describe('TokenVerifier: cache and revocation', () => {
  test('a cached token is never served past its exp', async () => {
    const { clock, issuer, verifier } = setup(1);
    const { accessToken } = await issuer.issue(request);
    assert.equal(verifier.cached(`Bearer ${accessToken}`), undefined, 'never verified: not cached');
    const actor = await verifier.verify(`Bearer ${accessToken}`); // now cached
    assert.equal(verifier.cached(`Bearer ${accessToken}`), actor);
    for (const bad of [undefined, '', accessToken, `Basic ${accessToken}`, `Bearer ${accessToken}x`])
      assert.equal(verifier.cached(bad), undefined, String(bad));
    clock.advance(999);
    await verifier.verify(`Bearer ${accessToken}`);
    clock.advance(1);
    assert.equal(verifier.cached(`Bearer ${accessToken}`), undefined, 'expired: not served from cache');
    await assertInvalidToken(verifier.verify(`Bearer ${accessToken}`));
  });

  test('a revoked client is refused once the status cache window has passed', async () => {
    const clock = manualClock();
    const clients: Record<string, { revoked: boolean }> = { ics_client1: { revoked: false } };
    let lookups = 0;
    const clientAccount = async (id: string) => {
      lookups++;
      return clients[id] !== undefined && !clients[id].revoked ? { account: 'acme' } : undefined;
    };
    const issuer = new TokenIssuer({ secret: SECRET, ttlSeconds: 3600, now: clock.now });
    const verifier = new TokenVerifier({
      secret: SECRET,
      now: clock.now,
      client: clientAccount,
      clientStatusTtlMs: 5000,
    });
    const { accessToken } = await issuer.issue(request);
    const header = `Bearer ${accessToken}`;

    await Promise.all([verifier.verify(header), verifier.verify(header), verifier.verify(header)]);
    assert.equal(lookups, 1, 'a burst makes one lookup');
    clients.ics_client1.revoked = true;
    await verifier.verify(header); // still inside the window
    assert.equal(verifier.cached(header)?.clientId, 'ics_client1', 'the synchronous path, inside the window');
    clock.advance(5000);
    assert.equal(verifier.cached(header), undefined, 'client status expired: the synchronous path declines');
    assert.match(await assertInvalidToken(verifier.verify(header)), /revoked/);
    assert.equal(verifier.cached(header), undefined, 'a revoked client is never served from cache');
    assert.equal(lookups, 2);

    const unknown = await issuer.issue({ ...request, clientId: 'ics_gone' });
    await assertInvalidToken(verifier.verify(`Bearer ${unknown.accessToken}`));
  });

  test('a failing client lookup propagates (not a 401) and is retried next time', async () => {
    const clock = manualClock();
    let down = true;
    const clientAccount = async () => {
      if (down) throw new Error('database unreachable');
      return { account: 'acme' };
    };
    const issuer = new TokenIssuer({ secret: SECRET, ttlSeconds: 3600, now: clock.now });
    const verifier = new TokenVerifier({ secret: SECRET, now: clock.now, client: clientAccount });
    const header = `Bearer ${(await issuer.issue(request)).accessToken}`;
    await assert.rejects(verifier.verify(header), /database unreachable/);
    down = false;
    assert.equal((await verifier.verify(header)).account, 'acme');
  });

  test("an own token whose account is not its client's account is refused, cached or not", async () => {
    // A holder of the signing key (say, a local user who read it) signs a token for a real client id
    // of account acme, claiming account globex.
    const clock = manualClock();
    const verifier = new TokenVerifier({
      secret: SECRET,
      now: clock.now,
      client: async (id) => (id === 'ics_client1' ? { account: 'acme' } : undefined),
    });
    const forged = handmadeToken(HEADER, claims(clock.now(), { account: 'globex' }), SECRET);
    assert.match(await assertInvalidToken(verifier.verify(`Bearer ${forged}`)), /not client/);
    const honest = `Bearer ${handmadeToken(HEADER, claims(clock.now()), SECRET)}`;
    assert.equal((await verifier.verify(honest)).account, 'acme');
    assert.equal(verifier.cached(`Bearer ${forged}`), undefined);
    await assertInvalidToken(verifier.verify(`Bearer ${forged}`));
  });

  test('own tokens living longer than the TTL, or issued in the future, are refused', async () => {
    const clock = manualClock();
    const verifier = new TokenVerifier({ secret: SECRET, now: clock.now, maxLifetimeSeconds: 3600 });
    const now = Math.floor(clock.now() / 1000);
    const sign = (over: Record<string, unknown>) =>
      `Bearer ${handmadeToken(HEADER, claims(clock.now(), over), SECRET)}`;
    assert.equal((await verifier.verify(sign({ exp: now + 3600 }))).account, 'acme', 'exactly the TTL');
    assert.match(await assertInvalidToken(verifier.verify(sign({ exp: now + 3601 }))), /lifetime/);
    assert.match(await assertInvalidToken(verifier.verify(sign({ exp: now + 86400 * 365 }))), /lifetime/);
    assert.equal((await verifier.verify(sign({ iat: now + 60 }))).account, 'acme', 'within the skew');
    assert.match(await assertInvalidToken(verifier.verify(sign({ iat: now + 61 }))), /future/);
    await assertInvalidToken(verifier.verify(sign({ iat: undefined })));
  });

  test('cached actors are shared but frozen', async () => {
    const { issuer, verifier } = setup();
    const header = `Bearer ${(await issuer.issue(request)).accessToken}`;
    const a = await verifier.verify(header);
    assert.equal(await verifier.verify(header), a);
    assert.ok(Object.isFrozen(a));
  });

  test("an actor carries its client's current permissions, not the token's, on both paths", async () => {
    const clock = manualClock();
    const perms: { current?: ContentPermissions } = { current: { read: { types: ['transcript'] } } };
    const verifier = new TokenVerifier({
      secret: SECRET,
      now: clock.now,
      client: async () => ({ account: 'acme', permissions: perms.current }),
      clientStatusTtlMs: 5000,
    });
    const issuer = new TokenIssuer({ secret: SECRET, ttlSeconds: 3600, now: clock.now });
    const header = `Bearer ${(await issuer.issue(request)).accessToken}`;
    assert.deepEqual((await verifier.verify(header)).permissions, { read: { types: ['transcript'] } });
    const cached = verifier.cached(header);
    assert.deepEqual(cached?.permissions, { read: { types: ['transcript'] } });
    assert.equal(verifier.cached(header), cached, 'the same lookup gives the same actor (no allocation)');
    perms.current = { delete: { directions: ['inbound'] } };
    clock.advance(5000);
    assert.equal(verifier.cached(header), undefined, 'stale client status: verify() looks again');
    assert.deepEqual((await verifier.verify(header)).permissions, { delete: { directions: ['inbound'] } });
    assert.deepEqual(verifier.cached(header)?.permissions, { delete: { directions: ['inbound'] } });
    perms.current = undefined;
    clock.advance(5000);
    const lifted = await verifier.verify(header);
    assert.equal(lifted.permissions, undefined);
    assert.ok(Object.isFrozen(lifted));
  });
});
