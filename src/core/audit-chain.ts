import { createHash } from 'node:crypto';
import type { AuditDraft, AuditEntry } from './types.js';

/** prevHash of an account's first ledger entry. */
export const GENESIS_HASH = '0'.repeat(64);

/**
 * The entry's hash: SHA-256 over the previous hash and a canonical JSON of every field (fixed key
 * order), so editing, inserting, reordering or removing an entry breaks the chain after it.
 */
export function hashAuditEntry(account: string, seq: number, prevHash: string, d: AuditDraft): string {
  const canonical = JSON.stringify([account, seq, prevHash, ...canonicalTail(d)]);
  return createHash('sha256').update(canonical).digest('hex');
}

/**
 * The canonical form of hashAuditEntry split around the two values only the ledger's head knows:
 * `before + seq + ',"' + prevHash + '",' + after` is exactly the JSON hashAuditEntry hashes (seq is
 * an integer, prevHash lowercase hex, so neither needs escaping). PostgreSQL computes the hash from
 * these parts inside the statement that takes the head (metadata/kysely-metadata-tx.ts), SQLite and
 * the verifier from the whole; a test pins that both give the same bytes.
 */
export function canonicalParts(account: string, d: AuditDraft): { before: string; after: string } {
  return {
    before: `[${JSON.stringify(account)},`,
    after: JSON.stringify(canonicalTail(d)).slice(1),
  };
}

export function chainEntry(account: string, seq: number, prevHash: string, draft: AuditDraft): AuditEntry {
  return { ...draft, account, seq, prevHash, hash: hashAuditEntry(account, seq, prevHash, draft) };
}

/** The first break in a run of entries (ordered by seq, starting at seq 1), or undefined. */
export function findChainBreak(
  entries: Iterable<AuditEntry>,
  expected: { seq: number; prevHash: string } = { seq: 1, prevHash: GENESIS_HASH },
): { seq: number; problem: string } | undefined {
  let next = expected;
  for (const e of entries) {
    if (e.seq !== next.seq) return { seq: next.seq, problem: `expected seq ${next.seq}, found ${e.seq}` };
    if (e.prevHash !== next.prevHash)
      return { seq: e.seq, problem: 'prevHash does not match the previous entry' };
    if (hashAuditEntry(e.account, e.seq, e.prevHash, e) !== e.hash)
      return { seq: e.seq, problem: 'hash does not match the entry' };
    next = { seq: e.seq + 1, prevHash: e.hash };
  }
  return undefined;
}

/** Every field after prevHash, in the canonical order. */
function canonicalTail(d: AuditDraft): unknown[] {
  return [
    d.at,
    d.actorClientId,
    d.actorSubject,
    d.action,
    d.guid,
    d.contentKey,
    d.type,
    d.contentLength,
    d.sha256,
    d.reason,
    d.requestId,
    d.details === null ? null : canonicalize(d.details),
  ];
}

function canonicalize(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(canonicalize);
  if (v && typeof v === 'object') {
    return Object.fromEntries(
      Object.keys(v as object)
        .sort()
        .map((k) => [k, canonicalize((v as Record<string, unknown>)[k])]),
    );
  }
  return v;
}
