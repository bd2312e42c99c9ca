import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { parseContentKey, selectContent, selectOne, uploadTarget } from '../../src/core/content-keys.js';
import { CursorCodec } from '../../src/core/cursor.js';
import { parseGuid } from '../../src/core/guid.js';
import { parseRange } from '../../src/core/range.js';
import { formatTime, parseTime } from '../../src/core/time.js';
import type { ContentRecord } from '../../src/core/types.js';

describe('parseRange', () => {
  const cases: [string | undefined, number, ReturnType<typeof parseRange>][] = [
    [undefined, 10, { kind: 'full' }],
    ['bytes=0-4', 10, { kind: 'partial', start: 0, end: 4 }],
    ['bytes=5-', 10, { kind: 'partial', start: 5, end: 9 }],
    ['bytes=-3', 10, { kind: 'partial', start: 7, end: 9 }],
    ['bytes=-30', 10, { kind: 'partial', start: 0, end: 9 }],
    ['bytes=3-300', 10, { kind: 'partial', start: 3, end: 9 }],
    ['bytes=10-', 10, { kind: 'unsatisfiable' }],
    ['bytes=-0', 10, { kind: 'unsatisfiable' }],
    ['bytes=0-', 0, { kind: 'unsatisfiable' }],
    ['bytes=5-2', 10, { kind: 'full' }],
    ['bytes=0-1,3-4', 10, { kind: 'full' }],
    ['bytes=-', 10, { kind: 'full' }],
    ['pages=1-2', 10, { kind: 'full' }],
    // Beyond 2^53 the same rules hold as for small numbers (issue 9 item 16): past the end is 416,
    // a last position past the end is clamped, a long suffix is the whole file, last < first ignored.
    ['bytes=99999999999999999999-', 10, { kind: 'unsatisfiable' }],
    ['bytes=9007199254740993-', 10, { kind: 'unsatisfiable' }],
    ['bytes=9007199254740993-9007199254740994', 10, { kind: 'unsatisfiable' }],
    ['bytes=0-99999999999999999999', 10, { kind: 'partial', start: 0, end: 9 }],
    ['bytes=2-9007199254740993', 10, { kind: 'partial', start: 2, end: 9 }],
    ['bytes=-99999999999999999999', 10, { kind: 'partial', start: 0, end: 9 }],
    ['bytes=9007199254740993-9007199254740992', 10, { kind: 'full' }],
    ['bytes=00003-00004', 10, { kind: 'partial', start: 3, end: 4 }],
  ];
  for (const [header, size, expected] of cases) {
    test(`${header} of ${size}`, () => assert.deepEqual(parseRange(header, size), expected));
  }
});

describe('content keys', () => {
  test('named, type-name, legacy and unique keys', () => {
    assert.deepEqual(parseContentKey('callrecording'), { kind: 'named', type: 'callRecording' });
    assert.deepEqual(parseContentKey('SentimentSummary'), { kind: 'named', type: 'sentimentSummary' });
    assert.deepEqual(parseContentKey('chatTranscript'), { kind: 'typeName', type: 'chatTranscript' });
    assert.deepEqual(parseContentKey('IVRAUDIORECORDING'), { kind: 'typeName', type: 'ivrAudioRecording' });
    assert.deepEqual(parseContentKey('VoiceMail-Agent7'), {
      kind: 'legacyVoicemail',
      agentId: 'Agent7',
      key: 'voicemail-Agent7',
    });
    assert.deepEqual(parseContentKey('ABC-def'), { kind: 'unique', key: 'abc-def' });
    assert.deepEqual(parseContentKey("a!-_.,*'()"), { kind: 'unique', key: "a!-_.,*'()" });
  });
  test('forbidden characters, length and dot segments', () => {
    for (const bad of ['', 'a'.repeat(37), 'a/b', 'a b', 'a\0b', '..', '.', 'é', 'a;b', 'a%2F']) {
      assert.throws(() => parseContentKey(bad), { code: 'invalid_content_key' }, JSON.stringify(bad));
    }
    assert.doesNotThrow(() => parseContentKey('a'.repeat(36)));
  });
  test('an ambiguous type-name GET names the ids', () => {
    const item = (key: string) => ({ contentKey: key, type: 'attachment' }) as ContentRecord;
    assert.throws(
      () => selectOne({ kind: 'typeName', type: 'attachment' }, [item('x1'), item('x2')]),
      /x1, x2/,
    );
    assert.equal(selectOne({ kind: 'typeName', type: 'attachment' }, [item('x1')])?.contentKey, 'x1');
  });
  test('upload targets', () => {
    assert.deepEqual(uploadTarget(parseContentKey('TRANSCRIPT'), undefined), {
      contentKey: 'transcript',
      type: 'transcript',
    });
    assert.deepEqual(uploadTarget(parseContentKey('Att-1'), 'attachment'), {
      contentKey: 'att-1',
      type: 'attachment',
    });
    assert.throws(() => uploadTarget(parseContentKey('att-1'), undefined), /required/);
    assert.throws(() => uploadTarget(parseContentKey('att-1'), 'transcript'), /named key/);
    assert.throws(() => uploadTarget(parseContentKey('voicemail'), 'voicemail'), /reserved/);
    assert.deepEqual(uploadTarget(parseContentKey('voicemail-123'), undefined), {
      contentKey: 'voicemail-123',
      type: 'voicemail',
      owningAgentId: '123',
    });
    assert.throws(() => uploadTarget(parseContentKey('voicemail-123'), 'attachment'), {
      code: 'invalid_type',
    });
  });
  test("a legacy key addresses its literal item first, else the agent's voicemails", () => {
    const vm = (key: string, agent: string) =>
      ({ contentKey: key, type: 'voicemail', owningAgentId: agent }) as ContentRecord;
    const items = [vm('0f8fad5b-d9cb-469f-a165-70867728950e', '123'), vm('voicemail-123', '123')];
    const target = parseContentKey('voicemail-123');
    assert.deepEqual(
      selectContent(target, items).map((i) => i.contentKey),
      ['voicemail-123'],
    );
    assert.deepEqual(
      selectContent(target, items.slice(0, 1)).map((i) => i.contentKey),
      ['0f8fad5b-d9cb-469f-a165-70867728950e'],
    );
    assert.deepEqual(selectContent(parseContentKey('voicemail-124'), items), []);
  });
});

