import type { MetadataStore, MetadataTx } from '../metadata/metadata-store.js';
import { parseContentKey, selectContent } from './content-keys.js';
import { auditDraft, type RequestContext } from './context.js';
import {
  AppError,
  badRequest,
  batchInProgress,
  contentNotFound,
  interactionNotFound,
  unavailable,
} from './errors.js';
import type { EventRecorder } from './events.js';
import type { Faults } from './faults.js';
import { isGuid, parseGuid } from './guid.js';
import { heldConflict } from './hold-visibility.js';
import {
  accessOf,
  mayDeleteAll,
  notAuthorizedToRemoveContent,
  notAuthorizedToRemoveGuid,
} from './permissions.js';
import type { Purger } from './purger.js';
import type {
  AuditAppend,
  AuditEntry,
  ContentRecord,
  ContentTypeName,
  LegalHold,
  PurgeEntry,
} from './types.js';

/** Serialises delete-batches per account (across nodes when backed by the database). */
export interface AccountLocks {
  /** A release function, or undefined when another holder has the account's lock. */
  tryAcquire(account: string, name: string): Promise<(() => Promise<void>) | undefined>;
}

export interface BatchFailure {
  guid: string;
  message: string;
  statusCode: number;
}

/** The ledger's reason: api, batch, cascade, or a background path's own (deletion-job, retention, …). */
type Reason = string;

/** A deletion that a background path runs inside its own transaction (see deleteWithin). */
export interface DeletionRequest {
  guid: string;
  /** Only the items of these types; the interaction goes with its last item. Absent: the whole interaction. */
  contentTypes?: readonly ContentTypeName[];
  /** The ledger reason of every entry (e.g. 'deletion-job', 'retention'). */
  reason: string;
  /** Added to every ledger entry (which job or rule, the requester's words). */
  details?: Record<string, unknown>;
}

export type DeletionOutcome =
  /** Committed with the caller's transaction; pass `purge` to erase() after the commit. */
  | { outcome: 'deleted'; entries: AuditEntry[]; purge: PurgeEntry[] }
  | { outcome: 'held'; hold: LegalHold }
  /** The interaction (or, with contentTypes, every item of those types) is not there. */
  | { outcome: 'absent' };

export const MAX_BATCH = 1000;

/**
 * Every deletion path. Each one, in a single transaction, removes the rows, queues their blobs for
 * purging and appends ledger entries; then erases the blobs before answering. A crash after the
 * commit leaves queued entries that the purge loop finishes.
 */
export class DeletionService {
  constructor(
    private readonly deps: {
      store: MetadataStore;
      purger: Purger;
      locks: AccountLocks;
      faults: Faults;
      events: EventRecorder;
    },
  ) {}

  /** Deletes the content a key addresses (and, for the call recording, the screen recordings). */
  async deleteContent(ctx: RequestContext, rawGuid: string, rawKey: string): Promise<AuditEntry[]> {
    const guid = parseGuid(rawGuid);
    const target = parseContentKey(rawKey);
    const { appends, purge } = await this.deps.store.transaction(async (tx) => {
      const { interaction, content: items } = await tx.lockInteractionWithContent(ctx.actor.account, guid);
      if (!interaction || items.length === 0) throw interactionNotFound(guid);
      const chosen = selectContent(target, items);
      if (chosen.length === 0) throw contentNotFound(guid, rawKey);
      const cascade =
        target.kind === 'named' && target.type === 'callRecording'
          ? items.filter((i) => i.type === 'screenRecording')
          : [];
      // Permission before the hold: a caller who may not delete the item learns nothing more.
      const access = accessOf(ctx.actor, 'delete');
      if (!mayDeleteAll(access, interaction.direction, chosen)) throw notAuthorizedToRemoveContent(rawKey);
      if (!mayDeleteAll(access, interaction.direction, cascade))
        throw notAuthorizedToRemoveContent(
          rawKey,
          "deleting the call recording also deletes the interaction's screen recordings, which this client may not delete",
        );
      if (interaction.legalHold) throw heldConflict(ctx, guid, interaction.legalHold);
      const deleted = await tx.deleteContent(
        ctx.actor.account,
        guid,
        [...chosen, ...cascade].map((i) => i.contentKey),
      );
      const reasons = new Map<ContentRecord, Reason>(
        deleted.map((d) => [d, cascade.some((c) => c.contentKey === d.contentKey) ? 'cascade' : 'api']),
      );
      return this.#record(tx, ctx, deleted, reasons, 'content.delete');
    });
    await this.#erase(purge);
    return entriesOf(appends);
  }

