import { randomUUID } from 'node:crypto';
import { SignJWT } from 'jose';
import type { Scope } from '../core/types.js';
import { isValidAccount, TOKEN_ALGORITHM, TOKEN_AUDIENCE, TOKEN_ISSUER, TOKEN_TYPE } from './claims.js';
import { formatScopes } from './scopes.js';

export interface TokenIssuerOptions {
  /** HMAC key shared by every node (see signing-secret.ts). */
  secret: Uint8Array;
  ttlSeconds: number;
  /** Epoch milliseconds; injectable so tests control iat/exp. */
  now?: () => number;
}

export interface IssueRequest {
  clientId: string;
  account: string;
  scopes: Iterable<Scope>;
}

export interface IssuedToken {
  accessToken: string;
  /** Seconds until the token expires (the token endpoint's expires_in). */
  expiresIn: number;
  /** Granted scopes, space-separated. */
  scope: string;
}

/** Signs the service's own HS256 access tokens. */
export class TokenIssuer {
  readonly #secret: Uint8Array;
  readonly #ttl: number;
  readonly #now: () => number;

  constructor(opts: TokenIssuerOptions) {
    if (opts.secret.length < 32) throw new RangeError('token signing secret must be at least 32 bytes');
    if (!Number.isInteger(opts.ttlSeconds) || opts.ttlSeconds < 1)
      throw new RangeError('ttlSeconds must be a positive integer');
    this.#secret = opts.secret;
    this.#ttl = opts.ttlSeconds;
    this.#now = opts.now ?? Date.now;
  }

  async issue(req: IssueRequest): Promise<IssuedToken> {
    // The verifier refuses such tokens; failing here surfaces a bad client row at issue time instead
    // of as a mysterious 401 on every later request.
    if (!isValidAccount(req.account)) throw new Error(`client '${req.clientId}' has an invalid account name`);
    const scope = formatScopes(req.scopes);
    const iat = Math.floor(this.#now() / 1000);
    const accessToken = await new SignJWT({ client_id: req.clientId, account: req.account, scope })
      .setProtectedHeader({ alg: TOKEN_ALGORITHM, typ: TOKEN_TYPE })
      .setIssuer(TOKEN_ISSUER)
      .setAudience(TOKEN_AUDIENCE)
      .setSubject(req.clientId)
      .setIssuedAt(iat)
      .setExpirationTime(iat + this.#ttl)
      .setJti(randomUUID())
      .sign(this.#secret);
    return { accessToken, expiresIn: this.#ttl, scope };
  }
}
