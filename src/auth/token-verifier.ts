import { webcrypto } from 'node:crypto';
import {
  createRemoteJWKSet,
  customFetch,
  decodeJwt,
  errors,
  type FetchImplementation,
  type JWTPayload,
  jwtVerify,
  type RemoteJWKSet,
} from 'jose';
import type { OidcConfig } from '../config.js';
import { type AppError, invalidToken, unavailable } from '../core/errors.js';
import type { Actor, ContentPermissions, Scope } from '../core/types.js';
import { isValidAccount, TOKEN_ALGORITHM, TOKEN_AUDIENCE, TOKEN_ISSUER, TOKEN_TYPE } from './claims.js';
import { parseBearer } from './http-credentials.js';
import { knownScopes, parseScopes } from './scopes.js';
import { TtlCache } from './ttl-cache.js';

/** Only asymmetric algorithms for external tokens: an HMAC "key" from a JWKS would be public knowledge. */
export const OIDC_ALGORITHMS = ['RS256', 'RS384', 'RS512', 'PS256', 'ES256', 'ES384', 'EdDSA'];

export interface TokenVerifierOptions {
  /** The HMAC key own tokens are signed with (see signing-secret.ts). */
  secret: Uint8Array;
  /** Accept tokens from this external OpenID Connect issuer too. */
  oidc?: OidcConfig;
  /**
   * An own token's client while it may still act: its account and content permissions; undefined
   * once revoked or gone. A token whose `account` claim is not its client's account is refused, so a
   * key that signs tokens cannot by itself reach into other accounts through a real client id. The
   * permissions are the client's current ones, not the token's: answers are cached for
   * `clientStatusTtlMs`, which is therefore how long a revocation or a permission change takes to bite.
   */
  client?: (clientId: string) => Promise<ClientState | undefined>;
  /**
   * Longest lifetime (exp - iat) an own token may claim: the issuer's TTL. Longer ones are refused,
   * as are own tokens without iat. Unset: no bound (tests of other rules).
   */
  maxLifetimeSeconds?: number;
  /** Epoch milliseconds; injectable for tests. */
  now?: () => number;
  /** Longest time a verified token is served from cache (never past its exp). Default 60 s. */
  cacheTtlMs?: number;
  /** Default 10,000 tokens. */
  cacheMaxEntries?: number;
  /** Default 5 s. */
  clientStatusTtlMs?: number;
  /** Leeway for an external issuer's clock on exp/nbf. Default 0. */
  oidcClockToleranceSeconds?: number;
}

/** What the verifier needs of an own token's client. */
export interface ClientState {
  account: string;
  permissions?: ContentPermissions;
}

interface ClientStatus {
  answer: Promise<ClientState | undefined>;
  /** Set once the lookup has answered: the client, or null when it may not act. */
  state?: ClientState | null;
}

/** How far in the future an own token's iat may lie: clocks of nodes differ a little, not more. */
export const IAT_SKEW_SECONDS = 60;

interface Verified {
  /** The actor the token itself describes (no permissions: those are the client's, looked up). */
  actor: Actor;
  /** The actor with the permissions of `state`, rebuilt when a fresh lookup replaces `state`. */
  current?: { state: ClientState; actor: Actor };
  /** Seconds since the epoch. */
  exp: number;
  /** Own tokens are subject to client revocation; external ones are the external issuer's business. */
  checkClient: boolean;
}

/**
 * Turns an Authorization header into the Actor it authenticates, or throws the 401 invalid_token
 * AppError (with the real reason in `cause`, for logs only). Throws 503 `unavailable` when the
 * external issuer's keys cannot be fetched, and lets the client lookup's own errors through, so that an
 * outage is not reported to clients as a bad token.
 */
export class TokenVerifier {
  readonly #key: Promise<webcrypto.CryptoKey>;
  readonly #oidc: { config: OidcConfig; jwks: RemoteJWKSet; tolerance: number } | undefined;
  readonly #client: ((clientId: string) => Promise<ClientState | undefined>) | undefined;
  readonly #maxLifetime: number | undefined;
  readonly #now: () => number;
  readonly #cacheTtlMs: number;
  readonly #clientTtlMs: number;
  // Only successes are cached: a failure is re-verified every time, so nothing valid can be stuck.
  readonly #tokens: TtlCache<string, Verified>;
  readonly #clients: TtlCache<string, ClientStatus>;

