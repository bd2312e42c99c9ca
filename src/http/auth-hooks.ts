import type { FastifyReply, FastifyRequest, HookHandlerDoneFunction } from 'fastify';
import { holdsScope } from '../auth/scopes.js';
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
    /**
     * The versions a versioned route takes, when they are not the Interaction Content API's 2 and 3
     * (the Export API's routes take 1). Such routes leave request.apiVersion unset.
     */
    acceptVersions?: readonly number[];
  }
}

export interface TokenVerifierLike {
  verify(authorization: string | undefined): Promise<Actor>;
  /** A still-cached earlier verification, synchronously; undefined sends the request to verify(). */
  cached?(authorization: string | undefined): Actor | undefined;
}

/** One media range of Accept: the type, then optional parameters (RFC 9110 §12.5.1). */
const VERSION = /^application\/vnd\.newvoicemedia\.v(\d{1,3})\+json$/i;

/** VCC's message for a missing or unsupported version, listing the valid ones. */
export const invalidVersionMessage = (versions: readonly number[]) =>
  `Invalid api-version! Valid values: ${versions.map((v) => `'application/vnd.newvoicemedia.v${v}+json'`).join(', ')}`;

export const INVALID_VERSION = invalidVersionMessage([2, 3]);

/**
 * The highest of `versions` (default: 2 and 3) that Accept names as a media range of its own (not
 * inside another one, not refused with q=0), or undefined.
 */
export function acceptedVersion<V extends number = 2 | 3>(
  accept: string | undefined,
  versions: readonly V[] = [2, 3] as unknown as V[],
): V | undefined {
  if (!accept) return undefined;
  let best: V | undefined;
  for (const range of accept.split(',')) {
    const [type, ...params] = range.split(';');
    const m = VERSION.exec(type.trim());
    if (!m) continue;
    if (params.some((p) => /^\s*q\s*=\s*0(\.0{0,3})?\s*$/i.test(p))) continue;
    const v = Number(m[1]) as V;
    if (versions.includes(v) && (best === undefined || v > best)) best = v;
  }
  return best;
}

// The hooks run on every request, so they are callback-style and stay synchronous when they can:
// an async hook costs a promise and a microtask turn each (docs/performance.md).

function authorize(request: FastifyRequest, actor: Actor, scope: Scope) {
  request.actor = actor;
  return holdsScope(actor, scope) ? undefined : insufficientScope(scope);
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
  const config = request.routeOptions.config;
  if (!config.versioned) return done();
  if (config.acceptVersions) {
    const ok = acceptedVersion(request.headers.accept, config.acceptVersions) !== undefined;
    return done(
      ok ? undefined : badRequest(invalidVersionMessage(config.acceptVersions), 'invalid_api_version'),
    );
  }
  const version = acceptedVersion(request.headers.accept);
  if (!version) return done(badRequest(INVALID_VERSION, 'invalid_api_version'));
  request.apiVersion = version;
  done();
}
