import { randomUUID } from 'node:crypto';
import type { AuditDraft, ContentRecord, InteractionRecord } from '../../src/core/types.js';
import type { MetadataStore } from '../../src/metadata/metadata-store.js';

// Builders for the metadata contract suite. Every test works in fresh accounts, so tests sharing one
// store never see each other's rows (except in the few global views: purge queue, clients).

export const T0 = Date.UTC(2024, 0, 15, 9, 0, 0);
export const HOUR = 3_600_000;

let counter = 0;
export function newAccount(label = 'acct'): string {
  counter += 1;
  return `${label}-${counter}-${randomUUID().slice(0, 8)}`;
}

export type NewInteraction = Omit<InteractionRecord, 'contentCount' | 'legalHold'>;

export function interaction(account: string, o: Partial<NewInteraction> = {}): NewInteraction {
  return {
    account,
    guid: randomUUID(),
    start: T0,
    connectFrom: '+441000000',
    connectTo: '+442000000',
    direction: 'inbound',
    handlingAgents: ['agent-1'],
    createdAt: T0 + 1000,
    ...o,
  };
}

export function content(
  rec: { account: string; guid: string },
  o: Partial<ContentRecord> = {},
): ContentRecord {
  return {
    account: rec.account,
    guid: rec.guid,
    contentKey: 'callRecording',
    type: 'callRecording',
    mediaType: 'audio/wav',
    length: 1234,
    sha256: 'a'.repeat(64),
    blobKey: `blobs/${randomUUID()}`,
    lastModified: T0 + 5000,
    owningAgentId: null,
    owningInteractionPlanId: null,
    properties: {},
    ...o,
  };
}

export function auditDraft(o: Partial<AuditDraft> = {}): AuditDraft {
  return {
    at: T0,
    actorClientId: 'client-1',
    actorSubject: 'subject-1',
    action: 'content.delete',
    guid: randomUUID(),
    contentKey: 'callRecording',
    type: 'callRecording',
    contentLength: 1234,
    sha256: 'b'.repeat(64),
    reason: 'api',
    requestId: 'req-1',
    details: null,
    ...o,
  };
}

/** Inserts interactions, each with the given number of content items (0 = invisible to search), in one transaction. */
export async function seed(
  store: MetadataStore,
  items: { rec: NewInteraction; contents: number }[],
): Promise<void> {
  await store.transaction(async (tx) => {
    for (const { rec, contents } of items) {
      if (!(await tx.insertInteraction(rec))) throw new Error(`seed: ${rec.guid} exists`);
      for (let i = 0; i < contents; i++) {
        const key = i === 0 ? 'callRecording' : `att-${i}`;
        await tx.putContent(
          content(rec, {
            contentKey: key,
            type: i === 0 ? 'callRecording' : 'attachment',
            lastModified: T0 + i,
          }),
        );
      }
    }
  });
}

/** Code-point order, as both databases compare keys (binary / COLLATE "C"). */
export function cmp(a: string, b: string): number {
  const x = Array.from(a, (c) => c.codePointAt(0)!);
  const y = Array.from(b, (c) => c.codePointAt(0)!);
  for (let i = 0; i < Math.min(x.length, y.length); i++) if (x[i] !== y[i]) return x[i] - y[i];
  return x.length - y.length;
}

export function byStartGuid(a: { start: number; guid: string }, b: { start: number; guid: string }): number {
  return a.start - b.start || cmp(a.guid, b.guid);
}