  constructor(opts: TokenVerifierOptions) {
    if (opts.secret.length < 32) throw new RangeError('token signing secret must be at least 32 bytes');
    // Import the HMAC key once; given raw bytes, jose would import them again on every verification.
    this.#key = webcrypto.subtle.importKey('raw', opts.secret, { name: 'HMAC', hash: 'SHA-256' }, false, [
      'verify',
    ]);
    this.#key.catch(() => {}); // surfaced by the first verify, not as an unhandled rejection
    this.#oidc = opts.oidc && {
      config: opts.oidc,
      jwks: createRemoteJWKSet(new URL(opts.oidc.jwksUrl), { [customFetch]: markedFetch }),
      tolerance: opts.oidcClockToleranceSeconds ?? 0,
    };
    this.#client = opts.client;
    this.#maxLifetime = opts.maxLifetimeSeconds;
    this.#now = opts.now ?? Date.now;
    this.#cacheTtlMs = opts.cacheTtlMs ?? 60_000;
    this.#clientTtlMs = opts.clientStatusTtlMs ?? 5_000;
    this.#tokens = new TtlCache(opts.cacheMaxEntries ?? 10_000);
    this.#clients = new TtlCache(10_000);
  }

  /**
   * The actor of a token that verified before and is still cached, when its client is known to be
   * active; otherwise undefined, and verify() gives the answer (or the error). Synchronous, so the
   * common case of every request costs no promise.
   */
  cached(authorizationHeader: string | undefined): Actor | undefined {
    const token = parseBearer(authorizationHeader);
    if (token === undefined) return undefined;
    const now = this.#now();
    const hit = this.#tokens.get(token, now);
    if (hit === undefined) return undefined;
    if (!hit.checkClient || this.#client === undefined) return hit.actor;
    const state = this.#clients.get(hit.actor.clientId, now)?.state;
    if (!state || state.account !== hit.actor.account) return undefined;
    return withClient(hit, state);
  }

  async verify(authorizationHeader: string | undefined): Promise<Actor> {
    const token = parseBearer(authorizationHeader);
    if (token === undefined)
      throw refuse(authorizationHeader === undefined ? 'no Authorization header' : 'not a Bearer header');
    const now = this.#now();
    const cached = this.#tokens.get(token, now);
    if (cached !== undefined) return this.#current(cached, now);
    const verified = await this.#verifyToken(token, now);
    const actor = await this.#current(verified, now);
    // Cached until its exp at the latest, so the cache never extends a token's life.
    this.#tokens.set(token, verified, Math.min(verified.exp * 1000, now + this.#cacheTtlMs));
    return actor;
  }

  async #current(verified: Verified, now: number): Promise<Actor> {
    if (!verified.checkClient || this.#client === undefined) return verified.actor;
    return withClient(verified, await this.#activeClient(verified.actor, now));
  }

  async #verifyToken(token: string, now: number): Promise<Verified> {
    // The unverified issuer only picks which key and rules apply; both paths then check `iss` again.
    let unverified: JWTPayload;
    try {
      unverified = decodeJwt(token);
    } catch (err) {
      throw refuse('not a JWT', err);
    }
    if (this.#oidc !== undefined && unverified.iss === this.#oidc.config.issuer)
      return this.#verifyExternal(token, now);
    return this.#verifyOwn(token, now);
  }

  async #verifyOwn(token: string, now: number): Promise<Verified> {
    let payload: JWTPayload;
    try {
      ({ payload } = await jwtVerify(token, await this.#key, {
        algorithms: [TOKEN_ALGORITHM],
        issuer: TOKEN_ISSUER,
        audience: TOKEN_AUDIENCE,
        typ: TOKEN_TYPE,
        requiredClaims: ['exp', 'sub', 'iat'],
        currentDate: new Date(now),
      }));
    } catch (err) {
      throw refuse('own token failed verification', err);
    }
    const { sub, client_id: clientId, account, scope, iat, exp } = payload;
    // jose has checked that both are numbers. A token minted with a stolen key tends to be long-lived
    // or post-dated; the issuer never makes either.
    if (iat! > Math.floor(now / 1000) + IAT_SKEW_SECONDS) throw refuse('iat lies in the future');
    if (this.#maxLifetime !== undefined && exp! - iat! > this.#maxLifetime)
      throw refuse(`lifetime ${exp! - iat!} s exceeds the configured ${this.#maxLifetime} s`);
    if (typeof clientId !== 'string' || clientId !== sub)
      throw refuse('client_id missing or not equal to sub');
    if (!isValidAccount(account)) throw refuse('account claim missing or malformed');
    if (typeof scope !== 'string') throw refuse('scope claim missing or not a string');
    const scopes = parseScopes(scope);
    if (!scopes.ok) throw refuse(`unknown scopes in token: ${scopes.unknown.join(' ')}`);
    return { actor: actor(account, clientId, sub, scopes.scopes), exp: payload.exp!, checkClient: true };
  }

  async #verifyExternal(token: string, now: number): Promise<Verified> {
    const { config, jwks, tolerance } = this.#oidc!;
    let payload: JWTPayload;
    try {
      ({ payload } = await jwtVerify(token, jwks, {
        algorithms: OIDC_ALGORITHMS,
        issuer: config.issuer,
        audience: config.audience,
        requiredClaims: ['exp'],
        clockTolerance: tolerance,
        currentDate: new Date(now),
      }));
    } catch (err) {
      if (isKeySetOutage(err)) throw unavailable('The token issuer cannot be reached', err);
      throw refuse('external token failed verification', err);
    }
    const account = payload[config.accountClaim];
    if (!isValidAccount(account))
      throw refuse(`claim '${config.accountClaim}' missing or not a valid account`);
    const clientId = [payload.client_id, payload.azp, payload.sub].find(
      (v) => typeof v === 'string' && v !== '',
    );
    if (typeof clientId !== 'string') throw refuse('no client_id, azp or sub claim');
    const subject = typeof payload.sub === 'string' && payload.sub !== '' ? payload.sub : clientId;
    // Unknown names are ignored here (unlike own tokens): external issuers add openid, profile, etc.
    const scopes = knownScopes(scopeNames(payload));
    return { actor: actor(account, clientId, subject, scopes), exp: payload.exp!, checkClient: false };
  }

  async #activeClient(actor: Actor, now: number): Promise<ClientState> {
    const lookup = this.#client!;
    const { clientId } = actor;
    let status = this.#clients.get(clientId, now);
    if (status === undefined) {
      // The pending lookup itself is cached, so a burst of requests makes one lookup, not many.
      const entry: ClientStatus = {
        answer: lookup(clientId).then(
          (state) => {
            entry.state = state ?? null;
            return state;
          },
          (err: unknown) => {
            this.#clients.delete(clientId);
            throw err;
          },
        ),
      };
      status = entry;
      this.#clients.set(clientId, status, now + this.#clientTtlMs);
    }
    const state = await status.answer;
    if (state === undefined) throw refuse(`client '${clientId}' is revoked or unknown`);
    if (state.account !== actor.account)
      throw refuse(`account claim '${actor.account}' is not client '${clientId}''s account`);
    return state;
  }
}

