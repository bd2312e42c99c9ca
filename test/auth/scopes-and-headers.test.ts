import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { parseBasic, parseBearer } from '../../src/auth/http-credentials.js';
import { formatScopes, knownScopes, parseScopes, requireScope } from '../../src/auth/scopes.js';
import { isAppError } from '../../src/core/errors.js';
import type { Scope } from '../../src/core/types.js';

describe('scopes', () => {
  test('parses, deduplicates and orders canonically', () => {
    assert.deepEqual(
      parseScopes('interaction-content:delete interaction-content:read interaction-content:read'),
      {
        ok: true,
        scopes: ['interaction-content:read', 'interaction-content:delete'],
      },
    );
    assert.deepEqual(parseScopes(''), { ok: true, scopes: [] });
    assert.deepEqual(parseScopes('  interaction-content:admin  '), {
      ok: true,
      scopes: ['interaction-content:admin'],
    });
  });

  test('unknown names are an error result naming them', () => {
    assert.deepEqual(parseScopes('interaction-content:read openid openid Interaction-Content:read'), {
      ok: false,
      unknown: ['openid', 'Interaction-Content:read'],
    });
  });

  test('knownScopes drops unknown names; formatScopes is canonical', () => {
    assert.deepEqual(knownScopes(['openid', 'interaction-content:write', 'interaction-content:read']), [
      'interaction-content:read',
      'interaction-content:write',
    ]);
    assert.equal(
      formatScopes(new Set<Scope>(['interaction-content:admin', 'interaction-content:read'])),
      'interaction-content:read interaction-content:admin',
    );
  });

  test('requireScope throws 403 insufficient_scope naming the scope', () => {
    const actor = { scopes: new Set<Scope>(['interaction-content:read']) };
    requireScope(actor, 'interaction-content:read');
    assert.throws(
      () => requireScope(actor, 'interaction-content:delete'),
      (err: unknown) =>
        isAppError(err) &&
        err.status === 403 &&
        err.code === 'insufficient_scope' &&
        err.headers['www-authenticate'] ===
          'Bearer error="insufficient_scope", scope="interaction-content:delete"',
    );
  });
});

describe('parseBearer', () => {
  test('accepts exactly "Bearer <b64token>", scheme in any case', () => {
    assert.equal(parseBearer('Bearer abc.DEF-_~+/=='), 'abc.DEF-_~+/==');
    assert.equal(parseBearer('bearer x'), 'x');
    assert.equal(parseBearer('BEARER x'), 'x');
  });

  test('refuses everything else', () => {
    for (const h of [
      undefined,
      '',
      'Bearer',
      'Bearer ',
      'bearer  x',
      'Bearer\tx',
      'Basic x',
      'Bearer a b',
      ' Bearer x',
      'Bearer x ',
      'Bearer a=b',
      'Bearer x,y',
      'Bearerx',
      `Bearer ${'a'.repeat(9000)}`,
    ]) {
      assert.equal(parseBearer(h), undefined, String(h));
    }
  });
});

describe('parseBasic', () => {
  const basic = (s: string) => `Basic ${Buffer.from(s).toString('base64')}`;

  test('decodes id and secret, form-urlencoded inside (RFC 6749 2.3.1)', () => {
    assert.deepEqual(parseBasic(basic('ics_abc:s3cret')), {
      kind: 'ok',
      clientId: 'ics_abc',
      clientSecret: 's3cret',
    });
    assert.deepEqual(parseBasic(basic('a%3Ab:c%25d+e:f')), {
      kind: 'ok',
      clientId: 'a:b',
      clientSecret: 'c%d e:f',
    });
    assert.deepEqual(parseBasic(`basic ${Buffer.from('x:y').toString('base64')}`), {
      kind: 'ok',
      clientId: 'x',
      clientSecret: 'y',
    });
  });

  test('absent for no header or another scheme; malformed for broken Basic', () => {
    assert.deepEqual(parseBasic(undefined), { kind: 'absent' });
    assert.deepEqual(parseBasic('Bearer x'), { kind: 'absent' });
    for (const h of [
      'Basic',
      'Basic !!!',
      'Basic abc',
      basic('no-colon'),
      basic('bad%zz:x'),
      `Basic  ${'eDp5'}`,
    ]) {
      assert.deepEqual(parseBasic(h), { kind: 'malformed' }, h);
    }
  });
});
