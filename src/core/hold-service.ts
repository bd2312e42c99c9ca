import type { MetadataStore } from '../metadata/metadata-store.js';
import { auditDraft, type RequestContext } from './context.js';
import { AppError, badRequest, interactionNotFound } from './errors.js';
import type { EventRecorder } from './events.js';
import { parseGuid } from './guid.js';
import type { LegalHold } from './types.js';

/** Legal holds: while one is placed, every deletion path refuses the interaction. */
export class HoldService {
  constructor(
    private readonly deps: {
      store: MetadataStore;
      events: EventRecorder;
      /** Told after a release committed (deletion jobs waiting on the hold look again). */
      onReleased?: (account: string, guid: string) => void;
    },
  ) {}

  /** The interaction's hold; 404 when there is no such interaction or it is not held. */
  async get(ctx: RequestContext, rawGuid: string): Promise<LegalHold> {
    const guid = parseGuid(rawGuid);
    const interaction = await this.deps.store.getInteraction(ctx.actor.account, guid);
    if (!interaction) throw interactionNotFound(guid);
    if (!interaction.legalHold) throw holdNotFound(guid);
    return interaction.legalHold;
  }

  async place(
    ctx: RequestContext,
    rawGuid: string,
    input: { reason: string; caseId?: string },
  ): Promise<LegalHold> {
    const guid = parseGuid(rawGuid);
    const reason = input.reason?.trim();
    if (!reason || reason.length > 500)
      throw badRequest("'reason' must be 1 to 500 characters", 'invalid_body');
    if (input.caseId !== undefined && (input.caseId.length < 1 || input.caseId.length > 100)) {
      throw badRequest("'caseId' must be 1 to 100 characters", 'invalid_body');
    }
    const hold: LegalHold = {
      reason,
      caseId: input.caseId ?? null,
      placedAt: Date.now(),
      placedBy: ctx.actor.clientId,
    };
    await this.deps.store.transaction(async (tx) => {
      const interaction = await tx.lockInteraction(ctx.actor.account, guid);
      if (!interaction) throw interactionNotFound(guid);
      await tx.setLegalHold(ctx.actor.account, guid, hold);
      // Not awaited: it commits with the transaction (or fails its commit), and nobody reads it.
      tx.appendAudit(
        ctx.actor.account,
        auditDraft(ctx, {
          at: hold.placedAt,
          action: interaction.legalHold ? 'legal_hold.update' : 'legal_hold.place',
          guid,
          reason: 'api',
          details: { holdReason: hold.reason, caseId: hold.caseId },
        }),
      );
      // The hold's reason may be confidential: events carry the case id, not the reason text.
      await this.deps.events.record(tx, [
        {
          type: 'interaction.legal-hold-placed.v1',
          account: ctx.actor.account,
          subject: guid,
          at: hold.placedAt,
          data: { account: ctx.actor.account, guid, caseId: hold.caseId, placedBy: hold.placedBy },
        },
      ]);
    });
    return hold;
  }

  async release(ctx: RequestContext, rawGuid: string): Promise<void> {
    const guid = parseGuid(rawGuid);
    await this.deps.store.transaction(async (tx) => {
      const interaction = await tx.lockInteraction(ctx.actor.account, guid);
      if (!interaction) throw interactionNotFound(guid);
      if (!interaction.legalHold) throw holdNotFound(guid);
      await tx.setLegalHold(ctx.actor.account, guid, null);
      const { reason, caseId } = interaction.legalHold;
      tx.appendAudit(
        ctx.actor.account,
        auditDraft(ctx, {
          action: 'legal_hold.release',
          guid,
          reason: 'api',
          details: { holdReason: reason, caseId },
        }),
      );
      await this.deps.events.record(tx, [
        {
          type: 'interaction.legal-hold-released.v1',
          account: ctx.actor.account,
          subject: guid,
          at: Date.now(),
          data: { account: ctx.actor.account, guid, caseId, releasedBy: ctx.actor.clientId },
        },
      ]);
    });
    this.deps.onReleased?.(ctx.actor.account, guid);
  }
}

const holdNotFound = (guid: string) =>
  new AppError({
    status: 404,
    code: 'legal_hold_not_found',
    message: `Interaction '${guid}' has no legal hold`,
  });
