// The ledger's hash chain, recomputed in the browser exactly as src/core/audit-chain.ts computes it
// on the server (test/console/console-lib.test.ts holds the two side by side).

export const GENESIS_HASH = '0'.repeat(64);

/** An audit entry as GET /interaction-content/audit returns it. */
export interface AuditEntry {
  seq: number;
  at: string;
  atMs: number;
  actor: { clientId: string | null; subject: string | null };
  action: string;
  guid: string;
  contentKey: string | null;
  type: string | null;
  contentLength: number | null;
  sha256: string | null;
  reason: string;
  requestId: string | null;
  details: Record<string, unknown> | null;
  prevHash: string;
  hash: string;
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

const hex = (buf: ArrayBuffer) =>
  Array.from(new Uint8Array(buf), (b) => b.toString(16).padStart(2, '0')).join('');

/** SHA-256 over the previous hash and a canonical JSON of every field, in the server's fixed order. */
export async function hashEntry(account: string, e: AuditEntry): Promise<string> {
  const canonical = JSON.stringify([
    account,
    e.seq,
    e.prevHash,
    e.atMs,
    e.actor.clientId,
    e.actor.subject,
    e.action,
    e.guid,
    e.contentKey,
    e.type,
    e.contentLength,
    e.sha256,
    e.reason,
    e.requestId,
    e.details === null ? null : canonicalize(e.details),
  ]);
  return hex(await crypto.subtle.digest('SHA-256', new TextEncoder().encode(canonical)));
}

export interface ChainState {
  /** The next entry must have this seq and prevHash. */
  next: { seq: number; prevHash: string };
  checked: number;
}

export type ChainResult =
  | { ok: true; entries: number; head: { seq: number; hash: string } | null }
  | { ok: false; entries: number; seq: number; problem: string };

/** Checks one page (in ledger order) against the state; returns the first break or the new state. */
export async function checkPage(
  account: string,
  page: AuditEntry[],
  state: ChainState,
): Promise<{ state: ChainState } | { seq: number; problem: string }> {
  let { next, checked } = state;
  for (const e of page) {
    if (e.seq !== next.seq) return { seq: next.seq, problem: `expected seq ${next.seq}, found ${e.seq}` };
    if (e.prevHash !== next.prevHash)
      return { seq: e.seq, problem: 'prevHash does not match the previous entry' };
    if ((await hashEntry(account, e)) !== e.hash)
      return { seq: e.seq, problem: 'hash does not match the entry' };
    next = { seq: e.seq + 1, prevHash: e.hash };
    checked++;
  }
  return { state: { next, checked } };
}

/**
 * Walks the whole ledger page by page from seq 1. `fetchPage` gets the previous page's continuation
 * token; `onProgress` runs after every page so the page stays responsive and can show progress.
 */
export async function verifyChain(opts: {
  account: string;
  fetchPage: (token: string | null) => Promise<{ items: AuditEntry[]; next: string | null }>;
  onProgress?: (checked: number) => void;
  signal?: AbortSignal;
}): Promise<ChainResult> {
  let state: ChainState = { next: { seq: 1, prevHash: GENESIS_HASH }, checked: 0 };
  let token: string | null = null;
  let head: { seq: number; hash: string } | null = null;
  for (;;) {
    opts.signal?.throwIfAborted();
    const page = await opts.fetchPage(token);
    const result = await checkPage(opts.account, page.items, state);
    // Every entry before the break was checked: the chain starts at seq 1.
    if (!('state' in result)) return { ok: false, entries: result.seq - 1, ...result };
    state = result.state;
    const last = page.items[page.items.length - 1];
    if (last) head = { seq: last.seq, hash: last.hash };
    opts.onProgress?.(state.checked);
    if (page.next === null || page.items.length === 0) return { ok: true, entries: state.checked, head };
    token = page.next;
  }
}