describe('GUIDs and times', () => {
  test('VCC GUID messages', () => {
    assert.equal(parseGuid('7D1E6F52-4B0A-4C8E-9A43-1F2B3C4D5E6F'), '7d1e6f52-4b0a-4c8e-9a43-1f2b3c4d5e6f');
    assert.throws(() => parseGuid('abc'), { message: 'GUID must be 36 characters in length' });
    assert.throws(() => parseGuid('g'.repeat(36)), {
      message: `GUID '${'g'.repeat(36)}' is not a valid UUID string`,
    });
  });
  test('ISO 8601 in, second-precision UTC out', () => {
    assert.equal(parseTime('2020-02-16T14:11:56Z'), Date.UTC(2020, 1, 16, 14, 11, 56));
    assert.equal(parseTime('2020-02-16T15:11:56+01:00'), Date.UTC(2020, 1, 16, 14, 11, 56));
    assert.equal(parseTime('2020-02-16'), Date.UTC(2020, 1, 16));
    assert.equal(parseTime('2020-02-16T14:11:56.789'), Date.UTC(2020, 1, 16, 14, 11, 56, 789));
    for (const bad of [
      '2020-02-30T00:00:00Z',
      '2020-13-01',
      'tomorrow',
      '2020-02-16T25:00:00Z',
      '1581862316',
    ]) {
      assert.equal(parseTime(bad), undefined, bad);
    }
    assert.equal(formatTime(Date.UTC(2020, 1, 16, 14, 11, 56, 999)), '2020-02-16T14:11:56Z');
  });

  test('formatTime truncates to the second, like toISOString without the fraction, in any year', () => {
    const reference = (ms: number) =>
      new Date(Math.floor(ms / 1000) * 1000).toISOString().replace('.000Z', 'Z');
    const samples = [0, -1, -1500, 999, 1000, Date.UTC(9999, 11, 31, 23, 59, 59, 999), Date.UTC(10000, 0, 1)];
    samples.push(Date.UTC(999, 11, 31, 23, 59, 59, 500), Date.UTC(1000, 0, 1), -62198755200000);
    for (let i = 0; i < 2000; i++) samples.push(Math.round((Math.random() - 0.3) * 4e12));
    for (const ms of samples) assert.equal(formatTime(ms), reference(ms), String(ms));
    assert.equal(formatTime(-1500), '1969-12-31T23:59:58Z');
    assert.equal(formatTime(Date.UTC(10000, 0, 1)), '+010000-01-01T00:00:00Z');
  });
});

describe('continuation tokens', () => {
  const codec = new CursorCodec(new TextEncoder().encode('k'.repeat(32)));
  const filters = { account: 'acme', start: 0, end: 1000 };
  test('round trip', () => {
    const token = codec.encode(filters, { start: 5, guid: 'g' });
    assert.deepEqual(codec.decode(token, filters), { start: 5, guid: 'g' });
  });
  test('bound to the filters, the account and the key', () => {
    const token = codec.encode(filters, { start: 5, guid: 'g' });
    assert.throws(() => codec.decode(token, { ...filters, direction: 'inbound' }), /other filters/);
    assert.throws(() => codec.decode(token, { ...filters, account: 'globex' }), /other filters/);
    const other = new CursorCodec(new TextEncoder().encode('j'.repeat(32)));
    assert.throws(() => other.decode(token, filters), /continuationToken/);
    assert.throws(() => codec.decode(`${token}A`, filters), /continuationToken/);
    assert.throws(() => codec.decode('a.b.c', filters), /continuationToken/);
  });
});

describe('test-only faults', () => {
  test('pauses parse and wait; unset means no-op; kills are not triggered by pauses', async () => {
    const { createFaults, noFaults } = await import('../../src/core/faults.js');
    assert.equal(createFaults(undefined), noFaults);
    const faults = createFaults('batch.locked@pause=30, other.point:3');
    const t0 = Date.now();
    await faults.pause('batch.locked');
    assert.ok(Date.now() - t0 >= 25);
    await faults.pause('not.configured');
    faults.hit('other.point'); // 1st of 3: no kill
    faults.hit('other.point'); // 2nd of 3: no kill
  });
});