/** `scope` (space-separated string, RFC 8693) or `scp` (array, or a string as Azure AD sends it). */
function scopeNames(payload: JWTPayload): string[] {
  const { scope, scp } = payload;
  if (typeof scope === 'string') return scope.split(' ');
  if (typeof scp === 'string') return scp.split(' ');
  if (Array.isArray(scp)) return scp.filter((s): s is string => typeof s === 'string');
  return [];
}

/**
 * The token's actor with its client's current permissions. One actor per client lookup and token:
 * the common case (same lookup as last time) allocates nothing.
 */
function withClient(verified: Verified, state: ClientState): Actor {
  if (verified.current?.state === state) return verified.current.actor;
  const actor =
    state.permissions === undefined
      ? verified.actor
      : Object.freeze({ ...verified.actor, permissions: state.permissions });
  verified.current = { state, actor };
  return actor;
}

// Cached actors are shared between requests, hence frozen.
function actor(account: string, clientId: string, subject: string, scopes: Scope[]): Actor {
  return Object.freeze({ account, clientId, subject, scopes: new Set(scopes) });
}

/** A network failure while fetching the JWKS, told apart from the TypeErrors key handling may throw. */
class KeySetFetchError extends Error {
  constructor(cause: unknown) {
    super('JWKS fetch failed', { cause });
    this.name = 'KeySetFetchError';
  }
}

const markedFetch: FetchImplementation = async (url, init) => {
  try {
    return await fetch(url, init);
  } catch (err) {
    throw new KeySetFetchError(err);
  }
};

/**
 * The JWKS could not be fetched (network, timeout, non-200, not JSON, not a key set): the issuer's
 * outage, not a bad token. jose raises the plain JOSEError class only for the non-200 and not-JSON cases.
 */
function isKeySetOutage(err: unknown): boolean {
  return (
    err instanceof KeySetFetchError ||
    err instanceof errors.JWKSTimeout ||
    err instanceof errors.JWKSInvalid ||
    (err instanceof errors.JOSEError && err.constructor === errors.JOSEError)
  );
}

function refuse(reason: string, cause?: unknown): AppError {
  const err = invalidToken();
  err.cause = new Error(reason, cause === undefined ? undefined : { cause });
  return err;
}