  /** Deletes the interaction, all its content and its metadata; only ledger entries remain. */
  async deleteInteraction(ctx: RequestContext, rawGuid: string): Promise<AuditEntry[]> {
    const guid = parseGuid(rawGuid);
    const result = await this.#deleteWhole(ctx, guid, 'api');
    if (!result) throw interactionNotFound(guid);
    await this.#erase(result.purge);
    return entriesOf(result.appends);
  }

  /**
   * VCC delete-batch: GUIDs that do not exist (or are another account's) are not failures; held
   * ones are (409), and so are those the caller may not fully delete (403).
   */
  async deleteBatch(ctx: RequestContext, rawGuids: unknown): Promise<BatchFailure[]> {
    const guids = validateBatch(rawGuids);
    const release = await this.deps.locks.tryAcquire(ctx.actor.account, 'delete-batch');
    if (!release) throw batchInProgress(5);
    try {
      await this.deps.faults.pause('batch.locked');
      const failures: BatchFailure[] = [];
      for (const guid of guids) {
        try {
          const result = await this.#deleteWhole(ctx, guid, 'batch');
          if (result) await this.#erase(result.purge);
        } catch (err) {
          const status = err instanceof AppError ? err.status : 500;
          failures.push({
            guid,
            statusCode: status,
            message: err instanceof AppError ? err.message : 'Internal error',
          });
        }
      }
      return failures;
    } finally {
      await release();
    }
  }

  /**
   * Deletes inside the caller's transaction, so that a job's record of the item (and its checkpoint)
   * commits exactly with the deletion. A legal hold is an outcome here, not an error. The caller
   * must pass a 'deleted' outcome's `purge` to erase() once its transaction committed.
   */
  async deleteWithin(tx: MetadataTx, ctx: RequestContext, req: DeletionRequest): Promise<DeletionOutcome> {
    const account = ctx.actor.account;
    const interaction = await tx.lockInteraction(account, req.guid);
    if (!interaction) return { outcome: 'absent' };
    if (interaction.legalHold) return { outcome: 'held', hold: interaction.legalHold };
    if (!req.contentTypes) {
      const whole = await this.#wholeIn(tx, ctx, req.guid, req.reason, req.details);
      // The caller records the entries in this transaction: they are waited for here.
      return { outcome: 'deleted', entries: await entriesOf(whole.appends), purge: whole.purge };
    }
    const types = req.contentTypes;
    const items = await tx.listContent(account, req.guid);
    const chosen = items.filter((i) => types.includes(i.type));
    if (chosen.length === 0) return { outcome: 'absent' };
    const deleted = await tx.deleteContent(
      account,
      req.guid,
      chosen.map((i) => i.contentKey),
    );
    const reasons = new Map<ContentRecord, Reason>(deleted.map((d) => [d, req.reason]));
    const recorded = await this.#record(tx, ctx, deleted, reasons, 'content.delete', req.details);
    if (chosen.length < items.length)
      return { outcome: 'deleted', entries: await entriesOf(recorded.appends), purge: recorded.purge };
    // Its last item went: the interaction goes with it.
    const whole = await this.#wholeIn(tx, ctx, req.guid, req.reason, req.details);
    return {
      outcome: 'deleted',
      entries: await entriesOf([...recorded.appends, ...whole.appends]),
      purge: [...recorded.purge, ...whole.purge],
    };
  }

  /** Erases the blobs of committed deletions (deleteWithin); the purge queue finishes what fails. */
  async erase(purge: PurgeEntry[]): Promise<void> {
    await this.#erase(purge);
  }

