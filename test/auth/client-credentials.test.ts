import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { addClient } from '../../src/auth/client-admin.js';
import {
  ClientCredentialsGrant,
  type TokenRequest,
  type TokenResponse,
} from '../../src/auth/client-credentials.js';
import { hashSecret, SecretHasher } from '../../src/auth/secrets.js';
import { TokenIssuer } from '../../src/auth/token-issuer.js';
import { TokenVerifier } from '../../src/auth/token-verifier.js';
import type { ApiClient } from '../../src/core/types.js';
import { SECRET } from './helpers.js';

// Cheap scrypt for legacy fixtures: the cost travels in the hash, so verification is cheap too.
const FAST = { N: 1024, r: 8, p: 1 };
const HASHER = new SecretHasher(new TextEncoder().encode('k'.repeat(43)));
const SPECIAL_SECRET = 'p+ss/w:rd%=é';

async function makeClients(): Promise<Record<string, ApiClient>> {
  const client = async (
    clientId: string,
    secret: string,
    extra: Partial<ApiClient> = {},
  ): Promise<ApiClient> => ({
    clientId,
    account: 'acme',
    name: null,
    scopes: ['interaction-content:read', 'interaction-content:delete'],
    secretHash: HASHER.hash(secret),
    createdAt: 0,
    revokedAt: null,
    ...extra,
  });
  const list = await Promise.all([
    client('ics_reader', 'reader-secret'),
    client('ics_special', SPECIAL_SECRET),
    client('ics_revoked', 'revoked-secret', { revokedAt: 1 }),
    client('ics_noscopes', 'noscopes-secret', { scopes: [] }),
  ]);
  return Object.fromEntries(list.map((c) => [c.clientId, c]));
}

async function setup() {
  const clients = await makeClients();
  const issuer = new TokenIssuer({ secret: SECRET, ttlSeconds: 7200 });
  const grant = new ClientCredentialsGrant({ clients: fakeStore(clients), hasher: HASHER, issuer });
  return { clients, grant };
}

/** The two store methods the grant uses, over a plain record. */
function fakeStore(clients: Record<string, ApiClient>) {
  return {
    getClient: async (id: string) => clients[id],
    replaceClientSecretHash: async (id: string, from: string, to: string) => {
      if (clients[id]?.secretHash !== from) return false;
      clients[id] = { ...clients[id], secretHash: to };
      return true;
    },
  };
}

/** RFC 6749 2.3.1: form-urlencode id and secret, then Basic. */
const basic = (id: string, secret: string) => {
  const enc = (s: string) => new URLSearchParams({ v: s }).toString().slice(2);
  return `Basic ${Buffer.from(`${enc(id)}:${enc(secret)}`).toString('base64')}`;
};

const form = (id: string, secret: string, extra: Partial<TokenRequest> = {}): TokenRequest => ({
  grantType: 'client_credentials',
  clientId: id,
  clientSecret: secret,
  ...extra,
});
const viaBasic = (id: string, secret: string, extra: Partial<TokenRequest> = {}): TokenRequest => ({
  grantType: 'client_credentials',
  authorizationHeader: basic(id, secret),
  ...extra,
});

function assertError(res: TokenResponse, status: number, error: string, challenge: boolean) {
  assert.equal(res.ok, false, JSON.stringify(res));
  assert.equal(res.status, status);
  assert.equal(res.body.error, error);
  assert.equal(res.headers['cache-control'], 'no-store');
  assert.equal(res.headers['www-authenticate'], challenge ? 'Basic realm="ics"' : undefined);
}

