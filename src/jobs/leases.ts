import { randomUUID } from 'node:crypto';
import type { AccountLocks } from '../core/deletion-service.js';
import type { JobStore } from './job-store.js';
import type { NodeRegistry } from './node-registry.js';

/**
 * Account locks as leases of this node: the node's heartbeat keeps them alive while it lives, so a
 * lock whose holder died is free once the node timeout passes — or at once, when a restart proves
 * the holder dead (NodeRegistry.reap). Serves "one delete-batch per account", across nodes.
 */
export class NodeLeases implements AccountLocks {
  constructor(private readonly deps: { jobs: JobStore; node: NodeRegistry }) {}

  async tryAcquire(account: string, name: string) {
    const token = randomUUID();
    const now = Date.now();
    const taken = await this.deps.jobs.tryAcquireLease({
      account,
      name,
      node: this.deps.node.id,
      token,
      now,
      until: now + this.deps.node.leaseMs,
    });
    if (!taken) return undefined;
    return () => this.deps.jobs.releaseLease({ account, name, token });
  }
}
