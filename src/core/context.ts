import type { Actor } from './types.js';

/** What every use-case knows about the request it serves. */
export interface RequestContext {
  actor: Actor;
  requestId: string;
}

export const auditActor = (ctx: RequestContext) => ({
  actorClientId: ctx.actor.clientId,
  actorSubject: ctx.actor.subject,
  requestId: ctx.requestId,
});