describe('client-credentials grant', () => {
  test('form and Basic both issue a token with all the client scopes, which verifies', async () => {
    const { grant } = await setup();
    const verifier = new TokenVerifier({ secret: SECRET });
    for (const req of [form('ics_reader', 'reader-secret'), viaBasic('ics_reader', 'reader-secret')]) {
      const res = await grant.handle(req);
      assert.ok(res.ok, JSON.stringify(res));
      assert.equal(res.status, 200);
      assert.equal(res.body.token_type, 'Bearer');
      assert.equal(res.body.expires_in, 7200);
      assert.equal(res.body.scope, 'interaction-content:read interaction-content:delete');
      assert.equal(res.headers['cache-control'], 'no-store');
      const actor = await verifier.verify(`Bearer ${res.body.access_token}`);
      assert.deepEqual(
        { ...actor, scopes: [...actor.scopes] },
        {
          account: 'acme',
          clientId: 'ics_reader',
          subject: 'ics_reader',
          scopes: ['interaction-content:read', 'interaction-content:delete'],
        },
      );
    }
  });

  test('Basic credentials are form-decoded; a requested subset of scopes is granted', async () => {
    const { grant } = await setup();
    const res = await grant.handle(
      viaBasic('ics_special', SPECIAL_SECRET, { scope: 'interaction-content:read' }),
    );
    assert.ok(res.ok, JSON.stringify(res));
    assert.equal(res.body.scope, 'interaction-content:read');
    const same = await grant.handle(
      form('ics_special', SPECIAL_SECRET, { authorizationHeader: basic('ics_special', SPECIAL_SECRET) }),
    );
    assert.ok(same.ok, 'identical credentials in both places are tolerated');
  });

  test('unsupported_grant_type', async () => {
    const { grant } = await setup();
    for (const req of [form('ics_reader', 'reader-secret'), viaBasic('ics_reader', 'reader-secret')]) {
      assertError(
        await grant.handle({ ...req, grantType: 'password' }),
        400,
        'unsupported_grant_type',
        false,
      );
    }
  });

  test('invalid_request: missing grant_type, missing or conflicting credentials', async () => {
    const { grant } = await setup();
    assertError(
      await grant.handle({ ...form('ics_reader', 'reader-secret'), grantType: undefined }),
      400,
      'invalid_request',
      false,
    );
    assertError(
      await grant.handle({ ...viaBasic('ics_reader', 'reader-secret'), grantType: '' }),
      400,
      'invalid_request',
      false,
    );
    assertError(await grant.handle({ grantType: 'client_credentials' }), 400, 'invalid_request', false);
    assertError(await grant.handle(form('ics_reader', '')), 400, 'invalid_request', false);
    assertError(await grant.handle(form('', 'reader-secret')), 400, 'invalid_request', false);
    assertError(await grant.handle(viaBasic('ics_reader', '')), 400, 'invalid_request', false);
    const conflicting = viaBasic('ics_reader', 'reader-secret', {
      clientId: 'ics_special',
      clientSecret: SPECIAL_SECRET,
    });
    assertError(await grant.handle(conflicting), 400, 'invalid_request', false);
    const otherSecret = viaBasic('ics_reader', 'reader-secret', { clientSecret: 'something-else' });
    assertError(await grant.handle(otherSecret), 400, 'invalid_request', false);
  });

  test('invalid_client (401): unknown, wrong secret, revoked; Basic adds WWW-Authenticate', async () => {
    const { grant } = await setup();
    const bad: [string, string][] = [
      ['ics_nobody', 'reader-secret'],
      ['ics_reader', 'wrong-secret'],
      ['ics_revoked', 'revoked-secret'],
    ];
    for (const [id, secret] of bad) {
      const viaForm = await grant.handle(form(id, secret));
      assertError(viaForm, 401, 'invalid_client', false);
      const viaHeader = await grant.handle(viaBasic(id, secret));
      assertError(viaHeader, 401, 'invalid_client', true);
      // Nothing tells unknown, revoked and wrong apart.
      assert.deepEqual(viaForm.body, {
        error: 'invalid_client',
        error_description: 'Client authentication failed',
        code: 'invalid_client',
        message: 'Client authentication failed',
      });
    }
    assertError(
      await grant.handle({ grantType: 'client_credentials', authorizationHeader: 'Basic !!!' }),
      401,
      'invalid_client',
      true,
    );
  });

  test('invalid_scope: unknown scope, a scope the client lacks, a client without scopes', async () => {
    const { grant } = await setup();
    for (const make of [form, viaBasic]) {
      assertError(
        await grant.handle(make('ics_reader', 'reader-secret', { scope: 'interaction-content:read openid' })),
        400,
        'invalid_scope',
        false,
      );
      assertError(
        await grant.handle(make('ics_reader', 'reader-secret', { scope: 'interaction-content:write' })),
        400,
        'invalid_scope',
        false,
      );
      assertError(await grant.handle(make('ics_noscopes', 'noscopes-secret')), 400, 'invalid_scope', false);
    }
  });

  test('a legacy scrypt hash still verifies, and is replaced by the HMAC form on its first success', async () => {
    const clients: Record<string, ApiClient> = {
      ics_old: {
        clientId: 'ics_old',
        account: 'acme',
        name: null,
        scopes: ['interaction-content:read'],
        secretHash: await hashSecret('old-secret', FAST),
        createdAt: 0,
        revokedAt: null,
      },
    };
    const grant = new ClientCredentialsGrant({
      clients: fakeStore(clients),
      hasher: HASHER,
      issuer: new TokenIssuer({ secret: SECRET, ttlSeconds: 60 }),
    });
    assertError(await grant.handle(form('ics_old', 'wrong')), 401, 'invalid_client', false);
    assert.match(clients.ics_old.secretHash, /^scrypt\$/, 'a failure changes nothing');
    assert.ok((await grant.handle(form('ics_old', 'old-secret'))).ok);
    assert.equal(clients.ics_old.secretHash, HASHER.hash('old-secret'));
    assert.ok((await grant.handle(form('ics_old', 'old-secret'))).ok, 'and the new form verifies');
    assertError(await grant.handle(form('ics_old', 'wrong')), 401, 'invalid_client', false);
  });
});

describe('addClient', () => {
  test('stores only a hash, and the returned secret obtains a token', async () => {
    const rows = new Map<string, ApiClient>();
    const created = await addClient(
      {
        createClient: async (c) => void rows.set(c.clientId, c),
        getOrCreateClientSecretKey: async () => 'k'.repeat(43),
      },
      { account: 'acme', scopes: 'interaction-content:read interaction-content:write', name: ' ops ' },
    );
    assert.match(created.clientId, /^ics_/);
    assert.deepEqual(created.scopes, ['interaction-content:read', 'interaction-content:write']);
    assert.equal(created.name, 'ops');
    const row = rows.get(created.clientId)!;
    assert.equal(row.secretHash, HASHER.hash(created.clientSecret));
    const grant = new ClientCredentialsGrant({
      clients: fakeStore(Object.fromEntries(rows)),
      hasher: HASHER,
      issuer: new TokenIssuer({ secret: SECRET, ttlSeconds: 60 }),
    });
    const res = await grant.handle(viaBasic(created.clientId, created.clientSecret));
    assert.ok(res.ok);
  });

  test('refuses bad accounts, unknown scopes and no scopes', async () => {
    const store = {
      createClient: async () => assert.fail('must not store'),
      getOrCreateClientSecretKey: async () => 'k'.repeat(43),
    };
    await assert.rejects(addClient(store, { account: 'a b', scopes: 'interaction-content:read' }), /account/);
    await assert.rejects(addClient(store, { account: 'acme', scopes: 'read' }), /unknown scopes: read/);
    await assert.rejects(addClient(store, { account: 'acme', scopes: ' ' }), /at least one scope/);
  });
});
