// The console's pure parts, in Node: the ledger hash beside the server's own, transcript shapes,
// error sentences, renewal timing, receipts, search windows.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { ApiError, describeError } from '../../console/src/api/errors.js';
import { renewDelayMs } from '../../console/src/auth/jwt.js';
import { type AuditEntry, GENESIS_HASH, hashEntry, verifyChain } from '../../console/src/lib/audit.js';
import { windowProblem } from '../../console/src/lib/format.js';
import { parseReceipt } from '../../console/src/lib/receipt.js';
import { formatOffset, toConversation } from '../../console/src/lib/transcript.js';
import { chatTranscript, transcript } from '../../src/cli/demo-content.js';
import { chainEntry } from '../../src/core/audit-chain.js';
import type { AuditDraft } from '../../src/core/types.js';
import { auditEntry } from '../../src/http/serialize.js';

function draft(i: number, extra: Partial<AuditDraft> = {}): AuditDraft {
  return {
    at: 1_764_000_000_000 + i * 1234,
    actorClientId: 'ics_client',
    actorSubject: 'ics_client',
    action: 'content.delete',
    guid: '01a230d8-47c2-767a-96c9-5a1da2018e31',
    contentKey: 'callRecording',
    type: 'callRecording',
    contentLength: 480_044,
    sha256: 'ab'.repeat(32),
    reason: 'api',
    requestId: `req-${i}`,
    details: null,
    ...extra,
  };
}

/** A ledger made by the server's own chain code, as the API serialises it. */
function ledger(drafts: AuditDraft[], account = 'acme'): AuditEntry[] {
  let prev = GENESIS_HASH;
  return drafts.map((d, i) => {
    const e = chainEntry(account, i + 1, prev, d);
    prev = e.hash;
    return auditEntry(e) as AuditEntry;
  });
}

const pages = (entries: AuditEntry[], size: number) => async (token: string | null) => {
  const from = token === null ? 0 : Number(token);
  const items = entries.slice(from, from + size);
  return { items, next: from + size < entries.length ? String(from + size) : null };
};

describe('ledger hashes in the browser', () => {
  const entries = ledger([
    draft(1),
    draft(2, { action: 'legal_hold.place', contentKey: null, type: null, contentLength: null, sha256: null }),
    // Nested details in a non-canonical key order: the canonical form sorts them.
    draft(3, { details: { z: 1, a: { y: [2, { d: 1, c: 2 }], b: null } } }),
    draft(4, { actorClientId: null, actorSubject: 'sso-user', reason: 'retention' }),
  ]);

  test('each entry hashes to what the server computed (src/core/audit-chain.ts)', async () => {
    for (const e of entries) assert.equal(await hashEntry('acme', e), e.hash, `seq ${e.seq}`);
    assert.notEqual(await hashEntry('other-account', entries[0]), entries[0].hash, 'the account is covered');
  });

  test('a whole chain verifies across pages and reports its head', async () => {
    const progress: number[] = [];
    const result = await verifyChain({
      account: 'acme',
      fetchPage: pages(entries, 3),
      onProgress: (n) => progress.push(n),
    });
    assert.deepEqual(result, { ok: true, entries: 4, head: { seq: 4, hash: entries[3].hash } });
    assert.deepEqual(progress, [3, 4]);
  });

  test('an edited, a removed and a re-linked entry each break the chain where they are', async () => {
    const edited = entries.map((e) => (e.seq === 2 ? { ...e, reason: 'edited' } : e));
    assert.deepEqual(await verifyChain({ account: 'acme', fetchPage: pages(edited, 2) }), {
      ok: false,
      entries: 1,
      seq: 2,
      problem: 'hash does not match the entry',
    });
    const removed = entries.filter((e) => e.seq !== 3);
    const r = await verifyChain({ account: 'acme', fetchPage: pages(removed, 10) });
    assert.deepEqual(r, { ok: false, entries: 2, seq: 3, problem: 'expected seq 3, found 4' });
    const relinked = entries.map((e) => (e.seq === 3 ? { ...e, prevHash: GENESIS_HASH } : e));
    const l = await verifyChain({ account: 'acme', fetchPage: pages(relinked, 10) });
    assert.equal(l.ok, false);
    assert.equal(!l.ok && l.problem, 'prevHash does not match the previous entry');
  });

  test('an empty ledger verifies with no head', async () => {
    assert.deepEqual(await verifyChain({ account: 'acme', fetchPage: pages([], 10) }), {
      ok: true,
      entries: 0,
      head: null,
    });
  });
});

