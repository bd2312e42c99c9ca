import { Type } from 'typebox';
import { receiptOf } from '../../core/events.js';
import { formatTime } from '../../core/time.js';
import type { DeletionJobItem, DeletionJobView } from '../../deletion-jobs/types.js';
import { matchToWire } from '../../deletion-jobs/wire.js';

// Wire schemas and shapes of the deletion-job API (/interaction-content/deletion-jobs).

export const NewDeletionJobBody = Type.Object(
  {
    match: Type.Object(
      {
        addresses: Type.Optional(
          Type.Array(Type.String({ maxLength: 320 }), {
            description: 'Matched against connectFrom or connectTo after normalising (1–100)',
          }),
        ),
        handlingAgentId: Type.Optional(Type.String()),
        start: Type.Optional(
          Type.String({ description: 'ISO 8601; with end: start <= interaction start < end' }),
        ),
        end: Type.Optional(Type.String()),
        direction: Type.Optional(Type.String({ description: 'inbound or outbound' })),
        contentTypes: Type.Optional(Type.Array(Type.String({ maxLength: 64 }), { maxItems: 50 })),
      },
      { additionalProperties: false },
    ),
    dryRun: Type.Optional(Type.Boolean()),
    reason: Type.String({ description: '1–500 characters; in every ledger entry' }),
    reference: Type.Optional(Type.String({ description: 'Your reference, e.g. a DSR number (1–200)' })),
  },
  { additionalProperties: false },
);

const Time = Type.Union([Type.String({ format: 'date-time' }), Type.Null()]);

export const DeletionJobBody = Type.Object(
  {
    id: Type.String({ format: 'uuid' }),
    status: Type.String({ enum: ['queued', 'running', 'waiting', 'completed', 'cancelled', 'failed'] }),
    dryRun: Type.Boolean(),
    match: Type.Object({
      addresses: Type.Optional(Type.Array(Type.String())),
      handlingAgentId: Type.Optional(Type.String()),
      start: Type.Optional(Type.String({ format: 'date-time' })),
      end: Type.Optional(Type.String({ format: 'date-time' })),
      direction: Type.Optional(Type.String()),
      contentTypes: Type.Optional(Type.Array(Type.String())),
    }),
    reason: Type.String(),
    reference: Type.Union([Type.String(), Type.Null()]),
    createdAt: Type.String({ format: 'date-time' }),
    startedAt: Time,
    finishedAt: Time,
    counts: Type.Object({
      matched: Type.Integer(),
      deleted: Type.Integer(),
      held: Type.Integer(),
      failed: Type.Integer(),
    }),
    cancelRequested: Type.Boolean(),
    error: Type.Union([Type.String(), Type.Null()]),
  },
  { $id: 'DeletionJob' },
);

export const DeletionJobItemBody = Type.Object({
  guid: Type.String({ format: 'uuid' }),
  outcome: Type.String({ enum: ['deleted', 'held', 'failed', 'matched', 'pending'] }),
  receipt: Type.Union([Type.String(), Type.Null()], {
    description:
      "The last ledger entry of its deletion (the interaction's, when it went), as x-deletion-receipt",
  }),
  entries: Type.Array(Type.Object({ seq: Type.Integer(), hash: Type.String() }), {
    description: 'Every ledger entry its deletion appended',
  }),
  message: Type.Union([Type.String(), Type.Null()]),
});

export const PageQuery = Type.Object({
  limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 1000 })),
  continuationToken: Type.Optional(Type.String({ maxLength: 400 })),
});

export const Meta = Type.Object({ nextContinuationToken: Type.Union([Type.String(), Type.Null()]) });

export function deletionJobView(j: DeletionJobView) {
  return {
    id: j.id,
    status: j.status,
    dryRun: j.dryRun,
    match: matchToWire(j.match),
    reason: j.reason,
    reference: j.reference,
    createdAt: formatTime(j.createdAt),
    startedAt: j.startedAt === null ? null : formatTime(j.startedAt),
    finishedAt: j.finishedAt === null ? null : formatTime(j.finishedAt),
    counts: j.counts,
    cancelRequested: j.cancelRequested,
    error: j.error,
  };
}

export function deletionJobItemView(account: string, i: DeletionJobItem) {
  const last = i.entries.at(-1);
  return {
    guid: i.guid,
    outcome: i.outcome,
    receipt: last
      ? receiptOf({ account, seq: last.seq, hash: last.hash } as Parameters<typeof receiptOf>[0])
      : null,
    entries: i.entries,
    message: i.message,
  };
}