  async #deleteWhole(ctx: RequestContext, guid: string, reason: Reason) {
    return this.deps.store.transaction(async (tx) => {
      const interaction = await tx.lockInteraction(ctx.actor.account, guid);
      if (!interaction) return undefined;
      const access = accessOf(ctx.actor, 'delete');
      if (
        access !== undefined &&
        !mayDeleteAll(access, interaction.direction, await tx.listContent(ctx.actor.account, guid))
      )
        throw notAuthorizedToRemoveGuid();
      if (interaction.legalHold) throw heldConflict(ctx, guid, interaction.legalHold);
      return this.#wholeIn(tx, ctx, guid, reason);
    });
  }

  /** Deletes the (locked, unheld) interaction with its content: ledger entries, events, purge queue. */
  async #wholeIn(
    tx: MetadataTx,
    ctx: RequestContext,
    guid: string,
    reason: Reason,
    details?: Record<string, unknown>,
  ) {
    const deleted = await tx.deleteInteraction(ctx.actor.account, guid);
    const reasons = new Map<ContentRecord, Reason>(deleted.map((d) => [d, reason]));
    const recorded = await this.#record(tx, ctx, deleted, reasons, 'content.delete', details);
    const draft = auditDraft(ctx, {
      action: 'interaction.delete',
      guid,
      reason,
      details: { contentItems: deleted.length, ...details },
    });
    const whole = tx.appendAudit(ctx.actor.account, draft);
    await this.deps.events.record(tx, [
      {
        type: 'interaction.deleted.v1',
        account: ctx.actor.account,
        subject: guid,
        at: draft.at,
        data: {
          account: ctx.actor.account,
          guid,
          reason,
          contentItems: deleted.length,
          receipt: whole.receipt,
        },
      },
    ]);
    return { appends: [...recorded.appends, whole], purge: recorded.purge };
  }

  async #record(
    tx: MetadataTx,
    ctx: RequestContext,
    deleted: ContentRecord[],
    reasons: Map<ContentRecord, Reason>,
    action: string,
    details?: Record<string, unknown>,
  ) {
    const now = Date.now();
    const purge = await tx.enqueuePurge(
      deleted.map((d) => ({
        account: d.account,
        blobKey: d.blobKey,
        notBefore: now,
        reason: 'delete' as const,
      })),
    );
    // Not awaited: on PostgreSQL the database chains the entries and the events read their receipts
    // from it, so nothing waits for an answer while the account's ledger head is locked.
    const appends = deleted.map((d) =>
      tx.appendAudit(
        ctx.actor.account,
        auditDraft(ctx, { at: now, action, guid: d.guid, reason: reasons.get(d) ?? 'api', item: d, details }),
      ),
    );
    await this.deps.events.record(
      tx,
      deleted.map((d, i) => ({
        type: 'interaction-content.deleted.v1' as const,
        account: d.account,
        subject: d.guid,
        at: now,
        data: {
          account: d.account,
          guid: d.guid,
          contentKey: d.contentKey,
          type: d.type,
          reason: reasons.get(d) ?? 'api',
          receipt: appends[i].receipt,
        },
      })),
    );
    this.deps.faults.hit('delete.before-commit');
    return { appends, purge };
  }

  async #erase(purge: PurgeEntry[]) {
    this.deps.faults.hit('delete.after-commit');
    try {
      await this.deps.purger.purge(purge);
    } catch (err) {
      throw unavailable(
        'The content is deleted and recorded, but storage did not confirm erasing its bytes; the purge queue will finish it',
        err,
      );
    }
  }
}

/** The entries of appends, once the store has answered them (after the commit, on the hot paths). */
const entriesOf = (appends: readonly AuditAppend[]): Promise<AuditEntry[]> =>
  Promise.all(appends.map((a) => a.entry));

function validateBatch(raw: unknown): string[] {
  if (!raw || typeof raw !== 'object' || !Array.isArray((raw as { guids?: unknown }).guids)) {
    throw badRequest("Body must be a JSON object with a 'guids' array", 'invalid_body');
  }
  const list = (raw as { guids: unknown[] }).guids;
  if (list.length < 1 || list.length > MAX_BATCH)
    throw badRequest(`'guids' must hold 1 to ${MAX_BATCH} GUIDs`, 'invalid_batch_size');
  const guids = list.map((g) => {
    if (typeof g !== 'string') throw badRequest("Every item of 'guids' must be a string", 'invalid_guid');
    return isGuid(g) ? g.toLowerCase() : parseGuid(g);
  });
  return [...new Set(guids)];
}
