import { randomUUID } from 'node:crypto';
import type { MetadataStore } from '../metadata/metadata-store.js';
import type { AccountLocks } from './deletion-service.js';

/**
 * Account locks as expiring leases in the metadata store, so they hold across processes and nodes.
 * A holder that dies mid-batch blocks its account only until the lease expires.
 */
export class StoreLocks implements AccountLocks {
  constructor(
    private readonly store: Pick<MetadataStore, 'tryAcquireLease' | 'releaseLease'>,
    private readonly leaseMs = 10 * 60_000,
  ) {}

  async tryAcquire(account: string, name: string) {
    const holder = randomUUID();
    const now = Date.now();
    const taken = await this.store.tryAcquireLease({ account, name, holder, now, until: now + this.leaseMs });
    if (!taken) return undefined;
    return () => this.store.releaseLease({ account, name, holder });
  }
}
