import assert from 'node:assert/strict';
import { test } from 'node:test';
import Sqlite from 'better-sqlite3';
import pg from 'pg';
import { StoreUnavailableError } from '../../src/core/errors.js';
import { isUniqueViolation, translateError } from '../../src/metadata/store-errors.js';

const withCode = (message: string, code: string) => Object.assign(new Error(message), { code });

function pgError(message: string, code: string) {
  const err = new pg.DatabaseError(message, 0, 'error');
  err.code = code;
  return err;
}

test('connection trouble becomes StoreUnavailableError', () => {
  const unavailable = [
    withCode('connect ECONNREFUSED 127.0.0.1:5432', 'ECONNREFUSED'),
    new AggregateError([withCode('connect ECONNREFUSED ::1:5432', 'ECONNREFUSED')], 'all failed'),
    new Error('timeout exceeded when trying to connect'),
    new Error('Connection terminated unexpectedly'),
    pgError('database "x" does not exist', '3D000'),
    pgError('the database system is starting up', '57P03'),
    pgError('sorry, too many clients already', '53300'),
    new Sqlite.SqliteError('unable to open database file', 'SQLITE_CANTOPEN'),
    new Sqlite.SqliteError('database is locked', 'SQLITE_BUSY'),
    new Sqlite.SqliteError('disk I/O error', 'SQLITE_IOERR_WRITE'),
  ];
  for (const err of unavailable) {
    const out = translateError(err);
    assert.ok(out instanceof StoreUnavailableError, err.message);
    assert.equal((out as Error).cause, err);
  }
});

test('other driver errors become plain Errors; the core’s own errors pass through', () => {
  for (const err of [
    pgError('syntax error', '42601'),
    new Sqlite.SqliteError('no such table: x', 'SQLITE_ERROR'),
  ]) {
    const out = translateError(err) as Error;
    assert.equal(out.constructor, Error);
    assert.match(out.message, /^metadata store query failed: /);
    assert.equal(out.cause, err);
  }
  const own = new RangeError('not ours');
  assert.equal(translateError(own), own);
});

test('unique violations are recognised on both dialects', () => {
  assert.ok(isUniqueViolation(pgError('duplicate key', '23505')));
  assert.ok(
    isUniqueViolation(new Sqlite.SqliteError('UNIQUE constraint failed', 'SQLITE_CONSTRAINT_PRIMARYKEY')),
  );
  assert.ok(!isUniqueViolation(new Error('x')));
});
