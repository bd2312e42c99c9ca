import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { applyPermissionFlags, parsePermissionsBody, permissionsView } from '../../src/auth/permissions.js';
import { AppError } from '../../src/core/errors.js';

// The admin-facing forms of content permissions: the client-admin API's `permissions` object and
// the CLI flags. Every mistake is a 400 naming the field.

function rejects(fn: () => unknown, message: RegExp) {
  assert.throws(fn, (err: unknown) => {
    assert.ok(err instanceof AppError);
    assert.equal(err.status, 400);
    assert.equal(err.code, 'invalid_permissions');
    assert.match(err.message, message);
    return true;
  });
}

describe('content permissions input', () => {
  test('the API object: canonical names, null or absent = any, one stored form', () => {
    assert.deepEqual(
      parsePermissionsBody({
        read: { types: ['Transcript', 'callRecording', 'transcript'], directions: null },
        delete: { directions: ['OUTBOUND'] },
      }),
      { read: { types: ['callRecording', 'transcript'] }, delete: { directions: ['outbound'] } },
    );
    assert.deepEqual(parsePermissionsBody(null), {});
    assert.deepEqual(parsePermissionsBody({ read: {}, delete: null }), {});
    assert.deepEqual(permissionsView({ read: { types: ['voicemail'] } }), {
      read: { types: ['voicemail'], directions: null },
      delete: { types: null, directions: null },
    });
  });

  test('the API object: unknown types, directions and fields are 400s naming the field', () => {
    rejects(
      () => parsePermissionsBody({ read: { types: ['podcast'] } }),
      /^permissions\.read\.types: unknown content type 'podcast'; expected callRecording/,
    );
    rejects(
      () => parsePermissionsBody({ delete: { directions: ['up', 'down'] } }),
      /^permissions\.delete\.directions: unknown directions 'up', 'down'; expected inbound, outbound$/,
    );
    rejects(() => parsePermissionsBody({ write: {} }), /permissions: unknown field 'write'/);
    rejects(
      () => parsePermissionsBody({ read: { type: ['transcript'] } }),
      /permissions\.read: unknown field 'type'/,
    );
    rejects(() => parsePermissionsBody({ read: { types: [] } }), /must name at least one content type/);
    rejects(() => parsePermissionsBody({ read: { types: 'transcript' } }), /must be an array of strings/);
    rejects(() => parsePermissionsBody({ read: [1] }), /permissions\.read must be an object/);
    rejects(() => parsePermissionsBody('all'), /permissions must be an object/);
  });

  test('the CLI flags: merge into the current ones; all lifts; --directions is both sides', () => {
    const current = { read: { types: ['voicemail' as const], directions: ['inbound' as const] } };
    assert.deepEqual(applyPermissionFlags(current, { deleteTypes: 'transcript' }), {
      read: { types: ['voicemail'], directions: ['inbound'] },
      delete: { types: ['transcript'] },
    });
    assert.deepEqual(applyPermissionFlags(current, { readTypes: 'all', directions: 'all' }), {});
    assert.deepEqual(applyPermissionFlags(undefined, { directions: 'outbound' }), {
      read: { directions: ['outbound'] },
      delete: { directions: ['outbound'] },
    });
    rejects(
      () => applyPermissionFlags(current, { directions: 'inbound', deleteDirections: 'inbound' }),
      /not both/,
    );
    rejects(
      () => applyPermissionFlags(current, { readTypes: 'all,transcript' }),
      /unknown content type 'all'/,
    );
  });
});