describe('transcripts as conversations', () => {
  test("ICS's demo transcript and chat transcript", () => {
    const t = toConversation(JSON.parse(transcript('g').toString()))!;
    assert.equal(t.language, 'en-GB');
    assert.equal(t.turns.length, 6);
    assert.deepEqual(t.turns[1], {
      speaker: 'customer',
      offsetMs: 4000,
      text: 'Hi, I would like to check the status of my order.',
    });
    const c = toConversation(JSON.parse(chatTranscript('g', 'alice').toString()))!;
    assert.equal(c.channel, 'webchat');
    assert.deepEqual(c.turns[1], { speaker: 'alice', offsetMs: 20_000, text: c.turns[1].text });
  });

  test('common variants: utterances with participants, absolute times, bare arrays', () => {
    const u = toConversation({
      utterances: [
        { participant: { name: 'Agent Smith' }, timestamp: '2026-11-30T10:00:00Z', message: 'Hello' },
        { role: 'customer', start: 1.5, content: 'Hi' },
      ],
    })!;
    assert.deepEqual(u.turns, [
      { speaker: 'Agent Smith', time: '2026-11-30T10:00:00Z', text: 'Hello' },
      { speaker: 'customer', offsetMs: 1500, text: 'Hi' },
    ]);
    assert.equal(toConversation([{ speaker: 0, text: 'x' }])!.turns[0].speaker, 'Speaker 0');
  });

  test('documents that are not conversations are left alone', () => {
    assert.equal(toConversation({ overall: 'positive', score: 0.6 }), undefined);
    assert.equal(toConversation({ items: [1, 2, 3] }), undefined);
    assert.equal(toConversation({ segments: [] }), undefined);
    assert.equal(toConversation(null), undefined);
  });

  test('offsets', () => {
    assert.equal(formatOffset(0), '0:00');
    assert.equal(formatOffset(65_400), '1:05');
    assert.equal(formatOffset(3_725_000), '1:02:05');
  });
});

describe('what the console says when the API refuses', () => {
  const err = (status: number, extra: Partial<ConstructorParameters<typeof ApiError>[0]> = {}) =>
    new ApiError({ status, message: 'm', ...extra });

  test('scope, hold, rate limit, not found, outage, network', () => {
    assert.match(
      describeError(err(403, { scope: 'interaction-content:delete' })),
      /lacks the interaction-content:delete scope/,
    );
    assert.match(
      describeError(
        err(409, {
          code: 'legal_hold',
          message: "Interaction 'x' is under legal hold (Litigation) and cannot be deleted",
        }),
      ),
      /^Refused: Interaction 'x' is under legal hold \(Litigation\).*Release the legal hold first\.$/,
    );
    assert.match(describeError(err(429, { retryAfter: 7 })), /wait 7 s before trying again/);
    assert.match(describeError(err(404)), /^Not found/);
    assert.match(describeError(err(503, { code: 'unavailable' })), /could not answer \(503 unavailable\)/);
    assert.match(
      describeError(new TypeError('Failed to fetch'), 'The search'),
      /^The search did not reach the server/,
    );
    assert.match(describeError(err(401)), /Sign in again/);
  });
});

describe('small rules', () => {
  test('tokens renew at 80 % of their life, never sooner than 5 s', () => {
    assert.equal(renewDelayMs(7200), 5_760_000);
    assert.equal(renewDelayMs(60), 48_000);
    assert.equal(renewDelayMs(2), 5_000);
  });

  test('receipts name account, seq and hash of each ledger entry', () => {
    const h = 'a'.repeat(64);
    assert.deepEqual(parseReceipt(`acme:12:${h}, acme:13:${h}`), [
      { account: 'acme', seq: '12', hash: h },
      { account: 'acme', seq: '13', hash: h },
    ]);
    assert.deepEqual(parseReceipt(null), []);
  });

  test('search windows', () => {
    assert.equal(windowProblem('2026-11-01T00:00:00Z', '2026-11-08T00:00:00Z', 7), undefined);
    assert.match(windowProblem('2026-11-01T00:00:00Z', '2026-11-08T00:00:01Z', 7)!, /at most 7 days/);
    assert.equal(windowProblem('2026-11-01T00:00:00Z', '2027-11-08T00:00:00Z', 0), undefined);
    assert.match(windowProblem('2026-11-02T00:00:00Z', '2026-11-01T00:00:00Z', 7)!, /after the start/);
    assert.match(windowProblem(undefined, '2026-11-01T00:00:00Z', 7)!, /both/);
  });
});
