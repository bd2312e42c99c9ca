import { CompactSign } from 'jose';
import type { RequestContext } from '../core/context.js';
import { formatTime } from '../core/time.js';
import type { DeletionJobService } from '../deletion-jobs/deletion-job-service.js';
import { view } from '../deletion-jobs/deletion-job-service.js';
import type { DeletionJobStore } from '../deletion-jobs/deletion-job-store.js';
import { certificateNotReady, noCertificateForDryRun } from '../deletion-jobs/errors.js';
import type { LedgerRef } from '../deletion-jobs/types.js';
import { matchToWire } from '../deletion-jobs/wire.js';
import type { CertificateKeys } from './signing-keys.js';

/** The JWS header's typ: what the payload is, so a verifier cannot mistake another JWS for one. */
export const CERTIFICATE_TYPE = 'ics-erasure-certificate+jws';

/** The payload of an erasure certificate (docs/retention.md, "Proving an erasure"). */
export interface ErasureCertificate {
  /** Who issued it: this service, by its JWKS. */
  iss: string;
  /** When it was issued: the job's end (epoch seconds), so the same job always gives the same JWS. */
  iat: number;
  job: {
    id: string;
    account: string;
    status: string;
    reason: string;
    reference: string | null;
    createdAt: string;
    startedAt: string | null;
    finishedAt: string | null;
  };
  match: Record<string, unknown>;
  counts: { matched: number; deleted: number; held: number; failed: number };
  /** Every deleted interaction, with the ledger entries its deletion appended (seq, hash). */
  deleted: { guid: string; entries: LedgerRef[] }[];
}

const FINISHED = new Set(['completed', 'cancelled', 'failed']);

/** Erasure certificates of finished deletion jobs, signed with the service's Ed25519 key. */
export class CertificateService {
  constructor(
    private readonly deps: {
      jobs: Pick<DeletionJobService, 'job'>;
      items: Pick<DeletionJobStore, 'listItems'>;
      keys: CertificateKeys;
    },
    private readonly opts: { issuer: string } = { issuer: 'ics' },
  ) {}

  /** The compact JWS; 404 for a dry run (or another account's job), 409 while the job is not finished. */
  async certificate(ctx: RequestContext, id: string): Promise<string> {
    const job = await this.deps.jobs.job(ctx, id);
    if (job.payload.dryRun) throw noCertificateForDryRun(id);
    if (!FINISHED.has(job.status)) throw certificateNotReady(id, job.status);
    const v = view(job);
    const deleted: ErasureCertificate['deleted'] = [];
    let afterGuid: string | undefined;
    for (;;) {
      const page = await this.deps.items.listItems({
        account: job.account,
        jobId: job.id,
        outcome: 'deleted',
        afterGuid,
        limit: 1000,
      });
      for (const item of page)
        if (item.entries.length > 0) deleted.push({ guid: item.guid, entries: item.entries });
      if (page.length < 1000) break;
      afterGuid = page[page.length - 1].guid;
    }
    const payload: ErasureCertificate = {
      iss: this.opts.issuer,
      iat: Math.floor((job.finishedAt ?? job.updatedAt) / 1000),
      job: {
        id: v.id,
        account: v.account,
        status: v.status,
        reason: v.reason,
        reference: v.reference,
        createdAt: formatTime(v.createdAt),
        startedAt: v.startedAt === null ? null : formatTime(v.startedAt),
        finishedAt: v.finishedAt === null ? null : formatTime(v.finishedAt),
      },
      match: matchToWire(v.match),
      counts: v.counts,
      deleted,
    };
    const key = await this.deps.keys.active();
    return new CompactSign(new TextEncoder().encode(JSON.stringify(payload)))
      .setProtectedHeader({ alg: key.alg, kid: key.kid, typ: CERTIFICATE_TYPE, cty: 'json' })
      .sign(key.privateKey);
  }

  /** The public keys, as a JWK Set. */
  async jwks(): Promise<{ keys: object[] }> {
    return { keys: await this.deps.keys.publicKeys() };
  }
}
