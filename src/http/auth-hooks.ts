import type { FastifyReply, FastifyRequest, HookHandlerDoneFunction } from 'fastify';
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
  /** A still-cached earlier verification, synchronously; undefined sends the request to verify(). */
  cached?(authorization: string | undefined): Actor | undefined;
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

// The hooks run on every request, so they are callback-style and stay synchronous when they can:
// an async hook costs a promise and a microtask turn each (docs/performance.md).

function authorize(request: FastifyRequest, actor: Actor, scope: Scope) {
  request.actor = actor;
  return actor.scopes.has(scope) ? undefined : insufficientScope(scope);
}

/** onRequest: authenticate and authorise before anything else looks at the request. */
export function authenticate(verifier: TokenVerifierLike) {
  return (request: FastifyRequest, _reply: FastifyReply, done: HookHandlerDoneFunction) => {
    const scope = request.routeOptions.config.scope;
    if (!scope) return done();
    const authorization = request.headers.authorization;
    const known = verifier.cached?.(authorization);
    if (known !== undefined) return done(authorize(request, known, scope));
    verifier.verify(authorization).then(
      (actor) => done(authorize(request, actor, scope)),
      (err: Error) => done(err),
    );
  };
}

/** preValidation: the VCC version rule for JSON routes. */
export function checkVersion(request: FastifyRequest, _reply: FastifyReply, done: HookHandlerDoneFunction) {
  if (!request.routeOptions.config.versioned) return done();
  const version = acceptedVersion(request.headers.accept);
  if (!version) return done(badRequest(INVALID_VERSION, 'invalid_api_version'));
  request.apiVersion = version;
  done();
}
