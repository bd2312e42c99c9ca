import type { FastifyReply, FastifyRequest } from 'fastify';
import { badRequest, insufficientScope } from '../core/errors.js';
import type { Actor, Scope } from '../core/types.js';

declare module 'fastify' {
  interface FastifyRequest {
    actor: Actor;
    apiVersion: 2 | 3;
  }
  interface FastifyContextConfig {
    /** The scope a route needs; routes without one are public (token endpoint, OpenAPI). */
    scope?: Scope;
    /** JSON routes check the VCC version in Accept; the download route serves whatever it says. */
    versioned?: boolean;
  }
}

export interface TokenVerifierLike {
  verify(authorization: string | undefined): Promise<Actor>;
}

const VERSION = /application\/vnd\.newvoicemedia\.v([23])\+json/gi;

export const INVALID_VERSION =
  "Invalid api-version! Valid values: 'application/vnd.newvoicemedia.v2+json', 'application/vnd.newvoicemedia.v3+json'";

/** The highest supported version the Accept header names, or undefined. */
export function acceptedVersion(accept: string | undefined): 2 | 3 | undefined {
  if (!accept) return undefined;
  let best: 2 | 3 | undefined;
  for (const m of accept.matchAll(VERSION)) {
    const v = Number(m[1]) as 2 | 3;
    if (best === undefined || v > best) best = v;
  }
  return best;
}

/** onRequest: authenticate and authorise before anything else looks at the request. */
export function authenticate(verifier: TokenVerifierLike) {
  return async (request: FastifyRequest, _reply: FastifyReply) => {
    const scope = request.routeOptions.config.scope;
    if (!scope) return;
    request.actor = await verifier.verify(request.headers.authorization);
    if (!request.actor.scopes.has(scope)) throw insufficientScope(scope);
  };
}

/** preValidation: the VCC version rule for JSON routes. */
export async function checkVersion(request: FastifyRequest) {
  if (!request.routeOptions.config.versioned) return;
  const version = acceptedVersion(request.headers.accept);
  if (!version) throw badRequest(INVALID_VERSION, 'invalid_api_version');
  request.apiVersion = version;
}
