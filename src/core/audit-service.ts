import type { MetadataStore } from '../metadata/metadata-store.js';
import { findChainBreak } from './audit-chain.js';
import type { RequestContext } from './context.js';
import { badRequest } from './errors.js';
import type { AuditEntry, AuditQuery } from './types.js';

export interface ChainReport {
  account: string;
  entries: number;
  break?: { seq: number; problem: string };
}

export class AuditService {
  constructor(private readonly deps: { store: MetadataStore }) {}

  /** One page of the caller's ledger; the continuation token is the last seq served. */
  async list(
    ctx: RequestContext,
    q: Omit<AuditQuery, 'account' | 'afterSeq'> & { continuationToken?: string },
  ) {
    let afterSeq: number | undefined;
    if (q.continuationToken !== undefined) {
      if (!/^\d{1,15}$/.test(q.continuationToken))
        throw badRequest("Invalid parameter 'continuationToken'", 'invalid_continuation_token');
      afterSeq = Number(q.continuationToken);
    }
    const rows = await this.deps.store.listAudit({
      ...q,
      account: ctx.actor.account,
      afterSeq,
      limit: q.limit + 1,
    });
    const items = rows.slice(0, q.limit);
    const next = rows.length > q.limit ? String(items[items.length - 1].seq) : null;
    return { items, nextContinuationToken: next };
  }

  /** Walks every account's chain from its first entry and reports the first break of each. */
  async verify(accounts?: string[]): Promise<ChainReport[]> {
    const reports: ChainReport[] = [];
    for (const account of accounts ?? (await this.deps.store.listAuditAccounts())) {
      let expected = { seq: 1, prevHash: '' };
      let count = 0;
      let afterSeq: number | undefined;
      let problem: ChainReport['break'];
      for (;;) {
        const page: AuditEntry[] = await this.deps.store.listAudit({ account, limit: 1000, afterSeq });
        if (page.length === 0) break;
        problem = findChainBreak(page, count === 0 ? undefined : expected);
        if (problem) break;
        count += page.length;
        const last = page[page.length - 1];
        expected = { seq: last.seq + 1, prevHash: last.hash };
        afterSeq = last.seq;
      }
      // The head is written with every append; a ledger whose newest entries were removed (or a
      // head that was edited) no longer ends where its head says.
      if (!problem) {
        const head = await this.deps.store.getAuditHead(account);
        const lastSeq = expected.seq - 1;
        // No entries and no head: an account that never had a ledger (e.g. nothing deleted yet).
        if (!head && count === 0) problem = undefined;
        else if (!head) problem = { seq: lastSeq, problem: 'the ledger has no head record' };
        else if (head.seq !== lastSeq || (lastSeq > 0 && head.hash !== expected.prevHash)) {
          problem = {
            seq: Math.min(head.seq, lastSeq) + 1,
            problem: `the head records seq ${head.seq} but the ledger ends at seq ${lastSeq}`,
          };
        }
      }
      reports.push({ account, entries: count, break: problem });
    }
    return reports;
  }
}
